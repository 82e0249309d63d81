"""Benchmark: flow discovery on a large tree, against `grep -rl "@flow"` and Prefect's own search.

    .venv/bin/python benchmarks/discovery.py
    PREFECT_PYTHON=/path/to/venv-with-prefect/bin/python .venv/bin/python benchmarks/discovery.py

The tree (generated once, cached under benchmarks/.cache/, which git ignores): 15,000 project
.py files of 2-4 KB (about 1% of all files define flows, a few more import Prefect tasks) plus a
5,000-file virtualenv inside the project (pyvenv.cfg, lib/python3.11/site-packages/...), and a
usual Python .gitignore at the root. Timings are wall-clock on a warm page cache: one untimed
warm-up, then the median of --runs runs. Targets: flowwiz within 3x of grep, and 10x faster
than Prefect's search_for_flow_functions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from flowwiz.detectors.flows import FlowScan, find_flows  # noqa: E402

TREE_VERSION = 1
PROJECT_FILES = 15_000
VENV_FILES = 5_000
FLOW_FILES = 200  # 1% of the 20,000 files
TASK_FILES = 300  # import Prefect (tasks, settings) without defining a flow
VENV_FLOW_FILES = 50  # Prefect's own package inside the venv says "@flow" too

GITIGNORE = """\
__pycache__/
*.py[cod]
*.egg-info/
.venv/
.env
dist/
build/
.pytest_cache/
.mypy_cache/
.coverage
htmlcov/
*.log
.DS_Store
notebooks/.ipynb_checkpoints/
"""

PREFECT_SCRIPT = """\
import asyncio, json, sys, time
try:
    from prefect.cli._prompts import search_for_flow_functions  # Prefect 3.x (checked 3.9.1)
except ImportError:
    from prefect.deployments.base import _search_for_flow_functions as search_for_flow_functions
t0 = time.perf_counter()
found = asyncio.run(search_for_flow_functions(sys.argv[1]))
print(json.dumps({"seconds": time.perf_counter() - t0, "flows": len(found)}))
"""


# --- the tree ------------------------------------------------------------------------------------


def _filler(rng: random.Random, target: int) -> str:
    """Ordinary Python code of about ``target`` bytes, with decorators that are not flows."""
    parts: list[str] = []
    size = 0
    i = 0
    while size < target:
        i += 1
        kind = rng.random()
        if kind < 0.2:
            block = f'''
@dataclass(frozen=True)
class Record{i}:
    """A row of table {i}, as read from the warehouse export."""

    key: str
    value: float = 0.0
    tags: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{{self.key}}={{self.value:.2f}}"
'''
        elif kind < 0.35:
            block = f'''
@functools.lru_cache(maxsize=128)
def lookup_{i}(name: str) -> str | None:
    """Cached lookup of a configuration value by name."""
    return os.environ.get(name.upper())
'''
        else:
            n = rng.randint(2, 9)
            block = f'''
def transform_{i}(rows: list[dict], limit: int = {n * 10}) -> list[dict]:
    """Keep the first rows whose score passes threshold {n}, newest first."""
    kept = [row for row in rows if row.get("score", 0) > {n}]
    kept.sort(key=lambda row: row.get("updated_at", ""), reverse=True)
    for row in kept:
        row["normalized"] = json.dumps(row, sort_keys=True)
    return kept[:limit]
'''
        parts.append(block)
        size += len(block)
    return "".join(parts)


HEADER = '''"""Module {name}: helpers for the {area} pipeline."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
'''


def _project_file(rng: random.Random, name: str, kind: str) -> str:
    area = rng.choice(["billing", "ingest", "reports", "ml", "search", "sync"])
    text = HEADER.format(name=name, area=area)
    if kind == "flow":
        text += "\nfrom prefect import flow, task\n"
    elif kind == "task":
        text += "\nfrom prefect import task\n"
    text += _filler(rng, rng.randint(1800, 3400))
    if kind == "task":
        text += "\n\n@task(retries=2)\ndef load_batch(batch_id: int) -> int:\n    return batch_id\n"
    if kind == "flow":
        text += textwrap.dedent(
            f'''

            @task(retries=2)
            def extract_{name}(source: str) -> list[dict]:
                return [{{"source": source}}]


            @flow(name="{name.replace("_", "-")}", log_prints=True)
            def {name}_flow(source: str = "s3://bucket/{name}", limit: int | None = None) -> int:
                """Run the {name} pipeline."""
                return len(transform_1(extract_{name}(source), limit or 100))
            '''
        )
    return text


def _venv_file(rng: random.Random, i: int, with_flow: bool) -> str:
    text = HEADER.format(name=f"mod{i}", area="vendored") + _filler(rng, rng.randint(1800, 3400))
    if with_flow:
        text += '\n\ndef _example():\n    """\n    >>> from prefect import flow\n'
        text += '    >>> @flow\n    ... def my_flow(): ...\n    """\n'
    return text


def build_tree(root: Path) -> Path:
    """Generate the tree under ``root`` unless an identical one is cached there."""
    marker = root / ".complete"
    spec = f"v{TREE_VERSION} {PROJECT_FILES} {VENV_FILES} {FLOW_FILES} {TASK_FILES}"
    if marker.is_file() and marker.read_text() == spec:
        return root
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(1234)
    root.mkdir(parents=True)
    (root / ".gitignore").write_text(GITIGNORE)
    kinds = ["flow"] * FLOW_FILES + ["task"] * TASK_FILES
    kinds += ["plain"] * (PROJECT_FILES - len(kinds))
    rng.shuffle(kinds)
    for i, kind in enumerate(kinds):
        package = f"src/app/pkg{i // 400:02d}/sub{(i // 40) % 10}"
        path = root / package / f"module_{i:05d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_project_file(rng, f"job_{i:05d}", kind))
    venv = root / "venv"  # not named .venv: it is found by its pyvenv.cfg, not by .gitignore
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    flows_at = set(rng.sample(range(VENV_FILES), VENV_FLOW_FILES))
    for i in range(VENV_FILES):
        package = venv / f"lib/python3.11/site-packages/dist{i // 250:02d}/sub{(i // 25) % 10}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"mod{i:05d}.py").write_text(_venv_file(rng, i, i in flows_at))
    marker.write_text(spec)
    return root


# --- timing --------------------------------------------------------------------------------------


def _cpu() -> float:
    """CPU seconds of this process and its finished children (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def median_seconds(fn: Callable[[], object], runs: int) -> tuple[float, float, object]:
    """Median wall-clock and CPU seconds of ``runs`` calls, after one warm-up call.

    CPU time is printed too because on a shared machine wall-clock swings with the load.
    """
    result = fn()  # warm-up: page cache, imports
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), _cpu()
        result = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def run_grep(tree: Path) -> int:
    out = subprocess.run(
        ["grep", "-rl", "@flow", str(tree)], capture_output=True, text=True, check=False
    ).stdout
    return len(out.splitlines())


def run_prefect(python: str, tree: Path, runs: int) -> tuple[float, int]:
    times = []
    flows = 0
    with tempfile.TemporaryDirectory() as home:  # Prefect writes a profile into PREFECT_HOME
        env = {**os.environ, "PREFECT_HOME": home}
        for _ in range(runs):
            out = subprocess.run(
                [python, "-c", PREFECT_SCRIPT, str(tree)],
                capture_output=True, text=True, check=True, env=env,
            ).stdout  # fmt: skip
            result = json.loads(out.strip().splitlines()[-1])
            times.append(result["seconds"])
            flows = result["flows"]
    return statistics.median(times), flows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per tool (median)")
    parser.add_argument(
        "--prefect-runs", type=int, default=1, help="timed runs of Prefect's search (slow)"
    )
    parser.add_argument("--tree", type=Path, default=HERE / ".cache" / "discovery-tree")
    args = parser.parse_args()

    start = time.perf_counter()
    tree = build_tree(args.tree)
    print(f"tree: {tree} (ready in {time.perf_counter() - start:.1f} s)")

    fw_seconds, fw_cpu, scan = median_seconds(lambda: find_flows(tree), args.runs)
    grep_seconds, grep_cpu, grep_files = median_seconds(lambda: run_grep(tree), args.runs)
    assert isinstance(scan, FlowScan)
    print(
        f"flowwiz find_flows : {fw_seconds:7.3f} s wall, {fw_cpu:6.3f} s cpu  "
        f"({len(scan.flows)} flows; {scan.files_seen} files walked, {scan.files_parsed} parsed)"
    )
    print(
        f"grep -rl '@flow'   : {grep_seconds:7.3f} s wall, {grep_cpu:6.3f} s cpu  "
        f"({grep_files} files listed)"
    )
    print(
        f"flowwiz / grep     : {fw_seconds / grep_seconds:7.2f}x wall, "
        f"{fw_cpu / grep_cpu:5.2f}x cpu   (target <= 3x)"
    )

    # the bucket-upload preview walks the same tree under the default .prefectignore
    from flowwiz.detectors.upload_set import upload_set
    from flowwiz.writers.ignore import prefectignore_text

    up_seconds, up_cpu, found = median_seconds(
        lambda: upload_set(tree, prefectignore_text()), args.runs
    )
    print(
        f"upload preview     : {up_seconds:7.3f} s wall, {up_cpu:6.3f} s cpu  "
        f"({found.files} files would be uploaded)"
    )

    python = os.environ.get("PREFECT_PYTHON")
    if python:
        pf_seconds, pf_flows = run_prefect(python, tree, args.prefect_runs)
        print(f"Prefect search     : {pf_seconds:7.3f} s  ({pf_flows} flows)")
        print(f"Prefect / flowwiz  : {pf_seconds / fw_seconds:7.1f}x   (target >= 10x)")
    else:
        print("Prefect search     : skipped (set PREFECT_PYTHON to a python with prefect)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
