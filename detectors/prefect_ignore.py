"""What Prefect's push steps upload: ``.prefectignore`` read and matched exactly as Prefect does.

Mirrored from Prefect 3.9.1 with pathspec 1.1.1: ``prefect_aws.deployments.steps.push_to_s3``
(``push_to_gcs`` and ``push_to_azure_blob_storage`` are the same code) and
``prefect.utilities.filesystem.filter_files``:

- The file is ``./.prefectignore`` in the directory ``prefect deploy`` runs in (the project
  root). It is read as text (universal newlines) and every line is ``.strip()``-ped: leading
  and trailing blanks go, an escaped trailing space (``foo\\ ``) too, which leaves ``foo\\``.
- ``pathspec.GitIgnoreSpec.from_lines(lines)``: comments and blank lines are dropped; a line
  pathspec cannot read (a lone ``!``, a trailing ``\\``) raises, and the push step fails.
- Every file is matched on its own by its path relative to the root
  (``GitIgnoreSpec.match_file``): the last rule matching the file or one of its directories
  decides. So ``secrets/`` then ``!*.json`` uploads ``secrets/service-account.json``, which git
  would leave out (it never enters an excluded directory). Matching is case-sensitive.
- The files are those of ``Path.rglob("*")``: symbolic links to directories are neither entered
  nor uploaded, links to files are uploaded, ``.git`` is not special.
- No ``.prefectignore``: every file is uploaded.

Why not dulwich here (it serves git's own rules in detectors/ignore_rules.py): Prefect is the
judge of what it uploads, and only pathspec's GitIgnoreSpec, matched per file, reproduces it
(tests/test_prefect_ignore.py runs Prefect's own function over hundreds of rule mixes).
"""

from __future__ import annotations

import functools
import io
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowwiz.detectors.errors import DetectionError

PREFECTIGNORE = ".prefectignore"


class PrefectIgnoreError(DetectionError):
    """A ``.prefectignore`` line Prefect's push steps cannot read: ``prefect deploy`` would fail."""


@dataclass(frozen=True, slots=True)
class PrefectIgnore:
    """The rules of one ``.prefectignore`` as Prefect reads them (``None`` text: no file)."""

    lines: tuple[str, ...] | None  # the stripped lines Prefect hands to pathspec; None: no file
    _spec: Any = field(default=None, repr=False, compare=False)  # pathspec.GitIgnoreSpec
    # one regex searching for whatever any rule's regex finds: most files match no rule, and
    # pathspec leaves a file no rule matches included, so one search settles most files
    _any_rule: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def uploads(self, relpath: str) -> bool:
        """Whether Prefect's push step uploads the file at POSIX ``relpath`` (root-relative)."""
        if self._spec is None:
            return True
        if self._any_rule is not None and self._any_rule.search(relpath) is None:
            return True
        return not self._spec.match_file(relpath)


def read_prefectignore(text: str | None) -> PrefectIgnore:
    """Prefect's reading of a ``.prefectignore`` with this text (None: there is none).

    Raises PrefectIgnoreError naming the first line pathspec rejects (Prefect would fail on it).
    """
    if text is None:
        return PrefectIgnore(lines=None)
    return _compile(text)


@functools.lru_cache(maxsize=16)
def _compile(text: str) -> PrefectIgnore:
    import pathspec

    # `open(ignore_file, "r")` then `[line.strip() for line in f]`, as push_to_s3 does
    lines = tuple(line.strip() for line in io.StringIO(text, newline=None))
    with warnings.catch_warnings():
        # re's FutureWarning for a POSIX class such as [[:alpha:]]: not for the user's terminal
        warnings.simplefilter("ignore", FutureWarning)
        try:
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        except ValueError:  # GitIgnorePatternError; find the line for the message
            for number, line in enumerate(lines, 1):
                try:
                    pathspec.GitIgnoreSpec.from_lines([line])
                except ValueError:
                    raise PrefectIgnoreError(
                        f".prefectignore line {number} ({line!r}) is not a pattern Prefect "
                        "can read: `prefect deploy` would fail on it",
                        hint="fix or remove that line (Prefect strips each line, so an "
                        "escaped trailing space leaves a lone backslash)",
                    ) from None
            raise  # pragma: no cover - the whole failed, so one line fails
        any_rule = _combined_rule_regex(spec)
    return PrefectIgnore(lines=lines, _spec=spec, _any_rule=any_rule)


_NAMED_GROUP = re.compile(r"(?<!\\)\(\?P<\w+>")


def _combined_rule_regex(spec: Any) -> re.Pattern[str] | None:
    """``r1|r2|...`` over the rules pathspec's backend asks (``include`` set, a regex), with
    their named groups made plain: it finds a match exactly when one rule's ``regex.search``
    does. None (every file asks pathspec) if the patterns are not shaped as expected; the
    differential test against Prefect covers both paths.
    """
    try:
        parts: list[str] = []
        flags: int | None = None
        for pattern in spec.patterns:
            regex = getattr(pattern, "regex", None)
            if pattern.include is None or regex is None:
                continue
            if not isinstance(regex.pattern, str) or (flags is not None and regex.flags != flags):
                return None
            flags = regex.flags
            parts.append("(?:" + _NAMED_GROUP.sub("(?:", regex.pattern) + ")")
        if not parts:
            return re.compile("(?!)")  # matches nothing
        return re.compile("|".join(parts), flags or 0)
    except (AttributeError, TypeError, re.error):
        return None


def load_prefectignore(root: Path) -> PrefectIgnore:
    """``root/.prefectignore`` as Prefect reads it. Raises DetectionError if it cannot be read."""
    try:
        text = (Path(root) / PREFECTIGNORE).read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return PrefectIgnore(lines=None)
    except OSError as exc:
        raise DetectionError(f"cannot read {PREFECTIGNORE}: {exc.strerror or exc}") from None
    return read_prefectignore(text)


def uploaded_files(root: Path, rules: PrefectIgnore, *, under: str = "") -> Iterator[str]:
    """Every file under ``root`` that Prefect's push step uploads, as POSIX relpaths (each
    directory's files sorted, then its sub-directories in sorted order).

    Walks as ``Path.rglob("*")`` does: a symbolic link to a directory is neither entered nor
    uploaded (rglob yields it, but ``is_dir()`` is true for it), a link to a file is uploaded,
    a dangling link is not (pathspec's walk skips it). ``under`` (a POSIX relpath) walks only
    that directory; paths stay relative to ``root``.
    """
    top = os.fspath(root)
    stack = [under.strip("/")]
    while stack:
        rel = stack.pop()
        prefix = rel + "/" if rel else ""
        try:
            # os, not pathlib: this runs once per directory of trees with 10,000s of files
            with os.scandir(os.path.join(top, rel) if rel else top) as it:  # noqa: PTH118
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable: pathspec's walk skips it too
        subdirs = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                subdirs.append(prefix + entry.name)
                continue
            if entry.is_symlink() and (not os.path.exists(entry.path) or entry.is_dir()):  # noqa: PTH110
                continue
            if rules.uploads(prefix + entry.name):
                yield prefix + entry.name
        stack.extend(reversed(subdirs))
