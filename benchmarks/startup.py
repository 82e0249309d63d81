"""Benchmark: start-up cost of `flowwiz --help` against a bare `python3 -c pass`.

    .venv/bin/python benchmarks/startup.py [--runs 7]

Both run as fresh processes (the console script next to this interpreter, and this same
interpreter with -c pass); each is run once untimed, then the median of --runs wall-clock
runs is printed. Target: flowwiz --help at most 8x a bare interpreter start. `--help` must
not import textual, questionary, rich's heavy parts, git or httpx: those belong inside the
commands that use them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
