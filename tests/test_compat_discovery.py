"""flowwiz's flow discovery against Prefect's own, on the flow corpus (tests/flow_corpus).

Prefect's `prefect deploy` lists flows with `prefect.cli._prompts.search_for_flow_functions`
(a static AST search). Over a materialized copy of the corpus:

- every entrypoint Prefect lists, flowwiz lists too, unless flowwiz leaves it out on purpose:
  the corpus's `pruned` (virtualenvs, build output, ignored files...) or an entrypoint that
  Prefect lists wrongly (methods, nested functions, a `flow` that is not prefect's), which
  Prefect itself then fails to load;
- everything flowwiz lists is a flow: Prefect's `load_flow_from_entrypoint` (without its AST
  placeholder fallback) imports it and gets a `Flow`, with the name flowwiz predicted.
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowwiz.detectors.flows import FlowScan, find_flows
from tests.flowcorpus import expected, materialize_flow_corpus
from tests.prefect_harness import PrefectServer

pytestmark = pytest.mark.prefect

# Names that only exist at run time (`name=` is a call or an expression, not a literal, a
# constant or an f-string of constants): flowwiz falls back to the function's name.
RUNTIME_NAMES = {"names/names.py:runtime_name", "factories/uses_team.py:computed_name"}

_SEARCH = """
import asyncio, json
from prefect.cli._prompts import search_for_flow_functions
found = asyncio.run(search_for_flow_functions("."))
print("FLOWWIZ-RESULT " + json.dumps(found))
"""

_LOAD = """
import json
from prefect.flows import load_flow_from_entrypoint
out = {}
for entrypoint in json.loads(ENTRYPOINTS):
    try:
        flow = load_flow_from_entrypoint(entrypoint, use_placeholder_flow=False)
        out[entrypoint] = {"flow": flow.name}
    except Exception as exc:
        inner = getattr(exc, "user_exc", None) or exc
        out[entrypoint] = {"error": type(exc).__name__, "cause": type(inner).__name__,
                           "message": str(inner)[:200]}
print("FLOWWIZ-RESULT " + json.dumps(out))
"""


@dataclass(frozen=True, slots=True)
class Scans:
    root: Path
    flowwiz: FlowScan
    prefect: list[dict[str, str]]  # search_for_flow_functions rows
    loads: dict[str, dict[str, str]]  # entrypoint -> {"flow": name} | {"error", "cause", ...}

    @property
    def flowwiz_entrypoints(self) -> set[str]:
        return {flow.entrypoint for flow in self.flowwiz.flows}

    @property
    def prefect_entrypoints(self) -> set[str]:
        return {f"{row['filepath']}:{row['function_name']}" for row in self.prefect}


def _result(stdout: str) -> object:
    lines = [line for line in stdout.splitlines() if line.startswith("FLOWWIZ-RESULT ")]
    assert lines, stdout
    return json.loads(lines[-1].removeprefix("FLOWWIZ-RESULT "))


def imports_only_prefect_and_stdlib(path: Path) -> bool:
    """Whether loading the file for real can work in Prefect's venv (no third-party imports;
    modules of the corpus beside the file are fine)."""
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return False
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return all(
        root == "prefect"
        or root in sys.stdlib_module_names
        or (path.parent / f"{root}.py").is_file()
        for root in roots
    )


@pytest.fixture(scope="module")
def scans(
    prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scans]:
    root = materialize_flow_corpus(tmp_path_factory.mktemp("discovery") / "corpus")
    flowwiz = find_flows(root)
    prefect = prefect_server.check_python(_SEARCH, cwd=root)
    rows = _result(prefect.stdout)
    assert isinstance(rows, list)
    pruned = set(expected()["pruned"])
    # load what either tool lists, except what lives where flowwiz never looks (virtualenvs,
    # build output...): real imports there would test the corpus, not discovery
    candidates = {f.entrypoint for f in flowwiz.flows} | {
        f"{row['filepath']}:{row['function_name']}" for row in rows
    }
    to_load = sorted(candidates - pruned)
    loaded = prefect_server.check_python(
        f"ENTRYPOINTS = {json.dumps(to_load)!r}\n{_LOAD}", cwd=root, timeout=300
    )
    loads = _result(loaded.stdout)
    assert isinstance(loads, dict)
    yield Scans(root, flowwiz, rows, loads)


def test_prefect_search_ran_over_the_corpus(scans: Scans) -> None:
    assert "flows/etl.py:etl" in scans.prefect_entrypoints
    assert "flows/etl.py:etl" in scans.flowwiz_entrypoints
    # Prefect walks where flowwiz does not (a sign both really scanned the whole tree)
    assert ".tox/py311/tox_flow.py:tox_flow" in scans.prefect_entrypoints


def test_every_entrypoint_prefect_finds_flowwiz_finds_or_leaves_out_for_a_reason(
    scans: Scans,
) -> None:
    corpus = expected()
    left_out = scans.prefect_entrypoints - scans.flowwiz_entrypoints
    unexplained = left_out - set(corpus["pruned"]) - set(corpus["not_flows"])
    assert unexplained == set(), "Prefect lists these and flowwiz does not, for no known reason"
    # and the corpus's claim that these exercise both kinds of difference holds
    assert left_out & set(corpus["pruned"])
    assert left_out & set(corpus["not_flows"])


def test_what_prefect_lists_wrongly_does_not_load_as_a_flow(scans: Scans) -> None:
    wrong = (scans.prefect_entrypoints - scans.flowwiz_entrypoints) - set(expected()["pruned"])
    assert wrong, "the corpus should hold entrypoints that Prefect lists wrongly"
    for entrypoint in sorted(wrong):
        outcome = scans.loads[entrypoint]
        assert "flow" not in outcome, f"{entrypoint} IS a flow, and flowwiz missed it"
        if outcome["cause"] == "ModuleNotFoundError":
            # its `flow` comes from another library (which is not installed here)
            assert "prefect" not in outcome["message"], (entrypoint, outcome)
        else:
            # methods, nested functions, a local `flow`: the entrypoint names no module-level
            # flow ("not found" / "is not a flow")
            assert outcome["error"] == "MissingFlowError", (entrypoint, outcome)


def test_methods_and_nested_functions_are_among_prefects_false_positives(scans: Scans) -> None:
    """The known false positives of Prefect's search (reference: prefect-wizard.md §3)."""
    wrong = scans.prefect_entrypoints - scans.flowwiz_entrypoints
    for entrypoint in (
        "not_flows/methods.py:run",  # a method
        "not_flows/methods.py:static_run",  # a static method
        "not_flows/nested.py:inner",  # nested in a function
        "not_flows/nested.py:sub",  # nested in a flow
    ):
        assert entrypoint in wrong
        assert "not found in" in scans.loads[entrypoint]["message"]


def test_everything_flowwiz_lists_loads_as_a_flow_in_prefect(scans: Scans) -> None:
    checked = 0
    for flow in scans.flowwiz.flows:
        if not imports_only_prefect_and_stdlib(scans.root / flow.path):
            continue
        outcome = scans.loads[flow.entrypoint]
        assert "flow" in outcome, f"{flow.entrypoint} is not a flow to Prefect: {outcome}"
        checked += 1
    assert checked == len(scans.flowwiz.flows)  # today every corpus flow file is loadable


def test_flow_names_are_the_names_prefect_gives(scans: Scans) -> None:
    for flow in scans.flowwiz.flows:
        if flow.entrypoint in RUNTIME_NAMES:
            continue
        assert scans.loads[flow.entrypoint] == {"flow": flow.name}, flow.entrypoint
    # the run-time names really differ from flowwiz's fallback: if flowwiz ever learns them,
    # move these out of RUNTIME_NAMES
    by_entrypoint = {flow.entrypoint: flow for flow in scans.flowwiz.flows}
    for entrypoint in RUNTIME_NAMES:
        assert scans.loads[entrypoint]["flow"] != by_entrypoint[entrypoint].name, entrypoint


def test_flowwiz_finds_what_prefect_misses_exactly_as_the_corpus_says(scans: Scans) -> None:
    only_flowwiz = scans.flowwiz_entrypoints - scans.prefect_entrypoints
    assert only_flowwiz == set(expected()["prefect_misses"])
