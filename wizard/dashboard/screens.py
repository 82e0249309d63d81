"""Modal screens: help and the delete confirmation (the block form: block_form.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from flowwiz.wizard.dashboard.data import Usage
from flowwiz.wizard.terminal import printable, styled
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

HELP_KEYS: tuple[tuple[str, str], ...] = (
    ("1 / 2", "show blocks / deployments"),
    ("/", "filter blocks as you type (Enter or Esc returns to the table)"),
    ("n", "new block: choose its type, then fill in its form (secrets in password fields)"),
    ("e", "edit the highlighted block (secrets can be replaced, never read back)"),
    ("d", "delete the highlighted block (asks first)"),
    ("c", "copy the block's template reference for prefect.yaml"),
    ("/ s n", "Deployments: filter, sort (or click a header), create the missing block"),
    ("Enter", "the block page full size: where it is used, how a flow loads it"),
    ("ctrl+p", "the command palette: every command by name (push, switch store, ...)"),
    ("r", "reload blocks and prefect.yaml"),
    ("?", "this help"),
    ("q", "quit"),
)

HELP_NOTES = (
    "The dashboard never shows a secret value: secrets always read ********.\n"
    "In Deployments, a block a deployment references but the active store lacks is shown in "
    "red: prefect deploy accepts it, and the run then fails on the worker with "
    "'Block not found'.\nThe mouse works too: click tabs, rows and buttons."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        for key, what in HELP_KEYS:
            keys.add_row(key, what)
        with Vertical(id="help-dialog", classes="dialog"):
            yield Label("flowwiz ui: keys", classes="dialog-title")
            yield Static(keys)
            yield Static(Text(HELP_NOTES), id="help-notes")
            yield Button("Close", id="close")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss()


class ConfirmDeleteScreen(ModalScreen[bool]):
    """Yes/no before a delete; Cancel has the focus, so Enter alone deletes nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Delete"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    def __init__(self, slug: str, used_by: Sequence[Usage] = ()) -> None:
        """``used_by``: the deployments that reference the block (data.where_used)."""
        super().__init__()
        self.slug = slug
        self.used_by = tuple(used_by)

    def compose(self) -> ComposeResult:
        with Vertical(id="delete-dialog", classes="dialog"):
            yield Label(styled(f"Delete {self.slug}?"), classes="dialog-title")
            text = "Its value is removed from the secret store; this cannot be undone."
            yield Static(Text(text))
            if self.used_by:
                count = len(self.used_by)
                text = Text(
                    f"Used by {count} deployment{'s' if count != 1 else ''}; "
                    f"{'their runs' if count != 1 else 'its runs'} will fail without it:"
                )
                for usage in self.used_by:
                    text.append(f"\n• {printable(usage.deployment)} ({usage.where})")
                yield Static(text, id="delete-used", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button("Delete", variant="error", id="delete")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#delete")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
