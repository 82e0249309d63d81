"""prefect.yaml parsed ONCE: the data, the node tree with text positions, anchors and aliases.

libyaml (``yaml.CSafeLoader``) composes the node tree when PyYAML has it (the pure-Python
loader otherwise); the data is constructed from that same tree, so the file is scanned once.
The splice in ``writers.prefect_yaml`` cuts text at the nodes' ``start_mark.index`` /
``end_mark.index``.

The composer hands back the anchored node itself for every alias (its marks point at the
anchor), so the tree is walked once in document order: each node met a second time is an
alias occurrence and is replaced by an :class:`AliasNode` carrying the alias's own marks,
taken from the event stream (a second libyaml pass, run only when the file has aliases). A
node met again while it is still being walked is a recursive alias (``&a {self: *a}``):
refused with one line, as Prefect could not use it either.

Duplicate keys written in one mapping are refused (``safe_load`` silently keeps the last one);
keys brought in by a ``<<: *anchor`` merge may be overridden.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from flowwiz.detectors.errors import ProjectFileError, UserError
from yaml.constructor import ConstructorError

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"


class _StrictLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if (
            isinstance(node, yaml.MappingNode)
            and len(node.value) > 1
            and len({k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)})
            != len(node.value)
        ):  # a repeated key text (or a merge key): look closer
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == _MERGE:
                    continue
                if isinstance(key_node, yaml.ScalarNode):
                    key: Any = (key_node.tag, key_node.value)
                else:
                    continue  # a complex key: the base constructor decides
                if key in seen:
                    raise ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"duplicate key {key_node.value!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


class AliasNode(yaml.ScalarNode):
    """Stands for ``*name`` at the alias's own position; ``value`` is the anchor name and
    ``target`` the anchored node."""

    def __init__(self, name: str, target: yaml.Node, start_mark: Any, end_mark: Any) -> None:
        super().__init__("!alias", name, start_mark, end_mark)
        self.target = target


@dataclass(frozen=True, slots=True)
class Document:
    """One parsed prefect.yaml. ``data`` is what ``yaml.safe_load`` gives (None for an empty
    file); ``root`` the node tree with aliases as :class:`AliasNode`; ``shared`` the text
    spans ``(start, end)`` of anchored nodes that an alias uses (editing inside one would
    change every place that uses it)."""

    text: str
    filename: str
    data: Any
    root: yaml.Node | None
    shared: tuple[tuple[int, int, str], ...]  # (start, end, anchor name)
    newline: str

    @classmethod
    def parse(cls, text: str, filename: str = "prefect.yaml", *, shallow: bool = False) -> Document:
        """Raises ProjectFileError (one line, 1-based line/column) for what does not parse,
        a duplicate key or a recursive alias.

        ``shallow``: on a long ``deployments:`` list (more than 64 entries), the entries of a
        plain shape are not built up front (see :func:`_shallow`): each reads as its data
        when first used. Same data, same errors, same positions as the full parse."""
        if shallow:
            found = _shallow(cls, text, filename)
            if found is not None:
                return found
        root, data, shared = _parse_tree(text, text, filename)
        return cls(text, filename, data, root, tuple(shared), _newline(text))

    def materialize(self, index: int) -> None:
        """Build the node tree and data of deployment ``index`` now (a shallow parse defers
        it); nothing to do after a full parse."""
        pair = self.top_pair("deployments")
        if pair is not None and isinstance(pair[1], yaml.SequenceNode):
            if 0 <= index < len(pair[1].value) and isinstance(pair[1].value[index], SkippedItem):
                value = self.data["deployments"][index]
                if isinstance(value, LazyEntry):
                    value._load()

    def top_pair(self, name: str) -> tuple[yaml.Node, yaml.Node] | None:
        if not isinstance(self.root, yaml.MappingNode):
            return None
        for key, value in self.root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == name:
                return key, value
        return None

    def deployments(self) -> list[Any]:
        """The ``deployments`` list as data ([] when absent or null)."""
        value = self.data.get("deployments") if isinstance(self.data, Mapping) else None
        if value is None:
            return []
        if not isinstance(value, list):
            raise ProjectFileError(f"{self.filename}: `deployments` must be a list")
        return value


def _parse_tree(source: str, text: str, filename: str) -> tuple[Any, Any, list[Any]]:
    """Compose and construct ``source`` once: (root node, data, shared spans). ``text`` is
    the file as written (``source`` is the same text, or a copy with the same layout)."""
    loader = _StrictLoader(source)
    # the cyclic GC would walk the growing tree again and again while millions of nodes
    # are made (a third of the time on a 5 MB file); nothing here makes cycles to collect
    collecting = gc.isenabled()
    gc.disable()
    try:
        root = loader.get_single_node()
        walk = _walk(root, source, filename) if root is not None else None
        # constructing flattens `<<` merges INTO the nodes: keep the lists as written
        kept = [(node, list(node.value)) for node in walk.merging] if walk else []
        data = loader.construct_document(root) if root is not None else None
        for node, value in kept:
            node.value = value
        shared = _place_aliases(walk, source, filename) if walk else []
    except yaml.YAMLError as exc:
        raise parse_error(_python_message(exc, text), text, filename) from None
    except ValueError as exc:  # a scalar PyYAML resolves but cannot build: `2024-13-45`
        raise ProjectFileError(f"{filename}: {exc} (a date that does not exist?)") from None
    finally:
        loader.dispose()
        if collecting:
            gc.enable()
    return root, data, shared


def _newline(text: str) -> str:
    first_break = text.find("\n")
    return "\r\n" if first_break > 0 and text[first_break - 1] == "\r" else "\n"


# -- the shallow parse -----------------------------------------------------------------------
#
# A prefect.yaml of thousands of deployments costs seconds to build as nodes and data, though a
# run edits one entry and reads only the name and entrypoint of the others. The shallow parse:
#
# 1. libyaml parses the whole text in C without building anything (``CParser.raw_parse``):
#    the same syntax errors as the full parse (which then runs, to report them in its words);
# 2. the ``deployments:`` list (the last top-level key, a block list) is cut into its entries
#    at the lines that start an item at the list's dash column;
# 3. an entry of a plain shape (below) becomes ``- ~`` followed by blanks of the same length
#    in a copy of the text, so every other byte keeps its index, line and column; that copy
#    is composed and constructed as usual (the top level, the first entries and every entry
#    of another shape in full);
# 4. a plain entry's ``name`` and ``entrypoint`` are read from its lines (resolved as PyYAML
#    resolves a plain scalar); any other use of it parses that entry alone (:class:`LazyEntry`).
#
# Plain shape: the first line is ``- key: ...``; no quote, tab, anchor, alias, tag, merge key,
# complex key or block scalar (``|``/``>``); flow collections open and close on one line, with
# no nesting; no key twice in one mapping; ``name``/``entrypoint`` have their value on their
# own line. Such an entry means the same alone as in the file (nothing in it can reach across
# its first and last line), so parsing it alone gives the data the full parse gives.

_SHALLOW_FROM = 64  # entries; shorter lists are parsed in full (writers.prefect_yaml checks alike)
_KEEP_FIRST = 3  # entries always built: the file's style is read from them
_DEPLOYMENTS = re.compile(r"^deployments:[ ]*(?:#[^\n]*)?\r?\n", re.M)
_CONTENT_LINE = re.compile(r"^([ ]*)([^ \r\n#])", re.M)
# what is not a plain one-line scalar: a quote, a tab, a merge key, an anchor, alias, tag or
# complex key (an indicator after a blank, a bracket or a comma, followed by a name), a block
# scalar header (`|`/`>` ending its line). `0 * * * *` and `a -> b` are plain.
_NOT_PLAIN = (  # (the characters a match starts with, the pattern)
    ("\"'\t", re.compile(r"""["'\t]""")),
    ("<", re.compile(r"<<")),
    ("*", re.compile(r"\*(?<=[ \n\[{,]\*)(?=[^ \n\r,\]}])")),
    ("&!", re.compile(r"[&!](?<=[ \n\[{,][&!])(?=[^ \n\r,\]}])")),
    ("?", re.compile(r"\?(?<=[ \n\[{,]\?)")),
    ("|>", re.compile(r"[|>](?<=[ \n][|>])[-+0-9]*[ ]*(?:\#[^\n]*)?\r?(?:\n|\Z)")),
    # scalars the constructor may refuse: `=` (the value tag), a date (`2024-13-45`)
    ("=", re.compile(r"=(?<=[ \[{,]=)(?=[ \r\n,\]}]|\Z)")),
    ("-", re.compile(r"-(?<=[ \[{,][0-9]{4}-)[0-9][0-9]?-[0-9][0-9]?")),
)
# a flow collection that opens and closes on one line, none nested; a bracket that is not in
# one of these
_FLOW = re.compile(r"[\[{][^\[\]{}\n]*[\]}]")
_STRAY_BRACKET = re.compile(r"[\[{][^\[\]{}\n]*(?:[\[{\n]|\Z)|(?:\n|[\]}])[^\[\]{}\n]*[\]}]")
_FLOW_MAP = re.compile(r"\{([^\[\]{}\n,]*,[^\[\]{}\n]*)\}")  # with two keys or more
_KEY = re.compile(
    r"\n([ ]*(?:-[ ]+)*)((?!-\s)[^\s#\[\]{},](?:[^:\n]*[^:\s])?)[ ]*:(?=[ ]|\r?\n|\Z)"
)
_RESOLVER = yaml.resolver.Resolver()
_IMPLICIT_FIRST = frozenset(k for k in yaml.resolver.Resolver.yaml_implicit_resolvers if k)


def _shallow(cls: type[Document], text: str, filename: str) -> Document | None:
    """The shallow parse, or None where it does not apply (a short list, no libyaml, another
    layout, a syntax error: the full parse runs then)."""
    raw_parse = getattr(_BaseLoader, "raw_parse", None)
    if raw_parse is None or len(text) < 16 * 1024:
        return None
    if (
        "\x85" in text
        or "\u2028" in text
        or "\u2029" in text
        or text.count("\r") != text.count("\r\n")
    ):
        return None  # line breaks other than LF and CRLF: read line by line they would be missed
    found = list(_DEPLOYMENTS.finditer(text))
    if len(found) != 1:
        return None
    first = _CONTENT_LINE.search(text, found[0].end())
    if first is None or not text.startswith("- ", first.start(2)):
        return None
    dash = len(first.group(1))
    begin = first.start()
    if _ends(dash).search(text, begin):
        return None  # a top-level key (or a document marker) after the list
    item = re.compile(rf"^[ ]{{{dash}}}-(?:[ ]|\r?$)", re.M)
    starts = [m.start() for m in item.finditer(text, begin)]
    if len(starts) <= _SHALLOW_FROM:
        return None
    try:
        raw_parse(_BaseLoader(text))
    except yaml.YAMLError:
        return None  # the full parse reports it
    built = _entries_to_build(text, begin, starts, dash)
    values = _names(text, begin, starts, dash, built)
    if len(built) == len(starts):
        return None
    ends = starts[1:] + [len(text)]
    # a plain entry right after a built one stays an item (`- ~`): the built one ends there,
    # as in the file; the other plain entries are blanks
    marked = {i for i in range(1, len(starts)) if i not in built and i - 1 in built}
    blank = _blanked(text[begin:])
    pieces = [text[:begin]]
    run = None  # where the current run of blank entries starts
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        if i not in built and i not in marked:
            run = a if run is None else run
            continue
        if run is not None:
            pieces.append(blank[run - begin : a - begin])
            run = None
        if i in built:
            pieces.append(text[a:b])
        else:
            at = a - begin + dash
            pieces.append(blank[a - begin : at] + "- ~" + blank[at + 3 : b - begin])
    if run is not None:
        pieces.append(blank[run - begin :])
    source = "".join(pieces)
    root, data, shared = _parse_tree(source, text, filename)
    pair = _top_pair(root, "deployments")
    items = data.get("deployments") if isinstance(data, dict) else None
    parsed = sorted(built | marked)
    if (
        pair is None
        or not isinstance(pair[1], yaml.SequenceNode)
        or pair[1].flow_style
        or not isinstance(items, list)
        or len(items) != len(parsed)
        or len(pair[1].value) != len(parsed)
    ):
        return None  # cannot happen on a text cut as above; the full parse decides
    sequence = pair[1]
    nodes: list[Any] = [None] * len(starts)
    entries: list[Any] = [None] * len(starts)
    for k, i in enumerate(parsed):
        nodes[i], entries[i] = sequence.value[k], items[k]
        if i in marked:
            node = nodes[i]
            if not isinstance(node, yaml.ScalarNode) or node.value != "~" or entries[i] is not None:
                return None
    lazy = _Lazy(text, filename, list(zip(starts, ends, strict=True)), sequence)
    line = text.count("\n", 0, starts[0])
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        if i:
            line += text.count("\n", starts[i - 1], a)
        if i in built:
            continue
        start = yaml.error.Mark(filename, a + dash + 2, line, dash + 2, None, None)
        nodes[i] = SkippedItem(start, text, (a, b), filename)
        entries[i] = LazyEntry(lazy, i, values.get(i, {}))
        lazy.entries.append(entries[i])
    sequence.value[:] = nodes
    items[:] = entries
    return cls(text, filename, data, root, tuple(shared), _newline(text))


def _ends(dash: int) -> re.Pattern[str]:
    """A line that would end a list at column ``dash``: less indented content, or at that
    column anything but an item (``- ``) or a comment."""
    if dash == 0:
        return re.compile(r"^(?:[^ \r\n#-]|-[^ \r\n])", re.M)
    return re.compile(
        rf"^(?:[ ]{{0,{dash - 1}}}[^ \r\n#]|[ ]{{{dash}}}(?:[^ \r\n#-]|-[^ \r\n]))", re.M
    )


def _entries_to_build(text: str, begin: int, starts: list[int], dash: int) -> set[int]:
    """The entries not of the plain shape (with the first few, always built). ``begin`` is
    the start of the list (a line start)."""
    built = set(range(min(_KEEP_FIRST, len(starts))))
    first = re.compile(
        rf"[ ]{{{dash}}}-[ ][^\s#\-\[\]{{}},'\"!&*?|>%@`][^:\n]*?[ ]*:(?:[ ]|\r?$)", re.M
    )
    odd = [i for i, a in enumerate(starts) if not first.match(text, a)]
    built.update(odd)
    patterns = list(_NOT_PLAIN)
    brackets = sum(text.count(c, begin) for c in "[]{}")
    if brackets and 2 * len(_FLOW.findall(text, begin)) != brackets:
        patterns.append(("[]{}", _STRAY_BRACKET))  # some bracket is not in a one-line flow
    for triggers, pattern in patterns:
        if all(text.find(c, begin) < 0 for c in triggers):
            continue  # none of the characters it starts with: nothing to find
        for match in pattern.finditer(text, begin):
            built.add(bisect_right(starts, match.start()) - 1)
    verdicts: dict[str, bool] = {}  # entries written alike have the same flow mappings
    for match in _FLOW_MAP.finditer(text, begin):
        inside = match.group(1)
        distinct = verdicts.get(inside)
        if distinct is None:
            distinct = verdicts[inside] = _distinct_flow_keys(inside)
        if not distinct:
            built.add(bisect_right(starts, match.start()) - 1)
    # the same key twice in one mapping of an entry (the full parse refuses it)
    found = _KEY.findall(text, begin - 1)
    item = " " * dash + "- "
    heads = [j for j, (prefix, _) in enumerate(found) if prefix == item]
    if odd or len(heads) != len(starts):
        index = [bisect_right(starts, m.start() + 1) - 1 for m in _KEY.finditer(text, begin - 1)]
        heads = [bisect_left(index, i) for i in range(len(starts))]  # each entry's first key
    heads.append(len(found))
    shapes: dict[tuple[tuple[str, str], ...], bool] = {}  # entries of one shape: one answer
    for i in range(len(starts)):
        shape = tuple(found[heads[i] : heads[i + 1]])
        distinct = shapes.get(shape)
        if distinct is None:
            distinct = shapes[shape] = _distinct_block_keys(shape)
        if not distinct:
            built.add(i)
    return built


def _end(starts: list[int], index: int, text: str) -> int:
    return starts[index + 1] if index + 1 < len(starts) else len(text)


def _names(
    text: str, begin: int, starts: list[int], dash: int, built: set[int]
) -> dict[int, dict[str, Any]]:
    """``name`` and ``entrypoint`` of each plain entry, as the full parse reads them; an
    entry where either is not a one-line plain scalar joins ``built``."""
    fields = re.compile(
        rf"\n(?:[ ]{{{dash}}}-[ ]|[ ]{{{dash + 2}}})(name|entrypoint)[ ]*:([^\n]*)"
        # a plain scalar goes on over the next lines indented deeper than its key
        rf"(?=(\n(?:[ ]*\r?\n)*[ ]{{{dash + 3},}}[^ \#\r\n])?)"
    )
    found: dict[int, dict[str, Any]] = {}
    scalars: dict[str, Any] = {}
    for match in fields.finditer(text, begin - 1):
        index = bisect_right(starts, match.start() + 1) - 1
        if index in built:
            continue
        key, rest, goes_on = match.group(1, 2, 3)
        cut = rest.find(" #")  # a comment
        value = (rest if cut < 0 else rest[:cut]).strip(" \r")
        entry = found.setdefault(index, {})
        if not value or rest[0] != " " or key in entry or value[0] in "[{" or goes_on is not None:
            built.add(index)
            continue
        if value not in scalars:
            try:
                scalars[value] = _plain_scalar(value)
            except (yaml.YAMLError, ValueError):  # `=`, `2024-13-45`: as the full parse does
                built.add(index)
                continue
        entry[key] = scalars[value]
    return found


_BLANKS = bytes(0x0A if c == 0x0A else 0x20 for c in range(256))
_LINE = re.compile(r"[^\n]+")


def _blanked(text: str) -> str:
    """``text`` with every character but line breaks made a space (same length, same lines)."""
    if text.isascii():
        return text.encode("ascii").translate(_BLANKS).decode("ascii")
    return _LINE.sub(lambda m: " " * len(m.group()), text)


def _top_pair(root: Any, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return key, value
    return None


def _content_end(chunk: str) -> int:
    """Offset just after the last character of content of a plain entry (before a trailing
    comment, blanks and blank or comment lines)."""
    end = len(chunk)
    while True:
        start = chunk.rfind("\n", 0, end - 1 if end and chunk[end - 1] == "\n" else end) + 1
        line = chunk[start:end]
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            cut = line.find(" #")
            body = line if cut < 0 else line[:cut]
            return start + len(body.rstrip())
        if start == 0:
            return 0
        end = start


def _mark(filename: str, text: str, index: int, near: Any) -> Any:
    """A mark at ``index``; its line and column counted from ``near`` (a mark before it)."""
    start = int(near.start_mark.index)
    line = int(near.start_mark.line) + text.count("\n", start, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    return yaml.error.Mark(filename, index, line, column, None, None)


def _distinct_flow_keys(inside: str) -> bool:
    keys = [part.split(":", 1)[0].strip() for part in inside.split(",") if ":" in part]
    return len(set(keys)) == len(keys)


def _distinct_block_keys(found: Sequence[tuple[str, str]]) -> bool:
    """No key twice in one block mapping: a key under ``- `` opens a new mapping at its
    column; a key closes the mappings deeper than itself."""
    seen: dict[int, set[str]] = {}
    for prefix, key in found:
        column = len(prefix)
        opens = "-" in prefix  # `- key:` starts a new mapping at the key's column
        for c in [c for c in seen if c > column or (opens and c == column)]:
            del seen[c]
        keys = seen.setdefault(column, set())
        if key in keys:
            return False
        keys.add(key)
    return True


def _plain_scalar(value: str) -> Any:
    """A plain scalar as PyYAML's safe loader reads it (``123`` an int, ``~`` None)."""
    if value[0] not in _IMPLICIT_FIRST:
        return value
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    if tag == "tag:yaml.org,2002:str":
        return value
    return yaml.constructor.SafeConstructor().construct_object(yaml.ScalarNode(tag, value))


class SkippedItem(yaml.ScalarNode):
    """A deployment entry not built yet (shallow parse): its marks are the entry's own (start
    at its first key, end after its last character of content, found when first asked for);
    :meth:`Document.materialize` puts the real node in its place."""

    def __init__(self, start_mark: Any, text: str, span: tuple[int, int], filename: str) -> None:
        self.tag = "!skipped"
        self.value = ""
        self.style = None
        self.start_mark = start_mark
        self._end: Any = None
        self._where = (text, span, filename)

    @property
    def end_mark(self) -> Any:
        if self._end is None:
            text, (a, b), filename = self._where
            self._end = _mark(filename, text, a + _content_end(text[a:b]), self)
        return self._end

    @end_mark.setter
    def end_mark(self, mark: Any) -> None:
        self._end = mark


@dataclass(slots=True)
class _Lazy:
    text: str
    filename: str
    spans: list[tuple[int, int]]
    sequence: yaml.SequenceNode
    entries: list[Any] = field(default_factory=list)  # the LazyEntry objects
    loads: int = 0

    def load_all(self) -> None:
        """Build every entry not built yet from one full parse: what a walk over all their
        data costs (parsing them one by one would cost more)."""
        root, data, _ = _parse_tree(self.text, self.text, self.filename)
        pair = _top_pair(root, "deployments")
        assert pair is not None and isinstance(pair[1], yaml.SequenceNode)
        for entry in self.entries:
            if entry._lazy is not None:
                self.sequence.value[entry._index] = pair[1].value[entry._index]
                dict.clear(entry)
                dict.update(entry, data["deployments"][entry._index])
                entry._lazy = None


# after this many entries built one by one, the rest are built from one full parse
_LOAD_ALL_AFTER = 64


# the key an unbuilt entry without a cheap name or entrypoint holds (see LazyEntry.__init__)
_UNBUILT = object()


class LazyEntry(dict):  # type: ignore[type-arg]
    """A deployment entry of a shallow parse: ``name`` and ``entrypoint`` are known; any other
    use parses the entry (alone: it means the same as in the file) and fills this dict, so it
    then is the entry's data exactly."""

    __slots__ = ("_lazy", "_index", "_cheap")

    def __init__(self, lazy: _Lazy, index: int, cheap: dict[str, Any]) -> None:
        # never empty before it is built: C code that reads a dict's own storage first (the
        # json encoder's fast path for an empty dict writes ``{}`` without calling items())
        # must take the slow path, which calls the methods below and so builds the entry
        super().__init__(cheap or {_UNBUILT: None})
        self._lazy: _Lazy | None = lazy
        self._index = index
        self._cheap = cheap

    def _load(self) -> LazyEntry:
        lazy = self._lazy
        if lazy is None:
            return self
        lazy.loads += 1
        if lazy.loads > _LOAD_ALL_AFTER:  # something walks all entries' data
            lazy.load_all()
            return self
        a, b = lazy.spans[self._index]
        placeholder = lazy.sequence.value[self._index]
        # up to the next entry's dash: its collections end where they do in the whole file
        dash = int(placeholder.start_mark.column) - 2
        loader = _StrictLoader(lazy.text[a : b + dash if b < len(lazy.text) else b])
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node)
        except yaml.YAMLError as exc:  # cannot happen: the entry parsed in the whole file
            raise ProjectFileError(f"{lazy.filename}: {' '.join(str(exc).split())}") from None
        finally:
            loader.dispose()
        item = node.value[0]
        _shift(
            item,
            a,
            int(placeholder.start_mark.line) - int(item.start_mark.line),
            lazy.filename,
            set(),
        )
        lazy.sequence.value[self._index] = item
        dict.clear(self)  # the placeholder keys go: the entry's own order
        dict.update(self, data[0])
        self._lazy = None
        return self

    def __getitem__(self, key: Any) -> Any:
        if self._lazy is not None and key in self._cheap:
            return self._cheap[key]
        return dict.__getitem__(self._load(), key)

    def get(self, key: Any, default: Any = None) -> Any:
        if self._lazy is not None and key in ("name", "entrypoint"):
            return self._cheap.get(key, default)
        return dict.get(self._load(), key, default)

    def __contains__(self, key: Any) -> bool:
        if self._lazy is not None and key in ("name", "entrypoint"):
            return key in self._cheap
        return dict.__contains__(self._load(), key)

    def __iter__(self) -> Any:
        return dict.__iter__(self._load())

    def __len__(self) -> int:
        return dict.__len__(self._load())

    def __eq__(self, other: object) -> bool:
        return dict.__eq__(self._load(), other)

    def __ne__(self, other: object) -> bool:
        return dict.__ne__(self._load(), other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return dict.__repr__(self._load())

    def keys(self) -> Any:
        return dict.keys(self._load())

    def values(self) -> Any:
        return dict.values(self._load())

    def items(self) -> Any:
        return dict.items(self._load())

    def copy(self) -> dict[Any, Any]:
        return dict(dict.items(self._load()))

    def __copy__(self) -> dict[Any, Any]:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[Any, Any]:
        import copy

        return copy.deepcopy(self.copy(), memo)

    def __reduce__(self) -> Any:
        return (dict, (self.copy(),))

    def __or__(self, other: Any) -> Any:
        return self.copy() | other


# yaml.safe_dump looks representers up by exact type: a LazyEntry is dumped as the dict it is
# (through items(), which builds it), never refused
yaml.SafeDumper.add_representer(LazyEntry, yaml.representer.SafeRepresenter.represent_dict)


def _shift(node: Any, by: int, lines: int, filename: str, seen: set[int]) -> None:
    """Move a node tree parsed from a slice of the text to the slice's place in it."""
    if id(node) in seen:
        return
    seen.add(id(node))
    for attr in ("start_mark", "end_mark"):
        mark = getattr(node, attr)
        setattr(
            node,
            attr,
            yaml.error.Mark(
                filename, int(mark.index) + by, int(mark.line) + lines, int(mark.column), None, None
            ),
        )
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _shift(key, by, lines, filename, seen)
            _shift(value, by, lines, filename, seen)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _shift(child, by, lines, filename, seen)


@dataclass(slots=True)
class _Walk:
    repeats: list[tuple[yaml.Node, int]]  # (container, child index), in document order
    merging: list[yaml.MappingNode]  # mappings with a `<<` key


def _walk(root: yaml.Node, text: str, filename: str) -> _Walk | None:
    """Find repeated nodes (aliases) and merge keys, refuse cycles. Without ``&``/``*`` or
    ``<<`` in the text there is nothing to find and the tree is not walked."""
    if ("&" not in text or "*" not in text) and "<<" not in text:
        return None
    seen: set[int] = {id(root)}
    on_path: set[int] = set()
    walk = _Walk([], [])
    leave = object()
    # pre-order depth-first walk: children are popped in document order, like the events
    stack: list[Any] = [(root, None, 0)]
    while stack:
        item = stack.pop()
        if item[0] is leave:
            on_path.discard(item[1])
            continue
        node, container, index = item
        if container is not None:
            if id(node) in on_path:
                mark = node.start_mark
                raise ProjectFileError(
                    f"{filename} line {mark.line + 1}: a recursive alias (an anchor used inside "
                    "itself); Prefect cannot load that either"
                )
            if id(node) in seen:
                walk.repeats.append((container, index))
                continue
            seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            continue
        on_path.add(id(node))
        stack.append((leave, id(node), 0))
        if isinstance(node, yaml.MappingNode):
            children = [c for pair in node.value for c in pair]
            if any(key.tag == _MERGE for key, _ in node.value):
                walk.merging.append(node)
        else:
            children = list(node.value)
        for i in range(len(children) - 1, -1, -1):
            stack.append((children[i], node, i))
    return walk


def _place_aliases(walk: _Walk, text: str, filename: str) -> list[tuple[int, int, str]]:
    """Put an AliasNode (with the alias's own marks) where each repeat sits; the spans of the
    anchored nodes that aliases use."""
    if not walk.repeats:
        return []
    alias_marks = _alias_marks(text)
    if len(alias_marks) != len(walk.repeats):  # cannot happen; the re-parse checks every edit
        raise ProjectFileError(f"{filename}: could not locate its aliases")
    spans: dict[int, tuple[int, int, str]] = {}
    for (container, index), (name, start, end) in zip(walk.repeats, alias_marks, strict=True):
        if isinstance(container, yaml.MappingNode):
            key, value = container.value[index // 2]
            target = key if index % 2 == 0 else value
            alias = AliasNode(name, target, start, end)
            container.value[index // 2] = (alias, value) if index % 2 == 0 else (key, alias)
        else:
            target = container.value[index]
            container.value[index] = AliasNode(name, target, start, end)
        spans[id(target)] = (int(target.start_mark.index), int(target.end_mark.index), name)
    return sorted(spans.values())


def _alias_marks(text: str) -> list[tuple[str, Any, Any]]:
    """Every alias in the text, in order: (anchor name, start mark, end mark)."""
    marks = []
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent):
            marks.append((event.anchor, event.start_mark, event.end_mark))
    return marks


def _python_message(exc: yaml.YAMLError, text: str) -> yaml.YAMLError:
    """libyaml words some syntax errors differently: report the pure-Python parser's words
    (the ones PyYAML users and Prefect's messages know); only on this failure path."""
    if _BaseLoader is yaml.SafeLoader or isinstance(exc, ConstructorError):
        return exc
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as python_exc:
        return python_exc
    return exc


def parse_error(exc: yaml.YAMLError, text: str, filename: str) -> ProjectFileError:
    """One line naming the file, 1-based line and column, and the problem."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line, column = before.count("\n"), exc.position - (before.rfind("\n") + 1)
        problem = f"unacceptable character #x{exc.character:04x}"
    elif mark is not None:
        line, column = mark.line, mark.column
    else:
        return ProjectFileError(f"{filename} does not parse as YAML")
    problem = " ".join(str(problem or "invalid YAML").split())
    return ProjectFileError(
        f"{filename} line {line + 1}, column {column + 1}: {problem}",
        hint="Fix the file (or move it away) and run flowwiz again; it was left untouched.",
    )


__all__ = ["AliasNode", "Document", "LazyEntry", "SkippedItem", "UserError", "parse_error"]
