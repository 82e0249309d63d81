"""Names as Prefect makes them: block document names and deployment-name defaults."""

from __future__ import annotations

import re
import unicodedata

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
BLOCK_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BLOCK_NAME_RULE = "lowercase letters, digits and dashes (no leading, trailing or double dash)"


def slugify(text: str) -> str:
    """python-slugify's defaults as Prefect uses them: transliterate to ASCII, lowercase, every
    run of other characters becomes one dash, no dash at either end."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")


def repo_token_block_name(deployment: str, flow: str) -> str:
    """The secret block Prefect's own wizard names for a deployment's repository token."""
    return f"deployment-{slugify(deployment)}-{slugify(flow)}-repo-token"


def is_block_name(name: str) -> bool:
    return bool(BLOCK_NAME.match(name))
