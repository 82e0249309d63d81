"""detectors.yaml_document's shallow parse of a long deployments list, against the full parse.

The shallow parse builds only the top level, the first entries and the entries of a shape it
does not read line by line; the others keep their name and entrypoint and are built when used.
Everything a run can see must be the same as after the full parse: the data, the positions the
splice cuts at, the errors, and what ``render`` writes (text, diff, entry) for an update, an
addition and a refusal.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from flowwiz.detectors.errors import FlowwizError, ProjectFileError
from flowwiz.detectors.yaml_document import Document, LazyEntry, SkippedItem
from flowwiz.writers.plan import DeploymentPlan, GitStorage, Schedule
from flowwiz.writers.prefect_yaml import find_entry, render
from flowwiz.writers.yaml_edit import content_end

HEADER = """\
# the shop's flows
name: shop
prefect-version: 3.9.1
definitions:
  base: &base
    work_pool: {name: prod, work_queue_name: default}
    tags: [shared]
build: null
push: null
pull:
- prefect.deployments.steps.git_clone:
    repository: https://github.com/acme/shop.git
    branch: main
deployments:
"""


def plain(i: int, dash: str = "", inner: str = "  ") -> str:
    p = dash + inner
    return (
        f"{dash}- name: d{i}\n{p}entrypoint: flows/etl.py:etl\n{p}tags: [t{i % 7}, x]\n"
        f"{p}parameters: {{count: {i}, label: a b}}\n"
        f"{p}work_pool: {{name: prod, work_queue_name: default}}\n"
        f"{p}schedules:\n{p}- cron: 0 {i % 24} * * *\n"
        f"{p}description: runs a -> b & c, 50% of it #{i}  # a comment\n"
        f"{p}pull:\n{p}- prefect.deployments.steps.git_clone:\n"
        f"{p}    repository: https://github.com/acme/shop.git\n{p}    branch: main\n"
    )


# entries of every shape the line reader must leave to the parser, or must read right
ODD = [
    "- name: quoted\n  entrypoint: 'flows/etl.py:etl'\n  description: \"a\n    b\"\n",
    "- name: block\n  entrypoint: flows/etl.py:etl\n  description: |\n    - name: fake\n    x\n",
    "- <<: *base\n  name: merged\n  entrypoint: flows/etl.py:etl\n",
    "- name: aliased\n  entrypoint: flows/etl.py:etl\n  work_pool: *base\n",
    "- name: 123\n  entrypoint: flows/etl.py:etl\n",
    "- name: yes\n  entrypoint: flows/etl.py:etl\n",
    "- name: long\n    name goes on\n  entrypoint: flows/etl.py:etl\n",
    "- entrypoint: flows/etl.py:etl\n  name: second-key\n",
    "- tags: [a]\n  entrypoint: flows/other.py:other\n",
    "- name: legacy\n  entrypoint: flows/etl.py:etl\n  schedule: {cron: 0 1 * * *}\n",
    "- name: two-schedules\n  entrypoint: flows/etl.py:etl\n  schedules:\n  - cron: 0 1 * * *\n"
    "    timezone: UTC\n  - cron: 0 2 * * *\n    timezone: UTC\n",
    "- name: nested\n  entrypoint: flows/etl.py:etl\n  parameters: {a: [1, 2]}\n",
    "- name: spread\n  entrypoint: flows/etl.py:etl\n  tags: [a,\n    b]\n",
    "- name: tagged\n  entrypoint: !!str flows/etl.py:etl\n",
    "- name: ünïcode\n  entrypoint: flows/etl.py:etl\n  description: café ✓\n",
    "- name: d5\n  entrypoint: flows/other.py:other\n",  # same name, another flow
    "- name: ~\n  entrypoint: flows/etl.py:etl\n",
    "- name: 2024-01-02\n  entrypoint: flows/etl.py:etl\n",
    "- name: commented  # the name\n  entrypoint: flows/etl.py:etl # here\n\n# between\n",
    "- name: flowmap-dups-fine\n  entrypoint: flows/etl.py:etl\n  parameters: {a: 1, b: 2}\n",
]


def document(count: int = 120, *, dash: str = "", inner: str = "  ", odd: bool = True) -> str:
    entries = [plain(i, dash, inner) for i in range(count)]
    if odd:
        for k, text in enumerate(ODD):
            if dash:
                text = "".join(
                    dash + line if line.strip() else line for line in text.splitlines(True)
                )
            entries.insert(10 + 5 * k, text)
    return HEADER + "".join(entries)


def make_plan(name: str, **changes: Any) -> DeploymentPlan:
    plan = DeploymentPlan(
        project_root=Path("/srv/shop"),
        prefect_yaml=Path("/srv/shop/prefect.yaml"),
        project_name="shop",
        name=name,
        flow_name="etl",
        entrypoint="flows/etl.py:etl",
        storage=GitStorage("https://github.com/acme/shop.git", branch="main"),
        work_pool="prod",
        tags=("fresh",),
        schedules=(Schedule("cron", "0 5 * * *", "UTC"),),
    )
    return dataclasses.replace(plan, **changes)


def both(text: str) -> tuple[Document, Document]:
    shallow = Document.parse(text, shallow=True)
    assert any(isinstance(e, LazyEntry) for e in shallow.data["deployments"]), "not shallow"
    return shallow, Document.parse(text)


def flow_of(entrypoint: str) -> str | None:
    return {"flows/etl.py:etl": "etl", "flows/other.py:other": "other"}.get(entrypoint)


LAYOUTS = {
    "flowwiz": {},
    "indented lists": {"dash": "  ", "inner": "  "},
    "crlf": {"crlf": True},
}


def layout_text(layout: str) -> str:
    options = dict(LAYOUTS[layout])
    crlf = options.pop("crlf", False)
    text = document(**options)
    return text.replace("\n", "\r\n") if crlf else text


@pytest.mark.parametrize("layout", LAYOUTS)
def test_same_names_positions_and_data_as_the_full_parse(layout: str) -> None:
    text = layout_text(layout)
    shallow, full = both(text)
    lazy = shallow.data["deployments"]
    expected = full.data["deployments"]
    # what matching reads needs no entry built
    assert [e.get("name") for e in lazy] == [e.get("name") for e in expected]
    assert [e.get("entrypoint") for e in lazy] == [e.get("entrypoint") for e in expected]
    assert [("name" in e) for e in lazy] == [("name" in e) for e in expected]
    assert any(isinstance(e, LazyEntry) and e._lazy is not None for e in lazy)
    s_items = shallow.top_pair("deployments")[1].value
    f_items = full.top_pair("deployments")[1].value
    assert [i.start_mark.index for i in s_items] == [i.start_mark.index for i in f_items]
    assert [content_end(i, text) for i in s_items] == [content_end(i, text) for i in f_items]
    for item, same in zip(s_items, f_items, strict=True):
        if not isinstance(item, SkippedItem):  # built up front: the very nodes of the full parse
            assert _marks(item) == _marks(same)
    for item in s_items:  # an entry not built: its end is the end of its content
        end = item.end_mark
        assert end.line == text.count("\n", 0, end.index)
        assert end.column == end.index - (text.rfind("\n", 0, end.index) + 1)
    # built one by one, every entry is the full parse's, nodes and marks included
    for index in (3, 50, len(lazy) - 1):
        shallow.materialize(index)
        assert _marks(s_items[index]) == _marks(f_items[index])
    assert (
        shallow.data == full.data
    )  # compares every entry: past 64, one full parse builds the rest
    assert shallow.shared == full.shared
    assert not any(isinstance(i, SkippedItem) for i in s_items)
    for index in (100, 110, len(lazy) - 2):
        assert _marks(s_items[index]) == _marks(f_items[index])


def _marks(node: Any) -> list[Any]:
    out = [
        (
            type(node).__name__,
            node.tag,
            node.start_mark.index,
            node.start_mark.line,
            node.start_mark.column,
            node.end_mark.index,
            node.end_mark.line,
            node.end_mark.column,
        )
    ]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out += _marks(key) + _marks(value)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            out += _marks(child)
    return out


CASES = [
    "d60",  # a plain entry in the middle
    "d119",  # the last one
    "d5",  # a plain one whose name another flow's entry shares
    "123",  # `name: 123`
    "merged",  # an entry with a `<<:` merge
    "legacy",  # legacy `schedule:`
    "two-schedules",
    "ünïcode",
    "commented",
    "brand-new",  # added at the end
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", CASES)
def test_render_writes_the_same_as_after_the_full_parse(layout: str, name: str) -> None:
    text = layout_text(layout)
    shallow, full = both(text)
    plan = make_plan(name)
    got = render(plan, shallow, flow_of=flow_of)
    want = render(plan, full, flow_of=flow_of)
    assert (got.text, got.action, got.entry_text, got.diff) == (
        want.text,
        want.action,
        want.entry_text,
        want.diff,
    )
    assert got.previous == want.previous
    # and from the text alone (the re-read under the lock parses shallow too)
    again = render(plan, text, flow_of=flow_of)
    assert again.text == want.text


def test_refusals_are_the_same() -> None:
    text = document()
    for plan in (
        make_plan("aliased"),
        make_plan("d5", flow_name="other", entrypoint="flows/other.py:other"),
    ):
        outcomes = []
        for doc in both(text):
            try:
                outcomes.append(render(plan, doc, flow_of=flow_of).text)
            except FlowwizError as exc:
                outcomes.append(type(exc).__name__ + ": " + exc.message)
        assert outcomes[0] == outcomes[1]
    # two entries etl/d7: matching walks every entry, built or not
    twice = document() + plain(7)
    for doc in both(twice):
        with pytest.raises(FlowwizError, match="more than one deployment named 'd7'"):
            find_entry(doc.deployments(), "d7", "etl", "flows/etl.py:etl", flow_of)


@pytest.mark.parametrize(
    "broken",
    [
        "  tags: [a\n",  # a flow list never closed
        "  tags: [a]\n  tags: [b]\n",  # a key twice
        "  work_pool:\n    name: a\n    name: b\n",  # a key twice, deeper
        "  parameters: {a: 1, a: 2}\n",  # a key twice in a flow mapping
        "  bad: x: y\n",  # mapping values are not allowed here
        "   deeper: x\n",  # bad indentation
        "  alias: *nowhere\n",  # an undefined alias
        "  parameters: {when: =}\n",  # the value tag: no constructor
        "  parameters:\n    start: 2024-13-45\n",  # a date that does not exist
        "  description: a\n  x\n",  # not a key
    ],
)
def test_a_problem_in_any_entry_is_the_full_parse_error(broken: str) -> None:
    entries = [plain(i) for i in range(120)]
    entries[77] = entries[77] + broken
    text = HEADER + "".join(entries)
    with pytest.raises(ProjectFileError) as full:
        Document.parse(text)
    with pytest.raises(ProjectFileError) as shallow:
        Document.parse(text, shallow=True)
    assert shallow.value.message == full.value.message


def test_short_lists_and_other_layouts_take_the_full_parse() -> None:
    short = HEADER + "".join(plain(i) for i in range(40))
    assert not any(
        isinstance(e, LazyEntry) for e in Document.parse(short, shallow=True).deployments()
    )
    after = document() + "definitions2: {}\n"  # a top-level key after the list
    assert not any(
        isinstance(e, LazyEntry) for e in Document.parse(after, shallow=True).deployments()
    )
    doc = Document.parse(after, shallow=True)
    assert doc.data == Document.parse(after).data


def test_a_lazy_entry_is_its_data_once_used() -> None:
    text = document()
    shallow, full = both(text)
    index = [e.get("name") for e in full.deployments()].index("d100")
    entry = shallow.deployments()[index]
    assert isinstance(entry, LazyEntry) and entry._lazy is not None
    want = full.deployments()[index]
    assert dict(entry) == want and entry == want and list(entry) == list(want)
    assert entry["work_pool"] == {"name": "prod", "work_queue_name": "default"}
    import copy
    import json

    assert json.dumps(entry) == json.dumps(want)
    assert copy.deepcopy(entry) == want


@pytest.mark.parametrize("layout", LAYOUTS)
def test_c_code_reading_unbuilt_entries_sees_their_data(layout: str) -> None:
    """The json encoder writes an empty dict's storage as ``{}`` without calling items(), and
    yaml.safe_dump picks representers by exact type: unbuilt entries must still come out whole
    (a real 118-deployment prefect.yaml came out of json.dumps as 117 ``{}``)."""
    import json

    text = layout_text(layout)
    for dump in (
        lambda data: json.dumps(data, default=str),
        lambda data: json.dumps(data, sort_keys=True, default=str),
        yaml.safe_dump,
        lambda data: repr(dict(data)),
    ):
        shallow, full = both(text)
        assert dump(shallow.data) == dump(full.data)
