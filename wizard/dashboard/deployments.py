"""The dashboard's deployments view: the deployments of prefect.yaml (and of the server),
one per row, and a detail pane saying what will break their runs.

It shows values made by :mod:`wizard.dashboard.data` and never calls the block store itself;
the app owns the store and hands it what it loaded. The checks themselves live in
:mod:`detectors.deployment_checks` (``flowwiz detect`` says the same).

Keys: ``/`` filters as you type, ``s`` cycles the sort (a click on a column header sorts by
it, a second click reverses), ``n`` asks the app for the form of a missing block.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, ClassVar

from flowwiz.detectors.deployment_checks import (
    DeploymentProblem,
    block_problems,
    pool_problem,
)
from flowwiz.wizard.dashboard.data import (
    NOTHING,
    DeploymentRow,
    ProjectDeployments,
    display_path,
    merge_deployments,
)
from flowwiz.wizard.dashboard.widgets import (
    FilterInput,
    RowTable,
    column_width,
    fit_columns,
    table_room,
)
from flowwiz.wizard.terminal import printable, styled
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

# (key, title, widest it grows, narrowest it shrinks to); the name is never cut (its minimum
# is its own width): `flow/deploy-staging` and `flow/deploy-prod` must not read alike
NAME_COLUMN = ("name", "Deployment", 200, 0)
COLUMNS: tuple[tuple[str, str, int, int], ...] = (
    NAME_COLUMN,
    ("problems", "Problems", 30, 20),
    ("entrypoint", "Entrypoint", 40, 10),
    ("pool", "Pool / queue", 30, 8),
    ("schedule", "Schedule", 30, 8),
    ("blocks", "Blocks", 50, 8),
    ("storage", "Storage", 60, 8),
)
# shown when a server is configured: the only time a row can come from elsewhere or have run
SERVER_COLUMNS: tuple[tuple[str, str, int, int], ...] = (
    ("last_run", "Last run", 22, 8),
    ("source", "Source", 6, 6),
)

SOURCE_TEXT = {
    "file": "prefect.yaml only (not on the server)",
    "server": "the server only (not in prefect.yaml)",
    "both": "prefect.yaml and the server",
}

# the order `s` cycles through, with the words the summary says
SORTS: tuple[tuple[str, str], ...] = (
    ("name", "flow/name"),
    ("problems", "problems"),
    ("last_run", "last run"),
    ("schedule", "schedule"),
    ("pool", "work pool"),
    ("source", "source"),
    ("entrypoint", "entrypoint"),
)
# run states that mean the run did not do its work
BAD_RUNS = frozenset({"FAILED", "CRASHED", "CANCELLED"})

# How long typing must pause before the deployments table is rebuilt: one rebuild per burst
# of keys (the Blocks tab filters per key: its catalog keeps precomputed search text).
FILTER_DEBOUNCE = 0.15


class Cell:
    """A table cell that costs nothing until drawn: DataTable measures every new cell (with
    the console's size, about 0.1 ms each), which buys nothing for fixed-width columns; the
    cut to the column's width is made only for the rows on screen."""

    __slots__ = ("text", "width")

    def __init__(self, text: Text, width: int) -> None:
        self.text = text
        self.width = width

    def shown(self) -> Text:
        if self.text.cell_len <= self.width:
            return self.text
        cut = self.text.copy()
        cut.truncate(self.width, overflow="ellipsis")
        return cut

    # drawn, never measured: no __rich__ (rich_cast would hand the Text to be measured)
    def __rich_console__(self, console: Any, options: Any) -> Any:
        return self.shown().__rich_console__(console, options)

    @property
    def plain(self) -> str:
        return self.text.plain

    @property
    def style(self) -> object:
        return self.text.style

    def __str__(self) -> str:
        return self.shown().plain


def _from_root(deployment: DeploymentRow) -> str:
    """The entrypoint as a path from the project root: a folder's prefect.yaml runs its
    entrypoints from that folder."""
    if deployment.folder and deployment.entrypoint:
        return f"{deployment.folder}/{deployment.entrypoint}"
    return deployment.entrypoint


class DeploymentTable(RowTable[Cell]):
    """Deployments one per row, keyed by their index in the view's rows: the name column is
    as wide as the longest name, the others shrink to fit the screen."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._rows: Sequence[tuple[str, Sequence[Text]]] = ()
        self._widths: list[int] = []
        self._titles: dict[str, str] = {}
        self.columns_shown: tuple[tuple[str, str, int, int], ...] = COLUMNS

    def with_server(self, shown: bool) -> None:
        """Put the Last run and Source columns after Problems (or take them away)."""
        first, problems, *rest = COLUMNS
        self.columns_shown = (first, problems, *SERVER_COLUMNS, *rest) if shown else COLUMNS

    def _fit(self, rows: Sequence[tuple[str, Sequence[Text]]]) -> list[int]:
        columns = self.columns_shown
        natural = [
            column_width((cells[i].plain for _key, cells in rows), self._titles.get(k, t), cap)
            for i, (k, t, cap, _least) in enumerate(columns)
        ]
        minimum = [min(n, least) for n, (_k, _t, _c, least) in zip(natural, columns, strict=True)]
        minimum[0] = natural[0]  # the name: whole, the table scrolls sideways if it must
        keys = [key for key, _t, _c, _l in columns]
        # storage and schedule are whole in the detail pane: they give way first
        first = (keys.index("storage"), keys.index("schedule"))
        return fit_columns(natural, minimum, table_room(self, len(natural)), first=first)

    def on_resize(self) -> None:
        if self._rows and self._fit(self._rows) != self._widths:
            self.show(self._rows, keep=self.current_key)

    def show(
        self,
        rows: Sequence[tuple[str, Sequence[Text]]],
        titles: dict[str, str] | None = None,
        keep: str | None = None,
    ) -> None:
        """Replace the rows (``(key, cells)``), the cursor staying on ``keep`` when listed;
        ``titles`` overrides a column's title (the sort mark)."""
        self._rows = rows
        self._titles = titles if titles is not None else self._titles
        widths = self._widths = self._fit(rows)
        self.clear(columns=True)
        for (key, title, _cap, _least), width in zip(self.columns_shown, widths, strict=True):
            self.add_column(self._titles.get(key, title), width=width, key=key)
        for key, row in rows:
            self.add_row(
                *(Cell(cell, width) for cell, width in zip(row, widths, strict=True)), key=key
            )
        if keep is not None and keep in self.rows:
            self.move_cursor(row=self.get_row_index(keep), animate=False)


class DeploymentFilter(FilterInput):
    """The filter box of the deployments tab: Enter, Down or Escape go back to its table."""

    def action_done(self) -> None:
        self.screen.query_one(DeploymentTable).focus()


class DeploymentDetail(VerticalScroll):
    def __init__(self, **kwargs: object) -> None:
        # children given here, not composed: they can be queried as soon as this is mounted
        # what breaks the runs first: it stays in view when the pane is short
        super().__init__(
            Static(id="deployment-missing", classes="problem"),
            Static(id="deployment-fields"),
            Static(id="deployment-ok", classes="ok"),
            **kwargs,  # type: ignore[arg-type]
        )


class DeploymentsView(Vertical):
    """The deployments of ./prefect.yaml (and of the Prefect server, when the store is one)
    and what will break their runs: a missing block, a block only this machine holds, a
    work pool the server lacks, an entrypoint whose file or flow is gone."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("n", "new_block", "New missing block"),
    ]

    class NewBlockWanted(Message):
        """``n`` on a deployment that references a block the store lacks: the app opens the
        form for that block (``block_type`` slug, ``name``) prefilled."""

        def __init__(self, block_type: str, name: str) -> None:
            super().__init__()
            self.block_type = block_type
            self.name = name

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
        # per row of self.rows: what will break its runs, its cells, the text a filter reads
        self._problems: list[tuple[DeploymentProblem, ...]] = []
        self._cells: list[list[Text]] = []
        self._haystacks: list[str] = []
        # the rows on screen (indexes into self.rows), filtered and sorted
        self.shown: tuple[int, ...] = ()
        self.sort_key = "name"
        self.sort_reverse = False
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        # the table and the detail pane are built when the tab is first shown (build()):
        # mounting them behind the blocks tab made the first paint wait for them
        yield Static(id="deployments-summary")

    @property
    def built(self) -> bool:
        return bool(self.query(DeploymentTable))

    async def build(self) -> None:
        """Mount the filter, the table and the detail pane (once), filled with what is known."""
        if self.built:
            return
        table = DeploymentTable(id="deployments-table")
        table.with_server(self.server_url is not None)
        search = DeploymentFilter(
            placeholder="/ filter by name, entrypoint, pool, block or problem",
            id="deployments-filter",
        )
        await self.mount(search, table, DeploymentDetail(id="deployment-detail"))
        self._redraw()

    # -- data in

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
            self.query_one(DeploymentTable).with_server(True)

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
        catalog holds: a reference missing on the server but kept locally is flagged "local
        block" (push it), a pool missing on the server "no pool"."""
        self.server_pools = frozenset(pools) if pools is not None else None
        self.local_only = frozenset(local_only)
        self._redraw()

    def check_against(self, existing: Collection[tuple[str, str]] | None) -> None:
        """The blocks of the active store (None: not known, the store could not be read)."""
        self.existing = existing
        self._redraw()

    # -- questions about the rows

    def pool_missing(self, deployment: DeploymentRow) -> bool:
        return self._pool_problem(deployment) is not None

    def _pool_problem(self, deployment: DeploymentRow) -> DeploymentProblem | None:
        pool = deployment.work_pool if deployment.work_pool != NOTHING else None
        return pool_problem(pool, self.server_pools)

    def using(self, block_type: str, name: str) -> list[str]:
        """Names of the deployments that reference a block."""
        return [
            d.shown_name
            for d in self.rows
            if any(r.type == block_type and r.name == name for r in d.references)
        ]

    def missing(self, deployment: DeploymentRow) -> tuple[str, ...]:
        if self.existing is None:
            return ()
        return tuple(ref.slug for ref in deployment.missing(self.existing))

    def problems(self, deployment: DeploymentRow) -> tuple[DeploymentProblem, ...]:
        """Everything that will break its runs: the entrypoint (found when the file was read),
        the blocks it references, its work pool."""
        refs = [(r.type, r.name) for r in deployment.references]
        found = [*deployment.problems, *block_problems(refs, self.existing, self.local_only)]
        pool = self._pool_problem(deployment)
        if pool is not None:
            found.append(pool)
        return tuple(found)

    def _merged(self) -> tuple[DeploymentRow, ...]:
        in_file = self.project.every_deployment if self.project is not None else ()
        return merge_deployments(in_file, self.server or ())

    # -- drawing

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
        """Recompute every row's problems and cells, then show those the filter keeps."""
        self.rows = ()
        self._problems, self._cells, self._haystacks = [], [], []
        summary = self.query_one("#deployments-summary", Static)
        summary.remove_class("problem")
        if self.problem is None and self.project is None:
            summary.update("Loading prefect.yaml…")
            if self.built:
                self._apply()
            return
        self.rows = rows = self._merged()
        self._problems = [self.problems(d) for d in rows]
        if self.built:
            error = self.app.get_css_variables().get("text-error", "red")
            success = self.app.get_css_variables().get("text-success", "green")
            server = self.server_url is not None
            for deployment, problems in zip(rows, self._problems, strict=True):
                cells = self._row_cells(deployment, problems, error, success, server)
                self._cells.append(cells)
                self._haystacks.append(
                    " ".join(
                        [c.plain for c in cells]
                        + [p.kind for p in problems]
                        + [deployment.work_queue]
                    ).lower()
                )
        self._summarise(summary)
        if self.built:
            self._apply()

    def _row_cells(
        self,
        deployment: DeploymentRow,
        problems: Sequence[DeploymentProblem],
        error: str,
        success: str,
        server: bool,
    ) -> list[Text]:
        bad_blocks = {p.subject for p in problems if p.kind.startswith("block-")}
        refs = Text()
        for i, ref in enumerate(deployment.references):
            if i:
                refs.append(", ")
            refs.append(printable(ref.slug), style=error if ref.slug in bad_blocks else "")
        pool_bad = any(p.kind == "pool-missing" for p in problems)
        entry_bad = any(p.kind.startswith("entrypoint-") for p in problems)
        shorts = ", ".join(dict.fromkeys(p.short for p in problems))
        cells = [
            # the name alone: a folder's prefect.yaml shows in the entrypoint's path (from the
            # project root), so long folder names do not take the width of every column
            Text(printable(deployment.name), style=error if problems else ""),
            Text(shorts or "ok", style=error if problems else success),
            Text(printable(_from_root(deployment)), style=error if entry_bad else ""),
            Text(
                printable(f"{deployment.work_pool} / {deployment.work_queue}"),
                style=error if pool_bad else "",
            ),
            styled(deployment.schedule),
            refs if deployment.references else Text(NOTHING),
            styled(deployment.storage.replace("https://", "")),
        ]
        if server:
            run = deployment.last_run
            if run is None:
                last = Text(NOTHING)
            else:
                style = error if run.state_type in BAD_RUNS else ""
                style = success if run.state_type == "COMPLETED" else style
                last = Text(printable(run.text), style=style)
            cells[2:2] = [last, styled(deployment.source)]
        return cells

    def _summarise(self, summary: Static) -> None:
        summary.remove_class("problem")
        project, rows = self.project, self.rows
        if self.problem is not None:
            text = f"prefect.yaml could not be read: {self.problem}"
            summary.add_class("problem")
        elif project is None:  # the tab shown before the worker has read prefect.yaml
            text = "Reading prefect.yaml…"
        elif not project.found:
            text = f"No prefect.yaml at {display_path(project.path)}"
            text += ". Run flowwiz deploy to write one." if not rows else ""
        else:
            count = len(project.deployments)
            text = f"{count} deployment{'s' if count != 1 else ''} in {display_path(project.path)}"
        if project is not None and project.others:
            count = sum(len(other.deployments) for other in project.others)
            files = len(project.others)
            text += (
                f" · {count} deployment{'s' if count != 1 else ''} in {files} prefect.yaml"
                f" file{'s' if files != 1 else ''} of folders below"
            )
        if project is not None and project.unreadable:
            relpath, reason = project.unreadable[0]
            text += f" · {relpath} could not be read: {reason}"
            if len(project.unreadable) > 1:
                text += f" (and {len(project.unreadable) - 1} more)"
            summary.add_class("problem")
        text += self._server_note()
        if rows and self.existing is None:
            text += " · block references not checked (the block store could not be read)"

        def count(test: Callable[[DeploymentProblem], bool]) -> int:
            return sum(any(test(p) for p in found) for found in self._problems)

        no_pool = count(lambda p: p.kind == "pool-missing")
        if no_pool:
            text += f" · {no_pool} use a work pool missing on the server"
        broken = count(lambda p: p.kind.startswith("block-"))
        if broken:
            text += (
                " · 1 references a block that does not exist"
                if broken == 1
                else f" · {broken} reference blocks that do not exist"
            )
        entry = count(lambda p: p.kind.startswith("entrypoint-"))
        if entry:
            text += (
                " · 1 entrypoint is broken"
                if entry == 1
                else f" · {entry} entrypoints are broken"
            )
        if no_pool or broken or entry:
            summary.add_class("problem")
        if self.built and self.shown_count != len(rows):
            text += f" · {self.shown_count} shown"
        if self.sort_key != "name" or self.sort_reverse:
            word = dict(SORTS)[self.sort_key]
            text += f" · sorted by {word}" + (" (reversed)" if self.sort_reverse else "")
        summary.update(styled(text))

    @property
    def shown_count(self) -> int:
        return len(self._matching())

    def _matching(self) -> list[int]:
        if not self.built:
            return list(range(len(self.rows)))
        words = self.query_one(DeploymentFilter).value.lower().split()
        return [
            i
            for i, haystack in enumerate(self._haystacks)
            if all(word in haystack for word in words)
        ]

    def _sort_value(self, index: int) -> Any:
        deployment = self.rows[index]
        key = self.sort_key
        name = deployment.shown_name.lower()
        if key == "problems":
            return (-len(self._problems[index]), name)
        if key == "last_run":
            run = deployment.last_run
            moment = run.when.timestamp() if run is not None and run.when is not None else 0.0
            return (run is None, -moment, name)
        if key == "schedule":
            return (deployment.schedule == "none", deployment.schedule, name)
        if key == "pool":
            return (deployment.work_pool, deployment.work_queue, name)
        if key == "source":
            return (deployment.source, name)
        if key == "entrypoint":
            return (deployment.entrypoint, name)
        return (name, deployment.source)

    def _apply(self) -> None:
        """Show the rows the filter keeps, in the chosen order; the cursor stays on its row."""
        self._debounce = None
        table = self.query_one(DeploymentTable)
        keep = table.current_key
        order = sorted(self._matching(), key=self._sort_value, reverse=self.sort_reverse)
        self.shown = tuple(order)
        mark = " ▼" if self.sort_reverse else " ▲"
        titles = {
            key: title + mark for key, title, _c, _l in table.columns_shown if key == self.sort_key
        }
        table.show([(str(i), self._cells[i]) for i in order], titles, keep=keep)
        if table.row_count and table.current_key is None:
            table.move_cursor(row=0, animate=False)
        self._summarise(self.query_one("#deployments-summary", Static))
        self._show_detail()

    # -- keys

    def action_filter(self) -> None:
        if self.built:
            self.query_one(DeploymentFilter).focus()

    @on(Input.Changed, "#deployments-filter")
    def _filter_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(FILTER_DEBOUNCE, self._apply)

    @on(Input.Submitted, "#deployments-filter")
    def _filter_submitted(self) -> None:
        self._apply()
        self.query_one(DeploymentTable).focus()

    def action_sort(self) -> None:
        """The next sort of SORTS (those of columns not shown are skipped)."""
        if not self.built:
            return
        shown = {key for key, _t, _c, _l in self.query_one(DeploymentTable).columns_shown}
        keys = [key for key, _word in SORTS if key in shown]
        at = keys.index(self.sort_key) if self.sort_key in keys else -1
        self.sort_by(keys[(at + 1) % len(keys)])

    def sort_by(self, key: str, reverse: bool = False) -> None:
        self.sort_key, self.sort_reverse = key, reverse
        self._apply()

    @on(DataTable.HeaderSelected, "#deployments-table")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value
        if key in dict(SORTS):
            self.sort_by(key, reverse=key == self.sort_key and not self.sort_reverse)

    def action_new_block(self) -> None:
        """The form for the selected deployment's first missing block (one the store lacks,
        else one only this machine holds)."""
        deployment = self.selected
        if deployment is None:
            return
        problems = self.problems(deployment)
        wanted = [p for p in problems if p.kind == "block-missing"]
        wanted += [p for p in problems if p.kind == "block-local-only"]
        if not wanted:
            self.app.notify("This deployment references no missing block.", markup=False)
            return
        block_type, _, name = wanted[0].subject.partition("/")
        self.post_message(self.NewBlockWanted(block_type, name))

    # -- the detail pane

    @property
    def selected(self) -> DeploymentRow | None:
        if not self.built:
            return None
        key = self.query_one(DeploymentTable).current_key
        if key is None or int(key) >= len(self.rows):
            return None
        return self.rows[int(key)]

    @on(DataTable.RowHighlighted, "#deployments-table")
    def _show_detail(self) -> None:
        fields = self.query_one("#deployment-fields", Static)
        missing_box = self.query_one("#deployment-missing", Static)
        ok_box = self.query_one("#deployment-ok", Static)
        deployment = self.selected
        detail = self.query_one(DeploymentDetail)
        detail.border_title = styled(deployment.shown_name) if deployment else "Deployment"
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
        if deployment.folder:
            rows.insert(0, ("file", f"{deployment.folder}/prefect.yaml"))
        if self.server_url is not None:
            rows.insert(0, ("source", SOURCE_TEXT[deployment.source]))
            run = deployment.last_run
            last = "none" if run is None else run.text + (" (UTC)" if run.when else "")
            rows.append(("last run", last))
        text = Text()
        for name, value in rows:
            text.append(f"{name:<10}  ", style="bold")
            text.append(printable(value) + "\n")
        text.rstrip()
        fields.update(text)
        fields.display = True
        problems = self.problems(deployment)
        lines = Text()
        for problem in problems:
            if lines:
                lines.append("\n")
            lines.append(f"✗ {printable(problem.message)}")
            if problem.fix:
                lines.append(f"\n  → {printable(problem.fix)}", style="not bold")
        if any(p.kind.startswith("block-") for p in problems):
            lines.append("\n  (n opens the form for the first missing block)", style="not bold")
        missing_box.update(lines)
        missing_box.display = bool(problems)
        bad = {p.subject for p in problems}
        present = [r.slug for r in deployment.references if r.slug not in bad]
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
