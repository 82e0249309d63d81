"""One place that prints: messages and progress to stderr, data to stdout (as hatch does).

rich is imported on first use, never at start-up.
"""

from __future__ import annotations

import sys
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

    def data(self, text: str) -> None:
        """Plain data for scripts (JSON, YAML): no markup, no wrapping."""
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()


terminal = Terminal()
