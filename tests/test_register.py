"""Registering after writing (issue 10 §6), where no real server is needed: no `prefect`
found, and Prefect failing (a stand-in `prefect` in the project's .venv prints what a failed
`prefect deploy` prints and exits 1; the real success path is in test_compat_settings)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from flowwiz.writers.register import last_error_line, ui_url

from tests.deployutil import github_like_repo, run_deploy
from tests.leaks import assert_not_leaked, canary

NO_PREFECT_PATH = "/usr/bin:/bin"


def test_no_prefect_found_is_said_in_the_next_steps(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    done = run_deploy(repo, "--yes", "--param", "count=1", env={"PATH": NO_PREFECT_PATH})
    assert done.returncode == 0, done.stderr
    steps = " ".join(done.stderr[done.stderr.rindex("Next steps") :].split())
    assert "No `prefect` was found here" in steps
    assert steps.index("No `prefect`") < steps.index("prefect deploy -n nightly-etl")
    asked = run_deploy(
        repo, "--yes", "--param", "count=1", "--register", env={"PATH": NO_PREFECT_PATH}
    )
    assert asked.returncode == 2
    assert asked.stderr.startswith("error: --register: no `prefect` found")


def test_prefect_failing_is_one_line_and_a_kept_log(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    key = canary()
    fake = repo / ".venv" / "bin" / "prefect"
    fake.parent.mkdir(parents=True)
    fake.write_text(
        "#!/bin/sh\n"
        'echo "Deploying nightly-etl..."\n'
        'echo "PREFECT_API_KEY is $PREFECT_API_KEY, args: $*" >&2\n'
        "echo \"ValueError: Work pool 'p' does not exist.\" >&2\n"
        "exit 1\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    done = run_deploy(
        repo,
        "--yes",
        "--param",
        "count=1",
        "--register",
        env={
            "PATH": NO_PREFECT_PATH,
            "PREFECT_API_URL": "http://127.0.0.1:9/api",
            "PREFECT_API_KEY": key,
        },
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "error: `prefect deploy` failed (exit 1): ValueError: Work pool 'p' does not exist. "
        "(full output: "
    ), last
    log = Path(last.split("(full output: ", 1)[1].rstrip(")"))
    text = log.read_text()
    assert "args: --no-prompt deploy -n nightly-etl" in text
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    assert (repo / "prefect.yaml").exists()  # the file stays written
    assert_not_leaked(key, texts=[done.stdout, done.stderr, text])
    assert os.environ.get("PREFECT_API_KEY") is None


def test_outcome_helpers() -> None:
    assert last_error_line("a\n╭──╮\n│ RuntimeError: boom │\n╰──╯\nbye\n") == "RuntimeError: boom"
    assert (
        ui_url("http://127.0.0.1:4200/api", "d1")
        == "http://127.0.0.1:4200/deployments/deployment/d1"
    )
    assert ui_url("https://api.prefect.cloud/api/accounts/a/workspaces/w", "d1") == (
        "https://app.prefect.cloud/account/a/workspace/w/deployments/deployment/d1"
    )
