"""Benchmark: `flowwiz deploy --yes` on prefect.yaml files of 2, 200, 800 and 20,000 deployments.

    .venv/bin/python benchmarks/prefect_yaml.py [--runs 3] [--big 20000]

A throwaway git repository (one flow, a GitHub-like https remote that is never contacted)
gets a generated prefect.yaml; each deployment is ~290 bytes in the layout flowwiz writes
(tags, parameters, a work pool, a cron schedule, a git_clone pull step), so 20,000 of them
make a ~5.8 MB file. Timed, as fresh processes (the console script next to this
interpreter), wall-clock and CPU (user + system of the child: steadier on a shared machine):

- `deploy --yes` updating one deployment in the middle of the file (the file is restored
  before each run), median of --runs after one untimed warm-up;
- in-process, for the large file: the full parse (`detectors.yaml_document.Document.parse`,
  libyaml), the shallow parse `deploy` uses (``shallow=True``: entries built when used) and
  the render onto it (`writers.prefect_yaml.render`).

Targets (issue 9/16): the 800-deployment run within 1.5x the 2-deployment run; the 20,000-
deployment run under 3 s. The file is parsed once per run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOW = '''\
from prefect import flow


@flow
def etl(count: int = 1):
    """Loads the nightly extract."""
'''


def entry(i: int) -> str:
    return (
        f"- name: d{i}\n  entrypoint: flows/etl.py:etl\n  tags: [t{i % 7}]\n"
        f"  parameters: {{count: {i}}}\n"
        "  work_pool: {name: prod, work_queue_name: default}\n"
        f"  schedules:\n  - cron: 0 {i % 24} * * *\n  pull:\n"
        "  - prefect.deployments.steps.git_clone:\n"
        "      repository: https://github.com/acme/flows.git\n      branch: main\n"
    )


def prefect_yaml(count: int) -> str:
    header = "name: flows\nbuild: null\npush: null\npull: null\ndeployments:\n"
    return header + "".join(entry(i) for i in range(count))


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    (repo / "flows").mkdir(parents=True)
    (repo / "flows" / "etl.py").write_text(FLOW)
    for args in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", "https://github.com/acme/flows.git"],
        ["add", "-A"],
        ["-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "init"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    return repo


def time_deploy(flowwiz: Path, repo: Path, text: str, name: str, runs: int) -> tuple[float, float]:
    """Median wall-clock and median CPU (user + system of the process) seconds."""
    argv = [
        str(flowwiz),
        "deploy",
        "--yes",
        "--entrypoint",
        "flows/etl.py:etl",
        "--name",
        name,
        "--tag",
        "bench",
        "--branch",
        "main",
        "--public",
        "--no-prefectignore",
    ]
    env = {**os.environ, "NO_COLOR": "1", "FLOWWIZ_HOME": str(repo.parent / "home")}
    times, cpu = [], []
    for i in range(runs + 1):
        (repo / "prefect.yaml").write_text(text)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(argv, cwd=repo, capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            raise SystemExit(f"flowwiz failed:\n{result.stderr[-2000:]}")
        if i:  # the first run warms caches
            times.append(elapsed)
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), statistics.median(cpu)


def in_process(text: str, repo: Path, name: str) -> tuple[float, float, float]:
    """Seconds for the full parse, the shallow parse (what `deploy` does) and the render
    onto the shallow parse."""
    from flowwiz.detectors.yaml_document import Document
    from flowwiz.writers.plan import DeploymentPlan, GitStorage
    from flowwiz.writers.prefect_yaml import render

    start = time.perf_counter()
    Document.parse(text)
    parsed = time.perf_counter() - start
    start = time.perf_counter()
    doc = Document.parse(text, shallow=True)
    shallow = time.perf_counter() - start
    plan = DeploymentPlan(
        project_root=repo,
        prefect_yaml=repo / "prefect.yaml",
        project_name="flows",
        name=name,
        flow_name="etl",
        entrypoint="flows/etl.py:etl",
        storage=GitStorage("https://github.com/acme/flows.git", branch="main"),
        work_pool="prod",
        tags=("bench",),
    )
    start = time.perf_counter()
    render(plan, doc)
    return parsed, shallow, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big", type=int, default=20_000)
    args = parser.parse_args()
    flowwiz = Path(sys.executable).with_name("flowwiz")
    work = Path(tempfile.mkdtemp(prefix="flowwiz-bench-yaml-"))
    try:
        repo = make_repo(work)
        results, cpu = {}, {}
        for count in (2, 200, 800, args.big):
            text = prefect_yaml(count)
            name = f"d{count // 2}"
            results[count], cpu[count] = time_deploy(flowwiz, repo, text, name, args.runs)
            size = len(text.encode()) / 1e6
            print(
                f"deploy --yes, {count:>6} deployments ({size:5.2f} MB): "
                f"{results[count]:6.2f} s wall, {cpu[count]:6.2f} s cpu"
            )
        parsed, shallow, rendered = in_process(prefect_yaml(args.big), repo, f"d{args.big // 2}")
        print(
            f"  in-process, {args.big} deployments: full parse {parsed:.2f} s, shallow parse "
            f"{shallow:.2f} s, render {rendered:.2f} s"
        )
        print(
            f"ratio 800/2: {results[800] / results[2]:.2f}x wall, "
            f"{cpu[800] / cpu[2]:.2f}x cpu (target <= 1.5x)"
        )
        print(
            f"{args.big} deployments: {results[args.big]:.2f} s wall, "
            f"{cpu[args.big]:.2f} s cpu (target < 3 s)"
        )
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
