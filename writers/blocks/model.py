"""Blocks: ``type/name`` plus fields, some of them secret, the same on both backends."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from flowwiz.detectors.errors import UserError, WorldError
from flowwiz.detectors.secret import (
    MASK,
    SecretStr,
    forbidden_character,
    holds_token,
    redact_tokens,
    shown_name,
    token_not_name,
)
from flowwiz.detectors.slug import BLOCK_NAME_RULE, is_block_name
from flowwiz.writers.blocks.schemas import (
    BlockType,
    FieldSpec,
    ValueProblem,
    parse_text,
    schema_problem,
    shipped_types,
)

__all__ = ["BlockType", "FieldSpec"]  # re-exported: they live in schemas.py


# The slugs the deploy wizard and the dashboard's type list start from (credentials for git
# and cloud storage); every shipped type (``SHIPPED_TYPES``) is known to ``block_type``.
_CORE = (
    "secret",
    "github-credentials",
    "gitlab-credentials",
    "bitbucket-credentials",
    "aws-credentials",
    "gcp-credentials",
    "docker-registry-credentials",
    "azure-blob-storage-credentials",
)
# every block type flowwiz ships (writers/blocks/block_schemas.json), by slug
SHIPPED_TYPES: dict[str, BlockType] = shipped_types()
# types last seen on a Prefect server (schemas.load_seen), registered by the local store
SEEN_TYPES: dict[str, BlockType] = {}
# Field names follow Prefect's block schemas, so a block is the same on both backends.
BLOCK_TYPES: dict[str, BlockType] = {slug: SHIPPED_TYPES[slug] for slug in _CORE}


class BlockStoreError(WorldError):
    """The store could not do what was asked (keyring locked, server unreachable): exit 1."""


class NoKeyringError(BlockStoreError):
    """No usable keyring backend; the message lists the ways out."""


class BlockNotFound(UserError):
    pass


class BlockExists(UserError):
    pass


class InvalidBlock(UserError):
    """A bad slug, name, type or field."""


class PlaintextToken(InvalidBlock):
    """A token-looking text in a field that is not secret (it would be stored and shown in
    plain text). The message names the field, never the value; a command that has an
    ``--allow-plaintext-secrets`` flag adds it to the message."""


class PlaintextKeyringWarning(UserWarning):
    """A secret was written to a keyring backend that stores it unencrypted (explicit opt-in)."""


def block_type(slug: str, types: Mapping[str, BlockType] | None = None) -> BlockType:
    """The block type ``slug`` among ``types`` (a store's, see ``BlockStore.block_types``;
    default: the shipped ones and those last seen on a server). InvalidBlock names the
    known slugs, the closest first ("did you mean X?", difflib.get_close_matches)."""
    known = {**SHIPPED_TYPES, **SEEN_TYPES} if types is None else types
    try:
        return known[slug]
    except KeyError:
        import difflib

        names = ", ".join(known)
        close = [] if holds_token(slug) else difflib.get_close_matches(slug, list(known), n=1)
        hint = f": did you mean {close[0]}?" if close else ""
        raise InvalidBlock(
            f"unknown block type {shown_name(slug)}{hint} (known: {names})"
        ) from None


def known_type(slug: str) -> BlockType | None:
    """The shipped block type ``slug`` (else one last seen on a server), or None."""
    return SHIPPED_TYPES.get(slug) or SEEN_TYPES.get(slug)


def check_name(name: str) -> str:
    if not is_block_name(name):
        problem = token_not_name(name, "block name")
        if problem:  # never repeated: it would land in CI logs
            raise InvalidBlock(f"invalid block name: {problem}")
        raise InvalidBlock(f"invalid block name {name!r}: use {BLOCK_NAME_RULE}")
    return name


def parse_slug(slug: str) -> tuple[str, str]:
    """``type/name`` -> (type, name), both checked."""
    kind, sep, name = slug.partition("/")
    if not sep or not kind or not name:
        raise InvalidBlock(
            f"invalid block slug {shown_name(slug)}: expected TYPE/NAME, e.g. secret/my-token"
        )
    block_type(kind)
    return kind, check_name(name)


# image digests (``image@sha256:<64 hex>``) are names, not secrets
_DIGEST = re.compile(r"sha(?:256|384|512):[0-9a-f]{32,}")


def token_text(value: str) -> bool:
    """Whether plain text holds a piece that looks like a token (``detectors.secret.
    holds_token``), leaving aside image digests (``sha256:<hex>``). Pure."""
    return holds_token(value) and holds_token(_DIGEST.sub("sha256", value))


def token_paths(value: object, path: str) -> list[str]:
    """Where in a plain value (text, or a JSON object/array at any depth) a text looks like
    a token: dotted paths from ``path`` (``settings.auth[0]``); a key that itself looks like
    a token counts too, shown as its parent's path. Pure."""
    if isinstance(value, str):
        return [path] if token_text(value) else []
    if isinstance(value, Mapping):
        found: list[str] = []
        for key, item in value.items():
            text = str(key)
            if token_text(text):
                found.append(path)
                continue
            found.extend(token_paths(item, f"{path}.{text}"))
        return found
    if isinstance(value, (list, tuple)):
        return [p for i, item in enumerate(value) for p in token_paths(item, f"{path}[{i}]")]
    return []


def mask_tokens(value: object) -> object:
    """A plain value safe to show: every text in it (at any depth) that looks like a token
    (``token_text``) has its token-looking runs masked (``redact_tokens``), or reads
    ``********`` whole when that is not enough. The last guard for values stored before
    ``normalize_data`` refused them (old catalogs, a server's blocks). Pure; the value is
    returned itself when nothing in it looks like a token."""
    if isinstance(value, str):
        if not token_text(value):
            return value
        redacted = redact_tokens(value)
        return MASK if token_text(redacted) else redacted
    if isinstance(value, Mapping):
        return {(MASK if token_text(str(k)) else k): mask_tokens(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_tokens(v) for v in value]
    return value


def refuse_tokens(kind: str, spec: BlockType, values: Mapping[str, object]) -> None:
    """PlaintextToken for the first of ``values`` (non-secret fields of ``kind``) that holds
    a token-looking text (``token_paths``); the message names the field and where in it,
    never the value, and says where a token goes instead."""
    for name, value in values.items():
        f = spec.field(name)
        if f is None or not (f.secret or f.kind == "block"):
            _refuse_token(kind, spec, name, value)


def mask_field(name: str, value: object) -> object:
    """``mask_tokens(value)`` for the plain field ``name``, but an identifier field
    (``*_id``: an AWS access key id, a client or tenant id) as it is: an id is not a
    secret, though it has a token's shape. Pure."""
    return value if name.endswith("_id") else mask_tokens(value)


def _refuse_token(kind: str, spec: BlockType, name: str, value: object) -> None:
    if name.endswith("_id"):  # an identifier (see mask_field)
        return
    found = token_paths(value, name)
    if not found:
        return
    where = "" if found == [name] else f" (at {', '.join(found)})"
    secret = [f.name for f in spec.fields if f.secret]
    instead = (
        f"a secret field of {kind} ({', '.join(secret)}) or a Secret block"
        if secret
        else "a Secret block"
    )
    raise PlaintextToken(
        f"field {name!r} of {kind} looks like it holds a token{where}, and it is not a secret "
        f"field: it would be stored and shown in plain text; keep the token in {instead} "
        "(`flowwiz blocks create secret NAME`)"
    )


def normalize_data(
    kind: str,
    data: Mapping[str, object | None],
    *,
    spec: BlockType | None = None,
    present: Iterable[str] = (),
    allow_plaintext: bool = False,
) -> dict[str, object]:
    """Check a block's fields before anything is stored; both backends call this.

    ``spec`` is the type (default: the shipped one, ``block_type(kind)``); ``present`` names
    fields kept as stored (an edit that leaves a secret alone), which count for the
    required check without a value.

    Returns the given fields in the type's order, without None or empty values: secret
    fields as SecretStr (a JSON value as its JSON text), the others typed by the schema
    (text given for a number, boolean or JSON field is parsed, as ``parse_text``), each
    checked against its property schema with jsonschema as Prefect does. Unknown fields, a
    missing required field, a value that does not fit and characters no secret store keeps
    (NUL; newlines in a token) are InvalidBlock errors that name the field, never the value.
    A token-looking text in a field that is not secret, at any depth of a JSON value
    (``token_paths``; not in an identifier field, ``*_id``), is PlaintextToken unless
    ``allow_plaintext`` (the user's explicit ``--allow-plaintext-secrets``).
    """
    spec = spec or block_type(kind)
    known = {f.name for f in spec.fields}
    unknown = sorted(set(data) - known)
    if unknown:
        fields = ", ".join(f.name for f in spec.fields)
        raise InvalidBlock(f"{kind} has no field {unknown[0]!r} (its fields: {fields})")
    kept = set(present)
    result: dict[str, object] = {}
    for f in spec.fields:
        value = data.get(f.name)
        if isinstance(value, SecretStr):
            value = value.reveal()
        if value is None or value == "":
            if f.required and f.name not in kept:
                what = "secret field" if f.secret else "field"
                raise InvalidBlock(f"{kind} needs its {what} {f.name!r}")
            continue
        if isinstance(value, str):
            if "\x00" in value:
                raise InvalidBlock(f"field {f.name!r} of {kind} contains a NUL byte")
            if f.name == "token" and forbidden_character(value):
                raise InvalidBlock(
                    f"field {f.name!r} of {kind} contains {forbidden_character(value)}"
                )
            if f.kind == "block":
                _check_reference(kind, f, value)
                result[f.name] = value.strip()
                continue
            if f.kind != "text":
                try:
                    value = parse_text(f, value)
                except ValueProblem as exc:
                    raise InvalidBlock(f"field {f.name!r} of {kind} {exc}") from None
        elif f.kind == "text" or f.kind == "block":
            raise InvalidBlock(f"field {f.name!r} of {kind} must be text")
        problem = schema_problem(f, value, spec.definitions)
        if problem:
            raise InvalidBlock(f"field {f.name!r} of {kind} {problem}")
        if f.secret:
            result[f.name] = SecretStr(value if isinstance(value, str) else json.dumps(value))
        else:
            if not allow_plaintext and f.kind != "block":
                _refuse_token(kind, spec, f.name, value)
            result[f.name] = value
    return result


def _check_reference(kind: str, f: FieldSpec, value: str) -> None:
    ref_type, sep, ref_name = value.strip().partition("/")
    if not sep or not is_block_name(ref_name) or ref_type not in f.block_types:
        types = " or ".join(f"{t}/NAME" for t in f.block_types)
        raise InvalidBlock(f"field {f.name!r} of {kind} names a block: give {types}")


def reference(kind: str, name: str) -> str:
    """The template Prefect resolves on the worker: ``{{ prefect.blocks.<type>.<name> }}``."""
    return "{{ prefect.blocks." + kind + "." + name + " }}"


# Whether a block's secret values are in the secret store, as far as flowwiz knows:
# "none": the block has no secret field; "unchecked": not looked at (a listing never reads a
# secret); "present"/"missing": looked at; "unknown": the look could not finish (a locked or
# hanging keyring), which never makes a block broken.
SecretState = Literal["none", "unchecked", "present", "missing", "unknown"]
# What a block's status reads: "broken" only when something is known to be wrong.
BlockStatus = Literal["ok", "broken", "unknown"]


@dataclass(frozen=True, slots=True)
class Block:
    """One stored block. Secret field values are SecretStr when read with secrets, else None."""

    type: str
    name: str
    # non-secret values typed as the schema says (str, int, float, bool, dict, list)
    data: Mapping[str, object | None]
    secret_fields: frozenset[str] = frozenset()
    created: datetime | None = None
    updated: datetime | None = None
    # set when the block cannot be used as stored, e.g. "secret value missing from the keyring"
    problem: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)
    # whether its secret values were found (see SecretState); ``unknown`` says why not known
    secrets: SecretState = "unchecked"
    unknown: str | None = None

    @property
    def status(self) -> BlockStatus:
        """ "broken" when ``problem`` is set, "unknown" when a secret could not be checked,
        else "ok" (a listing, which checks no secret, says "ok" unless the catalog row itself
        is broken)."""
        if self.problem:
            return "broken"
        if self.secrets == "unknown":
            return "unknown"
        return "ok"

    @property
    def slug(self) -> str:
        return f"{self.type}/{self.name}"

    @property
    def reference(self) -> str:
        return reference(self.type, self.name)

    def masked(self) -> dict[str, str | None]:
        """Field values safe to show: every secret field reads ``********``.

        A secret field that was not loaded (None in ``data``) but is stored (named in
        ``secret_fields``) also reads ``********``, so lists never show ``null`` for a secret.
        A plain value that looks like it holds a token (stored before flowwiz refused them,
        or read from a server) has it masked too (``mask_field``).
        """
        return {
            key: MASK
            if isinstance(value, SecretStr) or key in self.secret_fields
            else mask_field(key, value)
            for key, value in self.data.items()
        }

    def revealed(self) -> dict[str, str | None]:
        """Field values with secrets in clear text: only for ``inspect --show-secrets`` and for
        handing a block to another store."""
        return {
            key: value.reveal() if isinstance(value, SecretStr) else value
            for key, value in self.data.items()
        }


StoreKind = Literal["local", "prefect"]


class BlockStore(Protocol):
    """One interface, two backends (local SQLite + keyring; a Prefect server's REST API)."""

    kind: StoreKind
    location: str  # the catalog path or the API URL, for headers and messages

    def list(self, block_type: str | None = None) -> list[Block]: ...

    def get(self, block_type: str, name: str, *, include_secrets: bool = False) -> Block: ...

    def exists(self, block_type: str, name: str) -> bool: ...

    def save(
        self,
        block_type: str,
        name: str,
        data: Mapping[str, str | SecretStr | None],
        *,
        overwrite: bool = False,
        allow_plaintext: bool = False,
    ) -> Block:
        """Store a block (``normalize_data`` checks it first; ``allow_plaintext`` lets a
        token-looking text into a non-secret field: the user's explicit opt-in)."""
        ...

    def delete(self, block_type: str, name: str) -> None: ...

    def update(
        self,
        block_type: str,
        name: str,
        changes: Mapping[str, object | None],
        *,
        allow_plaintext: bool = False,
    ) -> Block:
        """Change only the fields in ``changes`` (None or "" clears a field); every other
        field, secret ones included, stays as stored without being read. BlockNotFound when
        the block is gone; the same checks as ``save`` (a token-looking text is refused only
        in the changed fields)."""
        ...

    def block_types(self) -> dict[str, BlockType]:
        """The block types this store can hold, by slug: the shipped ones for the local
        store, the server's own for a Prefect server."""
        ...

    def check(self) -> None:
        """Raise the store's clear error (no usable keyring, server unreachable) before anyone
        is asked for a secret."""
        ...


@runtime_checkable
class SecretChecking(Protocol):
    """A store whose secret values live apart from its catalog (the local store: the OS
    keyring), so a listed block's secrets can be gone: ``check_secrets`` looks."""

    def check_secrets(self, blocks: Iterable[Block]) -> list[Block]:
        """The same blocks, in order, each with ``secrets`` set to "present", "missing"
        (then ``problem`` says which field) or "unknown" (then ``unknown`` says why); never
        raises for the keyring, whose failures make the rest "unknown"."""
        ...
