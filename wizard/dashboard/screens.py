"""Modal screens: help, the new-secret form and the delete confirmation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import Function
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from flowwiz.detectors.errors import FlowwizError
from flowwiz.detectors.secret import SecretStr, forbidden_character, token_not_name
from flowwiz.detectors.slug import BLOCK_NAME_RULE, is_block_name
from flowwiz.wizard.terminal import styled
from flowwiz.writers.blocks.model import Block

HELP_KEYS: tuple[tuple[str, str], ...] = (
    ("1 / 2", "show blocks / deployments"),
    ("/", "filter blocks as you type (Enter or Esc returns to the table)"),
    ("n", "new block: choose its type, then fill in its form (secrets in password fields)"),
    ("e", "edit the highlighted block (secrets can be replaced, never read back)"),
    ("d", "delete the highlighted block (asks first)"),
    ("c", "copy the block's template reference for prefect.yaml"),
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


def name_problem(name: str) -> str | None:
    if not name:
        return "enter a name"
    looks = token_not_name(name, "block name (paste the token in Value)")
    if looks:
        return looks
    return None if is_block_name(name) else f"use {BLOCK_NAME_RULE}"


def value_problem(value: str) -> str | None:
    if not value:
        return "enter the secret value"
    bad = forbidden_character(value)
    return f"the value holds {bad}" if bad else None


class CreateSecretScreen(ModalScreen[Block | None]):
    """Name and value of a new secret block; dismissed with the saved block, or None.

    ``save`` runs in a worker thread (a keyring may wait for an unlock prompt); when it fails
    the form stays open with the error, so nothing typed is lost.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, save: Callable[[str, SecretStr], Block]) -> None:
        super().__init__()
        self._save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="create-dialog", classes="dialog"):
            yield Label("New secret block", classes="dialog-title")
            yield Label("Name (referenced as secret/<name>)")
            yield Input(
                placeholder="e.g. github-token",
                id="name",
                validators=[Function(is_block_name, f"use {BLOCK_NAME_RULE}")],
            )
            yield Label("Value (hidden as you type; stored only in the secret store)")
            yield Input(placeholder="secret value", password=True, id="value")
            yield Static(id="form-error", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button("Create", variant="primary", id="create")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#form-error", Static).display = False
        self.query_one("#name", Input).focus()

    def _error(self, message: str | None) -> None:
        box = self.query_one("#form-error", Static)
        box.update(Text(message or ""))
        box.display = bool(message)

    @on(Input.Submitted, "#name")
    def _next(self) -> None:
        self.query_one("#value", Input).focus()

    @on(Input.Submitted, "#value")
    @on(Button.Pressed, "#create")
    def submit(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        value = self.query_one("#value", Input).value
        problem = name_problem(name)
        if problem:
            self._error(f"Name: {problem}")
            self.query_one("#name", Input).focus()
            return
        problem = value_problem(value)
        if problem:
            self._error(f"Value: {problem}")
            self.query_one("#value", Input).focus()
            return
        self._error(None)
        self._busy(True)
        secret = SecretStr(value)
        self.run_worker(
            lambda: self._save(name, secret), thread=True, exit_on_error=False, group="save"
        )

    def _busy(self, busy: bool) -> None:
        for widget in self.query("Input, Button"):
            widget.disabled = busy

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "save":
            return
        if event.state == WorkerState.SUCCESS:
            self.dismiss(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self._busy(False)
            error = event.worker.error
            if isinstance(error, FlowwizError):
                self._error(error.message)
            else:  # a bug: name it, never echo its text (it could hold the value)
                self._error(f"internal error ({type(error).__name__}); nothing was saved")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDeleteScreen(ModalScreen[bool]):
    """Yes/no before a delete; Cancel has the focus, so Enter alone deletes nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Delete"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    def __init__(self, slug: str, used_by: Sequence[str] = ()) -> None:
        super().__init__()
        self.slug = slug
        self.used_by = tuple(used_by)

    def compose(self) -> ComposeResult:
        with Vertical(id="delete-dialog", classes="dialog"):
            yield Label(styled(f"Delete {self.slug}?"), classes="dialog-title")
            text = "Its value is removed from the secret store; this cannot be undone."
            yield Static(Text(text))
            if self.used_by:
                names = ", ".join(self.used_by)
                yield Static(
                    Text(f"Deployments that reference it: {names}. Their runs will fail."),
                    classes="problem",
                )
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
