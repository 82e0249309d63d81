"""What `prefect deploy` would upload to a bucket: every file its ``.prefectignore`` lets through
(matched as git matches), how much that is, and which of them look like secrets."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from flowwiz.detectors.ignore_rules import rules_from_text, walk_files

# files that commonly hold credentials; uploading them puts them in the bucket
_SENSITIVE = re.compile(
    r"(?:^|/)(?:"
    r"\.env(?:\.[^/]*)?|\.envrc|\.netrc|\.pypirc|\.npmrc|\.git-credentials"
    r"|id_(?:rsa|dsa|ecdsa|ed25519)|[^/]*\.(?:pem|key|p12|pfx|jks|keystore)"
    r"|credentials(?:\.json)?|service[-_]account[^/]*\.json|secrets?\.(?:ya?ml|json|toml)"
    r")\Z",
    re.IGNORECASE,
)
_EXAMPLES = re.compile(r"\.(?:example|sample|template|dist)\Z", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class UploadSet:
    files: int
    size: int  # bytes
    sensitive: tuple[str, ...]  # relative paths that look like secrets


def upload_set(root: Path, ignore_text: str) -> UploadSet:
    """The files under ``root`` that the rules in ``ignore_text`` do not exclude."""
    rules = rules_from_text(root, ignore_text)
    count = size = 0
    sensitive: list[str] = []
    for rel in walk_files(rules):
        count += 1
        try:
            size += os.lstat(root / rel).st_size
        except OSError:
            continue
        if _SENSITIVE.search(rel) and not _EXAMPLES.search(rel):
            sensitive.append(rel)
    return UploadSet(files=count, size=size, sensitive=tuple(sensitive))


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover
