"""Proof that a secret went nowhere it should not: search outputs and every file under roots."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote


def forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote(secret)}


def files_containing(secret: str, roots: Iterable[Path]) -> list[Path]:
    needles = [f.encode() for f in forms(secret)]
    hits: list[Path] = []
    for root in roots:
        root = Path(root)
        candidates = [root] if root.is_file() else root.rglob("*")
        for path in candidates:
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                if any(n in data for n in needles):
                    hits.append(path)
    return hits


def assert_not_leaked(
    secret: str,
    *,
    texts: Iterable[str] = (),
    roots: Iterable[Path] = (),
    allow: Iterable[Path] = (),
) -> None:
    """Fail when the secret (raw or percent-encoded) is in any text or any file under roots,
    except the files in allow (the keyring file the test itself chose to store it in)."""
    assert secret and len(secret) >= 8, "use a distinctive canary"
    for i, text in enumerate(texts):
        for form in forms(secret):
            assert form not in text, f"secret leaked into output #{i}"
    allowed = {Path(p).resolve() for p in allow}
    hits = [p for p in files_containing(secret, roots) if p.resolve() not in allowed]
    assert not hits, f"secret leaked into files: {hits}"


def canary() -> str:
    import uuid

    return f"flowwiz-canary-{uuid.uuid4().hex}"


def token_canary() -> str:
    """A canary shaped like a GitHub token (``ghp_`` + 36 characters): what flowwiz's token
    detector must recognise wherever it is given in place of a name."""
    import uuid

    return "ghp_" + uuid.uuid4().hex + "Zq7K"


# C0 controls but newline and tab, DEL, and C1: none may reach a terminal raw
RAW_CONTROLS = {chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))} - {"\n", "\t"}


def assert_no_raw_controls(*texts: str) -> None:
    """Fail when any output holds a raw control character (ESC, BEL, CR...): text from a
    repository, a user or a server must reach the terminal with them made visible."""
    for i, text in enumerate(texts):
        found = sorted({repr(ch) for ch in text if ch in RAW_CONTROLS})
        assert not found, f"raw control characters {found} in output #{i}"
