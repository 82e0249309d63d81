"""Block types from Prefect's block schemas: the fields, their kinds, which are secret.

A block type is what a Prefect server keeps as a *block type* (name, slug, description,
code example) plus its newest *block schema* (``fields``: a JSON schema with ``properties``,
``required``, ``secret_fields``, ``block_schema_references``; ``capabilities``). flowwiz
ships the common types in ``block_schemas.json`` (made by ``tests/make_block_schemas.py``
from Prefect 3.9.1 itself); a Prefect store hands over the server's own
(``PrefectStore.block_types()``), built by :func:`type_from_schema` the same way.

Values are checked as Prefect checks block data: with jsonschema (Draft 2020-12, as
``prefect.utilities.schema_tools.validation``), each field against its property schema.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

# "text": a string; "json": any JSON value (an object, as Prefect's `settings` or a service
# account's keyfile); "block": a reference to another block (``type/name``)
FieldKind = Literal["text", "number", "integer", "boolean", "enum", "json", "array", "block"]

# Fields flowwiz keeps in the secret store although the schema does not mark them secret: a
# temporary AWS session token is as much a credential as the secret key (the server still
# gets it as plain text, as the schema says).
EXTRA_SECRET: Mapping[str, frozenset[str]] = {"aws-credentials": frozenset({"aws_session_token"})}
# Fields flowwiz requires although the schema does not: a git credentials block without its
# token is of no use to the pull step flowwiz writes for it.
EXTRA_REQUIRED: Mapping[str, frozenset[str]] = {
    "secret": frozenset({"value"}),
    "github-credentials": frozenset({"token"}),
    "gitlab-credentials": frozenset({"token"}),
    "bitbucket-credentials": frozenset({"token"}),
}

# The fields the deploy wizard asks for when it makes a credentials block (the rest of a
# type's fields, e.g. aws_client_parameters, stay at Prefect's defaults; the dashboard's and
# `flowwiz blocks create`'s forms offer them all).
ESSENTIAL_FIELDS: Mapping[str, tuple[str, ...]] = {
    "gitlab-credentials": ("token", "url"),
    "bitbucket-credentials": ("token", "username", "url"),
    "aws-credentials": (
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "profile_name",
        "region_name",
    ),
    "gcp-credentials": ("service_account_file", "service_account_info", "project"),
    "docker-registry-credentials": ("username", "password", "registry_url"),
    "azure-blob-storage-credentials": ("connection_string", "account_url"),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a block type, derived from its property in the block schema.

    ``kind`` is how a value is typed and entered (see FieldKind); ``secret`` fields live only
    in the secret store and are never shown; ``choices`` are an enum's values; ``block_types``
    the slugs a "block" field may reference; ``default`` is the schema's default when
    ``has_default``; ``schema`` the property's JSON schema (for validation).
    """

    name: str
    secret: bool = False
    required: bool = False
    description: str = ""
    kind: FieldKind = "text"
    title: str = ""
    default: Any = None
    has_default: bool = False
    choices: tuple[Any, ...] = ()
    block_types: tuple[str, ...] = ()
    schema: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        return self.title or self.name


@dataclass(frozen=True, slots=True)
class BlockType:
    """A block type and its fields, in the schema's order (``position``)."""

    slug: str
    title: str
    fields: tuple[FieldSpec, ...]
    # the Python module whose `prefect block register -m` makes the type exist on a server
    collection: str | None = None
    description: str = ""
    capabilities: tuple[str, ...] = ()
    code_example: str = ""
    documentation_url: str = ""
    # where the schema came from: "prefect 3.9.1", "hand-written from ...", "server URL"
    source: str = ""
    checksum: str = ""
    # the schema's ``definitions`` ($ref targets), for validation
    definitions: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def secret_fields(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields if f.secret)

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def essential_fields(self) -> tuple[FieldSpec, ...]:
        """The fields a short questionnaire asks (ESSENTIAL_FIELDS), else every field."""
        names = ESSENTIAL_FIELDS.get(self.slug)
        if names is None:
            return self.fields
        return tuple(f for f in self.fields if f.name in names)


def _without_null(prop: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], bool]:
    """The alternatives of an ``anyOf`` (or the property itself) without ``{"type": "null"}``,
    and whether null was one of them."""
    options = prop.get("anyOf")
    if not isinstance(options, list):
        return [prop], False
    rest = [o for o in options if isinstance(o, Mapping) and o.get("type") != "null"]
    return rest, len(rest) < len(options)


def _kind(prop: Mapping[str, Any], definitions: Mapping[str, Any], is_block: bool) -> FieldKind:
    if is_block:
        return "block"
    options, _ = _without_null(prop)
    if "format" in prop or prop.get("writeOnly"):
        options = [prop, *options]
    first = options[0] if len(options) == 1 else prop
    if len(options) > 1:
        # a password string first (Secret's value: a string, or any JSON): typed as text
        if any(o.get("format") == "password" for o in options):
            return "text"
        return "json"
    if not any(k in first for k in ("type", "$ref", "enum", "anyOf", "allOf", "oneOf")):
        return "text"  # an unconstrained property: text, as typed
    ref = first.get("$ref")
    if isinstance(ref, str):
        target = definitions.get(ref.rsplit("/", 1)[-1], {})
        if isinstance(target, Mapping) and "enum" in target:
            return "enum"
        return "json"
    if "enum" in first:
        return "enum"
    kind = first.get("type")
    return {
        "string": "text",
        "integer": "integer",
        "number": "number",
        "boolean": "boolean",
        "array": "array",
        "object": "json",
    }.get(kind if isinstance(kind, str) else "", "json")  # type: ignore[return-value]


def _choices(prop: Mapping[str, Any], definitions: Mapping[str, Any]) -> tuple[Any, ...]:
    options, _ = _without_null(prop)
    for option in options:
        if "enum" in option:
            return tuple(option["enum"])
        ref = option.get("$ref")
        if isinstance(ref, str):
            target = definitions.get(ref.rsplit("/", 1)[-1], {})
            if isinstance(target, Mapping) and "enum" in target:
                return tuple(target["enum"])
    return ()


def type_from_schema(
    block_type: Mapping[str, Any],
    block_schema: Mapping[str, Any],
    *,
    collection: str | None = None,
    source: str = "",
) -> BlockType:
    """A BlockType from a server's block type and block schema documents (the shapes of
    ``POST /block_types/filter`` and ``POST /block_schemas/filter`` in Prefect 3.x).

    The top-level secret fields are the first parts of ``secret_fields`` entries that name a
    property (``service_account_info.*`` makes ``service_account_info`` secret;
    ``credentials.aws_secret_access_key`` belongs to a referenced block); a property in
    ``block_schema_references`` is a "block" field.
    """
    slug = str(block_type.get("slug") or "")
    fields_doc = block_schema.get("fields") or {}
    properties: Mapping[str, Any] = fields_doc.get("properties") or {}
    definitions: Mapping[str, Any] = fields_doc.get("definitions") or fields_doc.get("$defs") or {}
    required = set(fields_doc.get("required") or ()) | EXTRA_REQUIRED.get(slug, frozenset())
    secret_names = set(EXTRA_SECRET.get(slug, frozenset()))
    for entry in fields_doc.get("secret_fields") or ():
        head, _, rest = str(entry).partition(".")
        if head in properties and (not rest or rest == "*"):
            secret_names.add(head)
    references: Mapping[str, Any] = fields_doc.get("block_schema_references") or {}
    specs = []
    ordered = sorted(properties.items(), key=lambda item: (item[1].get("position", math.inf), 0))
    for name, prop in ordered:
        if not isinstance(prop, Mapping):
            continue
        ref = references.get(name)
        refs = ref if isinstance(ref, list) else [ref] if isinstance(ref, Mapping) else []
        block_slugs = tuple(
            sorted(str(r.get("block_type_slug")) for r in refs if isinstance(r, Mapping))
        )
        kind = _kind(prop, definitions, bool(block_slugs))
        options, nullable = _without_null(prop)
        secret = name in secret_names or any(o.get("format") == "password" for o in options)
        specs.append(
            FieldSpec(
                name=name,
                secret=secret and kind != "block",
                required=name in required,
                description=str(prop.get("description") or ""),
                kind=kind,
                title=str(prop.get("title") or ""),
                default=prop.get("default"),
                has_default="default" in prop,
                choices=_choices(prop, definitions) if kind == "enum" else (),
                block_types=block_slugs,
                schema=prop,
            )
        )
    return BlockType(
        slug=slug,
        title=str(block_type.get("name") or slug),
        fields=tuple(specs),
        collection=collection,
        description=str(block_type.get("description") or ""),
        # a set in Prefect: its order differs between runs
        capabilities=tuple(sorted(str(c) for c in block_schema.get("capabilities") or ())),
        code_example=str(block_type.get("code_example") or ""),
        documentation_url=str(block_type.get("documentation_url") or ""),
        source=source,
        checksum=str(block_schema.get("checksum") or ""),
        definitions=definitions,
    )


@cache
def shipped_documents() -> tuple[Mapping[str, Any], ...]:
    """The entries of the packaged ``block_schemas.json`` (``block_type``, ``block_schema``,
    ``collection``, ``source``)."""
    # beside this module in the wheel and in a checkout (package data); read as a path, since
    # importlib.resources alone costs ~9 ms of every command's start-up
    text = Path(__file__).with_name("block_schemas.json").read_text("utf-8")
    return tuple(json.loads(text)["types"])


@cache
def shipped_types() -> dict[str, BlockType]:
    """The block types flowwiz ships, by slug, in the file's order."""
    return {
        doc["block_type"]["slug"]: type_from_schema(
            doc["block_type"],
            doc["block_schema"],
            collection=doc.get("collection"),
            source=str(doc.get("source") or ""),
        )
        for doc in shipped_documents()
    }


# -- types last seen on a server ------------------------------------------------------------

SEEN_FILE = "block_types_seen.json"


def seen_path(catalog: Path) -> Path:
    """The file next to the local catalog that keeps the block types last seen on a server."""
    return catalog.with_name(SEEN_FILE)


def remember_seen(path: Path, entries: list[Mapping[str, Any]]) -> None:
    """Keep ``entries`` (``block_type``, ``block_schema``, ``source``: the shapes of the
    shipped file) in ``path``, merged over what it held, atomically; a failure to write is
    ignored (the cache is a convenience)."""
    import os
    import tempfile

    known = {e["block_type"]["slug"]: e for e in _read_seen(path)}
    known.update({e["block_type"]["slug"]: e for e in entries})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".seen-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"types": list(known.values())}, out)
        Path(tmp).replace(path)
    except OSError:
        return


def _read_seen(path: Path) -> list[Mapping[str, Any]]:
    try:
        entries = json.loads(path.read_text("utf-8")).get("types")
    except (OSError, ValueError, AttributeError):
        return []
    return [e for e in entries or () if isinstance(e, dict) and "block_type" in e]


def load_seen(path: Path) -> dict[str, BlockType]:
    """The types kept by ``remember_seen`` (not the shipped ones), by slug; {} when none or
    unreadable."""
    found: dict[str, BlockType] = {}
    for entry in _read_seen(path):
        try:
            spec = type_from_schema(
                entry["block_type"], entry["block_schema"], source=str(entry.get("source") or "")
            )
        except (KeyError, TypeError, AttributeError):
            continue
        if spec.slug and spec.slug not in shipped_types():
            found[spec.slug] = spec
    return found


# -- values ----------------------------------------------------------------------------------


class ValueProblem(ValueError):
    """A value that does not fit its field; the message never holds the value."""


def parse_text(spec: FieldSpec, text: str) -> Any:
    """A value typed as text (a flag, a form's input) as its field's kind: numbers, booleans
    (true/false/yes/no/1/0), JSON for objects and arrays, an enum's value by its text. Raises
    ValueProblem with a message that never repeats the text."""
    text = text.strip()
    kind = spec.kind
    if kind in ("text", "block"):
        return text
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueProblem("must be a whole number") from None
    if kind == "number":
        try:
            value = float(text)
        except ValueError:
            raise ValueProblem("must be a number") from None
        if not math.isfinite(value):
            raise ValueProblem("must be a finite number")
        return int(value) if value.is_integer() and "." not in text and "e" not in text else value
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "yes", "y", "1", "on"):
            return True
        if lowered in ("false", "no", "n", "0", "off"):
            return False
        raise ValueProblem("must be true or false")
    if kind == "enum":
        for choice in spec.choices:
            if text == (choice if isinstance(choice, str) else json.dumps(choice)):
                return choice
        shown = ", ".join(str(c) for c in spec.choices)
        raise ValueProblem(f"must be one of: {shown}")
    # json, array
    try:
        value = json.loads(text)
    except ValueError:
        what = "a JSON array" if kind == "array" else 'JSON (e.g. {"key": "value"})'
        raise ValueProblem(f"must be {what}") from None
    if kind == "array" and not isinstance(value, list):
        raise ValueProblem("must be a JSON array")
    return value


def schema_problem(spec: FieldSpec, value: Any, definitions: Mapping[str, Any]) -> str | None:
    """Why ``value`` does not fit the field's property schema (jsonschema, Draft 2020-12 as
    Prefect validates), as a few words naming the rule, never the value; None when it fits."""
    if not spec.schema or spec.kind == "block":
        return None
    from jsonschema import Draft202012Validator

    schema = dict(spec.schema)
    if definitions:
        schema["definitions"] = definitions
    try:
        errors = list(Draft202012Validator(schema).iter_errors(value))
    except Exception:  # noqa: BLE001 - a schema jsonschema cannot read: the server decides
        return None
    if not errors:
        return None
    error = min(errors, key=lambda e: len(e.path))
    validator = error.validator
    if validator in ("type", "anyOf", "oneOf"):
        return f"must be {_kind_words(spec)}"
    if validator == "enum":
        return "must be one of: " + ", ".join(str(c) for c in spec.choices)
    if validator == "required":
        return "misses a required key"
    return f"breaks the schema rule {validator!r}"


def _kind_words(spec: FieldSpec) -> str:
    return {
        "text": "text",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "enum": "one of the choices",
        "json": "a JSON object" if spec.schema.get("type") == "object" else "JSON",
        "array": "a JSON array",
        "block": "a block TYPE/NAME",
    }[spec.kind]


def show_value(value: Any) -> str:
    """A non-secret value as one line of text: strings as they are, others as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=False)
