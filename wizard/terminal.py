"""One place that prints: messages and progress to stderr, data to stdout (as hatch does).

rich is imported on first use, never at start-up.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any


class Terminal:
    @cached_property
    def err(self) -> Any:
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=False)

    @cached_property
    def out(self) -> Any:
        from rich.console import Console

        return Console(highlight=False)

    def info(self, message: str) -> None:
        self.err.print(message)

    def success(self, message: str) -> None:
        self.err.print(f"[green]✓[/] {message}")

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/] {message}")

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
