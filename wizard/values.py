"""Turning typed answers and flag values into data: pure functions, each with a validator.

Validators return an error message (shown next to the prompt, or after the flag name under
``--yes``) or None.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flowwiz.detectors.errors import UserError

# ---------------------------------------------------------------- schedules

_CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())),
    ("day of week", 0, 7, ("SUN MON TUE WED THU FRI SAT".split())),
)
_CRON_NICKNAMES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def cron_problem(text: str) -> str | None:
    text = text.strip()
    if text.lower() in _CRON_NICKNAMES:
        return None
    parts = text.split()
    if len(parts) != 5:
        return f"a cron string has five fields (minute hour day month weekday), got {len(parts)}"
    for part, (label, low, high, names) in zip(parts, _CRON_FIELDS, strict=True):
        for item in part.split(","):
            base, _, step = item.partition("/")
            if step and not step.isdigit():
                return f"bad step {step!r} in the {label} field"
            if base in ("*", "?"):
                continue
            for bound in base.split("-", 1):
                value = _cron_value(bound, names)
                if value is None or not low <= value <= high:
                    return f"{bound!r} is not a valid {label} ({low}-{high})"
    return None


def _cron_value(token: str, names: Iterable[str]) -> int | None:
    if token.isdigit():
        return int(token)
    names = list(names)
    upper = token.upper()
    if upper in names:
        return names.index(upper) + (1 if len(names) == 12 else 0)
    return None


def interval_problem(text: str) -> str | None:
    try:
        seconds = float(text)
    except ValueError:
        return "enter the interval in seconds, e.g. 3600"
    if seconds <= 0:
        return "the interval must be greater than 0 seconds"
    return None


def interval_value(text: str) -> int | float:
    seconds = float(text)
    return int(seconds) if seconds.is_integer() else seconds


def rrule_problem(text: str) -> str | None:
    upper = text.strip().upper()
    if "FREQ=" not in upper:
        return "an RRule needs FREQ=, e.g. RRULE:FREQ=DAILY;INTERVAL=1"
    if "\n" in text.strip() and "DTSTART" not in upper:
        return "a multi-line RRule must start with DTSTART"
    return None


def timezone_problem(text: str) -> str | None:
    if text in ("UTC", "Etc/UTC"):
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {text!r} (use an IANA name such as Europe/Paris or UTC)"
    return None


# ---------------------------------------------------------------- names and tags

_BAD_NAME_CHARS = set("/%&<>")


def deployment_name_problem(text: str) -> str | None:
    if not text.strip():
        return "the deployment name cannot be empty"
    bad = sorted(_BAD_NAME_CHARS & set(text))
    if bad:
        return f"a deployment name cannot contain {' '.join(bad)}"
    if any(ch in text for ch in "\n\r\t"):
        return "a deployment name is one line"
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in text):
        return "a deployment name cannot contain control characters"
    return None


def flow_name_problem(name: str) -> str | None:
    """Why Prefect cannot load a flow of this name, or None: ``Flow.__init__`` raises
    InvalidNameError for names holding any of ``/ % & > <`` (prefect.utilities.names)."""
    bad = sorted(_BAD_NAME_CHARS & set(name))
    if bad:
        return (
            f"Prefect refuses flow names containing {' '.join(bad)} (InvalidNameError when it "
            "loads the flow): rename it in @flow(name=...)"
        )
    return None


def parse_tags(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tag in re.split(r"[,\s]+", text.strip()):
        if tag:
            seen.setdefault(tag, None)
    return tuple(seen)


# ---------------------------------------------------------------- job variables

_TEMPLATE_BLOCK = re.compile(r"\{\{\s*prefect\.blocks\.")


def _scalar(text: str) -> Any:
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if text == "" or isinstance(value, (dict, list)):
        return text  # a flat scalar only: structure comes from the dotted key
    return value


def set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    if any(not k for k in keys):
        raise UserError(f"invalid key {dotted!r}: empty part between dots")
    node = target
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise UserError(f"{dotted!r}: {key!r} already has a value that is not a mapping")
        node = child
    node[keys[-1]] = value


def parse_assignment(item: str, flag: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise UserError(f"invalid {flag} {item!r}: expected KEY=VALUE")
    return key.strip(), value


def job_variables(items: Iterable[str], base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``env.LOG_LEVEL=DEBUG`` -> ``{"env": {"LOG_LEVEL": "DEBUG"}}``; values read as YAML
    scalars, except under ``env``, where every value stays a string."""
    result: dict[str, Any] = json.loads(json.dumps(dict(base or {})))
    for item in items:
        key, raw = parse_assignment(item, "--job-variable")
        if _TEMPLATE_BLOCK.search(raw):
            raise UserError(
                f"job variable {key!r} references a block: Prefect resolves it at deploy time and "
                "stores the plain secret on the server; reference secrets in the pull step instead"
            )
        # Prefect's job templates type `env` as a string mapping: a number there fails the deploy
        value = raw if key.split(".", 1)[0] == "env" else _scalar(raw)
        set_dotted(result, key, value)
    return result


def job_variables_problem(text: str) -> str | None:
    try:
        job_variables(split_assignments(text))
    except UserError as exc:
        return exc.message
    return None


def split_assignments(text: str) -> list[str]:
    import shlex

    try:
        return shlex.split(text)
    except ValueError as exc:
        raise UserError(f"cannot read {text!r}: {exc}") from None


# ---------------------------------------------------------------- parameters

_OPTIONAL = re.compile(
    r"^(?:Optional\[(?P<inner>.+)\]|(?P<a>.+?)\s*\|\s*None|None\s*\|\s*(?P<b>.+))$"
)


def base_type(annotation: str | None) -> str:
    """The annotation's outer type name, lowercased.

    'Optional[int]' -> 'int', 'list[str]' -> 'list'."""
    if not annotation:
        return ""
    text = annotation.strip().strip("'\"")
    match = _OPTIONAL.match(text)
    if match:
        text = (match.group("inner") or match.group("a") or match.group("b")).strip()
    text = text.split("[", 1)[0].strip()
    return text.rsplit(".", 1)[-1].lower()


_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def parse_parameter(text: str, annotation: str | None) -> Any:
    """A typed value from text, by the parameter's annotation; UserError when it doesn't fit."""
    kind = base_type(annotation)
    try:
        if kind == "int":
            if not re.fullmatch(r"\s*[-+]?\d+\s*", text):
                raise ValueError("expected a whole number")
            return int(text)
        if kind == "float":
            try:
                return float(text)
            except ValueError:
                raise ValueError("expected a number") from None
        if kind == "bool":
            lowered = text.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError("expected true or false")
        if kind in ("str", "path"):
            return text
        if kind in ("list", "tuple", "set", "sequence"):
            value = json.loads(text)
            if not isinstance(value, list):
                raise ValueError("expected a JSON list, e.g. [1, 2]")
            return value
        if kind in ("dict", "mapping"):
            value = json.loads(text)
            if not isinstance(value, dict):
                raise ValueError('expected a JSON object, e.g. {"a": 1}')
            return value
    except (ValueError, json.JSONDecodeError) as exc:
        label = annotation or kind
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise UserError(f"{text!r} is not a valid {label}: {reason}") from None
    # no or unknown annotation: JSON if it reads as JSON, else the text itself
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parameter_problem(annotation: str | None) -> Any:
    def check(text: str) -> str | None:
        try:
            parse_parameter(text, annotation)
        except UserError as exc:
            return exc.message
        return None

    return check


def params_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"--params is not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(value, dict):
        raise UserError('--params must be a JSON object, e.g. {"count": 3}')
    return value


def contains_block_template(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_TEMPLATE_BLOCK.search(value))
    if isinstance(value, Mapping):
        return any(contains_block_template(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_block_template(v) for v in value)
    return False
