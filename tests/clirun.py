"""Run the installed console script the way a user's shell would (no terminal)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import FLOWWIZ


def flowwiz(
    *args: str,
    cwd: Path | None = None,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FLOWWIZ, *args],
        cwd=cwd,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
