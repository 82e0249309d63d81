"""Benchmark: the git facts flowwiz detects, read with plain ``git`` child processes (what
``detectors.git.detect_git`` does) against GitPython (issue 13, item 2).

    .venv/bin/python benchmarks/git_detect.py [--runs 15]

Two repositories are built in a temp dir, each with a bare remote, an upstream, 40 tags and
two submodules: one on a pushed branch, one a release checkout (detached HEAD at an
annotated tag). For each, the median of --runs in-process runs of:

- ``detect_git(repo)``: every fact flowwiz shows (remotes with insteadOf applied, preferred
  remote, branch, upstream, pushed?, ahead count, tags at HEAD, suggestion, submodules);
- the same jobs one by one, each both ways: reading the config (remote URLs), reading refs
  (HEAD, branch, upstream, is it on the remote), tags at HEAD, submodules (.gitmodules);
- GitPython doing all of them (a fresh ``git.Repo`` each run, as a command would).

Then the one-off cost a command pays to use GitPython at all: ``import git`` in a fresh
process (median of --runs, against ``python -c pass``).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

# flowwiz is imported inside the plain-git jobs only, so that the fresh-process GitPython run
# (which imports this module) pays for GitPython alone


def sh(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def build(tmp: Path, *, detached: bool) -> Path:
    name = "release" if detached else "branch"
    lib = tmp / f"{name}-lib"
    lib.mkdir()
    sh(lib, "init", "-q", "-b", "main")
    (lib / "x.py").write_text("X = 1\n")
    sh(lib, "add", "-A")
    sh(lib, "commit", "-q", "-m", "lib")
    remote = tmp / f"{name}-remote.git"
    remote.mkdir()
    sh(remote, "init", "-q", "--bare", "-b", "main")
    repo = tmp / name
    repo.mkdir()
    sh(repo, "init", "-q", "-b", "main")
    (repo / "flows").mkdir()
    (repo / "flows" / "etl.py").write_text("from prefect import flow\n")
    sh(repo, "add", "-A")
    sh(repo, "commit", "-q", "-m", "one")
    for i in range(40):
        sh(repo, "tag", f"v0.{i}")
    for sub in ("vendor/a", "vendor/b"):
        sh(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), sub)
    sh(repo, "commit", "-q", "-m", "submodules")
    sh(repo, "tag", "-a", "v1.0", "-m", "release")
    sh(repo, "config", f"url.{remote}.insteadOf", "https://github.com/acme/flows.git")
    sh(repo, "remote", "add", "origin", "https://github.com/acme/flows.git")
    sh(repo, "push", "-q", "-u", "origin", "main", "--tags")
    if detached:
        sh(repo, "checkout", "-q", "--detach", "v1.0")
    return repo


def _cpu() -> float:
    """CPU seconds of this process and of every git child it waited for (user + system):
    steadier than wall-clock on a loaded machine."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def median_ms(job: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms) over runs, after one warm-up."""
    job()
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), _cpu()
        job()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


# --- the jobs with plain git (flowwiz's own helpers) ----------------------------------------


def plain_config(repo: Path) -> object:
    from flowwiz.detectors.git import _Git, _read_remotes

    return _read_remotes(_Git(repo, None))


def plain_refs(repo: Path) -> object:
    from flowwiz.detectors.git import _Git

    g = _Git(repo, None)
    head = g.out("symbolic-ref", "-q", "HEAD")
    commit = g.out("rev-parse", "-q", "--verify", "HEAD^{commit}")
    upstream = None
    if head:
        upstream = g.out("for-each-ref", "--format=%(upstream:short)", head)
        g.ref_exists(f"refs/remotes/origin/{head.rsplit('/', 1)[-1]}")
    return head, commit, upstream


def plain_tags(repo: Path) -> object:
    from flowwiz.detectors.git import _Git, _tags_at_head

    return _tags_at_head(_Git(repo, None))


def plain_submodules(repo: Path) -> object:
    from flowwiz.detectors.git import _Git, _submodules

    return _submodules(_Git(repo, None), repo)


def plain_all(repo: Path) -> object:
    from flowwiz.detectors.git import detect_git

    return detect_git(repo)


# --- the same jobs with GitPython ------------------------------------------------------------


def gp_config(repo: Path) -> object:
    import git

    r = git.Repo(repo)
    reader = r.config_reader()
    return [(rm.name, reader.get_value(f'remote "{rm.name}"', "url")) for rm in r.remotes]


def gp_refs(repo: Path) -> object:
    import git

    r = git.Repo(repo)
    if r.head.is_detached:
        return None, r.head.commit.hexsha, None
    branch = r.active_branch
    tracking = branch.tracking_branch()
    on_remote = tracking is not None and tracking.is_valid()
    return branch.name, r.head.commit.hexsha, on_remote


def gp_tags(repo: Path) -> object:
    import git

    r = git.Repo(repo)
    head = r.head.commit
    return [t.name for t in r.tags if t.commit == head]


def gp_submodules_config(repo: Path) -> object:
    from git.config import GitConfigParser

    parser = GitConfigParser(str(repo / ".gitmodules"), read_only=True)
    return [parser.get_value(s, "path") for s in parser.sections()]


def gp_submodules(repo: Path) -> object:
    import git

    return [s.path for s in git.Repo(repo).submodules]


def gp_all(repo: Path) -> object:
    return gp_config(repo), gp_refs(repo), gp_tags(repo), gp_submodules(repo)


Job = Callable[[Path], object]


def _shown(times: tuple[float, float]) -> str:
    return f"{times[0]:6.1f} / {times[1]:5.1f}"


def fresh_process_ms(code: str, runs: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms of the interpreter and its git children)."""
    argv = [sys.executable, "-c", code]
    return median_ms(lambda: subprocess.run(argv, check=True), runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    try:
        import git
    except ImportError:
        print("GitPython is not installed: pip install -e '.[bench]' to compare")
        return 2

    python = sys.version.split()[0]
    print(f"{sh(Path.cwd(), 'version')}, GitPython {git.__version__}, Python {python}")
    with tempfile.TemporaryDirectory() as tmp:
        for detached in (False, True):
            repo = build(Path(tmp), detached=detached)
            kind = "release checkout (detached at tag v1.0)" if detached else "pushed branch"
            print(f"\n{kind}:")
            jobs: list[tuple[str, Job, Job | None]] = [
                ("detect_git (all facts, plain git)", plain_all, None),
                ("all four jobs, GitPython", gp_all, None),
                ("config: remote URLs", plain_config, gp_config),
                ("refs: HEAD, branch, upstream", plain_refs, gp_refs),
                ("tags at HEAD (41 tags)", plain_tags, gp_tags),
                ("submodules (.gitmodules)", plain_submodules, gp_submodules),
                ("submodules, GitConfigParser only", gp_submodules_config, None),
            ]
            print(f"  {'job (median wall / CPU ms)':<36} {'plain git':>15} {'GitPython':>15}")
            for label, plain, other in jobs:
                a = _shown(median_ms(partial(plain, repo), runs))
                b = _shown(median_ms(partial(other, repo), runs)) if other else ""
                print(f"  {label:<36} {a:>15} {b:>15}")
            if detached:
                here = str(Path(__file__).resolve().parent)
                whole = {
                    "python -c pass": "pass",
                    "import git (GitPython)": "import git",
                    "detect_git, fresh process": (
                        f"from flowwiz.detectors.git import detect_git; detect_git({str(repo)!r})"
                    ),
                    "GitPython's four jobs, fresh process": (
                        f"import sys; sys.path.insert(0, {here!r}); import git_detect; "
                        f"git_detect.gp_all(git_detect.Path({str(repo)!r}))"
                    ),
                }
                print("\nwhat a command pays, end to end (fresh interpreter):")
                for label, code in whole.items():
                    wall, cpu = fresh_process_ms(code, runs)
                    print(f"  {label:<40} {wall:7.1f} ms wall {cpu:7.1f} ms CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
