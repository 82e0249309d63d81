"""The block form: generated from a block type's schema, for a new block or an edit.

``BlockFormScreen(store, block_type_slug, *, name=None, block=None)``: ``block`` given is an
edit (non-secret fields prefilled; a secret field reads "stored — type to replace" and its
value is never read back; only what changed is saved, with ``store.update``). Dismissed with
the saved Block, or None.

Widgets by field kind: Input for text, numbers (typed and checked) and JSON (checked as you
type), a password Input for secrets, a Switch for booleans, a Select for enums and for a
reference to another block. Required fields are marked ``*``; defaults are prefilled;
descriptions are shown under each field.

Typing fast (a paste, pexpect, Pilot at full speed): Enter and Tab are the screen's own
priority bindings, so focus moves while the key is handled and the keys after it reach the
next field, never the one before (Textual otherwise moves focus after the keys already queued
for the old field). The name field also refuses text that looks like a token: it is cleared,
so a secret typed into the wrong box is never shown or saved as a name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from flowwiz.detectors.errors import FlowwizError
from flowwiz.detectors.secret import SecretStr, forbidden_character, token_not_name
from flowwiz.detectors.slug import BLOCK_NAME_RULE, is_block_name
from flowwiz.wizard.terminal import printable
from flowwiz.writers.blocks.model import (
    SHIPPED_TYPES,
    Block,
    BlockStore,
    BlockType,
    FieldSpec,
    block_type,
)
from flowwiz.writers.blocks.schemas import ValueProblem, parse_text, show_value
from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, Switch
from textual.worker import Worker, WorkerState

STORED = "stored — type to replace"
NO_RENAME = "Prefect cannot rename a block: create one with the new name and delete this one."


def name_problem(name: str) -> str | None:
    """Why a block name is refused (Prefect's rule, detectors.slug.is_block_name), or None."""
    if not name:
        return "enter a name"
    looks = token_not_name(name, "block name (paste the token in its secret field)")
    if looks:
        return looks
    return None if is_block_name(name) else f"use {BLOCK_NAME_RULE}"


def field_problem(spec: FieldSpec, text: str) -> str | None:
    """Why a field's text is refused (its kind, its schema), or None; never repeats it."""
    if not text.strip():
        return None
    if spec.secret or spec.name == "token":
        bad = forbidden_character(text.strip())
        if bad and spec.kind == "text":
            return f"holds {bad}"
    if spec.kind in ("text", "block"):
        return None
    try:
        parse_text(spec, text)
    except ValueProblem as exc:
        return str(exc)
    return None


def _label(spec: FieldSpec) -> Text:
    text = Text(printable(spec.label), style="bold")
    if spec.label.lower().replace(" ", "_") != spec.name.lower():
        text.append(f"  {printable(spec.name)}", style="dim")
    if spec.required:
        text.append(" *", style="bold red")
    if spec.secret:
        text.append("  secret", style="italic")
    return text


class BlockFormScreen(ModalScreen[Block | None]):
    """A form for one block of ``block_type_slug`` (see the module docstring).

    ``spec`` may give the type (a server's, already read); by default it is the store's:
    the shipped one when flowwiz ships it, else ``store.block_types()``. ``name`` prefills
    the name of a new block. The save runs in a worker thread (a keyring may wait for an
    unlock, a server may be slow); a failure keeps the form open with one line, so nothing
    typed is lost.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "enter", "Next", priority=True, show=False),
        Binding("tab", "move(1)", "Next field", priority=True, show=False),
        Binding("shift+tab", "move(-1)", "Previous field", priority=True, show=False),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    DEFAULT_CSS = """
    #form-fields { height: 1fr; }
    .field-label { margin-top: 1; }
    .field-help { color: $text-muted; }
    .field-problem { color: $text-error; text-style: bold; }
    #block-form Input { margin-bottom: 0; }
    #form-note { color: $text-muted; }
    """

    def __init__(
        self,
        store: BlockStore,
        block_type_slug: str,
        *,
        name: str | None = None,
        block: Block | None = None,
        spec: BlockType | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        if spec is None:
            if store.kind == "local" or block_type_slug in SHIPPED_TYPES:
                spec = block_type(block_type_slug)
            else:
                spec = block_type(block_type_slug, store.block_types())
        self.spec = spec
        self.block = block
        self.initial_name = block.name if block is not None else (name or "")
        self._initial: dict[str, Any] = {}

    @property
    def editing(self) -> bool:
        return self.block is not None

    # -- layout

    def compose(self) -> ComposeResult:
        spec = self.spec
        verb = f"Edit {spec.slug}/{self.initial_name}" if self.editing else f"New {spec.title}"
        with Vertical(id="block-form", classes="dialog"):
            yield Label(Text(printable(verb)), classes="dialog-title")
            with VerticalScroll(id="form-fields", can_focus=False):
                yield Label(Text.assemble(("Name", "bold"), (" *", "bold red"),
                                          (f"  referenced as {spec.slug}/<name>", "dim")),
                            classes="field-label")  # fmt: skip
                yield Input(
                    value=self.initial_name,
                    placeholder="e.g. prod-credentials",
                    id="name",
                    disabled=self.editing,
                    compact=True,
                )
                yield Static(id="problem-name", classes="field-problem")
                if self.editing:
                    yield Static(Text(NO_RENAME), classes="field-help")
                for f in spec.fields:
                    yield Label(_label(f), classes="field-label")
                    yield self._widget(f)
                    if f.description:
                        yield Static(Text(printable(f.description)), classes="field-help")
                    yield Static(id=f"problem-{f.name}", classes="field-problem")
            yield Static(id="form-error", classes="problem")
            note = "Enter: next field · ctrl+s: save · Esc: cancel"
            yield Static(Text(note), id="form-note")
            with Horizontal(classes="buttons"):
                label = "Save" if self.editing else "Create"
                yield Button(label, variant="primary", id="create", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def _current(self, f: FieldSpec) -> Any:
        """The value the field starts with: the stored one (edit; token-looking text in it
        masked, ``mask_field``: a form never shows one) or the schema's default."""
        if self.block is not None:
            from flowwiz.writers.blocks.model import mask_field

            return mask_field(f.name, self.block.data.get(f.name))
        return f.default if f.has_default else None

    def _widget(self, f: FieldSpec) -> Widget:
        wid = f"field-{f.name}"
        value = None if f.secret else self._current(f)
        if f.kind == "boolean" and not f.secret:
            self._initial[f.name] = bool(value)
            return Switch(value=bool(value), id=wid)
        if f.kind == "enum" and not f.secret:
            options = [(show_value(c), index) for index, c in enumerate(f.choices)]
            chosen = next((i for i, c in enumerate(f.choices) if c == value), None)
            self._initial[f.name] = chosen
            if chosen is None:
                return Select(options, allow_blank=True, id=wid, compact=True)
            return Select(options, value=chosen, allow_blank=not f.required, id=wid, compact=True)
        if f.kind == "block":
            current = value if isinstance(value, str) else None
            self._initial[f.name] = current
            options = [(current, current)] if current else []
            prompt = "choose a block: " + " or ".join(f.block_types)
            select: Select[str] = Select(
                options, prompt=prompt, allow_blank=True, id=wid, compact=True
            )
            if current:
                select.value = current
            return select
        if f.secret:
            stored = self.block is not None and f.name in self.block.secret_fields
            self._initial[f.name] = ""
            return Input(
                placeholder=STORED if stored else "hidden as you type",
                password=True,
                id=wid,
                compact=True,
            )
        text = show_value(value) if value is not None else ""
        self._initial[f.name] = text
        kind = {"integer": "integer", "number": "number"}.get(f.kind, "text")
        placeholder = {"json": 'JSON, e.g. {"key": "value"}', "array": "JSON array"}.get(f.kind, "")
        examples = f.schema.get("examples") if isinstance(f.schema, Mapping) else None
        if not placeholder and isinstance(examples, list) and examples:
            placeholder = f"e.g. {show_value(examples[0])}"
        return Input(  # type: ignore[arg-type]
            value=text, placeholder=placeholder, type=kind, id=wid, compact=True
        )

    def on_mount(self) -> None:
        dialog = self.query_one("#block-form")
        dialog.styles.height = "90%"  # the app's .dialog is as tall as its content
        for box in self.query("#form-fields Input"):
            box.styles.margin = 0  # the app's dialogs space inputs out; a form is dense
        self.query_one(".field-label").styles.margin = 0
        for widget in self.query(".field-problem"):
            widget.display = False
        self.query_one("#form-error", Static).display = False
        if self.editing or self.initial_name:  # the name is known: its fields come first
            first = next(
                (w for w in self.query("#form-fields Input, #form-fields Switch, "
                                       "#form-fields Select")
                 if not w.disabled and w.id != "name"),
                None,
            )  # fmt: skip
            if first is not None:
                first.focus()
        else:
            self.query_one("#name", Input).focus()
        if any(f.kind == "block" for f in self.spec.fields):
            self.run_worker(self._load_references, thread=True, group="refs", exit_on_error=False)

    def _load_references(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for f in self.spec.fields:
            if f.kind == "block":
                found[f.name] = [b.slug for t in f.block_types for b in self.store.list(t)]
        return found

    # -- as you type

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        wid = event.input.id or ""
        if wid == "name":
            value = event.value
            looks = token_not_name(value.strip(), "block name")
            if looks:
                # refused: never shown, never saved as a name
                event.input.value = ""
                self._problem("name", "that looked like a token and was cleared: type it "
                                      "into its secret field")  # fmt: skip
                return
            if value:  # emptied (by the refusal above, or by hand): the last word stays
                self._problem("name", name_problem(value.strip()))
            return
        if wid.startswith("field-"):
            f = self.spec.field(wid.removeprefix("field-"))
            if f is not None:
                self._problem(f.name, field_problem(f, event.value))

    def _problem(self, key: str, message: str | None) -> None:
        found = self.query(f"#problem-{key}")
        if not found:
            return
        box = found.first(Static)
        box.update(Text(message or ""))
        box.display = bool(message)

    # -- keys

    def _focusables(self) -> list[Widget]:
        return [w for w in self.focus_chain if w.focusable]

    def action_move(self, step: int) -> None:
        focused = self.focused
        if focused is not None and not self._in_form(focused):
            raise SkipAction()  # an open select's list keeps its keys
        self.focus_next() if step > 0 else self.focus_previous()

    def action_enter(self) -> None:
        focused = self.focused
        if isinstance(focused, Input):
            inputs = [w for w in self._focusables() if isinstance(w, Input)]
            if not inputs or focused is inputs[-1]:
                self.action_save()
            else:
                self.focus_next()
            return
        raise SkipAction()  # buttons press, switches toggle, selects open

    def action_save(self) -> None:
        """Submit once the focused field has taken the keys typed before this one: they may
        still wait in its queue (a binding runs as the key arrives)."""
        focused = self.focused
        if isinstance(focused, Input):
            focused.call_later(self.action_submit)
        else:
            self.action_submit()

    def _in_form(self, widget: Widget) -> bool:
        return widget.screen is self and isinstance(widget, (Input, Button, Switch, Select))

    # -- saving

    def _error(self, message: str | None) -> None:
        box = self.query_one("#form-error", Static)
        box.update(Text(printable(message or "")))
        box.display = bool(message)

    def collect(self) -> tuple[str, dict[str, Any]] | None:
        """(name, fields to save) from the widgets, or None after showing the first problem
        (its field gets the focus). A new block gets every field set; an edit only those
        that changed (a cleared field as None, a typed secret as SecretStr)."""
        name = self.query_one("#name", Input).value.strip()
        if not self.editing:
            problem = name_problem(name)
            if problem:
                self._problem("name", problem)
                self._error(f"Name: {problem}")
                self.query_one("#name", Input).focus()
                return None
        data: dict[str, Any] = {}
        for f in self.spec.fields:
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, Switch):
                value: Any = widget.value
                changed = value != self._initial.get(f.name)
            elif isinstance(widget, Select):
                raw = widget.value
                if f.kind == "enum":
                    index = raw if isinstance(raw, int) else None
                    changed = index != self._initial.get(f.name)
                    value = f.choices[index] if index is not None else None
                else:
                    value = raw if isinstance(raw, str) else None
                    changed = value != self._initial.get(f.name)
            else:
                assert isinstance(widget, Input)
                text = widget.value if f.secret else widget.value.strip()
                problem = field_problem(f, text)
                if problem:
                    self._problem(f.name, problem)
                    self._error(f"{f.label}: {problem}")
                    widget.focus()
                    return None
                if f.secret:
                    changed = bool(text)
                    value = SecretStr(text) if text else None
                else:
                    changed = text != self._initial.get(f.name)
                    value = (
                        (text if f.kind in ("text", "block") else parse_text(f, text))
                        if text
                        else None
                    )
            if self.editing:
                if changed:
                    data[f.name] = value
            elif value is not None:
                if f.kind == "boolean" and f.has_default and value == f.default:
                    continue  # Prefect's default: left for Prefect to fill
                data[f.name] = value
            elif f.required and not f.secret and f.kind not in ("boolean",):
                self._problem(f.name, "required")
                self._error(f"{f.label}: required")
                widget.focus()
                return None
            elif f.required and f.secret:
                self._problem(f.name, "required")
                self._error(f"{f.label}: enter the secret value")
                widget.focus()
                return None
        return name, data

    def action_submit(self) -> None:
        collected = self.collect()
        if collected is None:
            return
        name, data = collected
        if self.editing and not data:
            self._error("Nothing changed: nothing was saved.")
            return
        self._error(None)
        self._busy(True)
        store, slug = self.store, self.spec.slug
        if self.editing:
            work = lambda: store.update(slug, name, data)  # noqa: E731
        else:
            work = lambda: store.save(slug, name, data)  # noqa: E731
        self.run_worker(work, thread=True, exit_on_error=False, group="save")

    @on(Button.Pressed, "#create")
    def _pressed(self) -> None:
        self.action_submit()

    def _busy(self, busy: bool) -> None:
        for widget in self.query("Input, Button, Switch, Select"):
            if widget.id != "name" or not self.editing:
                widget.disabled = busy

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "refs":
            if event.state == WorkerState.SUCCESS:
                for field, slugs in (event.worker.result or {}).items():
                    select = self.query_one(f"#field-{field}", Select)
                    current = select.value
                    select.set_options((s, s) for s in slugs)
                    if isinstance(current, str) and current in slugs:
                        select.value = current
            return
        if event.worker.group != "save":
            return
        if event.state == WorkerState.SUCCESS:
            self.dismiss(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self._busy(False)
            error = event.worker.error
            if isinstance(error, FlowwizError):
                self._error(error.message)
            else:  # a bug: name it, never echo its text (it could hold a value)
                self._error(f"internal error ({type(error).__name__}); nothing was saved")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
