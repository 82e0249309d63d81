"""The block-type catalog: every type the store can hold, filtered as you type and by
capability; picking one opens its form (``block_form.BlockFormScreen``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from flowwiz.wizard.terminal import printable
from flowwiz.writers.blocks.model import BlockType
from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

ALL = "all"


def type_matches(spec: BlockType, words: str, capability: str) -> bool:
    """Whether a type is shown for the filter text (every word in its title, slug or
    description, any case) and capability (``ALL`` or one of its capabilities)."""
    if capability != ALL and capability not in spec.capabilities:
        return False
    haystack = f"{spec.title} {spec.slug} {spec.description}".lower()
    return all(word in haystack for word in words.lower().split())


def _first_line(text: str) -> str:
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    return line if len(line) <= 90 else line[:89] + "…"


def type_prompt(spec: BlockType) -> Text:
    """One catalog entry: title and slug, the description's first line, the capabilities."""
    text = Text()
    text.append(printable(spec.title), style="bold")
    text.append(f"  {printable(spec.slug)}", style="dim")
    description = _first_line(spec.description)
    if description:
        text.append("\n  " + printable(description))
    if spec.capabilities:
        text.append("\n  " + printable(", ".join(spec.capabilities)), style="italic dim")
    return text


class BlockCatalogScreen(ModalScreen[str | None]):
    """Pick a block type; dismissed with its slug, or None.

    Typing filters (the box keeps the focus); up/down move through the list and Enter picks
    the highlighted type; the capability select narrows the list.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "pick", "Choose", priority=True, show=False),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
    ]

    DEFAULT_CSS = """
    #catalog-dialog { width: 96; height: 90%; }
    #catalog-list { height: 1fr; margin-top: 1; }
    #catalog-filters { height: auto; }
    #catalog-filter { width: 1fr; margin-bottom: 0; }
    #catalog-capability { width: 32; }
    #catalog-count { color: $text-muted; }
    """

    def __init__(self, types: Mapping[str, BlockType], *, where: str = "") -> None:
        super().__init__()
        self.types = dict(types)
        self.where = where
        self.shown: list[str] = []

    def compose(self) -> ComposeResult:
        capabilities = sorted({c for t in self.types.values() for c in t.capabilities})
        with Vertical(id="catalog-dialog", classes="dialog"):
            title = "New block: choose its type"
            yield Label(Text(printable(title + (f" ({self.where})" if self.where else ""))),
                        classes="dialog-title")  # fmt: skip
            with Horizontal(id="catalog-filters"):
                yield Input(placeholder="type to filter: name, slug, description",
                            id="catalog-filter", compact=True)  # fmt: skip
                yield Select(
                    [("any capability", ALL), *((c, c) for c in capabilities)],
                    value=ALL,
                    allow_blank=False,
                    id="catalog-capability",
                    compact=True,
                )
            yield Static(id="catalog-count")
            yield OptionList(id="catalog-list")
            with Horizontal(classes="buttons"):
                yield Button("Choose", variant="primary", id="choose")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        dialog = self.query_one("#catalog-dialog")
        dialog.styles.width = 96  # wider than the app's .dialog
        dialog.styles.max_width = "100%"
        dialog.styles.height = "90%"
        self.refilter()
        self.query_one("#catalog-filter", Input).focus()

    @on(Input.Changed, "#catalog-filter")
    @on(Select.Changed, "#catalog-capability")
    def refilter(self) -> None:
        words = self.query_one("#catalog-filter", Input).value
        capability = self.query_one("#catalog-capability", Select).value
        capability = capability if isinstance(capability, str) else ALL
        self.shown = [s for s, t in self.types.items() if type_matches(t, words, capability)]
        options = self.query_one("#catalog-list", OptionList)
        options.clear_options()
        options.add_options(Option(type_prompt(self.types[s]), id=s) for s in self.shown)
        if self.shown:
            options.highlighted = 0
        count = f"{len(self.shown)} of {len(self.types)} types"
        self.query_one("#catalog-count", Static).update(Text(count))

    @property
    def highlighted(self) -> str | None:
        options = self.query_one("#catalog-list", OptionList)
        index = options.highlighted
        if index is None or not (0 <= index < len(self.shown)):
            return None
        return self.shown[index]

    def action_move(self, step: int) -> None:
        if self.focused is not self.query_one("#catalog-filter", Input):
            raise SkipAction()  # the list and the select move by themselves
        options = self.query_one("#catalog-list", OptionList)
        if self.shown:
            current = options.highlighted or 0
            options.highlighted = max(0, min(len(self.shown) - 1, current + step))

    def action_pick(self) -> None:
        if self.focused is not self.query_one("#catalog-filter", Input):
            raise SkipAction()  # the list, the select and the buttons act by themselves
        self._choose()

    @on(OptionList.OptionSelected, "#catalog-list")
    @on(Button.Pressed, "#choose")
    def _choose(self) -> None:
        slug = self.highlighted
        if slug is not None:
            self.dismiss(slug)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
