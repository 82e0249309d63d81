"""Docker image names and tags (checked by Docker's reference grammar), and where an existing
Dockerfile puts the project's code inside the image (read, never built)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath

# distribution/reference: [host[:port]/]component(/component)*, lowercase components
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)*(?::[0-9]+)?)"
_IMAGE = re.compile(rf"\A(?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*\Z")
_TAG = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")


def split_image(text: str) -> tuple[str, str | None]:
    """'ghcr.io/acme/flows:1.2' -> ('ghcr.io/acme/flows', '1.2'); a registry port is not a tag."""
    text = text.strip()
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        return text[:colon], text[colon + 1 :]
    return text, None


def image_problem(image: str) -> str | None:
    name, tag = split_image(image)
    if not name:
        return "enter an image name, e.g. ghcr.io/acme/flows"
    if "@" in name:
        return "give the image by name and tag, not by digest"
    if not _IMAGE.match(name):
        return (
            f"{name!r} is not a Docker image name: lowercase letters, digits and . _ - "
            "in parts separated by /, e.g. ghcr.io/acme/flows"
        )
    if tag is not None:
        return tag_problem(tag)
    return None


def tag_problem(tag: str) -> str | None:
    if not _TAG.match(tag):
        return f"{tag!r} is not a Docker tag: up to 128 letters, digits, _ . - (not first . or -)"
    return None


def has_registry(image: str) -> bool:
    """True when the name says where to push it: a registry host or a Docker Hub namespace."""
    return "/" in split_image(image)[0]


def code_directory(dockerfile: Path) -> str | None:
    """Where ``COPY . <dest>`` (or ``ADD . <dest>``) puts the project, resolved against the
    ``WORKDIR`` in force; None when the Dockerfile does not copy the whole project in."""
    try:
        text = dockerfile.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    workdir = PurePosixPath("/")
    found: str | None = None
    for line in _instructions(text):
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            workdir, found = PurePosixPath("/"), None  # a new stage starts afresh
        elif word == "WORKDIR" and rest.strip():
            workdir = workdir / rest.strip().strip("\"'")
        elif word in ("COPY", "ADD"):
            args = _arguments(rest)
            if any(a.startswith("--from") for a in args):
                continue
            paths = [a for a in args if not a.startswith("--")]
            if len(paths) >= 2 and any(p in (".", "./") for p in paths[:-1]):
                dest = paths[-1]
                target = workdir / dest if dest not in (".", "./") else workdir
                found = str(PurePosixPath(*_normalise(target.parts)))
    return found


def _instructions(text: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append((current + stripped).strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return lines


def _arguments(rest: str) -> list[str]:
    rest = rest.strip()
    if rest.startswith("["):
        import json

        try:
            value = json.loads(rest)
        except ValueError:
            return []
        return [str(v) for v in value] if isinstance(value, list) else []
    try:
        return shlex.split(rest)
    except ValueError:
        return rest.split()


def _normalise(parts: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if part == "..":
            if len(out) > 1:
                out.pop()
        elif part not in (".", ""):
            out.append(part)
    return out or ["/"]
