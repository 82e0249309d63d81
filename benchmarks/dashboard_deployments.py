"""Benchmark: the Deployments tab of `flowwiz ui` on a repository the size of the largest
public ones (170 deployments over 131 flow files; tests/deployment_repo.py builds it).

    .venv/bin/python benchmarks/dashboard_deployments.py [--deployments 170] [--files 131]
                                                         [--runs 3]

Headless at 120x36 (App.run_test), over the local block store in a temporary FLOWWIZ_HOME
with an in-memory keyring; the median of --runs (after one warm-up):

- load            data.load_deployments: prefect.yaml parsed and every entrypoint checked
                  (each flow file parsed once with ast, never imported)
- tab             `2` pressed on a started app until the table holds every row
- filter          a query applied (the debounce skipped) until the table is rebuilt
- sort            `s` (sort by problems) until the table is rebuilt

Timings scale with CPU load: say the machine's state with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (120, 36)


async def until(condition: object) -> None:
    while not condition():  # type: ignore[operator]
        await asyncio.sleep(0.005)


async def one_run(store: object, repo: Path, expected: int) -> dict[str, float]:
    from flowwiz.wizard.dashboard.app import FlowwizApp
    from flowwiz.wizard.dashboard.data import load_deployments

    times: dict[str, float] = {}
    start = time.perf_counter()
    load_deployments(repo)
    times["load"] = time.perf_counter() - start
    app = FlowwizApp(store, repo)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        start = time.perf_counter()
        await pilot.press("2")
        await until(lambda: app.query("#deployments-table") and (
            app.query_one("#deployments-table").row_count == expected
        ))
        await pilot.pause()
        times["tab"] = time.perf_counter() - start
        view = app.query_one("#deployments-view")
        box = app.query_one("#deployments-filter")
        box.value = "prod-pool"
        await pilot.pause()
        if view._debounce is not None:  # noqa: SLF001 - apply it now, and time that
            view._debounce.stop()  # noqa: SLF001
        start = time.perf_counter()
        view._apply()  # noqa: SLF001
        await pilot.pause()
        times["filter"] = time.perf_counter() - start
        box.value = ""
        view._apply()  # noqa: SLF001
        await pilot.pause()
        start = time.perf_counter()
        view.sort_by("problems")
        await pilot.pause()
        times["sort"] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=170)
    parser.add_argument("--files", type=int, default=131)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FLOWWIZ_HOME"] = str(Path(tmp) / "home")
        os.environ["PREFECT_API_URL"] = ""
        import keyring
        from keyring.backend import KeyringBackend

        class Memory(KeyringBackend):
            priority = 1  # type: ignore[assignment]
            values: dict[tuple[str, str], str] = {}  # noqa: RUF012

            def get_password(self, service: str, username: str) -> str | None:
                return self.values.get((service, username))

            def set_password(self, service: str, username: str, password: str) -> None:
                self.values[(service, username)] = password

            def delete_password(self, service: str, username: str) -> None:
                self.values.pop((service, username), None)

        keyring.set_keyring(Memory())
        from flowwiz.writers.blocks import open_store
        from tests.deployment_repo import synthetic_repo

        repo = synthetic_repo(Path(tmp) / "repo", args.deployments, args.files)
        store = open_store()
        runs = [asyncio.run(one_run(store, repo, args.deployments)) for _ in range(args.runs + 1)]
        runs = runs[1:]  # the first warms imports and caches
        print(f"{args.deployments} deployments over {args.files} flow files, {SIZE[0]}x{SIZE[1]}:")
        for key in ("load", "tab", "filter", "sort"):
            values = [r[key] for r in runs]
            print(f"  {key:<7} median {statistics.median(values) * 1000:7.1f} ms"
                  f"   (runs: {', '.join(f'{v * 1000:.0f}' for v in values)})")


if __name__ == "__main__":
    main()
