"""`flowwiz deploy --yes`: every question answered by flag, detection or a safe default,
through the real console script in real git repositories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.deployutil import FLOW, OTHER_FLOW, github_like_repo, run_deploy, tree_hashes
from tests.gitutil import git, make_repo
from tests.leaks import assert_not_leaked, canary

TOKEN_REF = "{{ prefect.blocks.secret.deployment-nightly-etl-nightly-etl-repo-token }}"


def load(repo: Path) -> dict:
    return yaml.safe_load((repo / "prefect.yaml").read_text())


def only_deployment(repo: Path) -> dict:
    deployments = load(repo)["deployments"]
    assert len(deployments) == 1
    return deployments[0]


def test_public_repo_one_flow(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    result = run_deploy(repo, "--yes", "--param", "count=3")
    assert result.returncode == 0, result.stderr
    doc = load(repo)
    assert list(doc) == ["name", "prefect-version", "build", "push", "pull", "deployments"] or list(
        doc
    ) == [
        "name",
        "build",
        "push",
        "pull",
        "deployments",
    ]
    assert doc["name"] == "flows"
    entry = only_deployment(repo)
    assert entry["name"] == "nightly-etl"
    assert entry["entrypoint"] == "flows/etl.py:etl"
    assert entry["description"] == "Loads the nightly extract."
    assert entry["parameters"] == {"count": 3}
    assert entry["work_pool"]["name"] == "default"
    assert entry["work_pool"]["work_queue_name"] == "default"
    assert entry["schedules"] == []
    assert entry["pull"] == [
        {
            "prefect.deployments.steps.git_clone": {
                "repository": "https://github.com/acme/flows.git",
                "branch": "main",
            }
        }
    ]
    ignore = (repo / ".prefectignore").read_text()
    assert ".venv/" in ignore.splitlines() and "/venv/" in ignore and "*.pem" in ignore
    assert "prefect deploy -n nightly-etl" in result.stderr


def test_private_repo_token_from_env(tmp_path: Path, file_keyring: Path) -> None:
    repo = github_like_repo(tmp_path)
    token = canary()
    result = run_deploy(
        repo,
        "--yes",
        "--private",
        "--token-env",
        "MY_GIT_TOKEN",
        "--param",
        "count=1",
        "--cron",
        "0 3 * * *",
        "--timezone",
        "Europe/Paris",
        env={"MY_GIT_TOKEN": token},
    )
    assert result.returncode == 0, result.stderr
    entry = only_deployment(repo)
    step = entry["pull"][0]["prefect.deployments.steps.git_clone"]
    assert step == {
        "repository": "https://github.com/acme/flows.git",
        "branch": "main",
        "access_token": TOKEN_REF,
    }
    assert entry["schedules"] == [{"cron": "0 3 * * *", "timezone": "Europe/Paris", "active": True}]
    assert "'{{ prefect.blocks.secret." in (repo / "prefect.yaml").read_text()  # quoted template
    # the token is in the keyring (and only there)
    from flowwiz.writers.blocks import open_store

    block = open_store().get(
        "secret", "deployment-nightly-etl-nightly-etl-repo-token", include_secrets=True
    )
    assert block.data["value"].reveal() == token
    keyring_dir = file_keyring
    assert_not_leaked(
        token,
        texts=[result.stdout, result.stderr],
        roots=[repo, Path(os.environ["FLOWWIZ_HOME"]), tmp_path / "remotes"],
    )
    assert any(p.is_file() for p in keyring_dir.rglob("*"))


def test_private_repo_token_from_stdin(tmp_path: Path, file_keyring: Path) -> None:
    repo = github_like_repo(tmp_path)
    token = canary()
    result = run_deploy(
        repo, "--yes", "--private", "--token-stdin", "--param", "count=1", input=token + "\n"
    )
    assert result.returncode == 0, result.stderr
    step = only_deployment(repo)["pull"][0]["prefect.deployments.steps.git_clone"]
    assert step["access_token"] == TOKEN_REF
    from flowwiz.writers.blocks import open_store

    block = open_store().get(
        "secret", "deployment-nightly-etl-nightly-etl-repo-token", include_secrets=True
    )
    assert block.data["value"].reveal() == token
    assert_not_leaked(
        token, texts=[result.stdout, result.stderr], roots=[repo, Path(os.environ["FLOWWIZ_HOME"])]
    )


def test_rerun_uses_stored_token_and_replaces_when_given(
    tmp_path: Path, file_keyring: Path
) -> None:
    repo = github_like_repo(tmp_path)
    first, second = canary(), canary()
    args = ("--yes", "--private", "--param", "count=1")
    assert run_deploy(repo, *args, "--token-env", "T", env={"T": first}).returncode == 0
    again = run_deploy(repo, *args)  # no token source: the stored one is used
    assert again.returncode == 0, again.stderr
    assert (
        "Using the token stored as secret/deployment-nightly-etl-nightly-etl-repo-token"
        in again.stderr
    )
    replaced = run_deploy(repo, *args, "--token-env", "T", env={"T": second})
    assert replaced.returncode == 0, replaced.stderr
    from flowwiz.writers.blocks import open_store

    block = open_store().get(
        "secret", "deployment-nightly-etl-nightly-etl-repo-token", include_secrets=True
    )
    assert block.data["value"].reveal() == second
    assert len(load(repo)["deployments"]) == 1


def test_every_flag(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    result = run_deploy(
        repo,
        "--yes",
        "--entrypoint",
        "flows/etl.py:etl",
        "--name",
        "Nightly Load",
        "--description",
        "Loads things",
        "--tag",
        "etl",
        "--tag",
        "nightly,prod",
        "--interval",
        "900",
        "--timezone",
        "UTC",
        "--pool",
        "prod-pool",
        "--queue",
        "fast",
        "--job-variable",
        "env.LOG_LEVEL=DEBUG",
        "--job-variable",
        "env.RETRIES=3",
        "--job-variable",
        "image=repo/img:tag",
        "--params",
        '{"count": 2, "label": "y"}',
        "--param",
        "ratio=0.25",
        "--repository",
        "https://github.com/acme/other.git",
        "--branch",
        "release",
        "--public",
        "--no-prefectignore",
    )
    assert result.returncode == 0, result.stderr
    entry = only_deployment(repo)
    assert entry["name"] == "Nightly Load"
    assert entry["description"] == "Loads things"
    assert entry["tags"] == ["etl", "nightly", "prod"]
    assert entry["schedules"] == [{"interval": 900, "timezone": "UTC", "active": True}]
    assert entry["work_pool"] == {
        "name": "prod-pool",
        "work_queue_name": "fast",
        "job_variables": {"env": {"LOG_LEVEL": "DEBUG", "RETRIES": "3"}, "image": "repo/img:tag"},
    }
    assert entry["parameters"] == {"count": 2, "label": "y", "ratio": 0.25}
    step = entry["pull"][0]["prefect.deployments.steps.git_clone"]
    assert step == {"repository": "https://github.com/acme/other.git", "branch": "release"}
    assert not (repo / ".prefectignore").exists()


def test_no_git_storage_sets_working_directory(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    result = run_deploy(repo, "--yes", "--no-git", "--param", "count=1")
    assert result.returncode == 0, result.stderr
    entry = only_deployment(repo)
    assert entry["pull"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(repo.resolve())}}
    ]
    assert "only a worker on this machine" in result.stderr


def test_local_remote_falls_back_to_working_directory(tmp_path: Path) -> None:
    from tests.gitutil import bare_remote, push_to

    repo = make_repo(tmp_path / "repo", {"flows/etl.py": FLOW})
    push_to(repo, bare_remote(tmp_path))
    result = run_deploy(repo, "--yes", "--param", "count=1")
    assert result.returncode == 0, result.stderr
    assert "set_working_directory" in str(only_deployment(repo)["pull"])
    assert "Git storage is not offered" in result.stderr


def test_self_hosted_host_writes_credentials_with_username(
    tmp_path: Path, file_keyring: Path
) -> None:
    repo = github_like_repo(tmp_path, url="https://git.example.com/team/flows.git")
    token = canary()
    result = run_deploy(
        repo, "--yes", "--private", "--token-env", "T", "--param", "count=1", env={"T": token}
    )
    assert result.returncode == 0, result.stderr
    step = only_deployment(repo)["pull"][0]["prefect.deployments.steps.git_clone"]
    assert step == {
        "repository": "https://git.example.com/team/flows.git",
        "branch": "main",
        "credentials": {"username": "oauth2", "access_token": TOKEN_REF},
    }


def test_bitbucket_server_needs_username(tmp_path: Path, file_keyring: Path) -> None:
    repo = github_like_repo(tmp_path, url="https://bitbucket.example.com/scm/team/flows.git")
    result = run_deploy(
        repo, "--yes", "--private", "--token-env", "T", "--param", "count=1", env={"T": canary()}
    )
    assert result.returncode == 2
    assert "--username" in result.stderr
    ok = run_deploy(
        repo,
        "--yes",
        "--private",
        "--token-env",
        "T",
        "--username",
        "alice",
        "--param",
        "count=1",
        env={"T": canary()},
    )
    assert ok.returncode == 0, ok.stderr
    creds = only_deployment(repo)["pull"][0]["prefect.deployments.steps.git_clone"]["credentials"]
    assert creds["username"] == "alice"


def test_credentials_block_reference(tmp_path: Path, file_keyring: Path) -> None:
    from flowwiz.writers.blocks import open_store

    open_store().save("github-credentials", "acme-gh", {"token": canary()})
    repo = github_like_repo(tmp_path)
    result = run_deploy(
        repo,
        "--yes",
        "--private",
        "--credentials-block",
        "github-credentials/acme-gh",
        "--param",
        "count=1",
    )
    assert result.returncode == 0, result.stderr
    step = only_deployment(repo)["pull"][0]["prefect.deployments.steps.git_clone"]
    assert step["credentials"] == "{{ prefect.blocks.github-credentials.acme-gh }}"
    assert "access_token" not in step
    missing = run_deploy(
        repo,
        "--yes",
        "--private",
        "--credentials-block",
        "github-credentials/nope",
        "--param",
        "count=1",
    )
    assert missing.returncode == 2
    assert "github-credentials/nope" in missing.stderr


def test_token_block_reference(tmp_path: Path, file_keyring: Path) -> None:
    from flowwiz.writers.blocks import open_store

    open_store().save("secret", "team-token", {"value": canary()})
    repo = github_like_repo(tmp_path)
    result = run_deploy(
        repo, "--yes", "--private", "--token-block", "team-token", "--param", "count=1"
    )
    assert result.returncode == 0, result.stderr
    step = only_deployment(repo)["pull"][0]["prefect.deployments.steps.git_clone"]
    assert step["access_token"] == "{{ prefect.blocks.secret.team-token }}"


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("--private", "--param", "count=1"), "--token-env"),
        (("--entrypoint", "flows/etl.py:etl"), "--param count=VALUE"),
        (("--cron", "61 * * * *", "--param", "count=1"), "--cron"),
        (("--interval", "-5", "--param", "count=1"), "--interval"),
        (("--timezone", "Mars/Olympus", "--cron", "0 1 * * *", "--param", "count=1"), "--timezone"),
        (("--param", "count=abc"), "--param count"),
        (("--param", "nope=1"), "nope"),
        (("--cron", "0 1 * * *", "--interval", "60"), "choose one schedule"),
        (("--job-variable", "noequals"), "--job-variable"),
        (("--entrypoint", "flows/missing.py:etl"), "flows/missing.py"),
        (("--entrypoint", "flows/etl.py:nope"), "nope"),
        (("--repository", "git@github.com:acme/flows.git", "--param", "count=1"), "https"),
        (("--public", "--token-env", "X", "--param", "count=1"), "--public"),
    ],
)
def test_missing_or_bad_answers_exit_2_naming_the_flag(
    tmp_path: Path, args: tuple[str, ...], flag: str
) -> None:
    repo = github_like_repo(tmp_path)
    before = tree_hashes(repo)
    result = run_deploy(repo, "--yes", *args)
    assert result.returncode == 2, result.stderr
    assert flag in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3
    assert tree_hashes(repo) == before


def test_several_flows_need_entrypoint(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path, {"flows/etl.py": FLOW, "flows/report.py": OTHER_FLOW})
    result = run_deploy(repo, "--yes")
    assert result.returncode == 2
    assert "--entrypoint" in result.stderr and "2 flows found" in result.stderr
    ok = run_deploy(repo, "--yes", "--entrypoint", "flows/report.py:report")
    assert ok.returncode == 0, ok.stderr
    assert only_deployment(repo)["name"] == "report"


def test_no_flows_needs_entrypoint(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path, {"README.md": "no flows\n"})
    result = run_deploy(repo, "--yes")
    assert result.returncode == 2
    assert "--entrypoint" in result.stderr and "no flow was found" in result.stderr


def test_no_terminal_without_yes(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    result = run_deploy(repo)
    assert result.returncode == 2
    assert "--yes" in result.stderr
    assert not (repo / "prefect.yaml").exists()


def test_token_flag_does_not_exist(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    result = run_deploy(repo, "--yes", "--token", "abc")
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_token_with_newline_is_refused(tmp_path: Path, file_keyring: Path) -> None:
    repo = github_like_repo(tmp_path)
    token = canary()
    result = run_deploy(
        repo,
        "--yes",
        "--private",
        "--token-env",
        "T",
        "--param",
        "count=1",
        env={"T": f"{token}\nmore"},
    )
    assert result.returncode == 2
    assert "newline" in result.stderr
    assert not (repo / "prefect.yaml").exists()
    assert_not_leaked(
        token, texts=[result.stdout, result.stderr], roots=[repo, Path(os.environ["FLOWWIZ_HOME"])]
    )


def test_dry_run_writes_nothing(tmp_path: Path, file_keyring: Path) -> None:
    repo = github_like_repo(tmp_path)
    before = tree_hashes(repo)
    token = canary()
    result = run_deploy(
        repo,
        "--yes",
        "--dry-run",
        "--private",
        "--token-env",
        "T",
        "--param",
        "count=1",
        env={"T": token},
    )
    assert result.returncode == 0, result.stderr
    printed = yaml.safe_load(result.stdout)
    assert printed["deployments"][0]["name"] == "nightly-etl"
    assert TOKEN_REF in result.stdout
    assert tree_hashes(repo) == before
    from flowwiz.writers.blocks import open_store

    assert not open_store().exists("secret", "deployment-nightly-etl-nightly-etl-repo-token")
    assert_not_leaked(
        token, texts=[result.stdout, result.stderr], roots=[repo, Path(os.environ["FLOWWIZ_HOME"])]
    )


def test_malformed_prefect_yaml_is_left_untouched(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    bad = "deployments:\n- name: a\n  entrypoint: [unclosed\n"
    (repo / "prefect.yaml").write_text(bad)
    result = run_deploy(repo, "--yes", "--param", "count=1")
    assert result.returncode == 2
    assert "line" in result.stderr and "column" in result.stderr
    assert (repo / "prefect.yaml").read_text() == bad


EXISTING = """\
# Team deployments: edited by hand, keep the comments!
name: flows
prefect-version: 3.9.1

build: null
push: null

pull:
- prefect.deployments.steps.set_working_directory:
    directory: /opt/flows   # the image's code dir

deployments:
# the hourly sync
- name: hourly-sync
  entrypoint: flows/sync.py:sync   # do not rename
  work_pool:
    name: shared-pool
    work_queue_name: default
  schedules:
  - interval: 3600
- name: weekly-report   # owned by BI
  entrypoint: flows/report.py:report
  work_pool:
    name: shared-pool
"""


def test_merge_appends_and_keeps_every_other_byte(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    (repo / "prefect.yaml").write_text(EXISTING)
    result = run_deploy(repo, "--yes", "--param", "count=1")
    assert result.returncode == 0, result.stderr
    text = (repo / "prefect.yaml").read_text()
    assert text.startswith(EXISTING)  # nothing before the new entry changed, comments included
    doc = yaml.safe_load(text)
    assert [d["name"] for d in doc["deployments"]] == [
        "hourly-sync",
        "weekly-report",
        "nightly-etl",
    ]
    new = doc["deployments"][2]
    assert new["work_pool"]["name"] == "shared-pool"  # default taken from the other deployments


def test_merge_updates_only_its_deployment(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    (repo / "prefect.yaml").write_text(EXISTING)
    assert run_deploy(repo, "--yes", "--param", "count=1").returncode == 0
    first = (repo / "prefect.yaml").read_text()
    result = run_deploy(repo, "--yes", "--param", "count=7", "--pool", "other-pool")
    assert result.returncode == 0, result.stderr
    text = (repo / "prefect.yaml").read_text()
    assert text.startswith(EXISTING)
    doc = yaml.safe_load(text)
    assert [d["name"] for d in doc["deployments"]] == [
        "hourly-sync",
        "weekly-report",
        "nightly-etl",
    ]
    assert doc["deployments"][2]["parameters"] == {"count": 7}
    assert doc["deployments"][2]["work_pool"]["name"] == "other-pool"
    assert first != text


def test_detached_head_proposes_the_remote_branch(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    git(repo, "checkout", "-q", "--detach", "HEAD")
    result = run_deploy(repo, "--yes", "--param", "count=1")
    assert result.returncode == 0, result.stderr
    step = only_deployment(repo)["pull"][0]["prefect.deployments.steps.git_clone"]
    assert step["branch"] == "main"
    assert "HEAD" not in str(step)


def test_unpushed_branch_warns(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    git(repo, "checkout", "-q", "-b", "feature")
    result = run_deploy(repo, "--yes", "--param", "count=1")
    assert result.returncode == 0, result.stderr
    assert "not on the remote" in result.stderr
    assert (
        only_deployment(repo)["pull"][0]["prefect.deployments.steps.git_clone"]["branch"]
        == "feature"
    )


def test_credentials_in_remote_url_are_never_written(tmp_path: Path, file_keyring: Path) -> None:
    token = canary()
    repo = github_like_repo(tmp_path, url=f"https://someone:{token}@github.com/acme/flows.git")
    no_answer = run_deploy(repo, "--yes", "--param", "count=1")
    assert no_answer.returncode == 2 and "--private/--public" in no_answer.stderr
    result = run_deploy(repo, "--yes", "--private", "--token-from-remote", "--param", "count=1")
    assert result.returncode == 0, result.stderr
    assert "carries credentials" in result.stderr
    step = only_deployment(repo)["pull"][0]["prefect.deployments.steps.git_clone"]
    assert step["repository"] == "https://github.com/acme/flows.git"
    from flowwiz.writers.blocks import open_store

    block = open_store().get(
        "secret", "deployment-nightly-etl-nightly-etl-repo-token", include_secrets=True
    )
    assert block.data["value"].reveal() == token
    for out in (no_answer, result):
        assert_not_leaked(token, texts=[out.stdout, out.stderr])
    written = [repo / "prefect.yaml", repo / ".prefectignore", Path(os.environ["FLOWWIZ_HOME"])]
    assert_not_leaked(token, roots=written)


def test_verify_unreachable_is_a_warning(tmp_path: Path, file_keyring: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"https://127.0.0.1:{port}/acme/flows.git"
    repo = github_like_repo(tmp_path)
    token = canary()
    result = run_deploy(
        repo,
        "--yes",
        "--private",
        "--token-env",
        "T",
        "--verify",
        "--repository",
        url,
        "--username",
        "bob",
        "--param",
        "count=1",
        env={"T": token},
    )
    assert result.returncode == 0, result.stderr
    assert "Could not check the token" in result.stderr
    assert_not_leaked(token, texts=[result.stdout, result.stderr])


def test_secret_template_in_job_variable_is_refused(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    result = run_deploy(
        repo,
        "--yes",
        "--param",
        "count=1",
        "--job-variable",
        "env.TOKEN={{ prefect.blocks.secret.x }}",
    )
    assert result.returncode == 2
    assert "pull step" in result.stderr


def test_no_keyring_is_a_clear_failure(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    before = tree_hashes(repo)
    token = canary()
    result = run_deploy(
        repo,
        "--yes",
        "--private",
        "--token-env",
        "T",
        "--param",
        "count=1",
        env={"T": token, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    assert result.returncode == 1, result.stderr
    assert "PREFECT_API_URL" in result.stderr
    assert tree_hashes(repo) == before
    assert_not_leaked(
        token, texts=[result.stdout, result.stderr], roots=[repo, Path(os.environ["FLOWWIZ_HOME"])]
    )


def test_token_from_the_workers_environment_stores_nothing(
    tmp_path: Path, file_keyring: Path
) -> None:
    repo = github_like_repo(tmp_path)
    result = run_deploy(repo, "--yes", "--param", "count=1", "--token-worker-env", "GIT_TOKEN")
    assert result.returncode == 0, result.stderr
    step = only_deployment(repo)["pull"][0]["prefect.deployments.steps.git_clone"]
    assert step == {
        "repository": "https://github.com/acme/flows.git",
        "branch": "main",
        "access_token": "{{ $GIT_TOKEN }}",
    }
    assert "environment variable GIT_TOKEN" in result.stderr
    assert "blocks push" not in result.stderr
    from flowwiz.writers.blocks import open_store

    assert open_store().list() == []  # nothing stored, nowhere


def test_token_from_the_workers_environment_on_a_host_that_needs_a_username(
    tmp_path: Path,
) -> None:
    repo = github_like_repo(tmp_path, url="https://git.example.com/team/flows.git")
    result = run_deploy(repo, "--yes", "--param", "count=1", "--token-worker-env", "CI_TOKEN")
    assert result.returncode == 0, result.stderr
    step = only_deployment(repo)["pull"][0]["prefect.deployments.steps.git_clone"]
    assert step["credentials"] == {"username": "oauth2", "access_token": "{{ $CI_TOKEN }}"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--token-worker-env", "1BAD"), "--token-worker-env"),
        (("--token-worker-env", "A-B"), "--token-worker-env"),
        (("--token-worker-env", "T", "--public"), "--token-worker-env"),
    ],
)
def test_token_from_the_workers_environment_refused(
    tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    repo = github_like_repo(tmp_path)
    before = tree_hashes(repo)
    result = run_deploy(repo, "--yes", "--param", "count=1", *args)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr.strip().splitlines()[-1]
    assert tree_hashes(repo) == before
