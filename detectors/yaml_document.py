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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from flowwiz.detectors.errors import ProjectFileError, UserError

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
    def parse(cls, text: str, filename: str = "prefect.yaml") -> Document:
        """Raises ProjectFileError (one line, 1-based line/column) for what does not parse,
        a duplicate key or a recursive alias."""
        loader = _StrictLoader(text)
        # the cyclic GC would walk the growing tree again and again while millions of nodes
        # are made (a third of the time on a 5 MB file); nothing here makes cycles to collect
        collecting = gc.isenabled()
        gc.disable()
        try:
            root = loader.get_single_node()
            walk = _walk(root, text, filename) if root is not None else None
            # constructing flattens `<<` merges INTO the nodes: keep the lists as written
            kept = [(node, list(node.value)) for node in walk.merging] if walk else []
            data = loader.construct_document(root) if root is not None else None
            for node, value in kept:
                node.value = value
            shared = _place_aliases(walk, text, filename) if walk else []
        except yaml.YAMLError as exc:
            raise parse_error(_python_message(exc, text), text, filename) from None
        finally:
            loader.dispose()
            if collecting:
                gc.enable()
        first_break = text.find("\n")
        newline = "\r\n" if first_break > 0 and text[first_break - 1] == "\r" else "\n"
        return cls(text, filename, data, root, tuple(shared), newline)

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


__all__ = ["AliasNode", "Document", "UserError", "parse_error"]
