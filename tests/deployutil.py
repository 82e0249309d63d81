"""Shared set-up for the deploy wizard's tests: repos whose remote looks like GitHub."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from tests.clirun import flowwiz
from tests.gitutil import bare_remote, git, make_repo

FLOW = '''\
from prefect import flow


@flow(name="nightly-etl")
def etl(count: int, label: str = "x", ratio: float = 0.5):
    """Loads the nightly extract."""
    return count
'''

OTHER_FLOW = '''\
import prefect


@prefect.flow
async def report(day: str = "today"):
    """Builds the report."""
'''


def github_like_repo(
    tmp_path: Path,
    files: dict[str, str] | None = None,
    *,
    url: str = "https://github.com/acme/flows.git",
    push: bool = True,
) -> Path:
    """A repo whose origin is configured as an https URL while pushes really go to a bare
    remote on disk (git's insteadOf), so remote-tracking refs are real."""
    remote = bare_remote(tmp_path)
    repo = make_repo(
        tmp_path / "repo",
        files if files is not None else {"flows/etl.py": FLOW, "requirements.txt": "prefect>=3\n"},
    )
    git(repo, "config", f"url.{remote}.insteadOf", url)
    git(repo, "remote", "add", "origin", url)
    if push:
        git(repo, "push", "-q", "-u", "origin", "main")
    return repo


def run_deploy(
    repo: Path,
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    return flowwiz("deploy", *args, cwd=repo, env=env, stdin=input, timeout=timeout)


def tree_hashes(root: Path) -> dict[str, str]:
    """Every file under root (outside .git) with its content hash, to prove nothing changed."""
    result = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(root).parts:
            result[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result
