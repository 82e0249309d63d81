"""`flowwiz ui` over a store that is still being read: the first page is on screen while the
rest loads, and the filter works on what has arrived and again once everything has.

The real local store (SQLite catalog, in-memory keyring), held after its first page by a gate
the test opens, and the real app under Pilot.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flowwiz.detectors.secret import SecretStr
from flowwiz.writers.blocks.model import Block
from tests.test_dashboard import SIZE, project, store, table_rows  # noqa: F401 - fixtures

COUNT = 60
PAGE = 10


class GatedStore:
    """The real store, whose pages() waits after the first page until the test opens it."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.kind = store.kind
        self.location = store.location
        self.gate = threading.Event()
        self.pages_read = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def pages(self, size: int = 500) -> Iterator[list[Block]]:
        for page in self.store.pages(size):
            if self.pages_read == 1:
                assert self.gate.wait(30), "the test never opened the gate"
            self.pages_read += 1
            yield page


async def until(pilot: Any, condition: Any, what: str) -> None:
    for _ in range(500):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_first_page_painted_while_loading_and_filter_during_and_after(
    store: Any, project: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811 - fixtures
) -> None:
    from flowwiz.wizard.dashboard import data
    from flowwiz.wizard.dashboard.app import FlowwizApp

    monkeypatch.setattr(data, "FIRST_PAGE", PAGE)
    for i in range(COUNT):
        store.save("secret", f"token-{i:03d}", {"value": SecretStr(f"value-{i}-abcdef")})
    gated = GatedStore(store)
    painted: list[int] = []

    async def main() -> None:
        app = FlowwizApp(gated, project)  # type: ignore[arg-type]
        async with app.run_test(size=SIZE) as pilot:
            table = app.query_one("#blocks-table")
            view = app.query_one("#blocks-view")
            await until(pilot, lambda: table.row_count == PAGE, "the first page")
            await pilot.pause(0.2)
            # the first page is on screen and the rest is still held back
            assert app.catalog is not None and app.catalog.partial
            assert gated.pages_read == 1
            assert [r[1] for r in table_rows(app)] == [f"token-{i:03d}" for i in range(PAGE)]
            screen = app.export_screenshot()
            assert "token-000" in screen and "token-009" in screen
            painted.append(table.row_count)

            # a filter while loading: what has arrived
            await pilot.press("slash", "5")
            await pilot.pause(0.4)
            assert [r[1] for r in table_rows(app)] == ["token-005"]
            first_row = table.get_row_at(0)

            # the rest arrives: the filtered table grows, its rows on screen stay
            gated.gate.set()
            await until(pilot, lambda: not app.catalog.partial, "the whole catalog")
            await app.workers.wait_for_complete()
            await until(pilot, lambda: table.complete, "the matches")
            expected = sorted(f"token-{i:03d}" for i in range(COUNT) if "5" in f"{i:03d}")
            assert [r[1] for r in table_rows(app)] == expected
            assert table.get_row_at(0)[1] is first_row[1], "rows on screen were rebuilt"

            # filtering after loading: narrower, then nothing typed
            await pilot.press("0")
            await pilot.pause(0.4)
            assert [r[1] for r in table_rows(app)] == ["token-050"]
            view.query_one("#filter").value = ""
            await pilot.pause(0.4)
            await until(pilot, lambda: table.complete, "every row")
            assert [r[1] for r in table_rows(app)] == [f"token-{i:03d}" for i in range(COUNT)]
            assert "60" in str(app.query_one("#count-all").render())

    asyncio.run(main())
    assert painted == [PAGE]


def test_the_table_holds_a_window_and_adds_rows_as_they_are_reached(
    store: Any, project: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811 - fixtures
) -> None:
    from flowwiz.wizard.dashboard import widgets
    from flowwiz.wizard.dashboard.app import FlowwizApp

    monkeypatch.setattr(widgets, "WINDOW_ROWS", 40)
    monkeypatch.setattr(widgets, "FIRST_ROWS", 5)
    monkeypatch.setattr(widgets, "CHUNK_ROWS", 5)
    monkeypatch.setattr(widgets, "MORE_AHEAD", 3)
    for i in range(150):
        store.save("secret", f"token-{i:03d}", {"value": SecretStr(f"value-{i}-abcdef")})

    async def main() -> None:
        app = FlowwizApp(store, project)
        async with app.run_test(size=SIZE) as pilot:
            table = app.query_one("#blocks-table")
            view = app.query_one("#blocks-view")
            await app.workers.wait_for_complete()
            await until(pilot, lambda: table.row_count == 40, "the window")
            await pilot.pause(0.2)
            assert table.row_count == 40 and not table.complete  # the screen shows ~25
            # the cursor near the last row held: more rows come
            table.move_cursor(row=38, animate=False)
            await until(pilot, lambda: table.row_count == 80, "the next window")
            # End: the last block of the whole list
            await pilot.press("end")
            await until(pilot, lambda: view.selected and view.selected.name == "token-149", "end")
            assert table.complete
            # a filter starts a new window
            view.query_one("#filter").value = "token-0"  # the cursor's row is not listed
            view.apply_filter()
            await until(pilot, lambda: table.row_count == 40, "the new window")
            await pilot.pause(0.3)
            assert table.row_count == 40 and not table.complete

    asyncio.run(main())


def test_a_deployment_naming_a_block_whose_secret_is_gone_is_flagged(
    store: Any, project: Path, memory_keyring: Any  # noqa: F811 - fixtures
) -> None:
    from flowwiz.wizard.dashboard.app import FlowwizApp
    from tests.test_dashboard import seed

    seed(store)
    store.save("secret", "report-token", {"value": SecretStr("a-token-value")})
    # github-token's value is gone from the keyring behind flowwiz's back
    (key,) = [k for k in memory_keyring.entries if k[1].endswith("/secret/github-token/value")]
    del memory_keyring.entries[key]

    async def main() -> None:
        app = FlowwizApp(store, project)
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("2")
            await app.workers.wait_for_complete()
            await pilot.pause()
            summary = str(app.query_one("#deployments-summary").render())
            assert "1 references a block that does not exist" in summary
            missing = str(app.query_one("#deployment-missing").render())
            assert "secret/github-token" in missing

    asyncio.run(main())
