"""Names as Prefect makes them: block document names and deployment-name defaults."""

from __future__ import annotations

import re

BLOCK_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BLOCK_NAME_RULE = "lowercase letters, digits and dashes (no leading, trailing or double dash)"


def slugify(text: str) -> str:
    """``text`` as a slug, by the very call Prefect makes (``prefect.utilities.slugify`` is
    python-slugify's ``slugify`` with its defaults): transliterated to ASCII
    (``Größe Report`` -> ``grosse-report``, ``Café`` -> ``cafe``), lowercased, HTML entities
    decoded, quotes dropped, every other run of characters one dash, no dash at either end.
    """
    from slugify import slugify as python_slugify

    return python_slugify(text)


def repo_token_block_name(deployment: str, flow: str) -> str:
    """The secret block Prefect's own wizard names for a deployment's repository token."""
    return f"deployment-{slugify(deployment)}-{slugify(flow)}-repo-token"


def is_block_name(name: str) -> bool:
    return bool(BLOCK_NAME.match(name))
