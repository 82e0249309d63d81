"""Issue 9 against real Prefect 3.9.1: one process worker run proves three things at once.

A release checkout (detached HEAD at tag v1.0) of a monorepo whose project lives in
projects/sales and imports a library from a git submodule. `flowwiz deploy --yes` with no
ref, layout or submodule flags, run in projects/sales, then real `prefect deploy` there, then
a real process worker that clones the bare remotes (git's insteadOf maps the https URLs to
them, as in tests/test_compat_deploy.py). The run COMPLETES only if
- the clone was followed by a change into projects/sales (else flows/etl.py is not found),
- the submodule was cloned (else `vendor.shared` does not import),
- the tag was pinned (main's later commit makes the flow raise).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deployutil import run_deploy
from tests.gitutil import bare_remote, git, make_repo
from tests.prefect_harness import PrefectServer
from tests.test_compat_deploy import run_on_worker

pytestmark = pytest.mark.prefect

POOL = "compat-repos-pool"  # its own pool: the worker must find only this run
URL = "https://github.com/acme/monorepo.git"
LIB_URL = "https://github.com/acme/lib.git"

RELEASED = '''\
from prefect import flow

from vendor.shared import VALUE


@flow(name="sales-etl")
def etl() -> int:
    """The released sales pipeline."""
    if VALUE != 7:
        raise RuntimeError("the submodule's library is not the one committed")
    return VALUE
'''

LATER = '''\
from prefect import flow


@flow(name="sales-etl")
def etl() -> int:
    """Work in progress on main."""
    raise RuntimeError("untagged code ran: the tag was not pinned")
'''


def insteadof(path: Path, rules: dict[Path, str]) -> None:
    """A git config mapping each https URL to a bare repository on disk (file transport
    allowed for submodules, which git otherwise refuses over file://)."""
    text = '[protocol "file"]\n\tallow = always\n'
    for remote, url in rules.items():
        text += f'[url "{remote}"]\n\tinsteadOf = {url}\n'
    path.write_text(text)


def monorepo_release(tmp_path: Path, gitconfig: Path) -> Path:
    lib_remote = bare_remote(tmp_path, "lib.git")
    lib = make_repo(tmp_path / "lib", {"shared/__init__.py": "VALUE = 7\n"})
    git(lib, "push", "-q", str(lib_remote), "main")
    remote = bare_remote(tmp_path, "monorepo.git")
    insteadof(gitconfig, {remote: URL, lib_remote: LIB_URL})
    repo = make_repo(
        tmp_path / "repo",
        {"projects/sales/flows/etl.py": RELEASED, "README.md": "monorepo\n"},
    )
    git(repo, "remote", "add", "origin", URL)
    # relative to origin's URL, as teams write it: the worker resolves it against its https URL
    git(repo, "submodule", "add", "-q", "../lib.git", "projects/sales/vendor")
    git(repo, "commit", "-q", "-m", "sales pipeline with the shared library")
    git(repo, "tag", "-a", "v1.0", "-m", "release 1.0")
    (repo / "projects/sales/flows/etl.py").write_text(LATER)
    git(repo, "commit", "-q", "-am", "later work")
    git(repo, "push", "-q", "-u", "origin", "main", "v1.0")
    git(repo, "checkout", "-q", "--detach", "v1.0")
    git(repo, "submodule", "update", "-q")
    return repo


def test_sub_folder_submodule_and_tag_run_on_a_worker(
    prefect_server: PrefectServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gitconfig = tmp_path / "remotes.gitconfig"
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))  # this machine and the worker alike
    repo = monorepo_release(tmp_path, gitconfig)
    sales = repo / "projects" / "sales"
    prefect_server.create_work_pool(POOL)

    done = run_deploy(
        sales, "--yes", "--public", "--pool", POOL, "--name", "release", "--no-schedule",
        env={"PREFECT_API_URL": prefect_server.api_url},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "prefect deploy -n release" in done.stderr  # run where flowwiz ran: the project

    prefect_server.check_prefect("--no-prompt", "deploy", "-n", "release", cwd=sales)
    dep = prefect_server.read_deployment("sales-etl", "release")
    assert dep["entrypoint"] == "flows/etl.py:etl"
    assert dep["pull_steps"] == [
        {
            "prefect.deployments.steps.git_clone": {
                "id": "clone-step",
                "repository": URL,
                "branch": "v1.0",
                "include_submodules": True,
            }
        },
        {
            "prefect.deployments.steps.set_working_directory": {
                "directory": "{{ clone-step.directory }}/projects/sales"
            }
        },
    ]
    flow_run = run_on_worker(prefect_server, dep["id"], POOL, gitconfig, tmp_path)
    assert flow_run["state"]["type"] == "COMPLETED"


def test_the_next_steps_register_the_deployment_as_printed(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    """`cd` and `--prefect-file` in the next steps are what real `prefect deploy` needs: each
    printed command line is run as it stands, from where flowwiz ran."""
    import shlex

    from tests.deployutil import FLOW, github_like_repo

    sales_file = "deployments: []\n"
    repo = github_like_repo(
        tmp_path,
        {
            "flows/etl.py": FLOW,
            "projects/sales/flows/etl.py": FLOW.replace("nightly-etl", "sales-nightly"),
            "projects/sales/prefect.yaml": sales_file,
        },
    )
    (repo / "deploy").mkdir()
    pool = "compat-repos-steps"
    prefect_server.create_work_pool(pool)
    cases = {
        # a file elsewhere: entrypoint relative to the root, --prefect-file in the command
        ("nightly-etl", "elsewhere"): (
            "--entrypoint", "flows/etl.py:etl", "--prefect-file", "deploy/prod.yaml",
        ),
        # the prefect.yaml beside the flow: the project becomes its folder, `cd` first
        ("sales-nightly", "beside"): ("--entrypoint", "projects/sales/flows/etl.py:etl"),
    }  # fmt: skip
    for (flow_name, name), args in cases.items():
        done = run_deploy(
            repo, "--yes", "--public", "--pool", pool, "--name", name, "--param", "count=1",
            "--no-schedule", "--no-prefectignore", *args,
            env={"PREFECT_API_URL": prefect_server.api_url},
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        steps = [ln.strip() for ln in done.stderr.split("Next steps", 1)[1].splitlines()]
        cwd = repo
        for line in steps:
            if line.startswith("cd "):
                cwd = (cwd / shlex.split(line)[1]).resolve()
            elif line.startswith("prefect deploy "):
                prefect_server.check_prefect("--no-prompt", *shlex.split(line)[1:], cwd=cwd)
                break
        else:
            raise AssertionError(f"no prefect deploy line in {steps}")
        dep = prefect_server.read_deployment(flow_name, name)
        assert dep["entrypoint"] == "flows/etl.py:etl"
