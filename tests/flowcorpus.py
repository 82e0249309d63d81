"""The flow corpus (tests/flow_corpus) as a real tree, and what a scan of it must find.

Some of the corpus cannot live in this repository as-is: a root `.gitignore` would hide its own
test files from this repository's git, `*.egg-info/` and `__pycache__/` are ignored here, and a
symlink loop would trip tools that walk the repository. EXPECTED.json lists those under
"materialize", and ``materialize_flow_corpus`` writes the complete tree into a temporary
directory. Scan (with flowwiz or Prefect) the materialized copy, not tests/flow_corpus itself.
"""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).with_name("flow_corpus")
_NOT_CORPUS = ("conftest.py", "EXPECTED.json")  # bookkeeping, not part of the scanned tree


@cache
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / "EXPECTED.json").read_text(encoding="utf-8"))
    return data


def materialize_flow_corpus(dest: Path, *, symlinks: bool = True) -> Path:
    """Copy the corpus to ``dest`` (which must not exist) and add the parts git cannot hold."""
    shutil.copytree(CORPUS, dest, ignore=shutil.ignore_patterns(*_NOT_CORPUS, "__pycache__"))
    spec = expected()["materialize"]
    for relpath, text in spec["files"].items():
        path = dest / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if symlinks:
        for relpath, target in spec["symlinks"].items():
            (dest / relpath).symlink_to(target, target_is_directory=True)
    return dest
