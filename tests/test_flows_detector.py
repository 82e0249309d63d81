"""detectors.flows over the flow corpus (tests/flow_corpus, materialized) and small trees."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flowwiz.detectors.errors import DetectionError
from flowwiz.detectors.flows import (
    MAX_SOURCE_BYTES,
    PROGRESS_EVERY,
    Flow,
    FlowScan,
    Parameter,
    Skipped,
    find_flows,
    flows_in_file,
    parse_entrypoint,
)
from tests.flowcorpus import expected, materialize_flow_corpus

FLOW_SRC = "from prefect import flow\n\n\n@flow\ndef {name}():\n    pass\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return materialize_flow_corpus(tmp_path_factory.mktemp("corpus") / "project")


@pytest.fixture(scope="module")
def scan(corpus: Path) -> FlowScan:
    return find_flows(corpus)


def by_entrypoint(scan: FlowScan) -> dict[str, Flow]:
    return {f.entrypoint: f for f in scan.flows}


# --- the corpus as a whole ---------------------------------------------------------------------


def test_corpus_finds_exactly_the_expected_entrypoints(scan: FlowScan) -> None:
    assert sorted(f.entrypoint for f in scan.flows) == sorted(expected()["flows"])


def test_corpus_reports_unparsable_files_as_skipped(scan: FlowScan) -> None:
    assert scan.skipped == tuple(
        Skipped(path, reason) for path, reason in sorted(expected()["skipped"].items())
    )


def test_nothing_pruned_or_wrongly_decorated_is_listed(scan: FlowScan) -> None:
    found = {f.entrypoint for f in scan.flows}
    assert found.isdisjoint(expected()["not_flows"])
    assert found.isdisjoint(expected()["pruned"])
    # no path through the symlinked directory or the loop
    assert not [f for f in scan.flows if f.path.startswith(("loop/", "linked_flows/"))]


def test_corpus_counts_and_prefilter(scan: FlowScan) -> None:
    # 31 .py files survive pruning and ignore rules. Four never say "prefect" and fail the byte
    # pre-filter: not_flows/no_prefect_word.py, names/constants.py, params/models.py and
    # factories/uses_team.py; uses_team.py names a decorator factory found in the first pass
    # (factories/team.py), so the second pass parses it
    assert scan.files_seen == 31
    assert scan.files_parsed == 28


def test_flows_are_sorted_by_path_then_line(scan: FlowScan) -> None:
    keys = [(f.path, f.line) for f in scan.flows]
    assert keys == sorted(keys)
    names = [f.function for f in scan.flows if f.path == "names/names.py"]
    assert names == [
        "non_literal_name",
        "fstring_name",
        "explicit_name",
        "empty_call",
        "name_none",
        "blank_first_line",
        "runtime_name",
        "imported_constant_name",
        "module_constant_name",
    ]


def test_scan_is_deterministic(corpus: Path, scan: FlowScan) -> None:
    again = find_flows(corpus)
    assert again == scan


def test_scan_root_and_entrypoint_form(corpus: Path, scan: FlowScan) -> None:
    assert scan.root == corpus
    for f in scan.flows:
        assert f.entrypoint == f"{f.path}:{f.function}"
        assert not f.path.startswith(("/", "./"))


# --- per-flow fields ----------------------------------------------------------------------------


def test_realistic_etl_flow_fields(scan: FlowScan) -> None:
    flows = by_entrypoint(scan)
    assert flows["flows/etl.py:etl"] == Flow(
        entrypoint="flows/etl.py:etl",
        path="flows/etl.py",
        function="etl",
        name="etl",
        description="Extract rows from a source and load them.",
        line=26,
        is_async=False,
        parameters=(
            Parameter("source", "str", None, "positional"),
            Parameter("limit", "Optional[int]", "None", "positional"),
            Parameter("dry_run", "bool", "False", "positional"),
        ),
    )
    # name= and description= literals win over the function name and the docstring
    assert flows["flows/etl.py:nightly_etl"] == Flow(
        entrypoint="flows/etl.py:nightly_etl",
        path="flows/etl.py",
        function="nightly_etl",
        name="Nightly ETL",
        description="Runs every night at 2am.",
        line=36,
        is_async=False,
        parameters=(),
    )


def test_async_flows(scan: FlowScan) -> None:
    flows = by_entrypoint(scan)
    daily = flows["flows/reports.py:daily_report"]
    assert daily.is_async is True
    assert daily.name == "daily-report"  # Prefect's own default: "_" becomes "-"
    assert daily.description == "Build the daily report."
    assert daily.parameters == (
        Parameter("day", "str", None, "positional"),
        Parameter("recipients", "list[str] | None", "None", "keyword_only"),
        Parameter("retries", "int", "3", "keyword_only"),
    )
    weekly = flows["flows/reports.py:weekly_report"]
    assert (weekly.is_async, weekly.name, weekly.line) == (True, "weekly-report", 13)
    assert flows["aliases/module_as.py:via_alias_call"].is_async is True
    assert flows["not_flows/nested.py:outer"].is_async is True
    assert flows["flows/etl.py:etl"].is_async is False


def test_parameters_of_every_kind(scan: FlowScan) -> None:
    every = by_entrypoint(scan)["params/every_kind.py:every_kind"]
    assert every.parameters == (
        Parameter("a", None, None, "positional"),
        Parameter("b", "int", "1", "positional"),
        # a quoted annotation is the type inside the quotes; defaults keep their source text
        Parameter("c", "list[str]", "[\"x\", 'y']", "positional"),
        Parameter("args", "str", None, "var_positional"),
        Parameter("d", "Optional[int]", "None", "keyword_only"),
        Parameter("e", "bool", None, "keyword_only"),
        # a default spanning lines is rendered on one line
        Parameter("f", "dict[str, int]", "{'x': 1}", "keyword_only"),
        Parameter("g", None, "DEFAULT_TAGS", "keyword_only"),
        Parameter("kwargs", "Any", None, "var_keyword"),
    )
    assert [p.name for p in every.parameters if p.required] == ["a", "e"]
    assert by_entrypoint(scan)["params/every_kind.py:no_parameters"].parameters == ()


def test_parameter_required() -> None:
    assert Parameter("x", None, None, "positional").required
    assert Parameter("x", "int", None, "keyword_only").required
    assert not Parameter("x", "int", "None", "positional").required  # default None is a default
    assert not Parameter("args", None, None, "var_positional").required
    assert not Parameter("kwargs", None, None, "var_keyword").required


def test_names_and_descriptions(scan: FlowScan) -> None:
    flows = by_entrypoint(scan)
    names = {ep.split(":")[1]: f.name for ep, f in flows.items() if f.path == "names/names.py"}
    assert names == {
        "non_literal_name": "computed",  # name=CONSTANT of the module
        "fstring_name": "computed-x",  # name=f"{CONSTANT}-x"
        "explicit_name": "Explicit Name",
        "empty_call": "empty-call",
        "name_none": "name-none",
        "blank_first_line": "blank-first-line",
        "runtime_name": "runtime-name",  # name=call(): known only at run time
        "imported_constant_name": "report-from-constants",  # from constants import NAME
        "module_constant_name": "report-from-constants",  # constants.NAME
    }
    assert flows["names/names.py:explicit_name"].description == "Has an explicit name."
    assert flows["names/names.py:blank_first_line"].description == "Starts after a blank line."
    assert flows["names/names.py:non_literal_name"].description is None
    assert flows["aliases/flow_as.py:aliased_call"].name == "aliased-call"
    assert flows["aliases/module_as.py:via_alias_call"].name == "Via Alias Call"


def test_encodings(scan: FlowScan) -> None:
    flows = by_entrypoint(scan)
    # a PEP 263 coding cookie is honoured, as Python itself does when importing
    assert flows["encodings/latin1_cookie.py:latin_with_cookie"].description == "Résumé du jour."
    assert flows["encodings/utf8_bom.py:bom_flow"].line == 5


# --- import resolution, in small files ----------------------------------------------------------


def write(root: Path, relpath: str, text: str) -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("source", "expected_functions"),
    [
        ("from prefect import flow\n@flow\ndef a(): pass\n", ["a"]),
        ("import prefect\n@prefect.flow()\ndef a(): pass\n", ["a"]),
        ("import prefect.deployments\n@prefect.flow\ndef a(): pass\n", ["a"]),
        ("from prefect import flows\n@flows.flow\ndef a(): pass\n", ["a"]),
        ("import prefect.flows as pf\n@pf.flow\ndef a(): pass\n", ["a"]),
        # bare @flow with no import at all: Prefect would fail at import time too
        ("# prefect\n@flow\ndef a(): pass\n", []),
        ("import prefect\n@prefect.task\ndef a(): pass\n", []),
        ("from prefect import task as flow\n@flow\ndef a(): pass\n", []),
        ("from .prefect import flow\n@flow\ndef a(): pass\n", []),
        ("import prefect\nfrom other import flow\n@flow\ndef a(): pass\n", []),
        # a later unconditional import of another `flow` replaces prefect's
        ("from prefect import flow\nfrom other import flow\n@flow\ndef a(): pass\n", []),
        ("from prefect import flow\nflow = 3\n@flow\ndef a(): pass\n", []),
        # defined at module level inside if/with blocks: still module attributes
        ("from prefect import flow\nif True:\n    @flow\n    def a(): pass\n", ["a"]),
        ("from prefect import flow\nclass C:\n    @flow\n    def m(self): pass\n", []),
        ("from prefect import flow\n@other\n@flow(retries=1)\ndef a(): pass\n", ["a"]),
        ("from prefect import flow\n@flow.with_options(name='x')\ndef a(): pass\n", []),
        ("from prefect import flow\nx = '@flow'\ndef a(): pass\n", []),
    ],
)
def test_decorator_resolution(tmp_path: Path, source: str, expected_functions: list[str]) -> None:
    write(tmp_path, "m.py", source)
    assert [f.function for f in flows_in_file(tmp_path, "m.py")] == expected_functions


def test_progress_is_reported_every_n_files_and_at_the_end(tmp_path: Path) -> None:
    total = PROGRESS_EVERY * 2 + 7
    for i in range(total):
        write(tmp_path, f"pkg{i % 5}/m{i}.py", "x = 1\n")
    calls: list[int] = []
    scan = find_flows(tmp_path, progress=calls.append)
    assert calls == [PROGRESS_EVERY, PROGRESS_EVERY * 2, total]
    assert (scan.files_seen, scan.files_parsed, scan.flows) == (total, 0, ())


def test_progress_final_count_is_not_repeated(tmp_path: Path) -> None:
    for i in range(PROGRESS_EVERY):
        write(tmp_path, f"m{i}.py", "")
    calls: list[int] = []
    find_flows(tmp_path, progress=calls.append)
    assert calls == [PROGRESS_EVERY]
    empty = tmp_path / "empty"
    empty.mkdir()
    calls.clear()
    assert find_flows(empty, progress=calls.append).files_seen == 0
    assert calls == [0]


def test_a_project_root_that_is_itself_a_virtualenv_is_still_scanned(tmp_path: Path) -> None:
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\n")
    write(tmp_path, "flows/f.py", FLOW_SRC.format(name="f"))
    write(tmp_path, "lib/python3.11/site-packages/dep/x.py", FLOW_SRC.format(name="dep"))
    assert [f.entrypoint for f in find_flows(tmp_path).flows] == ["flows/f.py:f"]


def test_unreadable_file_is_skipped_not_fatal(tmp_path: Path) -> None:
    write(tmp_path, "good.py", FLOW_SRC.format(name="good"))
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
    write(tmp_path, "nul.py", "from prefect import flow\n@flow\ndef a(): pass\n\x00\n")
    scan = find_flows(tmp_path)
    assert [f.entrypoint for f in scan.flows] == ["good.py:good"]
    assert [s.path for s in scan.skipped] == ["dangling.py", "nul.py"]
    assert scan.skipped[0].reason == "cannot be read: No such file or directory"
    assert "null bytes" in scan.skipped[1].reason
    assert all("\n" not in s.reason for s in scan.skipped)


def test_fifo_and_huge_files_do_not_stall_the_scan(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")  # no writer: opening it blocking would hang forever
    huge = "from prefect import flow\n@flow\ndef big(): pass\n" + "#" * MAX_SOURCE_BYTES
    write(tmp_path, "generated.py", huge)
    write(tmp_path, "ok.py", FLOW_SRC.format(name="ok"))
    scan = find_flows(tmp_path)
    assert [f.entrypoint for f in scan.flows] == ["ok.py:ok"]
    assert scan.skipped == (Skipped("generated.py", "cannot be read: larger than 16 MB"),)
    assert scan.files_seen == 3


def test_symlinked_file_is_listed_under_its_own_path(tmp_path: Path) -> None:
    write(tmp_path, "real/f.py", FLOW_SRC.format(name="f"))
    (tmp_path / "alias.py").symlink_to(tmp_path / "real" / "f.py")
    assert [f.entrypoint for f in find_flows(tmp_path).flows] == ["alias.py:f", "real/f.py:f"]


def test_find_flows_rejects_a_missing_root(tmp_path: Path) -> None:
    with pytest.raises(DetectionError, match="is not a directory"):
        find_flows(tmp_path / "nope")


# --- flows_in_file ------------------------------------------------------------------------------


def test_flows_in_file_matches_the_scan(corpus: Path, scan: FlowScan) -> None:
    from_scan = tuple(f for f in scan.flows if f.path == "flows/etl.py")
    assert flows_in_file(corpus, "flows/etl.py") == from_scan
    assert flows_in_file(corpus, "./flows/../flows/etl.py") == from_scan
    assert flows_in_file(corpus, str(corpus / "flows" / "etl.py")) == from_scan


def test_flows_in_file_reads_pruned_and_ignored_files_when_asked(corpus: Path) -> None:
    # a hand-typed entrypoint is the user's choice: no pruning or ignore rules apply
    assert [f.entrypoint for f in flows_in_file(corpus, "generated/gen_flow.py")] == [
        "generated/gen_flow.py:gen_flow"
    ]


@pytest.mark.parametrize(
    ("relpath", "message"),
    [
        ("flows/missing.py", "flows/missing.py: no such file in "),
        ("flows", "flows: no such file in "),
        ("broken/syntax_error.py", "broken/syntax_error.py: syntax error line 5: invalid syntax"),
        ("encodings/latin1_no_cookie.py", "does not decode as UTF-8"),
        ("../outside.py", "is not a file inside the project root"),
        ("/etc/hostname", "/etc/hostname is outside the project root"),
    ],
)
def test_flows_in_file_errors(corpus: Path, relpath: str, message: str) -> None:
    with pytest.raises(DetectionError) as info:
        flows_in_file(corpus, relpath)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


# --- parse_entrypoint ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_parts"),
    [
        ("flows/etl.py:etl", ("flows/etl.py", "etl")),
        ("  etl.py:main_flow \n", ("etl.py", "main_flow")),
        ("C:/repo/flows.py:f", ("C:/repo/flows.py", "f")),
        ("a b/x.py:_private", ("a b/x.py", "_private")),
        ("flows/jobs.py:Jobs.nightly", ("flows/jobs.py", "Jobs.nightly")),
    ],
)
def test_parse_entrypoint(text: str, expected_parts: tuple[str, str]) -> None:
    assert parse_entrypoint(text) == expected_parts


@pytest.mark.parametrize(
    "text",
    [
        "",
        "flows/etl.py",
        "flows/etl.py:",
        ":etl",
        "flows/etl:etl",
        "etl.py:1abc",
        "etl.py:class",
        "etl.py:a.b.c",
        "etl.py:A.class",
        ".py:f",
        "module.sub:func",
    ],
)
def test_parse_entrypoint_rejects(text: str) -> None:
    with pytest.raises(DetectionError) as info:
        parse_entrypoint(text)
    message = str(info.value)
    assert "expected <path/to/file.py>:<function>" in message
    assert "\n" not in message


# --- forms Prefect's loader loads (issue 11) ---------------------------------------------------


def test_decorator_factories_of_the_repository(scan: FlowScan) -> None:
    flows = by_entrypoint(scan)
    names = {ep.split(":")[1]: f.name for ep, f in flows.items() if f.path.startswith("factories/")}
    assert names == {
        "team_report": "team-report",  # name=TEAM_NAME imported from team.py
        "team_default": "team-default",
        "named_by_position": "team-named",  # the factory's `name` parameter, by position
        "plain_team": "plain-team",  # a plain decorator: the name its flow() call gives
        "computed_name": "computed-name",  # team.TEAM_NAME + "-2": run time only
    }
    assert [p.name for p in flows["factories/uses_team.py:team_report"].parameters] == ["day"]
    assert "factories/uses_team.py:not_a_flow" not in flows  # team.helper is no factory


def test_module_level_flow_assignments(scan: FlowScan) -> None:
    flows = by_entrypoint(scan)
    assigned = flows["forms/assigned.py:assigned"]
    assert (assigned.name, assigned.function, assigned.description) == (
        "assigned-flow", "assigned", "Loads rows."
    )
    assert [p.name for p in assigned.parameters] == ["limit"]
    assert flows["forms/assigned.py:assigned_bare"].name == "-extract"  # `_extract` as Prefect
    assert flows["forms/assigned.py:constructed"].description == "Made by Flow()"
    assert flows["forms/assigned.py:with_kwargs"].name == "flow-with-fn"
    assert "forms/assigned.py:not_a_flow" not in flows
    assert "forms/assigned.py:load" not in flows


def test_static_and_class_method_flows(scan: FlowScan, corpus: Path) -> None:
    flows = by_entrypoint(scan)
    nightly = flows["forms/methods.py:Jobs.nightly"]
    assert (nightly.function, nightly.name) == ("Jobs.nightly", "static-job")
    from_class = flows["forms/methods.py:Jobs.from_class"]
    # the signature as written: the wizard and the schema leave `cls` out by name, as Prefect
    assert [p.name for p in from_class.parameters] == ["cls", "region"]
    assert "forms/methods.py:Jobs.static_inside" in flows
    assert "forms/methods.py:Jobs.instance_run" not in flows  # instance methods: never
    assert "not_flows/methods.py:Pipeline.run" not in flows
    # an explicit entrypoint for these forms resolves too
    found = {f.function for f in flows_in_file(corpus, "forms/methods.py")}
    assert found == {"Jobs.nightly", "Jobs.from_class", "Jobs.static_inside"}
