"""``flowwiz ui``: a full-screen view of the block store and of ./prefect.yaml.

The app owns the store. Reads run in worker threads (a Prefect server or a locked keyring can
be slow), results come back to the UI thread, and every failure becomes a notification.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import ClassVar

from flowwiz.detectors.errors import FlowwizError
from flowwiz.wizard.dashboard.commands import FlowwizCommands
from flowwiz.wizard.dashboard.data import (
    BlockCatalog,
    ProjectDeployments,
    Usage,
    load_block_pages,
    load_deployments,
    store_label,
    where_used,
)
from flowwiz.wizard.dashboard.deployments import DeploymentsView, DeploymentTable
from flowwiz.wizard.dashboard.screens import ConfirmDeleteScreen, HelpScreen
from flowwiz.wizard.dashboard.widgets import BlocksView, BlockTable
from flowwiz.wizard.terminal import printable
from flowwiz.writers.blocks.model import Block, BlockStore, BlockType
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, TabbedContent, TabPane
from textual.worker import get_current_worker


def _message(exc: BaseException) -> str:
    """A failure as one line for a notification, never a library's text (it may hold data)."""
    if isinstance(exc, FlowwizError):
        return exc.message
    return f"internal error ({type(exc).__name__})"


class NarrowFooter(Footer):
    """The footer, its keys closer together below 100 columns, so none is cut off at 80."""

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < 100


class FlowwizApp(App[None]):
    """Blocks of the active store and the deployments of ``project_root/prefect.yaml``."""

    CSS_PATH = "app.tcss"
    # the table, not the tab strip (the first focusable widget) starts with the keys
    AUTO_FOCUS = "#blocks-table"
    TITLE = "flowwiz"
    NOTIFICATION_TIMEOUT = 8
    # ctrl+p: the app's own commands first, then Textual's (theme, keys, screenshot, quit)
    COMMANDS = App.COMMANDS | {FlowwizCommands}
    # classes on the screen that app.tcss narrows the layout with (80x24 stays usable)
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (32, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("r", "refresh", "Refresh"),
        # the tabs say it: the footer keeps its room for the keys that are not on screen
        Binding("1", "show_tab('blocks')", "Blocks", show=False),
        Binding("2", "show_tab('deployments')", "Deployments", show=False),
        Binding("e", "edit_block", "Edit block", show=False),
    ]

    def __init__(
        self, store: BlockStore, project_root: Path, *, server_url: str | None = None
    ) -> None:
        """``server_url``: the Prefect server configured beside the store (the store's own
        location when the store is a server), which push and switch-store use."""
        super().__init__()
        self.store = store
        self.server_url = server_url or (store.location if store.kind == "prefect" else None)
        # the server's auth and TLS settings, reused when push or switch-store open it
        self._server_settings = (
            getattr(store, "settings", None) if store.kind == "prefect" else None
        )
        self.project_root = Path(project_root)
        self.catalog: BlockCatalog | None = None
        self._select_after_load: str | None = None
        self._checking: set[str] = set()  # blocks whose secrets a worker is looking for
        self.sub_title = store_label(store)

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        with TabbedContent(initial="blocks"):
            with TabPane("Blocks", id="blocks"):
                yield BlocksView(id="blocks-view")
            with TabPane("Deployments", id="deployments"):
                yield DeploymentsView(id="deployments-view")
        yield NarrowFooter()

    def on_mount(self) -> None:
        self.query_one(BlocksView).usage_of = self._usage
        if self.store.kind == "prefect":
            self.query_one(DeploymentsView).expect_server(self.store.location)
        self.action_refresh()

    # -- loading

    def action_refresh(self) -> None:
        self.load_project()
        self.load_blocks()
        if self.store.kind == "prefect":
            self.load_server_deployments()

    @work(thread=True, exclusive=True, group="blocks", exit_on_error=False)
    def load_blocks(self) -> None:
        """The first page of blocks, painted before the rest is read; then every block.

        After handing over the first page the worker waits (at most a second) for it to be
        drawn: building the rest holds the GIL and would otherwise slow the first paint."""
        worker = get_current_worker()
        try:
            for number, catalog in enumerate(load_block_pages(self.store)):
                if worker.is_cancelled:
                    return
                drawn = threading.Event() if catalog.partial else None
                self.call_from_thread(self._blocks_loaded, catalog, drawn, bool(number))
                if drawn is not None:
                    drawn.wait(1.0)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a notification
            if not worker.is_cancelled:
                self.call_from_thread(self._blocks_failed, _message(exc))
            return

    def _blocks_loaded(
        self, catalog: BlockCatalog, drawn: threading.Event | None = None, extending: bool = False
    ) -> None:
        """Show a catalog; ``extending``: it is the rest of the one shown (its rows start with
        the shown ones), so the table is added to, not rebuilt."""
        self.catalog = catalog
        view = self.query_one(BlocksView)
        view.show_catalog(catalog, extending=extending)
        if self._select_after_load:
            view.select(self._select_after_load)
            self._select_after_load = None
        if drawn is not None:
            self.call_after_refresh(drawn.set)
        if not catalog.partial:  # references are checked against every block, not a page
            self.query_one(DeploymentsView).check_against(catalog.slugs)
            self.check_references(catalog)

    @work(thread=True, group="references", exit_on_error=False)
    def check_references(self, catalog: BlockCatalog) -> None:
        """The blocks prefect.yaml's deployments name (only those): one whose secret is gone
        from the keyring counts as missing; one that cannot be checked stays as it is. Not
        exclusive: it runs once the blocks and once prefect.yaml are read (whichever comes
        last has both), and a result for an older catalog is dropped."""
        from flowwiz.writers.blocks.model import SecretChecking

        if not isinstance(self.store, SecretChecking):
            return
        named = {
            ref.slug for d in self.query_one(DeploymentsView).rows for ref in d.references
        }
        blocks = [catalog.by_key[slug].block for slug in named if slug in catalog.by_key]
        if not blocks:
            return
        try:
            checked = self.store.check_secrets(blocks)
        except Exception:  # noqa: BLE001 - the catalog went away: the next refresh says so
            return
        broken = {(b.type, b.name) for b in checked if b.secrets == "missing"}
        if broken and not get_current_worker().is_cancelled:
            self.call_from_thread(self._references_checked, catalog, broken)

    def _references_checked(self, catalog: BlockCatalog, broken: set[tuple[str, str]]) -> None:
        if self.catalog is catalog:
            self.query_one(DeploymentsView).check_against(catalog.slugs - broken)

    @on(BlocksView.CheckWanted)
    def _check_wanted(self, event: BlocksView.CheckWanted) -> None:
        from flowwiz.writers.blocks.model import SecretChecking

        if isinstance(self.store, SecretChecking) and event.block.slug not in self._checking:
            self._checking.add(event.block.slug)
            self.check_block(event.block)

    @work(thread=True, group="check", exit_on_error=False)
    def check_block(self, block: Block) -> None:
        """Look for one block's secrets (for the detail pane); a keyring that fails or hangs
        makes it "unknown", which the pane says, never "broken"."""
        try:
            (checked,) = self.store.check_secrets([block])  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the catalog went away: the next refresh says so
            checked = None
        self.call_from_thread(self._block_checked, block.slug, checked)

    def _block_checked(self, slug: str, block: Block | None) -> None:
        self._checking.discard(slug)
        if block is not None:
            self.query_one(BlocksView).show_checked(block)

    def _blocks_failed(self, message: str) -> None:
        self.catalog = None
        self.query_one(BlocksView).show_unreachable(message)
        self.query_one(DeploymentsView).check_against(None)
        self.notify(printable(message), title="Block store", severity="error", markup=False)

    @work(thread=True, exclusive=True, group="server-deployments", exit_on_error=False)
    def load_server_deployments(self) -> None:
        """The server's deployments, beside prefect.yaml's; a failure is a warning (the file's
        deployments and the blocks stay)."""
        from flowwiz.wizard.dashboard.server import load_server_deployments

        worker = get_current_worker()
        try:
            rows = load_server_deployments(
                self.store.location, settings=getattr(self.store, "settings", None)
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a notification
            if not worker.is_cancelled:
                self.call_from_thread(self._server_deployments_failed, _message(exc))
            return
        if not worker.is_cancelled:
            self.call_from_thread(self.query_one(DeploymentsView).show_server, rows)
            self.call_from_thread(self.query_one(BlocksView).refresh_usage)
        from flowwiz.wizard.dashboard.server import server_context

        pools, local = server_context(
            self.store.location, settings=getattr(self.store, "settings", None)
        )
        if not worker.is_cancelled:
            self.call_from_thread(self.query_one(DeploymentsView).show_context, pools, local)

    def _server_deployments_failed(self, message: str) -> None:
        self.query_one(DeploymentsView).server_failed(message)
        self.notify(
            printable(message), title="Server deployments", severity="warning", markup=False
        )

    @work(thread=True, exclusive=True, group="project", exit_on_error=False)
    def load_project(self) -> None:
        """prefect.yaml, and each entrypoint's file parsed to check its flow is there (0.1 s
        for 170 deployments): in a worker thread, off the first paint."""
        try:
            project = load_deployments(self.project_root)
        except Exception as exc:  # noqa: BLE001
            self.call_from_thread(self._project_failed, _message(exc))
            return
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._project_loaded, project)

    def _project_loaded(self, project: ProjectDeployments) -> None:
        self.query_one(DeploymentsView).show_project(project)
        self.query_one(BlocksView).refresh_usage()
        if self.catalog is not None and not self.catalog.partial:
            self.check_references(self.catalog)  # the blocks were read first: check these

    def _project_failed(self, message: str) -> None:
        self.query_one(DeploymentsView).show_problem(message)
        self.notify(printable(message), title="prefect.yaml", severity="error", markup=False)
        self.query_one(BlocksView).refresh_usage()

    def _usage(self, block: Block) -> tuple[Usage, ...] | None:
        """The deployments (prefect.yaml's, and the server's once read) that reference a
        block; None when prefect.yaml could not be read."""
        view = self.query_one(DeploymentsView)
        if view.problem is not None:
            return None
        return where_used(block.type, block.name, view.rows)

    # -- navigation

    async def action_show_tab(self, tab: str) -> None:
        if tab == "deployments":
            await self.query_one(DeploymentsView).build()
        self.query_one(TabbedContent).active = tab
        target = BlockTable if tab == "blocks" else DeploymentTable
        self.query_one(target).focus()

    @on(TabbedContent.TabActivated)
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "deployments":  # also a click on the tab, not only the 2 key
            await self.query_one(DeploymentsView).build()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # -- block actions (bound in BlocksView, so they show in the footer on the blocks tab)

    def _selected_block(self) -> Block | None:
        block = self.query_one(BlocksView).selected
        if block is None:
            self.notify("No block selected.", severity="warning")
        return block

    def action_create_block(self, block_type: str | None = None, name: str | None = None) -> None:
        """The block-type catalog, then the chosen type's form (``block_type`` given: its
        form at once, ``name`` prefilled). A server's types are read in a worker."""
        if block_type is not None:
            self._open_form(block_type, name)
            return
        if self.store.kind == "local":  # the shipped types: no I/O
            self._show_catalog(self.store.block_types())
        else:
            self.load_block_types()

    @work(thread=True, exclusive=True, group="block-types", exit_on_error=False)
    def load_block_types(self) -> None:
        try:
            types, where = self.store.block_types(), store_label(self.store)
        except Exception as exc:  # noqa: BLE001 - the shipped types, and the reason, instead
            from flowwiz.writers.blocks.model import SHIPPED_TYPES

            types, where = dict(SHIPPED_TYPES), f"the server's types not read: {_message(exc)}"
        self.call_from_thread(self._show_catalog, types, where)

    def _show_catalog(self, types: dict[str, BlockType], where: str | None = None) -> None:
        from flowwiz.wizard.dashboard.catalog import BlockCatalogScreen

        def chosen(slug: str | None) -> None:
            if slug is not None:
                self._open_form(slug, None, types.get(slug))

        where = store_label(self.store) if where is None else where
        self.push_screen(BlockCatalogScreen(types, where=where), chosen)

    def _open_form(
        self, slug: str, name: str | None, spec: BlockType | None = None, block: Block | None = None
    ) -> None:
        from flowwiz.wizard.dashboard.block_form import BlockFormScreen

        try:
            form = BlockFormScreen(self.store, slug, name=name, block=block, spec=spec)
        except Exception as exc:  # noqa: BLE001 - an unknown type, a server that went away
            self.notify(printable(_message(exc)), title="Block", severity="error", markup=False)
            return
        self.push_screen(form, callback=self._edited if block is not None else self._created)

    def action_edit_block(self) -> None:
        """The selected block's form, prefilled; secrets are never read."""
        block = self._selected_block()
        if block is not None:
            self._open_form(block.type, None, block=block)

    def _edited(self, block: Block | None) -> None:
        if block is None:
            return
        self.notify(printable(f"Saved the changes to {block.slug}"), markup=False)
        self._select_after_load = block.slug
        self.load_blocks()

    @on(DeploymentsView.NewBlockWanted)
    def _new_block_wanted(self, event: DeploymentsView.NewBlockWanted) -> None:
        """``n`` on a deployment's missing block: that type's form, the name filled in."""
        self.action_create_block(event.block_type, event.name)

    def _created(self, block: Block | None) -> None:
        if block is None:
            return
        self.notify(printable(f"Saved {block.slug} (c copies its reference)"), markup=False)
        self._select_after_load = block.slug
        self.load_blocks()

    def action_delete_block(self) -> None:
        block = self._selected_block()
        if block is None:
            return
        used_by = self._usage(block) or ()

        def answer(confirmed: bool | None) -> None:
            if confirmed:
                self.delete_block(block)

        self.push_screen(ConfirmDeleteScreen(block.slug, used_by), callback=answer)

    @work(thread=True, group="write", exit_on_error=False)
    def delete_block(self, block: Block) -> None:
        try:
            self.store.delete(block.type, block.name)
        except Exception as exc:  # noqa: BLE001
            self.call_from_thread(
                self.notify, _message(exc), title="Delete", severity="error", markup=False
            )
            return
        self.call_from_thread(self.notify, f"Deleted {block.slug}", markup=False)
        self.call_from_thread(self.load_blocks)

    def action_copy_reference(self) -> None:
        block = self._selected_block()
        if block is None:
            return
        self.copy_to_clipboard(block.reference)
        self.notify(printable(f"Copied {block.reference}"), markup=False)

    # -- commands of the palette (ctrl+p) that have no key of their own

    def action_filter_blocks(self) -> None:
        self.query_one(TabbedContent).active = "blocks"
        self.query_one(BlocksView).action_filter()

    def action_block_page(self) -> None:
        self.query_one(TabbedContent).active = "blocks"
        self.query_one(BlocksView).toggle_page()

    def action_push_block(self) -> None:
        """Copy the highlighted block from the local store to the configured server (what
        ``flowwiz blocks push TYPE/NAME`` does; a block that exists there is not replaced)."""
        if self.server_url is None or self.store.kind != "local":
            self.notify("Push needs the local store and a Prefect server.", severity="warning")
            return
        block = self._selected_block()
        if block is not None:
            self.push_block(block, self.server_url)

    @work(thread=True, group="write", exit_on_error=False)
    def push_block(self, block: Block, server_url: str) -> None:
        from flowwiz.wizard.commands.blocks import _push_one
        from flowwiz.writers.blocks import open_store

        try:
            remote = open_store(server_url, settings=self._server_settings, on_warning=self._warn)
            remote.check()
            pushed = _push_one(self.store, remote, block.slug, overwrite=False)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a notification
            self.call_from_thread(
                self.notify, printable(_message(exc)), title="Push", severity="error", markup=False
            )
            return
        if pushed.result == "created":
            text, severity = f"Pushed {block.slug} to {remote.location}", "information"
        elif pushed.result == "skipped":
            text, severity = (
                f"{block.slug} exists on {remote.location}: not replaced "
                f"(flowwiz blocks push {block.slug} --overwrite replaces it)",
                "warning",
            )
        else:
            text, severity = f"{block.slug} not pushed: {pushed.detail}", "error"
        self.call_from_thread(
            self.notify, printable(text), title="Push", severity=severity, markup=False
        )

    def _warn(self, message: str) -> None:
        """A store's one-line warning (from any thread) as a notification."""
        self.notify(printable(message), severity="warning", markup=False)

    def action_switch_store(self) -> None:
        """Local catalog <-> the configured server: the blocks of the other one are read."""
        from flowwiz.writers.blocks import open_store

        if self.server_url is None:
            self.notify("No Prefect server is configured.", severity="warning")
            return
        try:
            if self.store.kind == "local":
                store = open_store(
                    self.server_url, settings=self._server_settings, on_warning=self._warn
                )
            else:  # empty: no server, even one in the active Prefect profile
                store = open_store(
                    env={**os.environ, "PREFECT_API_URL": ""}, on_warning=self._warn
                )
        except Exception as exc:  # noqa: BLE001
            self.notify(
                printable(_message(exc)), title="Switch store", severity="error", markup=False
            )
            return
        self.store = store
        self.catalog = None
        self.sub_title = store_label(store)
        deployments = self.query_one(DeploymentsView)
        if store.kind == "prefect" and deployments.server_url is None:
            deployments.expect_server(store.location)
        self.notify(printable(f"Showing the {store_label(store)}"), markup=False)
        self.action_refresh()
