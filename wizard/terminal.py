"""One place that prints: messages and progress to stderr, data to stdout (as hatch does).

Text from users, repositories and servers is data: every message goes out as a rich ``Text``
(never parsed as markup, so ``sync [/archive]`` is shown as written), with control
characters made visible (``\\x1b``, ``\\r``, ``\\x07``), so a flow name or a docstring cannot
move the cursor, retitle the terminal or hide what follows. Styling comes only from flowwiz's
own labels: :func:`styled` takes ``(text, style)`` pairs for them.

rich is imported on first use, never at start-up.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

# Format characters that reorder or hide text (Trojan Source, CVE-2021-42574) and the Unicode
# line/paragraph separators: shown escaped, like the C0/C1 controls.
_INVISIBLE = frozenset(
    "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def printable(text: object, *, multiline: bool = False) -> str:
    """``text`` as a string with every control character visible as its Python escape
    (``"\\x1b[31m"`` becomes the 8 characters ``\\x1b[31m``). ``multiline`` keeps newlines
    and tabs (a docstring, a YAML diff); otherwise they are escaped too. Pure."""
    text = str(text)
    if text.isprintable() and not (_INVISIBLE & set(text)):
        return text
    keep = "\n\t" if multiline else ""
    if multiline:  # a CRLF file's line ends are line ends, not carriage returns to show
        text = text.replace("\r\n", "\n")
    out = []
    for ch in text:
        code = ord(ch)
        if ch in keep:
            out.append(ch)
        elif code < 0x20 or 0x7F <= code < 0xA0 or ch in _INVISIBLE:
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def styled(*parts: object, multiline: bool = False) -> Any:
    """A rich ``Text`` from parts: a plain value is data (shown literally, control characters
    visible); a ``(text, style)`` pair is one of flowwiz's own labels in that style."""
    from rich.text import Text

    result = Text()
    for part in parts:
        if isinstance(part, tuple):
            content, style = part
            result.append(printable(content, multiline=multiline), style=style)
        else:
            result.append(printable(part, multiline=multiline))
    return result


def escape_markup(text: object) -> str:
    """For the few APIs that only take markup strings (Textual's ``border_title``): the text
    shown literally, control characters visible."""
    from rich.markup import escape

    return escape(printable(text))


class Terminal:
    @cached_property
    def err(self) -> Any:
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=False, emoji=False)

    @cached_property
    def out(self) -> Any:
        from rich.console import Console

        return Console(highlight=False, emoji=False)

    def info(self, message: str) -> None:
        """One message, shown literally (never markup)."""
        self.err.print(styled(message))

    def success(self, message: str) -> None:
        self.err.print(styled(("✓", "green"), " ", message))

    def warn(self, message: str) -> None:
        from flowwiz.detectors.secret import redact_tokens

        self.err.print(styled(("warning:", "yellow"), " ", redact_tokens(message)))

    def heading(self, title: str) -> None:
        self.err.print(styled((title, "bold")))

    def line(self, *parts: object) -> None:
        """One line to stderr from :func:`styled` parts."""
        self.err.print(styled(*parts))

    @contextmanager
    def waiting(self, doing: str, *, after: float = 0.4) -> Iterator[None]:
        """A spinner on stderr ("Waiting for the Prefect server to <doing>…") while the block
        runs longer than ``after`` seconds; nothing when stderr is not a terminal."""
        if not self.err.is_terminal:
            yield
            return
        from rich.markup import escape

        status = self.err.status(f"Waiting for the Prefect server to {escape(doing)}…")
        lock = threading.Lock()
        state = {"done": False, "started": False}

        def start() -> None:
            with lock:
                if not state["done"]:
                    status.start()
                    state["started"] = True

        timer = threading.Timer(after, start)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            with lock:
                state["done"] = True
                if state["started"]:
                    status.stop()

    def data(self, text: str) -> None:
        """Plain data for scripts (JSON, YAML): no markup, no wrapping."""
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()


terminal = Terminal()
