"""The dashboard's widgets: the blocks browser (the deployments view is in
:mod:`wizard.dashboard.deployments`).

They show values made by :mod:`wizard.dashboard.data` and never call the block store
themselves; the app owns the store and hands them what it loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import ClassVar

from flowwiz.wizard.dashboard.data import (
    BlockCatalog,
    BlockRow,
    Usage,
    block_fields,
    format_time,
)
from flowwiz.wizard.dashboard.examples import code_example
from flowwiz.wizard.terminal import printable, styled
from flowwiz.writers.blocks.model import BLOCK_TYPES, Block
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, ListItem, ListView, Static
from textual.widgets.data_table import CellType

# Rows put in the table at once (a tall terminal's screenful), then per chunk between
# events. DataTable renders every cell of an added row to measure it (~0.3 ms a row on a
# busy machine), and a key typed while a chunk goes in waits for it: these sizes are what a
# filter keystroke waits for. 200 and 1000 made a key wait up to ~400 ms at 50,000 blocks
# (benchmarks/dashboard.py).
FIRST_ROWS = 60
CHUNK_ROWS = 100
# Rows the table holds until the cursor, the scrollbar or End goes past them: DataTable's
# cost per added row grows with the rows it holds (it re-walks them all per change), so
# 50,000 rows in it cost a minute of a busy UI; more are added as they are reached. Small,
# so that after a filter the table is filled (and quiet) before the next key comes.
WINDOW_ROWS = 500
# How close to the last row held the cursor or the view may come before more are added.
MORE_AHEAD = 100
# How long the cursor rests on a block before its secret is looked for (detail pane).
CHECK_DELAY = 0.5


class _CellText(Text):
    """Text that DataTable does not measure: our columns have fixed widths."""

    __rich_measure__ = None  # type: ignore[assignment]


class LazyCell:
    """A table cell that costs little until it is drawn.

    DataTable measures every new cell to size auto-width columns; ours have fixed widths, so
    that work (about a second for 10,000 rows) buys nothing. Measuring this cell is free (the
    text it turns into exposes no ``__rich_measure__``); that text is made once, on first
    use, and drawn as it is (no markup to parse on each redraw of the row).
    """

    __slots__ = ("_text", "_width", "_style", "_rendered")

    def __init__(self, text: str, width: int, style: str | None = None) -> None:
        self._text = text
        self._width = width
        self._style = style
        self._rendered: Text | None = None

    def __rich__(self) -> Text:
        rendered = self._rendered
        if rendered is None:
            text = printable(self._text)
            if len(text) > self._width:
                text = text[: max(self._width - 1, 0)] + "…"
            rendered = self._rendered = _CellText(text, style=self._style or "", end="")
        return rendered

    def __str__(self) -> str:
        return self._text


def column_width(values: Iterable[str], header: str, cap: int) -> int:
    longest = max(map(len, values), default=0)
    return max(min(longest, cap), len(header))


def fit_columns(
    natural: Sequence[int], minimum: Sequence[int], room: int, first: Collection[int] = ()
) -> list[int]:
    """Shrink the widest columns, one cell at a time, until they fit in room (or every one is
    at its minimum, and the table scrolls sideways). The columns in ``first`` give way
    before the others, in that order."""
    widths = list(natural)
    for i in first:
        widths[i] = max(minimum[i], widths[i] - max(sum(widths) - room, 0))
    while sum(widths) > room:
        can = [i for i in range(len(widths)) if widths[i] > minimum[i]]
        if not can:
            break
        widths[max(can, key=lambda i: widths[i])] -= 1
    return widths


def table_room(table: DataTable[CellType], columns: int) -> int:
    """Cells left for content: two of padding per column, two kept for a scrollbar."""
    return table.scrollable_content_region.width - 2 * columns - 2


# ---------------------------------------------------------------------------------------------
# blocks


def short_title(slug: str) -> str:
    """'GitLab Credentials' -> 'GitLab': the sidebar says credentials once, in its title."""
    spec = BLOCK_TYPES.get(slug)
    return spec.title.removesuffix(" Credentials") if spec else slug


class TypeSidebar(ListView):
    """Block types with their counts; choosing one narrows the table to it."""

    def __init__(self, **kwargs: object) -> None:
        items = [ListItem(Label("All", id="count-all"), id="type-all", name="")]
        items += [
            ListItem(Label(short_title(slug), id=f"count-{slug}"), id=f"type-{slug}", name=slug)
            for slug in BLOCK_TYPES
        ]
        super().__init__(*items, **kwargs)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.border_title = "Types"

    def show_counts(self, catalog: BlockCatalog) -> None:
        self.query_one("#count-all", Label).update(_counted("All", len(catalog.rows)))
        for slug, count in catalog.counts.items():
            found = self.query(f"#count-{slug}")
            if found:
                label = found.first(Label)
            else:  # a type this version does not know (a server may have more)
                label = Label("", id=f"count-{slug}")
                self.append(ListItem(label, id=f"type-{slug}", name=slug))
            label.update(_counted(short_title(slug), count))
            if label.parent is not None:
                label.parent.set_class(count == 0, "empty")

    def show_unreachable(self) -> None:
        self.query_one("#count-all", Label).update(_counted("All", None))
        for slug in BLOCK_TYPES:
            self.query_one(f"#count-{slug}", Label).update(short_title(slug))

    @property
    def chosen_type(self) -> str | None:
        item = self.highlighted_child
        return (item.name or None) if item is not None else None


def _counted(title: str, count: int | None) -> str:
    number = "?" if count is None else str(count)
    return f"{title:<18} {number:>5}"


class RowTable(DataTable[CellType]):
    """A table that picks whole rows: Home and End go to the first and last one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]

    @property
    def current_key(self) -> str | None:
        """The highlighted row's key (None when the table is empty)."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value


def natural_widths(rows: Sequence[BlockRow], types: Iterable[str] | None = None) -> list[int]:
    """Type, name, fields and time columns as wide as their longest value (capped).

    Past WINDOW_ROWS rows only the first WINDOW_ROWS are measured (the table holds no more
    until they are reached; a longer value further down is cut with "…"), and the type
    column is as wide as the widest of ``types`` (the catalog's, when given): measuring
    50,000 rows on every keystroke of a filter cost ~40 ms."""
    sample = rows[:WINDOW_ROWS] if len(rows) > WINDOW_ROWS else rows
    kinds = [r.block.type for r in sample]
    if types is not None and len(rows) > WINDOW_ROWS:
        kinds += list(types)
    return [
        column_width(kinds, "Type", 30),
        column_width([r.block.name for r in sample], "Name", 60),
        column_width([r.summary for r in sample], "Fields", 80),
        column_width([r.updated for r in sample], "Updated (UTC)", 16),
    ]


class BlockTable(RowTable[LazyCell]):
    """Blocks one per row, keyed by ``type/name``; columns sized to the data and the screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "app.block_page", "Block page", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.problem_style = "red"
        self._rows: Sequence[BlockRow] = ()
        self._widths: dict[str, int] = {}
        self._generation = 0
        self._keep: str | None = None
        # the widths the rows would like: measured once per show(), not again on each resize
        self._natural: list[int] = []
        # rows of the current list the table is to hold (grows as they are reached)
        self._limit = WINDOW_ROWS
        self._pending: int | None = None  # the generation whose next chunk is queued
        self._jump = False  # go_to asked for _keep: move there even if the cursor moved

    def _fit(self, rows: Sequence[BlockRow]) -> dict[str, int]:
        """Type and time in full; name and fields shrink to fit the screen."""
        if rows is not self._rows or not self._natural:
            self._natural = natural_widths(rows)
        natural = self._natural
        minimum = [natural[0], 16, 12, natural[3]]
        widths = fit_columns(natural, minimum, table_room(self, 4), first=(2,))
        return dict(zip(("type", "name", "summary", "updated"), widths, strict=True))

    def show(
        self, rows: Sequence[BlockRow], keep: str | None = None, types: Iterable[str] | None = None
    ) -> None:
        """Replace the rows, keeping the cursor on ``keep`` when it is listed in the window;
        ``types``: the block types the rows may hold (sizes the type column).

        The first screenfuls go in at once; the rest follow in chunks between events, so the
        first paint, the keys and the next filter never wait for 10,000 rows.
        """
        self._generation += 1
        self._natural = natural_widths(rows, types)
        self._rows = rows
        self._keep = keep
        self._limit = WINDOW_ROWS
        self._pending = None
        self._jump = False
        widths = self._widths = self._fit(rows)
        self.clear(columns=True)
        for key, title in (
            ("type", "Type"),
            ("name", "Name"),
            ("summary", "Fields"),
            ("updated", "Updated (UTC)"),
        ):
            self.add_column(title, width=widths[key], key=key)
        # the cursor stays on its block when that is within the window; past it, the cursor
        # starts at the top (reaching it would put every row before it in the table)
        self._append(0, min(FIRST_ROWS, self._limit))
        if self._wanted > FIRST_ROWS:
            # after the next repaint: the first screenful is drawn before any chunk goes in
            self.call_after_refresh(self._schedule, self._generation)

    def _schedule(self, generation: int) -> None:
        """Add the next chunk after the queued events (one chain of chunks at a time)."""
        if self._pending == generation:
            return
        self._pending = generation
        # a timer, not call_later: the message queue drains (keys, repaint) before each chunk
        self.set_timer(0.001, lambda: self._stream(generation))

    def _stream(self, generation: int) -> None:
        if self._pending == generation:
            self._pending = None
        if generation != self._generation:  # a newer filter or refresh replaced these rows
            return
        start = self.row_count
        self._append(start, min(start + CHUNK_ROWS, self._wanted))
        if self.row_count < self._wanted:
            self._schedule(generation)
        elif not self._jump:
            self._keep = None  # not in the window: the cursor stays where it is

    @property
    def _wanted(self) -> int:
        return min(len(self._rows), self._limit)

    @property
    def _streaming(self) -> bool:
        return self.row_count < self._wanted

    def more(self, count: int | None = None) -> None:
        """Hold ``count`` (WINDOW_ROWS) more rows of the list (they follow in chunks)."""
        if self._limit >= len(self._rows):
            return
        self._limit += WINDOW_ROWS if count is None else count
        if self.row_count < self._wanted:
            self._schedule(self._generation)

    def _reach(self, key: str) -> None:
        """Hold rows up to ``key``'s (when it is listed beyond the rows held)."""
        if key in self.rows:
            return
        index = next((i for i, row in enumerate(self._rows) if row.key == key), None)
        if index is not None and index >= self._limit:
            self.more(index + MORE_AHEAD - self._limit)

    def _near_end(self) -> None:
        if self._limit < len(self._rows) and not self._streaming:
            bottom = max(self.cursor_row, int(self.scroll_y) + self.size.height)
            if bottom >= self.row_count - MORE_AHEAD:
                self.more()

    def watch_cursor_coordinate(self, old: object, new: object) -> None:
        super().watch_cursor_coordinate(old, new)  # type: ignore[arg-type]
        self._near_end()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._near_end()

    def action_scroll_bottom(self) -> None:
        """End: the last row of the whole list, once it is in the table."""
        if self._rows and self.row_count < len(self._rows):
            self.go_to(self._rows[-1].key)
            return
        super().action_scroll_bottom()

    def _append(self, start: int, end: int) -> None:
        widths = self._widths
        problem_style = self.problem_style
        for row in self._rows[start:end]:
            block = row.block
            self.add_row(
                LazyCell(block.type, widths["type"]),
                LazyCell(block.name, widths["name"], problem_style if block.problem else None),
                LazyCell(row.summary, widths["summary"]),
                LazyCell(row.updated, widths["updated"]),
                key=row.key,
            )
        keep = self._keep
        if keep is not None and keep in self.rows:
            self._keep = None
            # moved by the user while rows were still arriving: leave the cursor alone
            if start == 0 or self.cursor_row == 0 or self._jump:
                self._jump = False
                self.move_cursor(row=self.get_row_index(keep), animate=False)

    def mark_problem(self, key: str) -> None:
        """Draw a row's name in the problem colour (its block was found broken)."""
        name = str(self.get_cell(key, "name"))
        self.update_cell(key, "name", LazyCell(name, self._widths["name"], self.problem_style))

    def extend(self, rows: Sequence[BlockRow]) -> None:
        """Rows that start with the shown ones: the new ones follow in chunks, the rows and
        the cursor on screen stay (the columns keep their widths until the next show())."""
        self._rows = rows
        if not self.columns:
            self.show(rows, keep=self._keep)
        elif self.row_count < self._wanted:
            self._schedule(self._generation)
        if self._keep is not None:
            self._reach(self._keep)

    @property
    def complete(self) -> bool:
        """Every row of the last show() is in the table (with more than WINDOW_ROWS, only
        once they were reached)."""
        return self.row_count == len(self._rows)

    def go_to(self, key: str) -> None:
        """Put the cursor on a row, now or as soon as it has arrived."""
        if key in self.rows:
            self.move_cursor(row=self.get_row_index(key), animate=False)
        else:
            self._keep, self._jump = key, True
            self._reach(key)

    def on_resize(self) -> None:
        if self._rows and self._fit(self._rows) != self._widths:
            self.show(self._rows, keep=self.current_key)


class BlockDetail(VerticalScroll):
    """The block page: every field of the highlighted block (secrets read ``********``), its
    reference, what is wrong with it, the deployments that use it and how a flow loads it.

    Enter on the table makes it the page (it takes the room and the keys: arrows scroll it);
    Enter or Escape gives both back to the table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,escape", "app.block_page", "Back to the table"),
    ]

    def compose(self) -> ComposeResult:
        # the reference and what is wrong first: on a short screen they are what stays in view
        yield Static(id="block-reference")
        yield Static(id="block-problem", classes="problem")
        with Horizontal(id="block-top"):
            yield Static(id="block-fields")
            with Vertical(id="block-side"):
                yield Static(id="block-usage")
                yield Static(id="block-example")

    def show(
        self,
        block: Block | None,
        empty: str = "No block selected.",
        usage: Sequence[Usage] | None = None,
    ) -> None:
        """Show ``block`` (or the ``empty`` text); ``usage``: the deployments that reference
        it (None: not known, prefect.yaml could not be read)."""
        fields = self.query_one("#block-fields", Static)
        problem = self.query_one("#block-problem", Static)
        reference = self.query_one("#block-reference", Static)
        used = self.query_one("#block-usage", Static)
        example = self.query_one("#block-example", Static)
        if block is None:
            self.border_title = "Block"
            fields.update(Text(empty))
            for widget in (reference, problem, used, example):
                widget.update("")
                widget.display = False
            return
        spec = BLOCK_TYPES.get(block.type)
        self.border_title = styled(f"{block.slug} · {spec.title if spec else block.type}")
        rows = [(name, value) for name, value, _secret in block_fields(block)]
        rows += [("created", format_time(block.created)), ("updated", format_time(block.updated))]
        width = max(len(name) for name, _ in rows)
        lines = Text(no_wrap=True, overflow="ellipsis")
        for name, value in rows:
            lines.append(f"{printable(name):<{width}}  ", style="bold")
            lines.append(printable(value) + "\n")
        lines.rstrip()
        fields.update(lines)
        reference.update(
            Text.assemble(
                ("Reference ", "dim"), printable(block.reference), ("  c copies it", "dim")
            )
        )
        reference.display = True
        if block.problem:
            problem.update(Text(f"⚠ {printable(block.problem)}"))
        elif block.status == "unknown":
            problem.update(
                Text(f"? not known whether its secret is there: {printable(block.unknown)}")
            )
        else:
            problem.update("")
        problem.display = block.status != "ok"
        used.update(usage_text(usage))
        used.display = True
        code = Text(code_example(block.type, printable(block.name)))
        # a few marks by hand: a syntax highlighter (pygments) costs ~0.1 s to load, on the
        # first paint
        code.highlight_regex(r"\b(from|import)\b", "bold")
        code.highlight_regex(r'"(?:[^"\\]|\\.)*"', "green")
        example.update(Text.assemble(("Load it in a flow\n", "dim"), code))
        example.display = True


def usage_text(usage: Sequence[Usage] | None) -> Text:
    """'Used by 2 deployments' and one line each (name, where it was found)."""
    if usage is None:
        return Text("Used by: not known (prefect.yaml could not be read)", style="dim")
    if not usage:
        return Text("Used by no deployment", style="dim")
    count = len(usage)
    text = Text(f"Used by {count} deployment{'s' if count != 1 else ''}", style="dim")
    for item in usage:
        text.append("\n• ")
        text.append(printable(item.deployment), style="bold")
        text.append(f" ({item.where})")
    return text


class FilterInput(Input):
    """The filter box: Enter, Down or Escape hand the keys back to the table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "done", "Back to table", show=False),
        Binding("down", "done", "Back to table", show=False),
    ]

    def action_done(self) -> None:
        self.screen.query_one(BlockTable).focus()


class BlocksView(Horizontal):
    """Sidebar of types, filter box and table, detail pane."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter"),
        Binding("n", "app.create_block", "New block"),
        Binding("d", "app.delete_block", "Delete"),
        Binding("c", "app.copy_reference", "Copy ref"),
    ]

    class CheckWanted(Message):
        """The detail pane shows a block whose secrets were not looked for (the listing
        reads none): the app checks it in a worker and calls ``show_checked``."""

        def __init__(self, block: Block) -> None:
            super().__init__()
            self.block = block

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.catalog: BlockCatalog | None = None
        # blocks whose secrets were checked since the catalog was read, by "type/name"
        self.checked: dict[str, Block] = {}
        # indices into the catalog's rows of the rows shown (None: rebuild on the next filter)
        self._shown: Sequence[int] | None = None
        self._filter_queued = False
        self._check_timer: Timer | None = None
        # the deployments that reference a block (set by the app, which holds them)
        self.usage_of: Callable[[Block], Sequence[Usage] | None] = lambda _block: ()

    def compose(self) -> ComposeResult:
        yield TypeSidebar(id="types")
        with Vertical(id="blocks-main"):
            yield FilterInput(placeholder="/ filter by type, name or field", id="filter")
            yield BlockTable(id="blocks-table")
            yield BlockDetail(id="block-detail")

    def on_mount(self) -> None:
        table = self.query_one(BlockTable)
        table.problem_style = self.app.get_css_variables().get("text-error", "red")
        self.query_one(BlockDetail).show(None, "Loading blocks…")

    # -- data in

    def show_catalog(self, catalog: BlockCatalog, *, extending: bool = False) -> None:
        """Show a catalog; ``extending``: the rest of the load whose first page is shown, so
        the rows on screen stay and the new ones are added after them."""
        self.catalog = catalog
        if not extending:
            self._shown = None  # new data: rebuild even when the same keys match
            self.checked = {}
        self.query_one(TypeSidebar).show_counts(catalog)
        self.apply_filter(extending=extending)

    def show_unreachable(self, message: str) -> None:
        self.catalog = None
        self._shown = None
        self.query_one(BlockTable).show([])
        self.query_one(TypeSidebar).show_unreachable()
        self.query_one(BlockDetail).show(None, f"The block store could not be read:\n{message}")

    @property
    def selected(self) -> Block | None:
        key = self.query_one(BlockTable).current_key
        row = self.catalog.by_key.get(key) if key and self.catalog else None
        if row is None:
            return None
        return self.checked.get(row.key, row.block)

    def show_checked(self, block: Block) -> None:
        """A block's secrets were looked for: its detail (when still shown) and its row say
        what was found."""
        self.checked[block.slug] = block
        table = self.query_one(BlockTable)
        if block.problem and block.slug in table.rows:
            table.mark_problem(block.slug)
        selected = self.selected
        if selected is not None and selected.slug == block.slug:
            self.query_one(BlockDetail).show(selected, usage=self.usage_of(selected))

    def select(self, slug: str) -> None:
        self.query_one(BlockTable).go_to(slug)

    def refresh_usage(self) -> None:
        """The deployments changed (prefect.yaml or the server's were read): the block page
        says again where its block is used."""
        block = self.selected
        if block is not None:
            self.query_one(BlockDetail).show(block, usage=self.usage_of(block))

    # -- the block page

    def toggle_page(self) -> None:
        """Enter: the block page takes the room of the table (a few rows stay above it) and
        the keys, or gives them back."""
        self.toggle_class("-page")
        if self.has_class("-page"):
            self.query_one(BlockDetail).focus()
        else:
            self.query_one(BlockTable).focus()

    # -- filtering

    def action_filter(self) -> None:
        self.query_one(FilterInput).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        # no timer: filtering 50,000 blocks takes milliseconds, so every key shows its result;
        # keys already queued are read first (the filter reads the box's value when it runs)
        if not self._filter_queued:
            self._filter_queued = True
            self.call_later(self.apply_filter)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.apply_filter()
        self.query_one(BlockTable).focus()

    @on(ListView.Highlighted, "#types")
    def _type_changed(self) -> None:
        self.apply_filter()

    def apply_filter(self, *, extending: bool = False) -> None:
        """Show the rows that match the type and the filter text, rebuilding only on change;
        ``extending`` (more of the same load arrived): rows that only add to the shown ones
        are appended, the table is not rebuilt."""
        self._filter_queued = False
        catalog = self.catalog
        if catalog is None:
            return
        query = self.query_one(FilterInput).value
        found = catalog.matching_indices(query, self.query_one(TypeSidebar).chosen_type)
        shown = self._shown
        # indices into the catalog's rows (the rest of a load starts with its first page's)
        if shown is not None and _same(found, shown):
            return
        self._shown = found
        rows: Sequence[BlockRow]
        if isinstance(found, range) and len(found) == len(catalog.rows):
            rows = catalog.rows  # everything: no copy
        else:
            every = catalog.rows
            rows = [every[i] for i in found]
        table = self.query_one(BlockTable)
        if extending and shown is not None and _same(found[: len(shown)], shown):
            table.extend(rows)
            if not shown:
                self._show_detail()
            return
        table.show(rows, keep=table.current_key, types=catalog.spans)
        self._show_detail()

    @on(DataTable.RowHighlighted, "#blocks-table")
    def _show_detail(self) -> None:
        detail = self.query_one(BlockDetail)
        if self.catalog is not None and not self._shown:
            detail.show(None, "No block matches." if self.catalog.rows else _NO_BLOCKS)
        else:
            block = self.selected
            detail.show(block, usage=self.usage_of(block) if block is not None else ())
            if self._check_timer is not None:
                self._check_timer.stop()
                self._check_timer = None
            if block is not None and block.secrets == "unchecked":
                # once the cursor rests: scrolling past rows reads no keyring, and the first
                # paint is not slowed by a keyring read (a file keyring parses its file)
                self._check_timer = self.set_timer(
                    CHECK_DELAY, lambda: self._want_check(block.slug)
                )

    def _want_check(self, slug: str) -> None:
        self._check_timer = None
        block = self.selected
        if block is not None and block.slug == slug and block.secrets == "unchecked":
            self.post_message(self.CheckWanted(block))


def _same(a: Sequence[int], b: Sequence[int]) -> bool:
    """Two index lists (a list or a range) hold the same indices."""
    if len(a) != len(b):
        return False
    if type(a) is type(b):
        return a == b
    return list(a) == list(b)


_NO_BLOCKS = "No blocks yet.\nPress n to create a block, or run flowwiz deploy."
