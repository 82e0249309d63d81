"""Real git repositories for tests: a working repo, bare "remotes", pushes and upstreams."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def bare_remote(tmp_path: Path, name: str = "remote.git") -> Path:
    path = tmp_path / "remotes" / name
    path.mkdir(parents=True)
    git(path, "init", "--bare", "-q", "-b", "main")
    return path


def make_repo(
    path: Path,
    files: dict[str, str] | None = None,
    *,
    branch: str = "main",
    commit: bool = True,
) -> Path:
    """A git work tree at path holding files (relative path -> text), committed on branch."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    for rel, text in (files or {}).items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    if commit:
        git(path, "add", "-A")
        git(path, "commit", "-q", "--allow-empty", "-m", "initial")
    return path


def push_to(repo: Path, remote_path: Path, *, name: str = "origin", branch: str = "main") -> None:
    """Add a bare remote and push branch to it with upstream tracking."""
    git(repo, "remote", "add", name, str(remote_path))
    git(repo, "push", "-q", "-u", name, branch)


FLOW_SOURCE = '''\
from prefect import flow


@flow(name="{name}")
def {func}(count: int, label: str = "x"):
    """{doc}"""
    return count
'''


def flow_repo(path: Path, flows: dict[str, tuple[str, str]] | None = None) -> Path:
    """A repo of flows: {relative file: (function, flow name)}; one flow by default."""
    flows = flows or {"flows/etl.py": ("etl", "nightly-etl")}
    files = {
        rel: FLOW_SOURCE.format(func=func, name=name, doc=f"Runs {name}.")
        for rel, (func, name) in flows.items()
    }
    files.setdefault("requirements.txt", "prefect>=3\n")
    return make_repo(path, files)
