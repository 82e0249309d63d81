"""Parameter values as Prefect reads them: the issue's table, row by row, through the real CLI
(``flowwiz deploy --yes``) and through wizard/values.py."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from flowwiz.detectors.errors import UserError
from flowwiz.detectors.parameter_schema import schema_from_source
from flowwiz.wizard import values
from tests.deployutil import github_like_repo, run_deploy, tree_hashes

FLOW = '''\
import datetime
import enum
from typing import Literal, Optional

import pydantic
from prefect import flow


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Config(pydantic.BaseModel):
    table: str
    limit: int = 10


@flow(name="typed")
def typed(
    mode: Literal["full", "delta"] = "full",
    color: Color = Color.RED,
    months: list[int] = [1],
    start: datetime.datetime | None = None,
    config: Optional[Config] = None,
    day: datetime.date | None = None,
    limit: Optional[int] = 5,
    table: str | None = "t",
    ratio: float = 0.5,
    flag: bool = False,
):
    pass
'''


@pytest.fixture(scope="module")
def schema():
    return schema_from_source(FLOW, "typed")


def repo_with_typed_flow(tmp_path: Path) -> Path:
    return github_like_repo(tmp_path, {"flows/typed.py": FLOW, "requirements.txt": "prefect\n"})


REFUSED = [
    ("mode=weekly", "mode"),
    ("color=green", "color"),
    ('months=[1,"x"]', "months"),
    ("start=2024", "start"),
    ("config=notjson", "config"),
    ("day=yesterday", "day"),
    ("ratio=nan", "ratio"),
    ("ratio=inf", "ratio"),
    ("ratio=-Infinity", "ratio"),
]


@pytest.mark.parametrize(("item", "name"), REFUSED)
def test_values_prefect_refuses_exit_2_naming_the_flag(
    tmp_path: Path, item: str, name: str
) -> None:
    repo = repo_with_typed_flow(tmp_path)
    before = tree_hashes(repo)
    result = run_deploy(repo, "--yes", "--param", item)
    assert result.returncode == 2, result.stderr
    assert f"--param {name}" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3
    assert tree_hashes(repo) == before


def test_null_where_none_is_allowed_and_typed_values_written(tmp_path: Path) -> None:
    repo = repo_with_typed_flow(tmp_path)
    result = run_deploy(
        repo, "--yes",
        "--param", "limit=null",
        "--param", "table=null",
        "--param", "mode=delta",
        "--param", "color=blue",
        "--param", "months=[1, 2]",
        "--param", "start=2024-01-31T09:00:00Z",
        "--param", 'config={"table": "x"}',
        "--param", "day=2024-01-31",
        "--param", "flag=yes",
    )
    assert result.returncode == 0, result.stderr
    entry = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    assert entry["parameters"] == {
        "limit": None,
        "table": None,
        "mode": "delta",
        "color": "blue",
        "months": [1, 2],
        "start": "2024-01-31T09:00:00Z",
        "config": {"table": "x"},
        "day": "2024-01-31",
        "flag": True,
    }


def test_params_json_is_checked_too(tmp_path: Path) -> None:
    repo = repo_with_typed_flow(tmp_path)
    result = run_deploy(repo, "--yes", "--params", '{"mode": "weekly"}')
    assert result.returncode == 2
    assert "--params" in result.stderr and "mode" in result.stderr


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("limit", "null", None),
        ("limit", "7", 7),
        ("table", "null", None),
        ("table", "plain", "plain"),
        ("table", "123", "123"),
        ("mode", "delta", "delta"),
        ("color", "red", "red"),
        ("months", "[3]", [3]),
        ("flag", "true", True),
        ("flag", "off", False),
        ("ratio", "1", 1),
        ("day", "null", None),
    ],
)
def test_text_read_as_prefect_reads_it(schema, name: str, text: str, expected: object) -> None:
    assert values.parameter_value(text, name, schema) == expected


def test_a_plain_str_keeps_the_word_null() -> None:
    plain = schema_from_source("def f(table: str = 'x'): pass", "f")
    assert values.parameter_value("null", "table", plain) == "null"


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_nan_and_infinities_are_refused(schema, text: str) -> None:
    with pytest.raises(UserError, match="NaN and infinities"):
        values.parameter_value(text, "ratio", schema, "float")
    assert schema.problems({"ratio": math.nan})


def test_choices_for_literal_enum_and_bool(schema) -> None:
    assert values.parameter_choices(schema, "mode") == [("full", "full"), ("delta", "delta")]
    assert values.parameter_choices(schema, "color") == [("red", "red"), ("blue", "blue")]
    assert values.parameter_choices(schema, "flag") == [("true", True), ("false", False)]
    assert values.parameter_choices(schema, "months") is None
    assert values.parameter_choices(schema, "table") is None


def test_json_parameters_show_an_example(schema) -> None:
    assert values.parameter_wants_json(schema, "months")
    assert values.parameter_example(schema, "months") == "[1, 1]"
    assert values.parameter_wants_json(schema, "config")
    assert values.parameter_example(schema, "config") == '{"table": "text", "limit": 1}'
    assert not values.parameter_wants_json(schema, "table")
    with pytest.raises(UserError, match=r"expects JSON, e.g. \{"):
        values.parameter_value("notjson", "config", schema, "Optional[Config]")
