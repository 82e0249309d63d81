"""Benchmark: `flowwiz ui` with 10,000 blocks: time to first paint and to apply a filter.

    .venv/bin/python benchmarks/dashboard.py [--blocks 10000] [--runs 3]

The blocks are saved through the real local store (SQLite catalog in a temp FLOWWIZ_HOME, on
/dev/shm when there is one so set-up is not fsync-bound; values in an in-memory keyring):
70% secrets, the rest GitHub, GitLab (with a url) and AWS credentials. Then, headless at
120x36 (App.run_test), the median of --runs:

- store.list() alone       the store reading 10,000 blocks (no UI)
- first paint              app start until the first rows are in the table and drawn
                           (the table then fills in chunks between events); "real store"
                           includes store.list() in the worker, "UI only" starts from the
                           list already in memory: the dashboard's own cost
- every row in the table   until all 10,000 rows are in the table
- filter                   the debounced filter applied and drawn: a narrow query, then one
                           that matches everything (the table rebuilt with 10,000 rows)
- keystroke                one key typed into the filter box (the rebuild is debounced)

Target: first paint under 1 s. Run on a quiet machine: timings scale with CPU load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (120, 36)


def memory_keyring() -> None:
    import keyring

    from tests.memory_keyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())


def fill(store: object, count: int) -> None:
    from flowwiz.detectors.secret import SecretStr

    for i in range(count):
        kind = i % 10
        if kind < 7:
            store.save(
                "secret", f"deployment-etl-{i}-repo-token", {"value": SecretStr(f"v{i:08d}")}
            )  # type: ignore[attr-defined]
        elif kind == 7:
            store.save("github-credentials", f"github-{i}", {"token": SecretStr(f"t{i:08d}")})  # type: ignore[attr-defined]
        elif kind == 8:
            store.save(  # type: ignore[attr-defined]
                "gitlab-credentials",
                f"gitlab-{i}",
                {"token": SecretStr(f"t{i:08d}"), "url": f"https://gitlab{i % 7}.example.com"},
            )
        else:
            store.save(  # type: ignore[attr-defined]
                "aws-credentials",
                f"aws-{i}",
                {
                    "aws_access_key_id": f"AKIA{i:012d}",
                    "aws_secret_access_key": SecretStr("x" * 20),
                },
            )
        if i and i % 2000 == 0:
            print(f"  saved {i} blocks", flush=True)


class Preloaded:
    """The real store's blocks, listed once: measures the dashboard without the store."""

    def __init__(self, store: object) -> None:
        self.kind = store.kind  # type: ignore[attr-defined]
        self.location = store.location  # type: ignore[attr-defined]
        self._blocks = store.list()  # type: ignore[attr-defined]

    def list(self, block_type: str | None = None) -> list[object]:
        return list(self._blocks)


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)  # coarse: a busy poll would slow the worker thread (GIL)


class PaintClock:
    """Notes when the blocks table is next drawn holding rows (a hook on its render_lines:
    pilot.pause() would also wait for the rows still streaming in)."""

    def __init__(self) -> None:
        from flowwiz.wizard.dashboard.widgets import BlockTable

        self.painted: float | None = None
        original = BlockTable.render_lines
        clock = self

        def render_lines(table: BlockTable, crop: object) -> object:
            if table.row_count and clock.painted is None:
                clock.painted = time.perf_counter()
            return original(table, crop)

        BlockTable.render_lines = render_lines  # type: ignore[method-assign,assignment]

    def reset(self) -> None:
        self.painted = None


CLOCK: PaintClock | None = None


def clock() -> PaintClock:
    global CLOCK
    if CLOCK is None:
        CLOCK = PaintClock()
    return CLOCK


async def first_paint(store: object, project: Path, expected: int) -> tuple[float, float]:
    """(first rows drawn, every row in the table), both from the app's construction."""
    from flowwiz.wizard.dashboard.app import FlowwizApp

    paint = clock()
    paint.reset()
    start = time.perf_counter()
    app = FlowwizApp(store, project)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE):
        table = app.query_one("#blocks-table")
        await until(lambda: paint.painted is not None)
        painted = paint.painted - start  # type: ignore[operator]
        await until(lambda: table.row_count == expected)
        complete = time.perf_counter() - start
        await app.workers.wait_for_complete()
    return painted, complete


async def filtering(store: object, project: Path, expected: int) -> dict[str, float]:
    from flowwiz.wizard.dashboard.app import FlowwizApp
    from flowwiz.wizard.dashboard.widgets import BlocksView

    paint = clock()
    app = FlowwizApp(store, project)  # type: ignore[arg-type]
    times: dict[str, float] = {}
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#blocks-table")
        await until(lambda: table.row_count == expected)
        await pilot.pause()
        view = app.query_one(BlocksView)
        box = app.query_one("#filter")

        async def apply(query: str) -> tuple[float, float, int]:
            """(filtered rows drawn, every match in the table, matches)"""
            box.value = query
            await pilot.pause()
            if view._debounce is not None:  # noqa: SLF001 - apply it now, and time that
                view._debounce.stop()  # noqa: SLF001
            paint.reset()
            start = time.perf_counter()
            view.apply_filter()
            await until(lambda: paint.painted is not None)
            drawn = paint.painted - start  # type: ignore[operator]
            await until(lambda: table.complete)
            return drawn, time.perf_counter() - start, len(view.catalog.matching(query))

        times["narrow"], _, times["narrow_rows"] = await apply("etl-12")
        times["everything"], times["everything_all"], times["everything_rows"] = await apply("e")
        box.focus()
        await pilot.pause()
        start = time.perf_counter()
        await pilot.press("x")
        times["keystroke"] = time.perf_counter() - start
    return times


def median(run: Callable[[], float], runs: int) -> float:
    return statistics.median(run() for _ in range(runs))


def medians(results: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--blocks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    os.environ["FLOWWIZ_HOME"] = str(base / "home")
    project = base / "project"
    project.mkdir()
    try:
        memory_keyring()
        from flowwiz.writers.blocks import open_store

        store = open_store()
        print(f"saving {args.blocks} blocks through the local store ...", flush=True)
        start = time.perf_counter()
        fill(store, args.blocks)
        print(f"  set-up: {time.perf_counter() - start:.1f} s")

        def list_time() -> float:
            start = time.perf_counter()
            store.list()
            return time.perf_counter() - start

        listed = median(list_time, args.runs)
        real = medians(
            [asyncio.run(first_paint(store, project, args.blocks)) for _ in range(args.runs)]
        )
        preloaded = Preloaded(store)
        ui = medians(
            [asyncio.run(first_paint(preloaded, project, args.blocks)) for _ in range(args.runs)]
        )
        filters = asyncio.run(filtering(preloaded, project, args.blocks))

        print()
        print(f"blocks: {args.blocks}, terminal {SIZE[0]}x{SIZE[1]}, median of {args.runs}")
        ms = "ms"
        print(f"  store.list() alone                 {listed * 1000:8.0f} {ms}")
        print(f"  first paint, real store            {real[0] * 1000:8.0f} {ms}   target < 1000 ms")
        print(f"  every row in the table, real store {real[1] * 1000:8.0f} {ms}")
        print(
            f"  first paint, UI only               {ui[0] * 1000:8.0f} {ms}   (list already read)"
        )
        print(f"  every row in the table, UI only    {ui[1] * 1000:8.0f} {ms}")
        print(
            f"  filter 'etl-12' applied and drawn  {filters['narrow'] * 1000:8.0f} {ms}"
            f"   ({int(filters['narrow_rows'])} rows)"
        )
        print(
            f"  filter 'e' applied and drawn       {filters['everything'] * 1000:8.0f} {ms}"
            f"   ({int(filters['everything_rows'])} rows; all in the table after"
            f" {filters['everything_all'] * 1000:.0f} ms)"
        )
        print(f"  one keystroke in the filter box    {filters['keystroke'] * 1000:8.0f} {ms}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
