"""Blocks: ``type/name`` plus fields, some of them secret, the same on both backends."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from flowwiz.detectors.errors import UserError, WorldError
from flowwiz.detectors.secret import (
    MASK,
    SecretStr,
    forbidden_character,
    shown_name,
    token_not_name,
)
from flowwiz.detectors.slug import BLOCK_NAME_RULE, is_block_name


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    secret: bool = False
    required: bool = False
    description: str = ""
    # "json": the value is a JSON document (a service account file's content); the Prefect
    # backend sends it as an object, as Prefect's block schema expects
    kind: Literal["text", "json"] = "text"


@dataclass(frozen=True, slots=True)
class BlockType:
    slug: str
    title: str
    fields: tuple[FieldSpec, ...]
    # the Python module whose `prefect block register -m` makes the type exist on a server
    collection: str | None = None

    @property
    def secret_fields(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields if f.secret)

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


# Field names follow Prefect's block schemas, so a block is the same on both backends.
BLOCK_TYPES: dict[str, BlockType] = {
    t.slug: t
    for t in (
        BlockType("secret", "Secret", (FieldSpec("value", secret=True, required=True),)),
        BlockType(
            "github-credentials",
            "GitHub Credentials",
            (FieldSpec("token", secret=True, required=True),),
            collection="prefect_github",
        ),
        BlockType(
            "gitlab-credentials",
            "GitLab Credentials",
            (FieldSpec("token", secret=True, required=True), FieldSpec("url")),
            collection="prefect_gitlab",
        ),
        BlockType(
            "bitbucket-credentials",
            "BitBucket Credentials",
            (
                FieldSpec("token", secret=True, required=True),
                FieldSpec("username"),
                FieldSpec("url"),
            ),
            collection="prefect_bitbucket",
        ),
        BlockType(
            "aws-credentials",
            "AWS Credentials",
            (
                FieldSpec("aws_access_key_id"),
                FieldSpec("aws_secret_access_key", secret=True),
                FieldSpec("aws_session_token", secret=True),
                FieldSpec("profile_name"),
                FieldSpec("region_name"),
            ),
            collection="prefect_aws",
        ),
        BlockType(
            "gcp-credentials",
            "GCP Credentials",
            (
                FieldSpec("service_account_file"),
                FieldSpec("service_account_info", secret=True, kind="json"),
                FieldSpec("project"),
            ),
            collection="prefect_gcp",
        ),
        BlockType(
            "docker-registry-credentials",
            "Docker Registry Credentials",
            (
                FieldSpec("username", required=True),
                FieldSpec("password", secret=True, required=True),
                FieldSpec("registry_url", required=True),
            ),
            collection="prefect_docker",
        ),
        BlockType(
            "azure-blob-storage-credentials",
            "Azure Blob Storage Credentials",
            (FieldSpec("connection_string", secret=True), FieldSpec("account_url")),
            collection="prefect_azure",
        ),
    )
}


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


class PlaintextKeyringWarning(UserWarning):
    """A secret was written to a keyring backend that stores it unencrypted (explicit opt-in)."""


def block_type(slug: str) -> BlockType:
    try:
        return BLOCK_TYPES[slug]
    except KeyError:
        known = ", ".join(BLOCK_TYPES)
        raise InvalidBlock(f"unknown block type {shown_name(slug)} (known: {known})") from None


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


def normalize_data(
    kind: str, data: Mapping[str, str | SecretStr | None]
) -> dict[str, str | SecretStr]:
    """Check a block's fields before anything is stored; both backends call this.

    Returns the given fields in the type's order, without None or empty values, secret fields
    wrapped in SecretStr. Unknown fields, a missing required field and characters no secret
    store keeps (NUL; newlines in a token) are InvalidBlock errors that name the field, never
    the value.
    """
    spec = block_type(kind)
    known = {f.name for f in spec.fields}
    unknown = sorted(set(data) - known)
    if unknown:
        fields = ", ".join(f.name for f in spec.fields)
        raise InvalidBlock(f"{kind} has no field {unknown[0]!r} (its fields: {fields})")
    result: dict[str, str | SecretStr] = {}
    for f in spec.fields:
        value = data.get(f.name)
        text = value.reveal() if isinstance(value, SecretStr) else value
        if text is None or text == "":
            if f.required:
                what = "secret field" if f.secret else "field"
                raise InvalidBlock(f"{kind} needs its {what} {f.name!r}")
            continue
        if not isinstance(text, str):
            raise InvalidBlock(f"field {f.name!r} of {kind} must be text")
        if "\x00" in text:
            raise InvalidBlock(f"field {f.name!r} of {kind} contains a NUL byte")
        if f.name == "token" and forbidden_character(text):
            raise InvalidBlock(f"field {f.name!r} of {kind} contains {forbidden_character(text)}")
        if f.kind == "json":
            try:
                json.loads(text)
            except ValueError:
                raise InvalidBlock(f"field {f.name!r} of {kind} must be JSON") from None
        result[f.name] = SecretStr(text) if f.secret else text
    return result


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
    data: Mapping[str, str | SecretStr | None]
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
        """"broken" when ``problem`` is set, "unknown" when a secret could not be checked,
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
        """
        return {
            key: MASK if isinstance(value, SecretStr) or key in self.secret_fields else value
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
    ) -> Block: ...

    def delete(self, block_type: str, name: str) -> None: ...

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
