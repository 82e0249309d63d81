"""Issue 9 through the real console script: re-runs keep what they were not asked to change,
deployments are flow/name, and two writers never lose a deployment."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import FLOWWIZ
from tests.deployutil import FLOW, github_like_repo, run_deploy
from tests.test_deploy_interactive import ENTER, Transcript, spawn
from tests.test_rerun_fidelity import assert_only_entry_changed, entry_of

CLONE = "prefect.deployments.steps.git_clone"

TEAM_FILE = """\
# team file: keep this comment
name: acme

deployments:
- name: etl
  description: Nightly ETL.
  entrypoint: flows/etl.py:etl
  tags: [etl]
  parameters: {count: 1}
  work_pool:
    name: prod
    work_queue_name: default
    job_variables: {}
  schedules: []
  pull:
  - prefect.deployments.steps.git_clone:
      id: clone-step
      repository: '{{ $REPO_URL }}'
      branch: production
      access_token: '{{ prefect.blocks.secret.acme-token }}'
      include_submodules: true
      directories:
      - flows
      - requirements.txt
  - prefect.deployments.steps.pip_install_requirements:
      directory: '{{ clone-step.directory }}'
      requirements_file: requirements.txt
"""


def repo_with(tmp_path: Path, prefect_yaml: str, files: dict[str, str] | None = None) -> Path:
    repo = github_like_repo(
        tmp_path, files or {"flows/etl.py": FLOW, "requirements.txt": "prefect>=3\n"}
    )
    (repo / "prefect.yaml").write_text(prefect_yaml)
    return repo


def test_issue_rerun_with_a_cron_keeps_everything_else(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, TEAM_FILE)
    old = entry_of(TEAM_FILE, "etl")
    result = run_deploy(
        repo,
        "--yes",
        "--entrypoint",
        "flows/etl.py:etl",
        "--name",
        "etl",
        "--cron",
        "0 3 * * *",
        "--timezone",
        "UTC",
        "--no-prefectignore",
    )
    assert result.returncode == 0, result.stderr
    text = (repo / "prefect.yaml").read_text()
    new = entry_of(text, "etl")
    assert new == {**old, "schedules": [{"cron": "0 3 * * *", "timezone": "UTC", "active": True}]}
    assert_only_entry_changed(TEAM_FILE, text, "etl")
    assert "public repository" not in result.stderr
    assert "{{ prefect.blocks.secret.acme-token }}" in result.stderr  # Access row: kept
    review = result.stderr.split("Review", 1)[1].split("Changes to", 1)[0]
    rows = {line.split()[0]: line.split()[-1] for line in review.splitlines() if line.strip()}
    # `schedules: []` had none: the schedule is added
    assert rows["Schedule"] == "added" and rows["Access"] == "kept" and rows["Code"] == "kept"
    assert rows["Tags"] == "kept"


def test_legacy_schedule_with_a_new_tag(tmp_path: Path) -> None:
    legacy = TEAM_FILE.replace(
        "  schedules: []\n", "  schedule: {cron: 0 6 * * *, timezone: Europe/Berlin}\n"
    )
    repo = repo_with(tmp_path, legacy)
    result = run_deploy(
        repo,
        "--yes",
        "--entrypoint",
        "flows/etl.py:etl",
        "--name",
        "etl",
        "--tag",
        "nightly",
        "--no-prefectignore",
    )
    assert result.returncode == 0, result.stderr
    text = (repo / "prefect.yaml").read_text()
    new = entry_of(text, "etl")
    assert "schedules" not in new
    assert new["schedule"] == {"cron": "0 6 * * *", "timezone": "Europe/Berlin"}
    assert new["tags"] == ["nightly"]
    assert "cron 0 6 * * * Europe/Berlin" in result.stderr  # the review shows the schedule


HELLO = '''\
from prefect import flow


@flow
def hello():
    """Says hello.

    At length, over two paragraphs.
    """


@flow
def hello_parallel():
    pass
'''


def test_the_same_name_on_two_flows(tmp_path: Path) -> None:
    start = (
        "deployments:\n- name: default\n  entrypoint: flows/hello.py:hello\n"
        "  work_pool: {name: prod}\n"
    )
    repo = repo_with(tmp_path, start, {"flows/hello.py": HELLO})
    args = ("--yes", "--name", "default", "--pool", "prod", "--no-prefectignore")
    first = run_deploy(repo, *args, "--entrypoint", "flows/hello.py:hello_parallel")
    assert first.returncode == 0, first.stderr
    assert "a different flow" in " ".join(first.stderr.split())
    again = run_deploy(repo, *args, "--entrypoint", "flows/hello.py:hello_parallel", "--tag", "x")
    assert again.returncode == 0, again.stderr
    data = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"]
    assert [d["entrypoint"] for d in data] == [
        "flows/hello.py:hello",
        "flows/hello.py:hello_parallel",
    ]
    assert data[0] == yaml.safe_load(start)["deployments"][0]
    assert data[1]["tags"] == ["x"]
    # hello's own deployment had no description: a re-run adds none (Prefect describes it by
    # the docstring anyway); a new one gets the WHOLE docstring
    third = run_deploy(repo, *args, "--entrypoint", "flows/hello.py:hello")
    assert third.returncode == 0, third.stderr
    data = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"]
    assert "description" not in data[0]
    fresh = ("--yes", "--name", "fresh", "--pool", "prod", "--no-prefectignore")
    fourth = run_deploy(repo, *fresh, "--entrypoint", "flows/hello.py:hello")
    assert fourth.returncode == 0, fourth.stderr
    hello = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][-1]
    assert hello["name"] == "fresh"
    assert hello["description"] == "Says hello.\n\nAt length, over two paragraphs."


def test_an_int_name_is_updated_not_duplicated(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, TEAM_FILE.replace("- name: etl\n", "- name: 123\n"))
    result = run_deploy(
        repo,
        "--yes",
        "--entrypoint",
        "flows/etl.py:etl",
        "--name",
        "123",
        "--tag",
        "t",
        "--no-prefectignore",
    )
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"]
    assert len(data) == 1 and data[0]["name"] == 123 and data[0]["tags"] == ["t"]


def test_twenty_pairs_of_parallel_writers_lose_nothing(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    env = {**os.environ}
    lost = 0
    for round_ in range(20):
        names = (f"a{round_}", f"b{round_}")
        procs = [
            subprocess.Popen(
                [
                    FLOWWIZ,
                    "deploy",
                    "--yes",
                    "--entrypoint",
                    "flows/etl.py:etl",
                    "--name",
                    n,
                    "--param",
                    "count=1",
                    "--no-prefectignore",
                ],
                cwd=repo,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in names
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        present = {
            d["name"] for d in yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"]
        }
        lost += len(set(names) - present)
    assert lost == 0
    data = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"]
    assert len(data) == 40
    assert not [p for p in repo.iterdir() if p.name.endswith(".flowwiz-tmp")]


def test_a_deployment_added_by_hand_while_the_wizard_waits_survives(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    assert run_deploy(repo, "--yes", "--param", "count=1", "--name", "first").returncode == 0
    child = spawn(
        repo,
        "--entrypoint",
        "flows/etl.py:etl",
        "--name",
        "second",
        "--param",
        "count=2",
        "--pool",
        "default",
        "--queue",
        "default",
        "--no-schedule",
        "--git",
        "--public",
        "--branch",
        "main",
        "--repository",
        "https://github.com/acme/flows.git",
        "--tag",
        "x",
        "--description",
        "d",
        "--job-variable",
        "a=1",
    )
    t = Transcript(child)
    t.answer("Override parameters", ENTER)
    t.expect(r"Write prefect\.yaml\?")
    path = repo / "prefect.yaml"
    path.write_text(
        path.read_text()
        + "- name: by-hand\n  entrypoint: flows/etl.py:etl\n  work_pool:\n    name: manual\n"
    )
    child.send(ENTER)
    assert t.finish() == 0, t.text
    names = [d["name"] for d in yaml.safe_load(path.read_text())["deployments"]]
    assert names == ["first", "by-hand", "second"]
    assert "changed since flowwiz read it" in " ".join(t.text.split())


def test_ctrl_c_after_the_rename_says_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from flowwiz.wizard import cli, deploy, review

    def interrupted(options: Any) -> int:
        raise review.InterruptedAfterWrite([f"wrote {tmp_path / 'prefect.yaml'}"])

    monkeypatch.setattr(deploy, "run", interrupted)
    code = cli.main(["deploy", "--yes", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 130
    assert "nothing was written" not in err and "Aborted after it wrote" in err


def test_apply_reports_a_write_that_happened_before_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGINT is held back during the rename and lands just after it."""
    from flowwiz.writers import prefect_yaml as py

    repo = github_like_repo(tmp_path)
    assert run_deploy(repo, "--yes", "--param", "count=1", "--dry-run").returncode == 0
    real = py.write_atomic

    def late_interrupt(path: Path, text: str) -> None:
        real(path, text)
        raise KeyboardInterrupt

    monkeypatch.setattr(py, "write_atomic", late_interrupt)
    from flowwiz.wizard import review
    from flowwiz.wizard.deploy import detect, flow_resolver, load_target
    from flowwiz.wizard.prompts import UnattendedAsker
    from flowwiz.wizard.session import DeployOptions, Session

    options = DeployOptions(path=repo, yes=True, params=("count=1",), prefectignore=False)
    detected = detect(repo, interactive=False)
    session = Session(options=options, asker=UnattendedAsker(), detected=detected)
    session.target = load_target(detected, options)
    session.flow_of = flow_resolver(detected.root)
    from flowwiz.wizard.deploy import ask

    plan = ask(session)
    rendered = py.render(plan, None)
    with pytest.raises(review.InterruptedAfterWrite) as info:
        review.apply(plan, rendered, session)
    assert info.value.done == [f"wrote {plan.prefect_yaml}"]
    assert (repo / "prefect.yaml").read_text() == rendered.text


TOP_BUILD = """\
build:
- prefect_docker.deployments.steps.build_docker_image:
    id: build_image
    image_name: acme/flows
    tag: latest
    dockerfile: auto
deployments: []
"""


def test_top_level_build_is_named_and_skipped_on_request(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, TOP_BUILD)
    args = (
        "--yes",
        "--entrypoint",
        "flows/etl.py:etl",
        "--name",
        "etl",
        "--param",
        "count=1",
        "--no-prefectignore",
    )
    first = run_deploy(repo, *args, "--no-inherit-build")
    assert first.returncode == 0, first.stderr
    entry = entry_of((repo / "prefect.yaml").read_text(), "etl")
    assert "build" in entry and entry["build"] is None
    assert "skips the file's top-level build (build_docker_image)" in " ".join(first.stderr.split())
    # a re-run without the flag keeps the choice
    again = run_deploy(repo, *args, "--tag", "x")
    assert again.returncode == 0, again.stderr
    entry = entry_of((repo / "prefect.yaml").read_text(), "etl")
    assert entry["build"] is None and entry["tags"] == ["x"]
    # and --inherit-build gives the deployment the top-level build again
    back = run_deploy(repo, *args, "--inherit-build")
    assert back.returncode == 0, back.stderr
    assert "build" not in entry_of((repo / "prefect.yaml").read_text(), "etl")
    assert "runs the file's top-level build: build_docker_image" in " ".join(back.stderr.split())
