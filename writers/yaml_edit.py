"""Editing YAML as text: the smallest cuts that turn one parsed value into another.

``Editor.item`` / ``Editor.mapping`` compare the old value of a node with the value wanted and
return edits ``(start, end, new text)`` only where they differ: a changed scalar is replaced in
place (its key, comment and quoting around it stay), a mapping or list is descended into, and a
whole value is re-dumped only when its shape changes. So a key, a list item, a comment, a
template or an alias that did not need to change keeps its bytes, and an alias is expanded
only when the value it stands for must change there.

An edit that would fall inside (or rewrite) an anchored node that an alias elsewhere uses is
refused: it would change every place that uses the anchor.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from flowwiz.detectors.errors import UserError
from flowwiz.detectors.yaml_document import AliasNode, Document

Edit = tuple[int, int, str]  # replace text[start:end] with the string
_MERGE = "tag:yaml.org,2002:merge"


# ---------------------------------------------------------------------------------------------
# YAML out


class Dumper(yaml.SafeDumper):
    """Prefect's own layout: block style, keys in insertion order, sequences not indented."""

    indent_sequences = False

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, indentless and not self.indent_sequences)


class IndentedDumper(Dumper):
    """For files whose lists are indented under their key (``key:\\n  - item``)."""

    indent_sequences = True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # unquoted, "{{" opens a YAML flow mapping: templates are always single-quoted
    if "{{" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_str(data)


for _cls in (Dumper, IndentedDumper):
    # add_representer on a subclass copies the table: PyYAML's globals stay untouched
    _cls.add_representer(str, _represent_str)


@dataclass(frozen=True, slots=True)
class Style:
    indent: int = 2
    indent_sequences: bool = False


def dump_text(obj: Any, style: Style) -> str:
    """``obj`` (plain dicts, lists, scalars) as block YAML in ``style``."""
    dumper = IndentedDumper if style.indent_sequences else Dumper
    text: str = yaml.dump(
        obj,
        Dumper=dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        indent=style.indent,
        width=1_000_000,  # never fold a long line: a template must stay on one line
    )
    return text


def scalar_text(value: Any, style: Style) -> str | None:
    """A scalar as it would follow ``key: `` on one line, or None if it needs more lines."""
    if isinstance(value, (Mapping, list, tuple)):
        return None
    text = dump_text({"k": value}, style)
    if text.count("\n") != 1 or not text.startswith("k: "):
        return None
    return text[3:-1]


# ---------------------------------------------------------------------------------------------
# where things are


def content_end(node: yaml.Node, text: str) -> int:
    """Index just after a node's last character of content.

    A block collection's end mark sits at the next token, past trailing comments and blank
    lines that belong to whatever follows; the end of its last child is what counts.
    """
    if isinstance(node, yaml.ScalarNode):
        end = int(node.end_mark.index)
        if node.style in ("|", ">"):  # block scalars end after their trailing line breaks
            start = int(node.start_mark.index)
            while end > start and text[end - 1] in " \t\r\n":
                end -= 1
        return end
    assert isinstance(node, yaml.CollectionNode)
    if node.flow_style or not node.value:
        return int(node.end_mark.index)
    last = node.value[-1]
    return content_end(last[1] if isinstance(node, yaml.MappingNode) else last, text)


def line_end(text: str, index: int) -> int:
    """Index just after the line break of the line holding ``index`` (or the end of text)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def ensure_break(text: str, at: int, new: str) -> str:
    """Text inserted at ``at`` starts on a line of its own."""
    return new if at == 0 or text[at - 1] == "\n" else "\n" + new


def is_block_mapping(node: Any) -> bool:
    return (
        isinstance(node, yaml.MappingNode)
        and not node.flow_style
        and not isinstance(node, AliasNode)
    )


def is_block_sequence(node: Any) -> bool:
    return isinstance(node, yaml.SequenceNode) and not node.flow_style


def dash_column(text: str, sequence: yaml.SequenceNode) -> int:
    first = sequence.value[0]
    start = line_start(text, first.start_mark.index)
    prefix = text[start : first.start_mark.index]
    if "-" in prefix:
        return prefix.rindex("-")
    return int(sequence.start_mark.column)


def item_content_column(text: str, sequence: yaml.SequenceNode, dash: int) -> int:
    """Where the keys of a list item start: ``- name`` puts them at dash + 2."""
    for item in sequence.value:
        if is_block_mapping(item) and item.value:
            key = item.value[0][0]
            if line_start(text, key.start_mark.index) == line_start(text, item.start_mark.index):
                column = int(key.start_mark.column)
                if column > dash:
                    return column
            break
    return dash + 2


def indent_lines(body: str, column: int, *, first: bool) -> str:
    lines = body.splitlines(keepends=True)
    pad = " " * column
    return "".join(
        line if (i == 0 and not first) or line == "\n" else pad + line
        for i, line in enumerate(lines)
    )


def item_text(item: Any, dash: int, content: int, style: Style) -> str:
    """One list item at the given columns: ``<dash>-<gap><lines>``."""
    return " " * dash + "-" + " " * (content - dash - 1) + value_text(item, content, style)


def value_text(value: Any, column: int, style: Style) -> str:
    """A value that starts where its first line's content starts (after ``- `` or at a line's
    indentation), its other lines at ``column``; ends with a line break."""
    if isinstance(value, (Mapping, list)) and value:
        return indent_lines(dump_text(value, style), column, first=False)
    one_line = scalar_text(value, style)
    if one_line is not None:
        return one_line + "\n"
    text = dump_text({"k": value}, style)  # "k: |-\n  line\n": the block scalar's layout
    return indent_lines(text[3:], column, first=False)


def pair_text(key: Any, value: Any, column: int, style: Style, *, first: bool) -> str:
    return indent_lines(dump_text({key: value}, style), column, first=first)


def apply(text: str, edits: Sequence[Edit], newline: str) -> str:
    """Apply non-overlapping edits; inserts at one place keep the order they were made in."""
    merged: dict[tuple[int, int], str] = {}
    for start, end, new in edits:
        merged[(start, end)] = merged.get((start, end), "") + new
    for (start, end), new in sorted(merged.items(), key=lambda e: e[0], reverse=True):
        text = text[:start] + new.replace("\n", newline) + text[end:]
    return text


# ---------------------------------------------------------------------------------------------
# comparing


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types (``1`` is not ``True``, ``1`` is not ``1.0``)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _overlap(old: Any, new: Any) -> bool:
    """Two non-empty mappings that share a key: worth editing key by key (a step whose one
    key changes kind, ``{set_working_directory: ..}`` to ``{git_clone: ..}``, is replaced)."""
    return (
        isinstance(old, Mapping)
        and isinstance(new, Mapping)
        and bool(new)
        and any(key in new for key in old)
    )


def _fingerprint(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr) + type(value).__name__


# ---------------------------------------------------------------------------------------------
# the editor


class Editor:
    """Edits for one document; ``what`` names the thing edited in refusals."""

    def __init__(self, doc: Document, style: Style, what: str) -> None:
        self.doc = doc
        self.text = doc.text
        self.style = style
        self.what = what
        self.edits: list[Edit] = []

    # -- recording, with the shared-anchor rule

    def _edit(self, start: int, end: int, new: str) -> None:
        for a, b, anchor in self.doc.shared:
            inside = a <= start < b if start == end else (start < b and a < end)
            if inside:
                raise UserError(
                    f"{self.what} in {self.doc.filename}: the change falls in the anchor "
                    f"&{anchor} that other entries use (*{anchor}); flowwiz will not rewrite "
                    "it (edit that part by hand)"
                )
        self.edits.append((start, end, new))

    # -- values

    def item(
        self,
        node: yaml.Node,
        old: Any,
        new: Any,
        column: int | None = None,
        order: Sequence[str] = (),
    ) -> None:
        """A list item (or any value that starts a line's content) from ``old`` to ``new``."""
        if same(old, new):
            return
        if not isinstance(node, AliasNode):
            if _overlap(old, new):
                if is_block_mapping(node) and node.value:
                    self.mapping(node, old, new, order)
                    return
            if isinstance(new, list) and new and isinstance(old, list) and is_block_sequence(node):
                self.sequence(node, old, new)
                return
            if self._scalar_in_place(node, new):
                return
        start = int(node.start_mark.index)
        end = line_end(self.text, content_end(node, self.text))
        col = int(node.start_mark.column) if column is None else column
        self._edit(start, end, self._keep_comment(node, value_text(new, col, self.style)))

    def _keep_comment(self, node: yaml.Node, new_text: str) -> str:
        """A comment that ended the replaced value's line (``tags: [a]  # owned by team A``)
        ends the new text's first line: a comment is the user's, never flowwiz's to drop."""
        end = content_end(node, self.text)
        tail = self.text[end : line_end(self.text, end)].rstrip("\r\n")
        if not tail.strip().startswith("#") or not new_text.endswith("\n"):
            return new_text
        first, _, rest = new_text.partition("\n")
        return first + tail + "\n" + rest

    def _scalar_in_place(self, node: yaml.Node, new: Any) -> bool:
        if not isinstance(node, yaml.ScalarNode) or node.style in ("|", ">"):
            return False
        if node.start_mark.index == node.end_mark.index:  # `key:` with nothing after it
            return False
        text = scalar_text(new, self.style)
        if text is None:
            return False
        self._edit(int(node.start_mark.index), int(node.end_mark.index), text)
        return True

    def mapping(
        self,
        node: yaml.MappingNode,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        order: Sequence[str] = (),
    ) -> None:
        """A block mapping from ``old`` (its data, merges included) to ``new``: keys missing
        from ``new`` go, changed ones are edited, new ones go after their nearest earlier
        neighbour in ``order`` (default: the order of ``new``)."""
        text = self.text
        pairs: dict[Any, tuple[int, yaml.Node, yaml.Node]] = {}
        for i, (key, value) in enumerate(node.value):
            if key.tag == _MERGE or isinstance(key, AliasNode):
                continue
            if isinstance(key, yaml.ScalarNode):
                pairs[key.value] = (i, key, value)
        column = int(node.value[0][0].start_mark.column)
        # keys are compared as the text YAML holds: str keys written plainly
        for key_text, (i, _, _) in pairs.items():
            if key_text not in new and key_text in old:
                self._delete_pair(node, i)
        inserts: dict[int, str] = {}
        order_list = list(order) or list(new)
        for name in new:
            if name not in order_list:
                order_list.append(name)
        for name, want in new.items():
            found = pairs.get(name) if isinstance(name, str) else None
            if found is not None:
                _, key, value = found
                if not same(old.get(name), want):
                    self._pair(key, value, name, old.get(name), want, column)
                continue
            if name in old and same(old[name], want):  # from a `<<` merge already
                continue
            at = self._after_neighbour(pairs, order_list, name, node)
            inserts[at] = inserts.get(at, "") + pair_text(
                name, want, column, self.style, first=True
            )
        for at, new_text in inserts.items():
            self._edit(at, at, ensure_break(text, at, new_text))

    def _pair(
        self, key: yaml.Node, value: yaml.Node, name: Any, old: Any, new: Any, column: int
    ) -> None:
        if not isinstance(value, AliasNode):
            if _overlap(old, new):
                if is_block_mapping(value) and value.value:
                    self.mapping(value, old, new)
                    return
            if isinstance(new, list) and new and isinstance(old, list) and is_block_sequence(value):
                self.sequence(value, old, new)
                return
            if self._scalar_in_place(value, new):
                return
        start = int(key.start_mark.index)
        end = line_end(self.text, content_end(value, self.text))
        text = pair_text(name, new, column, self.style, first=False)
        self._edit(start, end, self._keep_comment(value, text))

    def _delete_pair(self, node: yaml.MappingNode, index: int) -> None:
        text = self.text
        key, value = node.value[index]
        start = line_start(text, key.start_mark.index)
        end = line_end(text, content_end(value, text))
        if text[start : key.start_mark.index].strip():  # `- key: ...`: the dash stays
            if index + 1 < len(node.value):
                self._edit(
                    int(key.start_mark.index), int(node.value[index + 1][0].start_mark.index), ""
                )
                return
            self._edit(int(key.start_mark.index), end, "{}\n")
            return
        self._edit(start, end, "")

    def _after_neighbour(
        self,
        pairs: Mapping[Any, tuple[int, yaml.Node, yaml.Node]],
        order: list[Any],
        name: Any,
        node: yaml.MappingNode,
    ) -> int:
        for earlier in reversed(order[: order.index(name)]):
            if earlier in pairs:
                return line_end(self.text, content_end(pairs[earlier][2], self.text))
        return line_end(self.text, content_end(node, self.text))

    def sequence(self, node: yaml.SequenceNode, old: list[Any], new: list[Any]) -> None:
        """A block list from ``old`` to ``new``: unchanged items keep their text, changed
        items are edited in place, new ones inserted where they belong."""
        if len(old) != len(node.value):
            raise UserError(f"{self.what} in {self.doc.filename}: a list did not read back")
        text = self.text
        dash = dash_column(text, node)
        content = item_content_column(text, node, dash)
        matcher = difflib.SequenceMatcher(
            None, [_fingerprint(v) for v in old], [_fingerprint(v) for v in new], autojunk=False
        )
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
            for k in range(paired):
                self.item(node.value[i1 + k], old[i1 + k], new[j1 + k])
            for k in range(i1 + paired, i2):
                item = node.value[k]
                self._edit(
                    line_start(text, item.start_mark.index),
                    line_end(text, content_end(item, text)),
                    "",
                )
            if j1 + paired < j2:
                if i2 < len(node.value):
                    at = line_start(text, node.value[i2].start_mark.index)
                else:
                    at = line_end(text, content_end(node.value[-1], text))
                body = "".join(
                    item_text(v, dash, content, self.style) for v in new[j1 + paired : j2]
                )
                self._edit(at, at, ensure_break(text, at, body))
