"""Every on-disk location flowwiz owns comes from here (platformdirs; FLOWWIZ_HOME overrides)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def flowwiz_home(env: Mapping[str, str] | None = None) -> Path:
    """The directory for flowwiz's own data (the block catalog)."""
    env = os.environ if env is None else env
    override = env.get("FLOWWIZ_HOME")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path("flowwiz", appauthor=False)


def catalog_path(env: Mapping[str, str] | None = None) -> Path:
    return flowwiz_home(env) / "catalog.sqlite3"
