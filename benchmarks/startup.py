"""Benchmark: start-up cost of `flowwiz --help` against a bare `python3 -c pass`.

    .venv/bin/python benchmarks/startup.py [--runs 7]

Both run as fresh processes (the console script next to this interpreter, and this same
interpreter with -c pass); each is run once untimed, then the median of --runs wall-clock
runs is printed. Target: flowwiz --help at most 8x a bare interpreter start. `--help` must
not import textual, questionary, rich's heavy parts, git or httpx: those belong inside the
commands that use them.

It also times `flowwiz deploy` in a small repository (two flows, a GitHub-like remote) from
launch until the first question is on the screen, in a pseudo-terminal (pexpect). Prefect's
own wizard takes about 3 s to its first prompt on this kind of machine (it imports Prefect).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_run(argv: list[str], runs: int) -> float:
    env = {**os.environ, "NO_COLOR": "1"}
    subprocess.run(argv, capture_output=True, check=True, env=env)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def first_prompt(flowwiz: Path, runs: int) -> float:
    import pexpect

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        (repo / "flows").mkdir(parents=True)
        for name in ("etl", "report"):
            (repo / "flows" / f"{name}.py").write_text(
                f"from prefect import flow\n\n\n@flow\ndef {name}(n: int = 1):\n    return n\n"
            )
        env = {
            **os.environ,
            "HOME": tmp,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "b",
            "GIT_AUTHOR_EMAIL": "b@example.invalid",
            "GIT_COMMITTER_NAME": "b",
            "GIT_COMMITTER_EMAIL": "b@example.invalid",
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "FLOWWIZ_HOME": str(Path(tmp) / "fw"),
        }
        for argv in (
            ["init", "-q", "-b", "main"],
            ["add", "-A"],
            ["commit", "-q", "-m", "flows"],
            ["remote", "add", "origin", "https://github.com/acme/flows.git"],
        ):
            subprocess.run(["git", *argv], cwd=repo, env=env, check=True, capture_output=True)
        times = []
        for _ in range(runs + 1):
            start = time.perf_counter()
            child = pexpect.spawn(str(flowwiz), ["deploy"], cwd=str(repo), env=env, timeout=30)
            child.expect("Which flow")
            times.append(time.perf_counter() - start)
            child.sendcontrol("c")
            child.expect(pexpect.EOF)
            child.close()
        return statistics.median(times[1:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    flowwiz = Path(sys.executable).with_name("flowwiz")
    if not flowwiz.exists():
        print(f"no console script at {flowwiz}: pip install -e . first", file=sys.stderr)
        return 1
    python = median_run([sys.executable, "-c", "pass"], args.runs)
    helped = median_run([str(flowwiz), "--help"], args.runs)
    print(f"python3 -c pass : {python * 1000:7.1f} ms  ({sys.executable})")
    print(f"flowwiz --help  : {helped * 1000:7.1f} ms  ({flowwiz})")
    print(f"ratio           : {helped / python:7.2f}x   (target <= 8x)")
    prompt = first_prompt(flowwiz, args.runs)
    print(f"first prompt    : {prompt * 1000:7.1f} ms  (flowwiz deploy, launch to 'Which flow')")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
