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
