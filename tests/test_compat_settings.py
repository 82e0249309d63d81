"""flowwiz finds the Prefect server where the Prefect CLI finds it (issue 10), proven against
real Prefect 3.9.1 servers:

- a profile-only configuration (``~/.prefect/profiles.toml``, nothing in the environment)
  sends flowwiz's blocks and the deploy wizard's token to that server;
- a server started with ``PREFECT_SERVER_API_AUTH_STRING`` works through
  ``PREFECT_API_AUTH_STRING`` (Prefect's own client reads back what flowwiz wrote), and
  without it the error names that setting.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clirun import flowwiz
from tests.deployutil import github_like_repo, run_deploy
from tests.leaks import assert_not_leaked, canary
from tests.prefect_harness import (
    HarnessError,
    PrefectServer,
    _start_server,
    _stop_server,
    ensure_prefect,
    ensure_template_db,
)

pytestmark = pytest.mark.prefect

AUTH = "compat-admin:compat-pass"


def profile_home(tmp_path: Path, api_url: str, name: str = "compat-prod", **extra: str) -> Path:
    home = Path(os.environ["HOME"])
    path = home / ".prefect" / "profiles.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f'active = "{name}"', "", f"[profiles.{name}]", f'PREFECT_API_URL = "{api_url}"']
    lines += [f'{k} = "{v}"' for k, v in extra.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_profile_alone_sends_blocks_and_tokens_to_its_server(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    assert "PREFECT_API_URL" not in os.environ
    profile_home(tmp_path, prefect_server.api_url)
    detected = json.loads(flowwiz("detect", str(tmp_path), "--json").stdout)["prefect_server"]
    assert (detected["api_url"], detected["source"]) == (
        prefect_server.api_url,
        "profile 'compat-prod'",
    )

    created = flowwiz("blocks", "create", "secret", "compat-profile-block", "--stdin", stdin="v1")
    assert created.returncode == 0, created.stderr
    assert prefect_server.read_block_document("secret", "compat-profile-block")["data"] == {
        "value": "v1"
    }

    repo = github_like_repo(tmp_path)
    token = canary()
    done = run_deploy(
        repo,
        "--yes",
        "--name",
        "compat-profile",
        "--pool",
        "compat-profile-pool",
        "--pool-type",
        "process",
        "--param",
        "count=1",
        "--private",
        "--token-env",
        "COMPAT_TOKEN",
        env={"COMPAT_TOKEN": token},
    )
    assert done.returncode == 0, done.stderr
    assert "profile 'compat-prod'" in " ".join(done.stderr.split())  # the review says where
    block = prefect_server.read_block_document(
        "secret", "deployment-compat-profile-nightly-etl-repo-token"
    )
    assert block is not None and block["data"] == {"value": token}
    assert_not_leaked(token, texts=[done.stdout, done.stderr], roots=[repo])


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prefect server of its own, started with an API auth string; its API URL."""
    root = tmp_path_factory.mktemp("prefect-auth")
    try:
        venv = ensure_prefect()
        server = _start_server(
            venv,
            root / "home",
            root / "server.log",
            template_db=ensure_template_db(venv),
            env_extra={"PREFECT_SERVER_API_AUTH_STRING": AUTH},
        )
    except HarnessError as exc:
        pytest.fail(f"real Prefect is not available: {exc}", pytrace=False)
    try:
        yield server.api_url
    finally:
        _stop_server(server.process)


def test_a_server_with_an_auth_string(
    auth_server: str, prefect_server: PrefectServer, tmp_path: Path
) -> None:
    # without the auth string: refused, and the message names the setting that fixes it
    refused = flowwiz("blocks", "--api-url", auth_server, "ls")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"error: the Prefect server at {auth_server} refused the request (HTTP 401): set "
        "PREFECT_API_KEY (Prefect Cloud) or PREFECT_API_AUTH_STRING (a server started with "
        "PREFECT_SERVER_API_AUTH_STRING)"
    ]
    # with it, from a profile: flowwiz writes, and Prefect's own client reads it back
    profile_home(tmp_path, auth_server, name="compat-auth", PREFECT_API_AUTH_STRING=AUTH)
    value = canary()
    created = flowwiz("blocks", "create", "secret", "compat-auth-block", "--stdin", stdin=value)
    assert created.returncode == 0, created.stderr
    read = prefect_server.check_python(
        "from prefect.blocks.system import Secret\n"
        f"print(Secret.load('compat-auth-block').get() == {value!r})\n",
        env_extra={"PREFECT_API_URL": auth_server, "PREFECT_API_AUTH_STRING": AUTH},
    )
    assert read.stdout.strip().splitlines()[-1] == "True"
    listed = flowwiz("blocks", "ls", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "compat-auth-block" in listed.stdout
    # the dashboard's deployment reader goes through the same settings
    from flowwiz.detectors.prefect_settings import resolve_settings
    from flowwiz.wizard.dashboard.server import load_server_deployments

    settings = resolve_settings()
    assert settings.api_url_source == "profile 'compat-auth'"
    assert load_server_deployments(auth_server, settings=settings) == ()
    assert_not_leaked(value, texts=[created.stdout, created.stderr, listed.stdout])
    assert "compat-pass" not in created.stderr + listed.stderr + listed.stdout


def test_deploy_yes_register_creates_the_pool_and_a_worker_runs_it(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    """One worker run proves three things: the pool flowwiz created (its default process base
    job template) runs flows, `flowwiz deploy --yes --register` left the deployment on the
    server as written, and a profile-only configuration reached the right server."""
    from tests.test_compat_deploy import FLOW_NAME, git_clone, run_on_worker, worker_gitconfig

    profile_home(tmp_path, prefect_server.api_url, name="compat-reg")
    repo = github_like_repo(tmp_path)
    pool = "compat-reg-pool"
    path = os.pathsep.join([str(prefect_server.venv / "bin"), os.environ["PATH"]])
    done = run_deploy(
        repo,
        "--yes",
        "--name",
        "compat-reg",
        "--pool",
        pool,
        "--pool-type",
        "process",
        "--cron",
        "0 3 * * *",
        "--timezone",
        "Europe/Paris",
        "--param",
        "count=2",
        "--job-variable",
        "stream_output=false",
        "--register",
        env={"PATH": path},
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Created work pool '{pool}' (process)" in done.stderr
    dep = prefect_server.read_deployment(FLOW_NAME, "compat-reg")
    assert f"Registered {FLOW_NAME}/compat-reg (id {dep['id']}) on {prefect_server.api_url}" in (
        done.stderr
    )
    ui = prefect_server.api_url.removesuffix("/api") + f"/deployments/deployment/{dep['id']}"
    assert ui in done.stderr
    steps = done.stderr[done.stderr.rindex("Next steps") :]
    assert "prefect deploy -n" not in steps  # done already: not a next step
    assert dep["pull_steps"] == [git_clone()]
    assert [s["schedule"] for s in dep["schedules"]] == [
        {"cron": "0 3 * * *", "timezone": "Europe/Paris", "day_or": True}
    ]
    assert dep["work_pool_name"] == pool
    assert dep["job_variables"] == {"stream_output": False}
    created = prefect_server.api("GET", f"/work_pools/{pool}").json()
    assert created["type"] == "process"
    assert set(created["base_job_template"]["variables"]["properties"]) >= {
        "command",
        "env",
        "working_dir",
        "stream_output",
    }
    flow_run = run_on_worker(
        prefect_server,
        dep["id"],
        pool,
        worker_gitconfig(tmp_path, "https://github.com/acme/flows.git"),
        tmp_path,
    )
    assert flow_run["parameters"] == {"count": 2}


def test_dashboard_marks_local_only_secrets_and_missing_pools(
    prefect_server: PrefectServer, tmp_path: Path, file_keyring: Path
) -> None:
    from typing import Any

    from flowwiz.writers.blocks import open_store

    from tests.test_dashboard import drive, settle

    local = open_store(env={**os.environ, "PREFECT_API_URL": ""})
    local.save("secret", "dash-c-local-token", {"value": "v"})
    project = tmp_path / "project"
    project.mkdir()
    (project / "prefect.yaml").write_text(
        "name: flows\ndeployments:\n"
        "- name: dash-c-marks\n"
        "  entrypoint: flows/etl.py:etl\n"
        "  work_pool:\n    name: dash-c-no-such-pool\n"
        "  pull:\n  - prefect.deployments.steps.git_clone:\n"
        "      repository: https://github.com/acme/flows.git\n"
        "      access_token: '{{ prefect.blocks.secret.dash-c-local-token }}'\n"
    )

    async def scenario(app: Any, pilot: Any) -> None:
        await pilot.press("2")
        await settle(pilot)
        view = app.query_one("#deployments-view")
        at = [d.name for d in view.rows].index("dash-c-marks")
        assert view.pool_missing(view.rows[at])
        table = app.query_one("#deployments-table")
        pool_column = [key for key, *_ in table.columns_shown].index("pool")
        cell = table.get_row_at(table.get_row_index(str(at)))[pool_column]
        assert str(cell.style) == (app.get_css_variables()["text-error"])
        table.move_cursor(row=table.get_row_index(str(at)), animate=False)
        await pilot.pause()
        assert str(app.query_one("#deployment-missing").render()).splitlines()[2:] == [
            "✗ secret/dash-c-local-token is only in this machine's local catalog: runs read "
            "the server, where it is missing",
            "  → flowwiz blocks push secret/dash-c-local-token",
            "✗ work pool dash-c-no-such-pool is missing on the server: no worker will pick the "
            "runs up",
            "  → prefect work-pool create dash-c-no-such-pool --type process",
            "  (n opens the form for the first missing block)",
        ]  # after the entrypoint's own problem: this project has no flows/etl.py
        summary = str(app.query_one("#deployments-summary").render())
        assert "use a work pool missing on the server" in summary

    drive(open_store(prefect_server.api_url), project, scenario)


def test_interactive_pool_question_lists_the_servers_pools_and_creates_one(
    prefect_server: PrefectServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_deploy_interactive import ENTER, Transcript, spawn

    prefect_server.create_work_pool("compat-listed-pool")
    monkeypatch.setenv("PREFECT_API_URL", prefect_server.api_url)
    repo = github_like_repo(tmp_path)
    t = Transcript(spawn(repo, "--param", "count=1", "--no-schedule", "--public"))
    for prompt in ("Which flow", "Deployment name", "Description", "Tags"):
        t.answer(prompt, ENTER)
    t.expect("Another name")
    menu = t.text[t.text.rindex("Work pool") :]
    assert "compat-listed-pool  (process)" in menu
    t.child.send("\x1b[A")  # up from the first row wraps to the last: another name
    t.child.send(ENTER)
    t.answer("New work pool name", "compat-interactive-pool", ENTER)
    t.answer("Create work pool 'compat-interactive-pool' on the server", ENTER)
    t.answer("Worker type of the new pool", ENTER)  # process, first
    t.answer("Work queue", ENTER)
    t.expect("the process pool takes")  # the job-variable step offers the pool's variables
    t.child.send("working_dri=/x" + ENTER)
    t.expect("did you mean working_dir")
    for prompt in ("Override parameters", "Pull flow code", "Repository URL", "Branch to pull"):
        t.answer(prompt, ENTER)
    t.expect("created on the server: process")
    t.answer(r"Write prefect.yaml\?", ENTER)
    assert t.finish() == 0, t.text
    assert "Created work pool 'compat-interactive-pool' (process)" in t.text
    pool = prefect_server.api("GET", "/work_pools/compat-interactive-pool").json()
    assert pool["type"] == "process"
