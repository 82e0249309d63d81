"""Git-exact `.gitignore` / `.prefectignore` matching for the project root.

Used for flow discovery, where git's own rules decide. What Prefect's push steps upload is
another question with other rules: detectors/prefect_ignore.py (pathspec, as Prefect).

Why dulwich and not pathspec here too: measured against `git ls-files` over 2 x 400 random rule
mixes (the pool of tests/test_ignore_rules.py), dulwich's ``IgnoreFilter`` (``is_ignored`` plus
``may_prune_directory``) agreed with git every time, while pathspec 1.1.1's GitIgnoreSpec
differed in 100 and 103 of them per file, and in 15 and 17 with a pruning walk (see also
shared/reference/git-and-secrets.md, section 4). The two calls must be used together:
``is_ignored("d/")`` can say yes for ``d/*`` while git still enters ``d`` to honour a later
``!d/keep.py``, so a walker prunes only on ``may_prune`` and asks ``is_ignored`` for files.

Only the files at the root are read (that is the one ``.prefectignore`` Prefect's push steps
honour). They are concatenated in the order given, so a later file's rule wins over an earlier
one's, as a higher-precedence ignore source does in git. Matching is case-sensitive, as git's is
with ``core.ignorecase=false`` and as Prefect's is always.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowwiz.detectors.errors import DetectionError

if TYPE_CHECKING:
    from dulwich.ignore import IgnoreFilter

DEFAULT_NAMES = (".gitignore", ".prefectignore")


@dataclass(frozen=True, slots=True)
class IgnoreRules:
    """The ignore rules of one directory tree; paths are POSIX and relative to ``root``."""

    root: Path
    sources: tuple[Path, ...]  # the ignore files that exist and were read, in order
    patterns: tuple[str, ...]  # every rule that compiled, in order
    malformed: tuple[str, ...] = ()  # rules git would skip too (e.g. a lone "!" or "[")
    _filter: IgnoreFilter | None = field(default=None, repr=False, compare=False)
    # per-pattern (matches, is_exclude), newest first: the fast file check used by walk_files
    _reversed: tuple[tuple[Any, bool], ...] = field(default=(), repr=False, compare=False)
    # one regex matching whatever any rule could match for a file: most files match no rule,
    # and one regex call instead of one per rule is what keeps a large scan near grep's speed
    _any_file_rule: re.Pattern[bytes] | None = field(default=None, repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def is_ignored(self, relpath: str) -> bool:
        """Whether git would ignore ``relpath`` (a directory needs a trailing ``/``).

        A file under an excluded directory is ignored even if a later rule negates it:
        git never enters the excluded directory to see the negation.
        """
        if self._filter is None:
            return False
        return bool(self._filter.is_ignored(_clean(relpath)))

    def may_prune(self, reldir: str) -> bool:
        """Whether a walker can skip directory ``reldir`` without missing a kept file."""
        if self._filter is None:
            return False
        reldir = _clean(reldir)
        return self._filter.may_prune_directory(reldir if reldir.endswith("/") else reldir + "/")

    def file_ignored_in_walk(self, relpath: str) -> bool:
        """``is_ignored`` for a file whose ancestors a walker already checked with ``may_prune``.

        Git decides a file by its ancestors first and then by the last rule matching the file
        itself; the walker has done the first part, so this does only the second, which is
        what keeps a scan of tens of thousands of files cheap.
        """
        if not self._reversed:
            return False
        name = os.fsencode(relpath)
        if self._any_file_rule is not None and self._any_file_rule.match(name) is None:
            return False
        for matches, is_exclude in self._reversed:
            if matches(name, False):
                return is_exclude
        return False


def _clean(relpath: str) -> str:
    relpath = relpath.replace(os.sep, "/") if os.sep != "/" else relpath
    while relpath.startswith("./"):
        relpath = relpath[2:]
    return relpath.lstrip("/")


def load_ignore(root: Path, names: Iterable[str] = DEFAULT_NAMES) -> IgnoreRules:
    """Read the named ignore files at ``root`` (missing ones are skipped).

    Raises DetectionError when a file exists but cannot be read.
    """
    root = Path(root)
    sources: list[Path] = []
    lines: list[bytes] = []
    for name in names:
        path = root / name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DetectionError(f"cannot read {name}: {exc.strerror or exc}") from None
        sources.append(path)
        lines.extend(_read_patterns(data))
    return rules_from_lines(root, lines, sources=tuple(sources))


def rules_from_lines(
    root: Path, lines: Iterable[bytes | str], *, sources: tuple[Path, ...] = ()
) -> IgnoreRules:
    """IgnoreRules from patterns already read: comments and blank lines already dropped and
    trailing spaces handled, as ``rules_from_text`` does for the text of an ignore file."""
    raw = [line.encode() if isinstance(line, str) else line for line in lines]
    if not raw:
        return IgnoreRules(root=Path(root), sources=sources, patterns=())

    from dulwich.ignore import IgnoreFilter, Pattern
    from dulwich.wildmatch import MalformedPattern

    good: list[bytes] = []
    compiled: list[Any] = []
    malformed: list[str] = []
    for line in raw:
        try:
            compiled.append(Pattern(line))
        except MalformedPattern:
            # checked here so dulwich does not log a warning to the user's terminal
            malformed.append(line.decode(errors="replace"))
            continue
        good.append(line)
    ignore_filter = IgnoreFilter(good) if good else None
    return IgnoreRules(
        root=Path(root),
        sources=sources,
        patterns=tuple(line.decode(errors="surrogateescape") for line in good),
        malformed=tuple(malformed),
        _filter=ignore_filter,
        _reversed=tuple((p.matches, p.is_exclude) for p in reversed(compiled)),
        _any_file_rule=_combined_file_regex(compiled),
    )


_INLINE_FLAGS = re.compile(rb"\A\(\?[aiLmsux]+\)")


def _combined_file_regex(compiled: list[Any]) -> re.Pattern[bytes] | None:
    """A pre-check for ``file_ignored_in_walk``: matches if any rule may decide a file.

    Built from dulwich's compiled rules (``Pattern._name_re``, what ``Pattern.matches`` uses);
    if that ever changes shape this returns None and every rule is asked one by one. The
    git differential test in tests/test_ignore_rules.py covers both paths.
    """
    try:
        parts: list[bytes] = []
        flags: int | None = None
        for pattern in compiled:
            if pattern.is_empty or pattern.is_directory_only:
                continue  # can never decide a file
            regex = pattern._name_re
            if flags is None:
                flags = regex.flags
            elif regex.flags != flags:
                return None
            parts.append(b"(?:" + _INLINE_FLAGS.sub(b"", regex.pattern, count=1) + b")")
        if not parts:
            return re.compile(rb"(?!)")  # matches nothing
        return re.compile(b"|".join(parts), flags or 0)
    except (AttributeError, TypeError, re.error):
        return None


def rules_from_text(root: Path, text: str | bytes) -> IgnoreRules:
    """IgnoreRules from the text of an ignore file (e.g. a ``.prefectignore`` not yet written)."""
    data = text.encode() if isinstance(text, str) else text
    return rules_from_lines(root, _read_patterns(data))


def _read_patterns(data: bytes) -> list[bytes]:
    from io import BytesIO

    from dulwich.ignore import read_ignore_patterns

    return list(read_ignore_patterns(BytesIO(data)))


def walk_files(rules: IgnoreRules) -> Iterator[str]:
    """Every file under ``rules.root`` that git would not ignore, as sorted POSIX relpaths.

    ``.git`` is always skipped; symlinked directories are listed by git as files and are not
    followed here either (so a link loop cannot hang the walk).
    """
    root = rules.root
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel = os.path.relpath(dirpath, root)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        kept_dirs = []
        for d in sorted(dirnames):
            if d == ".git":
                continue
            if Path(dirpath, d).is_symlink():
                # git records a symlink to a directory as a file: `d/` rules do not match it
                if not rules.file_ignored_in_walk(prefix + d):
                    yield prefix + d
                continue
            if not rules.may_prune(prefix + d + "/"):
                kept_dirs.append(d)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            if not rules.file_ignored_in_walk(prefix + name):
                yield prefix + name
