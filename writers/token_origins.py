"""Which repository each stored repository token was saved for: flowwiz's own note.

Prefect names a deployment's repository-token block after the deployment and the flow only
(``deployment-<name>-<flow>-repo-token``, detectors.slug.repo_token_block_name), so two
repositories with the same names would share one. flowwiz keeps, beside the block store, a
small JSON file (``<flowwiz home>/token-repositories.json``) mapping each store ("local", or
"server <api url>") and block name to the repository URL the token was stored for. Nothing
secret is in it: a URL without credentials and a block name. Prefect's Secret blocks have no
description or non-secret field to carry it, so the note is flowwiz-side for a server too: a
block stored on a server from another machine (or by Prefect's own wizard) has no note.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flowwiz.writers.atomic import write_atomic
from flowwiz.writers.paths import flowwiz_home


def notes_path() -> Path:
    return flowwiz_home() / "token-repositories.json"


def store_key(store: Any) -> str:
    """``"local"`` for the keyring catalog, ``"server <location>"`` for a Prefect server."""
    return "local" if store.kind == "local" else f"server {store.location}"


def same_repository(a: str, b: str) -> bool:
    """Two https URLs name the same repository: case of the host, a trailing ``/`` or
    ``.git`` aside."""

    def norm(url: str) -> str:
        url = url.strip().rstrip("/")
        url = url[:-4] if url.endswith(".git") else url
        scheme, sep, rest = url.partition("://")
        host, slash, path = rest.partition("/")
        return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}"

    return norm(a) == norm(b)


def _read() -> dict[str, dict[str, str]]:
    try:
        data = json.loads(notes_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stored_for(store: Any, name: str) -> str | None:
    """The repository URL the secret block ``name`` was stored for in ``store``, or None
    when flowwiz has no note of it. Never raises."""
    entry = _read().get(store_key(store))
    value = entry.get(name) if isinstance(entry, dict) else None
    return value if isinstance(value, str) else None


def record(store: Any, name: str, repository: str) -> None:
    """Note that ``name`` in ``store`` holds the token for ``repository``. Raises WorldError
    when the file cannot be written (writers.atomic)."""
    data = _read()
    entry = data.get(store_key(store))
    if not isinstance(entry, dict):
        entry = data[store_key(store)] = {}
    entry[name] = repository
    notes_path().parent.mkdir(parents=True, exist_ok=True)
    write_atomic(notes_path(), json.dumps(data, indent=2, sort_keys=True) + "\n")
