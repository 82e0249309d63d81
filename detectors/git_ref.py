"""Which refs a worker's ``git clone`` can be pinned to: branch (or tag) names and commit SHAs.

Pure functions, no git process: the rules are git's own (``git check-ref-format --branch``,
documented in git-check-ref-format(1); tests/test_git_ref.py checks them against git itself)
plus the two Prefect adds in ``prefect.runner.storage.GitRepository.__init__`` (3.9.1): a
branch may not start with ``-``, and ``commit_sha`` must match ``^[0-9a-fA-F]{4,64}$``.
"""

from __future__ import annotations

import re

__all__ = ["branch_problem", "commit_sha_problem", "ref_from_ci_value"]

_COMMIT_SHA = re.compile(r"[0-9a-fA-F]{4,64}")
_FORBIDDEN = set(" ~^:?*[\\")


def branch_problem(name: str) -> str | None:
    """Why ``name`` cannot be given to ``git clone --branch`` (a branch or a tag), or None.

    Mirrors ``git check-ref-format --branch <name>`` for names without ``@{-N}`` (which only
    means something inside one repository), plus Prefect's refusal of a leading ``-``.
    """
    if not name:
        return "the branch name is empty"
    if "\n" in name or "\r" in name:
        return "a branch name is one line"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return "a branch name cannot contain control characters"
    bad = sorted({c for c in name if c in _FORBIDDEN})
    if bad:
        shown = " ".join("space" if c == " " else c for c in bad)
        return f"a branch name cannot contain {shown}"
    if name.startswith("-"):
        return "a branch name cannot start with -"
    if name == "@" or "@{" in name:
        return "a branch name cannot be @ or contain @{"
    if ".." in name:
        return "a branch name cannot contain .."
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "a branch name cannot start or end with / or contain //"
    if name.endswith("."):
        return "a branch name cannot end with ."
    if name == "HEAD":
        return "HEAD is not a branch name"
    for part in name.split("/"):
        if part.startswith("."):
            return "no part of a branch name can start with ."
        if part.endswith(".lock"):
            return "no part of a branch name can end with .lock"
    return None


def commit_sha_problem(sha: str) -> str | None:
    """Why Prefect's git_clone would refuse ``commit_sha=sha``, or None (4 to 64 hex digits)."""
    if not _COMMIT_SHA.fullmatch(sha):
        return "a commit SHA is 4 to 64 hexadecimal digits (for a branch or a tag use --branch)"
    return None


def ref_from_ci_value(value: str) -> str | None:
    """A branch or tag name from a CI variable's value: ``refs/heads/x`` and ``refs/tags/x``
    lose their prefix; pull/merge-request refs and invalid names give None."""
    value = value.strip()
    if value.startswith(("refs/pull/", "refs/merge-requests/", "refs/remotes/")):
        return None
    for prefix in ("refs/heads/", "refs/tags/"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    if not value or branch_problem(value):
        return None
    return value
