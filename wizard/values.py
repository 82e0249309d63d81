"""Turning typed answers and flag values into data: pure functions, each with a validator.

Validators return an error message (shown next to the prompt, or after the flag name under
``--yes``) or None.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from flowwiz.detectors.errors import UserError

if TYPE_CHECKING:
    from flowwiz.detectors.parameter_schema import ParameterSchema

# ---------------------------------------------------------------- schedules

def cron_problem(text: str) -> str | None:
    """Why Prefect would refuse ``text`` as a cron string, or None.

    The rule of ``prefect._internal.schemas.validators.validate_cron_string`` (what
    ``CronSchedule`` runs): croniter must read it (Prefect 3.9.1 vendors croniter 6.0.0, the
    release this package pins), and croniter's random (``R``) and hashed (``H``) fields are
    refused. So ``0 9 * * 1#1``, ``0 0 L * *``, 6-field (seconds) strings and ``@daily`` pass;
    ``*/0 * * * *`` does not. ``text`` is checked as written after stripping the ends (what
    flowwiz writes).
    """
    from croniter import croniter

    value = text.strip()
    if not value:
        return "enter a cron string, e.g. 0 9 * * 1-5"
    try:
        valid = croniter.is_valid(value)
    except Exception:  # noqa: BLE001 - croniter raises more than its own errors on odd input
        valid = False
    if not valid:
        return f"invalid cron string {value!r} (minute hour day month weekday, e.g. 0 9 * * 1-5)"
    if any(field.casefold() in ("r", "h") for field in value.split()):
        return f"random (R) and hashed (H) cron fields are not supported by Prefect: {value!r}"
    return None


def interval_problem(text: str) -> str | None:
    """Why Prefect would refuse ``text`` seconds as an interval, or None: ``prefect deploy``
    makes ``timedelta(seconds=value)`` and ``IntervalSchedule`` wants it greater than zero
    (so NaN, infinities and less than a microsecond are refused)."""
    from datetime import timedelta

    try:
        seconds = float(text)
        interval = timedelta(seconds=interval_value(text))
    except (ValueError, OverflowError):
        if text.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
            return "the interval must be a finite number of seconds"
        return "enter the interval in seconds, e.g. 3600"
    if seconds <= 0 or interval <= timedelta(0):
        return "the interval must be greater than 0 seconds (at least a microsecond)"
    return None


def interval_value(text: str) -> int | float:
    seconds = float(text)
    return int(seconds) if seconds.is_integer() else seconds


MAX_RRULE_LENGTH = 6500  # prefect._internal.schemas.validators.MAX_RRULE_LENGTH


def rrule_problem(text: str) -> str | None:
    """Why Prefect would refuse ``text`` as an RRule, or None.

    The rule of ``validate_rrule_string`` (what ``RRuleSchedule`` runs): dateutil's
    ``rrulestr(text, cache=True)`` must parse it (so ``FREQ=SOMETIMES``, ``BYHOUR=25`` and
    ``COUNT=abc`` are refused, and a ``DTSTART`` line is optional), and it is at most 6,500
    characters long. Checked after stripping the ends (what flowwiz writes).
    """
    from dateutil.rrule import rrulestr

    value = text.strip()
    if not value:
        return "enter an RRule, e.g. RRULE:FREQ=DAILY;INTERVAL=1"
    try:
        rrulestr(value, cache=True)
    except Exception as exc:  # noqa: BLE001 - Prefect refuses on any error, not only ValueError
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return f"invalid RRule: {reason} (e.g. RRULE:FREQ=DAILY;INTERVAL=1)"
    if len(value) > MAX_RRULE_LENGTH:
        return f"an RRule is at most {MAX_RRULE_LENGTH} characters long, got {len(value)}"
    return None


def timezone_problem(text: str, kind: str = "cron") -> str | None:
    """Why Prefect would refuse ``text`` as the time zone of a ``kind`` schedule, or None.

    Prefect checks two lists: cron and interval schedules take any name of
    ``zoneinfo.available_timezones()`` (``default_timezone``: with the ``tzdata`` package, a
    dependency of flowwiz as of Prefect, IANA names work on every OS, Windows included); rrule
    schedules take the names of ``pytz.all_timezones_set`` (``is_valid_timezone``), which lacks
    ``Factory`` and ``localtime``. Empty means "no time zone" and is not checked here.
    """
    value = text.strip()
    if not value:
        return None
    if kind == "rrule":
        import pytz

        known = value in pytz.all_timezones_set
    else:
        from zoneinfo import available_timezones

        known = value in _available_timezones(available_timezones)
    if not known:
        return f"unknown time zone {value!r} (use an IANA name such as Europe/Paris or UTC)"
    return None


def timezone_validator(kind: str) -> Callable[[str], str | None]:
    """``timezone_problem`` for one schedule kind, as a prompt validator."""
    return lambda text: timezone_problem(text, kind)


_TIMEZONES: frozenset[str] | None = None


def _available_timezones(load: Callable[[], set[str]]) -> frozenset[str]:
    global _TIMEZONES
    if _TIMEZONES is None:  # a directory walk: once per process
        _TIMEZONES = frozenset(load())
    return _TIMEZONES


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
    """Comma-separated tags, each stripped, empty ones and repeats dropped. A space inside a
    tag stays: Prefect tags are any strings (``"nightly etl"`` is one tag)."""
    seen: dict[str, None] = {}
    for tag in text.split(","):
        if tag.strip():
            seen.setdefault(tag.strip(), None)
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

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_NON_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_MISSING: Any = object()


def _strict_json(text: str) -> Any:
    """JSON as Prefect's API carries it: no NaN or infinities (``_MISSING`` when not JSON)."""

    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError:  # JSONDecodeError is a ValueError
        return _MISSING


def _variants(prop: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [v for v in prop.get("anyOf", [prop]) if isinstance(v, Mapping)]


def _accepts(prop: Mapping[str, Any], json_type: str) -> bool:
    return any(v.get("type") == json_type for v in _variants(prop))


def parameter_value(text: str, name: str, schema: ParameterSchema, label: str | None = None) -> Any:
    """The value of ``--param name=text``, checked as Prefect checks it; UserError if refused.

    Read as JSON when that gives a value of the right kind (``3``, ``[1, 2]``, ``{"a": 1}``,
    ``null`` where None is allowed), else as ``true``/``false`` words for a boolean, else as
    the text itself (so ``table=null`` is None for ``str | None`` and ``'null'`` for ``str``).
    The checks are ``ParameterSchema.problems``: the deploy-time JSON-schema check and the
    run-time pydantic check. ``label`` (the annotation) names the type in the message.
    """
    prop = schema.property(name)
    candidates: list[Any] = []
    decoded = _strict_json(text)
    if decoded is not _MISSING and not isinstance(decoded, str):
        candidates.append(decoded)
    word = text.strip().lower()
    if _accepts(prop, "boolean") and word in _TRUE | _FALSE:
        candidates.append(word in _TRUE)
    if decoded is _MISSING or _takes_text(prop, text):
        # a number, list... that does not fit is not quietly made a string (start=2024 for a
        # datetime stays the number Prefect refuses), unless plain text is what it takes
        candidates.append(text)
    problems: list[str] = []
    for candidate in candidates:
        found = schema.problems({name: candidate})
        if not found:
            return candidate
        problems.append(found[0].message)
    label = label or "value"
    if word in _NON_FINITE and (_accepts(prop, "number") or _accepts(prop, "integer") or not prop):
        reason = "NaN and infinities are not JSON numbers, and Prefect refuses them"
    else:
        reason = problems[0]
        if any(_accepts(prop, t) for t in ("array", "object")) and decoded is _MISSING:
            reason += f" (expects JSON, e.g. {parameter_example(schema, name)})"
    raise UserError(f"{text!r} is not a valid {label}: {reason}")


def _takes_text(prop: Mapping[str, Any], text: str) -> bool:
    for variant in _variants(prop):
        keys = set(variant) - {"title", "default", "position", "description"}
        if not keys or (variant.get("type") == "string" and not keys & {"format", "enum", "const"}):
            return True
        if text in variant.get("enum", ()) or variant.get("const") == text:
            return True
    return False


def parameter_validator(
    name: str, schema: ParameterSchema, label: str | None = None, *, allow_empty: bool = False
) -> Callable[[str], str | None]:
    def check(text: str) -> str | None:
        if allow_empty and text == "":
            return None
        try:
            parameter_value(text, name, schema, label)
        except UserError as exc:
            return exc.message
        return None

    return check


def parameter_choices(schema: ParameterSchema, name: str) -> list[tuple[str, Any]] | None:
    """(title, value) rows when the parameter is a choice: Literal, Enum or bool (with null
    when None is allowed); None for anything typed in."""
    rows: list[tuple[str, Any]] = []
    nullable = False
    for variant in _variants(schema.property(name)):
        if variant.get("type") == "null":
            nullable = True
        elif "enum" in variant:
            rows.extend((_show(v), v) for v in variant["enum"])
        elif "const" in variant:
            rows.append((_show(variant["const"]), variant["const"]))
        elif variant.get("type") == "boolean":
            rows.extend([("true", True), ("false", False)])
        else:
            return None
    if not rows:
        return None
    if nullable:
        rows.append(("null (None)", None))
    return rows


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def parameter_wants_json(schema: ParameterSchema, name: str) -> bool:
    """Whether the parameter takes a list or an object (typed in as JSON)."""
    return any(_accepts(schema.property(name), t) for t in ("array", "object"))


def parameter_example(schema: ParameterSchema, name: str) -> str:
    """A JSON example for a list/dict/model parameter, built from its schema."""
    definitions = schema.schema.get("definitions", {})
    prop = schema.property(name)
    variants = [v for v in _variants(prop) if v.get("type") != "null"]
    return json.dumps(_example(variants[0] if variants else prop, definitions, 0))


def _example(prop: Mapping[str, Any], definitions: Mapping[str, Any], depth: int) -> Any:
    ref = prop.get("$ref")
    if isinstance(ref, str) and depth < 4:
        return _example(definitions.get(ref.rsplit("/", 1)[-1], {}), definitions, depth + 1)
    if "enum" in prop and prop["enum"]:
        return prop["enum"][0]
    if "const" in prop:
        return prop["const"]
    if "anyOf" in prop:
        first = next((v for v in prop["anyOf"] if v.get("type") != "null"), {})
        return _example(first, definitions, depth + 1)
    kind = prop.get("type")
    if kind == "array":
        if "prefixItems" in prop:
            return [_example(p, definitions, depth + 1) for p in prop["prefixItems"]]
        item = prop.get("items") if isinstance(prop.get("items"), Mapping) else {}
        return [_example(item, definitions, depth + 1)] * 2 if depth < 4 else []
    if kind == "object":
        if "properties" in prop and depth < 4:
            return {k: _example(v, definitions, depth + 1) for k, v in prop["properties"].items()}
        extra = prop.get("additionalProperties")
        value = _example(extra, definitions, depth + 1) if isinstance(extra, Mapping) else 1
        return {"key": value}
    fmt = prop.get("format")
    return {
        "integer": 1,
        "number": 1.5,
        "boolean": True,
        "null": None,
        "string": {"date": "2024-01-31", "date-time": "2024-01-31T09:00:00Z",
                   "uuid": "00000000-0000-0000-0000-000000000000"}.get(fmt or "", "text"),
    }.get(kind or "", "value")


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
