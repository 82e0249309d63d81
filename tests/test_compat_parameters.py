"""Parameter schemas and parameter checks: flowwiz against Prefect 3.9.1, pair by pair.

- Schemas: for every annotation of ANNOTATIONS and every flow of the flow corpus that has
  parameters, flowwiz's schema read from source (detectors/parameter_schema.py) equals
  ``prefect.utilities.callables.parameter_schema`` on the loaded function (descriptions, which
  Prefect takes from the docstring with griffe, are left out of the comparison).
- Values: for every (annotation, value) pair, flowwiz refuses exactly what Prefect refuses:
  the deploy-time ``validate(..., raise_on_error=True, ignore_required=True)`` of
  ``enforce_parameter_schema`` or the run-time ``Flow.validate_parameters``.

One subprocess in the harness's Prefect venv per kind.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowwiz.detectors.flows import find_flows
from flowwiz.detectors.parameter_schema import parameter_schema, schema_from_source
from tests.flowcorpus import materialize_flow_corpus
from tests.prefect_eval import prefect_eval

pytestmark = pytest.mark.prefect

HEADER = '''\
import datetime, decimal, enum, pathlib, uuid
from typing import Any, Dict, List, Literal, Optional, Tuple, Union

import pydantic


class Color(enum.Enum):
    """A colour."""
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Window(pydantic.BaseModel):
    start: datetime.date
    days: int = 7


class Config(pydantic.BaseModel):
    """Run configuration."""
    table: str
    limit: Optional[int] = None
    colors: list[Color] = []
    window: Optional[Window] = None
    ratio: float = pydantic.Field(default=0.5, ge=0, le=1)


Mode = Literal["full", "delta"]
'''

ANNOTATIONS = [
    "int", "float", "str", "bool", "Optional[int]", "int | None", "str | None",
    "Literal['full', 'delta']", "Mode", "Color", "Level", "Optional[Color]", "list[int]",
    "List[str]", "dict[str, int]", "dict", "tuple[int, str]", "tuple[int, ...]", "set[int]",
    "datetime.datetime", "datetime.date", "datetime.date | None", "datetime.timedelta",
    "uuid.UUID", "pathlib.Path", "decimal.Decimal", "Config", "Optional[Config]",
    "list[Config]", "Union[int, str]", "Any", "", "Literal[1, 2]", "Literal['only']",
    "list[Optional[int]]", "Dict[str, List[int]]",
]

VALUES = {
    "int": [3, -1, 0, 2.0, 2.5, "3", True, None, [1]],
    "float": [0.25, 3, "0.5", None, False, 1e300],
    "str": ["x", "", 3, None, "null", ["a"]],
    "bool": [True, False, "true", 1, 0, None],
    "Optional[int]": [None, 5, "5", "x", 1.5],
    "int | None": [None, 7, "null"],
    "str | None": [None, "null", "t", 1],
    "Literal['full', 'delta']": ["full", "delta", "weekly", None, 1],
    "Mode": ["full", "weekly"],
    "Color": ["red", "green", "RED", "blue", 1, None],
    "Level": [1, 2, 3, "1", "LOW"],
    "Optional[Color]": [None, "red", "pink"],
    "list[int]": [[1, 2], [], [1, "x"], [1, 2.5], "1,2", None, {"a": 1}],
    "List[str]": [["a"], [1], "a"],
    "dict[str, int]": [{"a": 1}, {}, {"a": "x"}, [1], "{}"],
    "dict": [{"a": [1]}, [], "x"],
    "tuple[int, str]": [[1, "a"], [1], [1, "a", 2], ["a", 1]],
    "tuple[int, ...]": [[1, 2, 3], [], ["x"]],
    "set[int]": [[1, 2], [1, 1], ["a"]],
    "datetime.datetime": [
        "2024-01-31T09:00:00Z", "2024-01-31T09:00:00", "2024-01-31", 2024, "yesterday",
        "2024-13-01T00:00:00Z", None,
    ],
    "datetime.date": ["2024-01-31", "yesterday", "2024-02-30", 20240131, "2024-01-31T00:00:00"],
    "datetime.date | None": [None, "2024-01-31", "yesterday"],
    "datetime.timedelta": ["PT1H", 3600, "1:00:00", "soon"],
    "uuid.UUID": ["12345678-1234-5678-1234-567812345678", "not-a-uuid", 5],
    "pathlib.Path": ["/tmp/x", "", 3],
    "decimal.Decimal": ["1.5", 1.5, "abc", None],
    "Config": [
        {"table": "t"}, {"table": "t", "limit": 3}, {"table": "t", "limit": "x"}, {},
        {"table": "t", "colors": ["red"]}, {"table": "t", "colors": ["blue"]},
        {"table": "t", "window": {"start": "2024-01-01"}},
        {"table": "t", "window": {"start": "someday"}}, {"table": "t", "ratio": 2},
        {"table": "t", "extra": 1}, "notjson", None, [],
    ],
    "Optional[Config]": [None, {"table": "t"}, "x"],
    "list[Config]": [[{"table": "a"}], [{"limit": 1}], [1]],
    "Union[int, str]": [1, "a", None, 1.5, [1]],
    "Any": [None, 1, "x", [1], {"a": None}],
    "": [None, 1, "x", [1], {"a": None}],
    "Literal[1, 2]": [1, 2, 3, "1"],
    "Literal['only']": ["only", "other"],
    "list[Optional[int]]": [[1, None], [None], ["x"]],
    "Dict[str, List[int]]": [{"a": [1]}, {"a": 1}, {"a": ["x"]}],
}


def _source(annotation: str) -> str:
    ann = f": {annotation}" if annotation else ""
    return HEADER + f"\n\ndef f(p{ann}, q{ann} = None):\n    pass\n"


def _strip_descriptions(node: object) -> object:
    if isinstance(node, dict):
        return {k: _strip_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_strip_descriptions(v) for v in node]
    return node


_PREFECT_SCHEMAS = """
from prefect.utilities.callables import parameter_schema
out = {}
for key, source in PAYLOAD.items():
    ns = {"__name__": "corpus_" + str(abs(hash(key)))}
    exec(compile(source, "<corpus>", "exec"), ns)
    out[key] = parameter_schema(ns["f"]).model_dump_for_openapi()
emit(out)
"""

_PREFECT_VALUES = """
import sys, types
from prefect import flow
from prefect.utilities.callables import parameter_schema
from prefect.utilities.schema_tools.validation import validate
out = {}
flows = {}
for key, source in PAYLOAD["sources"].items():
    module = types.ModuleType("corpus_mod_" + str(len(flows)))
    sys.modules[module.__name__] = module
    exec(compile(source, "<corpus>", "exec"), module.__dict__)
    fn = module.__dict__["f"]
    flows[key] = (flow(fn), parameter_schema(fn).model_dump_for_openapi())
for key, annotation, value in PAYLOAD["pairs"]:
    f, schema = flows[annotation]
    verdict = {"deploy": True, "run": True}
    try:
        validate({"p": value}, schema, raise_on_error=True, ignore_required=True)
    except Exception as exc:
        verdict["deploy"] = False
    try:
        f.validate_parameters({"p": value})
    except Exception as exc:
        verdict["run"] = False
    out[key] = verdict
emit(out)
"""


def test_schemas_equal_prefects_for_every_annotation() -> None:
    sources = {a: _source(a) for a in ANNOTATIONS}
    prefect = prefect_eval(_PREFECT_SCHEMAS, sources)
    differ = {}
    for annotation, source in sources.items():
        ours = schema_from_source(source, "f").schema
        if _strip_descriptions(ours) != _strip_descriptions(prefect[annotation]):
            differ[annotation] = (ours, prefect[annotation])
    assert differ == {}


def _pairs() -> list[tuple[str, str, object]]:
    pairs = []
    for annotation, values in VALUES.items():
        for value in values:
            pairs.append((f"{annotation} <- {json.dumps(value)}", annotation, value))
    return pairs


def test_values_refused_exactly_as_prefect_refuses_them() -> None:
    pairs = _pairs()
    assert len(pairs) >= 100
    payload = {"sources": {a: _source(a) for a in VALUES}, "pairs": pairs}
    prefect = prefect_eval(_PREFECT_VALUES, payload)
    schemas = {a: schema_from_source(_source(a), "f") for a in VALUES}
    differ = {}
    refused = 0
    for key, annotation, value in pairs:
        theirs = prefect[key]
        prefect_accepts = theirs["deploy"] and theirs["run"]
        problems = schemas[annotation].problems({"p": value})
        refused += bool(problems)
        if prefect_accepts != (not problems):
            differ[key] = (theirs, [p.message for p in problems])
    assert differ == {}
    assert 30 < refused < len(pairs) - 30  # both verdicts well represented


_PREFECT_CORPUS_SCHEMAS = """
from prefect.flows import load_flow_from_entrypoint
from prefect.utilities.callables import parameter_schema
out = {}
for entrypoint in PAYLOAD:
    try:
        fl = load_flow_from_entrypoint(entrypoint, use_placeholder_flow=False)
        out[entrypoint] = parameter_schema(fl.fn).model_dump_for_openapi()
    except Exception as exc:
        out[entrypoint] = {"error": repr(exc)[:300]}
emit(out)
"""


def test_schemas_equal_prefects_for_the_flow_corpus(tmp_path: Path) -> None:
    from tests.test_compat_discovery import imports_only_prefect_and_stdlib

    root = materialize_flow_corpus(tmp_path / "corpus")
    flows = [
        f
        for f in find_flows(root).flows
        if f.parameters and imports_only_prefect_and_stdlib(root / f.path)
    ]
    assert len(flows) >= 5
    prefect = prefect_eval(_PREFECT_CORPUS_SCHEMAS, [f.entrypoint for f in flows], cwd=root)
    differ = {}
    for flow in flows:
        ours = parameter_schema(root, flow)
        theirs = prefect[flow.entrypoint]
        assert "error" not in theirs, (flow.entrypoint, theirs)
        want = _strip_descriptions(theirs)
        # a default that is not a literal (a module constant...) is unknown to flowwiz
        for name in ours.unknown_defaults:
            want["properties"][name].pop("default", None)
        if _strip_descriptions(ours.schema) != want:
            differ[flow.entrypoint] = (ours.schema, theirs)
    assert differ == {}
