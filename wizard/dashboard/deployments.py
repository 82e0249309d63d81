"""The dashboard's deployments view: the deployments of prefect.yaml (and of the server),
one per row, and a detail pane saying what will break their runs.

It shows values made by :mod:`wizard.dashboard.data` and never calls the block store itself;
the app owns the store and hands it what it loaded.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import ClassVar

from flowwiz.wizard.dashboard.data import (
    NOTHING,
    DeploymentRow,
    ProjectDeployments,
    display_path,
    merge_deployments,
)
from flowwiz.wizard.dashboard.widgets import RowTable, column_width, fit_columns, table_room
from flowwiz.wizard.terminal import printable, styled
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static


class DeploymentTable(RowTable[Text]):
    """Deployments one per row, the widest columns shrunk to fit the screen."""

    # (title, widest it grows, narrowest it shrinks to)
    COLUMNS: ClassVar[tuple[tuple[str, int, int], ...]] = (
        ("Deployment", 30, 14),
        ("Entrypoint", 40, 16),
        ("Pool / queue", 30, 12),
        ("Schedule", 30, 12),
        ("Blocks", 50, 24),
        ("Storage", 60, 12),
    )
    # shown when a server is configured: the only time a row can come from elsewhere
    SOURCE: ClassVar[tuple[str, int, int]] = ("Source", 6, 6)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._rows: Sequence[Sequence[Text]] = ()
        self._widths: list[int] = []
        self.columns_shown: tuple[tuple[str, int, int], ...] = self.COLUMNS

    def with_source(self, shown: bool) -> None:
        """Put the Source column second (or take it away)."""
        first, *rest = self.COLUMNS
        self.columns_shown = (first, self.SOURCE, *rest) if shown else self.COLUMNS

    def _fit(self, rows: Sequence[Sequence[Text]]) -> list[int]:
        columns = self.columns_shown
        natural = [
            column_width((row[i].plain for row in rows), title, cap)
            for i, (title, cap, _least) in enumerate(columns)
        ]
        minimum = [min(n, least) for n, (_t, _c, least) in zip(natural, columns, strict=True)]
        titles = [title for title, _cap, _least in columns]
        # storage and schedule are whole in the detail pane: they give way first
        first = (titles.index("Storage"), titles.index("Schedule"))
        return fit_columns(natural, minimum, table_room(self, len(natural)), first=first)

    def on_resize(self) -> None:
        if self._rows and self._fit(self._rows) != self._widths:
            keep = self.cursor_row
            self.show(self._rows)
            self.move_cursor(row=keep, animate=False)

    def show(self, rows: Sequence[Sequence[Text]]) -> None:
        self._rows = rows
        widths = self._widths = self._fit(rows)
        self.clear(columns=True)
        for (title, _cap, _least), width in zip(self.columns_shown, widths, strict=True):
            self.add_column(title, width=width)
        for row in rows:
            cells = []
            for cell, width in zip(row, widths, strict=True):
                cell = cell.copy()
                cell.truncate(width, overflow="ellipsis")
                cells.append(cell)
            self.add_row(*cells)


SOURCE_TEXT = {
    "file": "prefect.yaml only (not on the server)",
    "server": "the server only (not in prefect.yaml)",
    "both": "prefect.yaml and the server",
}


class DeploymentDetail(VerticalScroll):
    def __init__(self, **kwargs: object) -> None:
        # children given here, not composed: they can be queried as soon as this is mounted
        super().__init__(
            Static(id="deployment-fields"),
            Static(id="deployment-missing", classes="problem"),
            Static(id="deployment-ok", classes="ok"),
            **kwargs,  # type: ignore[arg-type]
        )


class DeploymentsView(Vertical):
    """The deployments of ./prefect.yaml (and of the Prefect server, when the store is one)
    and whether the blocks they reference exist."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.project: ProjectDeployments | None = None
        self.existing: Collection[tuple[str, str]] | None = None
        # the server's work pools (None: not read) and the blocks only the local catalog has
        self.server_pools: frozenset[str] | None = None
        self.local_only: frozenset[tuple[str, str]] = frozenset()
        self.problem: str | None = None
        # the server's deployments: None while not read (or not configured: server_url None)
        self.server_url: str | None = None
        self.server: tuple[DeploymentRow, ...] | None = None
        self.server_problem: str | None = None
        self.rows: tuple[DeploymentRow, ...] = ()

    def compose(self) -> ComposeResult:
        # the table and the detail pane are built when the tab is first shown (build()):
        # mounting them behind the blocks tab made the first paint wait for them
        yield Static(id="deployments-summary")

    @property
    def built(self) -> bool:
        return bool(self.query(DeploymentTable))

    async def build(self) -> None:
        """Mount the table and the detail pane (once), filled with what is known."""
        if self.built:
            return
        table = DeploymentTable(id="deployments-table")
        table.with_source(self.server_url is not None)
        await self.mount(table, DeploymentDetail(id="deployment-detail"))
        self._redraw()

    def show_project(self, project: ProjectDeployments) -> None:
        self.project, self.problem = project, None
        self._redraw()

    def show_problem(self, message: str) -> None:
        self.project, self.problem = None, message
        self._redraw()

    def expect_server(self, url: str) -> None:
        """A server is configured: its deployments will follow (show_server/server_failed)."""
        self.server_url = url
        if self.built:
            self.query_one(DeploymentTable).with_source(True)

    def show_server(self, deployments: Sequence[DeploymentRow]) -> None:
        self.server, self.server_problem = tuple(deployments), None
        self._redraw()

    def server_failed(self, message: str) -> None:
        self.server, self.server_problem = None, message
        self._redraw()

    def show_context(
        self, pools: Collection[str] | None, local_only: Collection[tuple[str, str]]
    ) -> None:
        """The server's work pool names (None: not read) and the blocks this machine's local
        catalog holds: a reference missing on the server but kept locally is marked "workers
        cannot read this", a pool missing on the server is marked too."""
        self.server_pools = frozenset(pools) if pools is not None else None
        self.local_only = frozenset(local_only)
        self._redraw()

    def pool_missing(self, deployment: DeploymentRow) -> bool:
        pools = self.server_pools
        return pools is not None and deployment.work_pool not in (NOTHING, "") and (
            deployment.work_pool not in pools
        )

    def check_against(self, existing: Collection[tuple[str, str]] | None) -> None:
        """The blocks of the active store (None: not known, the store could not be read)."""
        self.existing = existing
        self._redraw()

    def using(self, block_type: str, name: str) -> list[str]:
        """Names of the deployments that reference a block."""
        return [
            d.name
            for d in self.rows
            if any(r.type == block_type and r.name == name for r in d.references)
        ]

    def missing(self, deployment: DeploymentRow) -> tuple[str, ...]:
        if self.existing is None:
            return ()
        return tuple(ref.slug for ref in deployment.missing(self.existing))

    def _merged(self) -> tuple[DeploymentRow, ...]:
        in_file = self.project.deployments if self.project is not None else ()
        return merge_deployments(in_file, self.server or ())

    def _server_note(self) -> str:
        if self.server_url is None:
            return ""
        if self.server_problem is not None:
            return " · server deployments not read"
        if self.server is None:
            return " · reading the server's deployments…"
        count = len(self.server)
        return f" · {count} on the server"

    def _redraw(self) -> None:
        table = self.query_one(DeploymentTable) if self.built else None
        keep = table.cursor_row if table is not None else 0
        self.rows = ()
        if table is not None:
            table.show([])
        summary = self.query_one("#deployments-summary", Static)
        summary.remove_class("problem")
        project = self.project
        if self.problem is None and project is None:
            summary.update("Loading prefect.yaml…")
            return
        self.rows = rows = self._merged()
        source = self.server_url is not None
        error = self.app.get_css_variables().get("text-error", "red")
        broken = 0
        cells = []
        for deployment in rows:
            missing = self.missing(deployment)
            broken += bool(missing)
            if table is None:
                continue  # only the summary is on screen
            refs = Text()
            for i, ref in enumerate(deployment.references):
                if i:
                    refs.append(", ")
                refs.append(printable(ref.slug), style=error if ref.slug in missing else "")
            row = [
                Text(printable(deployment.name), style=error if missing else ""),
                styled(deployment.entrypoint),
                Text(
                    printable(f"{deployment.work_pool} / {deployment.work_queue}")
                    + (" (missing on the server)" if self.pool_missing(deployment) else ""),
                    style=error if self.pool_missing(deployment) else "",
                ),
                styled(deployment.schedule),
                refs if deployment.references else Text(NOTHING),
                styled(deployment.storage.replace("https://", "")),
            ]
            if source:
                row.insert(1, styled(deployment.source))
            cells.append(row)
        if table is not None:
            table.show(cells)
        if self.problem is not None:
            text = f"prefect.yaml could not be read: {self.problem}"
            summary.add_class("problem")
        elif project is not None and not project.found:
            text = f"No prefect.yaml at {display_path(project.path)}."
            text += " Run flowwiz deploy to write one." if not rows else ""
        else:
            assert project is not None
            count = len(project.deployments)
            text = f"{count} deployment{'s' if count != 1 else ''} in {display_path(project.path)}"
        text += self._server_note()
        if not rows:
            pass  # nothing references anything
        elif self.existing is None:
            text += " · block references not checked (the block store could not be read)"
        no_pool = sum(self.pool_missing(d) for d in rows)
        if no_pool:
            text += f" · {no_pool} use a work pool missing on the server"
            summary.add_class("problem")
        if not rows or self.existing is None:
            pass
        elif broken:
            text += (
                " · 1 references a block that does not exist"
                if broken == 1
                else f" · {broken} reference blocks that do not exist"
            )
            summary.add_class("problem")
        summary.update(styled(text))
        if table is None:
            return
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        self._show_detail()

    @property
    def selected(self) -> DeploymentRow | None:
        if not self.built:
            return None
        table = self.query_one(DeploymentTable)
        if not table.row_count or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#deployments-table")
    def _show_detail(self) -> None:
        fields = self.query_one("#deployment-fields", Static)
        missing_box = self.query_one("#deployment-missing", Static)
        ok_box = self.query_one("#deployment-ok", Static)
        deployment = self.selected
        detail = self.query_one(DeploymentDetail)
        detail.border_title = styled(deployment.name) if deployment else "Deployment"
        if deployment is None:
            for widget in (fields, missing_box, ok_box):
                widget.update("")
                widget.display = False
            return
        rows = [
            ("entrypoint", deployment.entrypoint),
            ("work pool", deployment.work_pool),
            ("work queue", deployment.work_queue),
            ("schedule", deployment.schedule),
            ("storage", deployment.storage),
        ]
        if self.server_url is not None:
            rows.insert(0, ("source", SOURCE_TEXT[deployment.source]))
        text = Text()
        for name, value in rows:
            text.append(f"{name:<10}  ", style="bold")
            text.append(printable(value) + "\n")
        text.rstrip()
        fields.update(text)
        fields.display = True
        missing = self.missing(deployment)
        local_only = self.local_only
        lines = [
            f"✗ only in this machine's keyring: {printable(slug)} — workers cannot read this"
            if tuple(slug.split("/", 1)) in local_only
            else f"✗ missing: {printable(slug)} — runs will fail on the worker"
            for slug in missing
        ]
        if self.pool_missing(deployment):
            pool = printable(deployment.work_pool)
            lines.append(
                f"✗ work pool {pool} is missing on the server — "
                f"prefect work-pool create {pool} --type process"
            )
        missing_box.update(Text("\n".join(lines)))
        missing_box.display = bool(lines)
        present = [r.slug for r in deployment.references if r.slug not in missing]
        if self.existing is None:
            ok_lines = [
                f"? {slug} (not checked: the block store could not be read)" for slug in present
            ]
        else:
            ok_lines = [f"✓ {slug} exists in the store" for slug in present]
        if not deployment.references:
            ok_lines = ["references no blocks"]
        ok_box.update(Text("\n".join(printable(line) for line in ok_lines)))
        ok_box.display = bool(ok_lines)
