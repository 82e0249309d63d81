"""What `prefect deploy` would upload to a bucket: every file its ``.prefectignore`` lets through
(matched as Prefect's push steps match, detectors/prefect_ignore.py), how much that is, and
which of them look like secrets."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from flowwiz.detectors.prefect_ignore import read_prefectignore, uploaded_files

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


def upload_set(root: Path, ignore_text: str | None) -> UploadSet:
    """The files under ``root`` that Prefect's push step uploads with a ``.prefectignore`` of
    ``ignore_text`` (None: there is none, and Prefect uploads everything, ``.git`` too).

    Raises PrefectIgnoreError (a DetectionError) for a line Prefect cannot read.
    """
    rules = read_prefectignore(ignore_text)
    count = size = 0
    sensitive: list[str] = []
    for rel in uploaded_files(root, rules):
        count += 1
        try:
            # a link to a file sends its target; os, not pathlib: once per uploaded file
            size += os.stat(os.path.join(root, rel)).st_size  # noqa: PTH116, PTH118
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
