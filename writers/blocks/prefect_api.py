"""The Prefect backend: blocks as block documents on a Prefect server or Cloud workspace.

Plain REST over httpx (imported when the store is first used), never ``import prefect``.
Endpoints, as checked against a Prefect 3.9.1 server:

- ``GET  /block_types/slug/{slug}``                                 the type's id
- ``POST /block_schemas/filter``                                    its schema id
- ``POST /block_documents/``  (the trailing slash matters: 307)     create; 409 when it exists
- ``POST /block_documents/filter``                                  list
- ``GET  /block_types/slug/{t}/block_documents/name/{n}``           read one
- ``PATCH /block_documents/{id}`` (merge_existing_data false)       overwrite
- ``PATCH /block_documents/{id}`` (merge_existing_data true)        change some fields
  (the body has no ``name``: Prefect 3 cannot rename a block document)
- ``POST /block_types/filter``, ``POST /block_schemas/filter``      every type and schema
- ``DELETE /block_documents/{id}``                                  delete

Response bodies are never put into messages: the 422 answer to a block write repeats the
request, secret included. HTTP (auth, TLS, retries, one-line errors) is
:class:`flowwiz.writers.prefect_client.PrefectClient`'s.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flowwiz.detectors.prefect_settings import PrefectSettings, resolve_settings
from flowwiz.detectors.secret import SecretStr
from flowwiz.writers.blocks.model import (
    SHIPPED_TYPES,
    Block,
    BlockExists,
    BlockNotFound,
    BlockStoreError,
    BlockType,
    InvalidBlock,
    StoreKind,
    check_name,
    normalize_data,
)
from flowwiz.writers.blocks.schemas import type_from_schema
from flowwiz.writers.prefect_client import (
    REQUEST_TIMEOUT,
    PrefectClient,
    Waiting,
    clean_url,
    transport_reason,
)

__all__ = ["PrefectStore", "clean_url", "transport_reason"]

PAGE = 200
_TYPE_KEYS = ("name", "slug", "description", "code_example", "documentation_url", "logo_url")
_SCHEMA_KEYS = ("fields", "capabilities", "version", "checksum")


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class PrefectStore:
    """Blocks on a Prefect server, addressed by its API URL (``PREFECT_API_URL``).

    ``settings`` are the resolved Prefect settings (auth string, TLS, retries); without them
    they are resolved from ``env`` with ``api_url`` as if given by ``--api-url``. Raises
    SettingsError (exit 2) for a URL that does not parse.
    """

    kind: StoreKind = "prefect"

    def __init__(
        self,
        api_url: str,
        *,
        api_key: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = REQUEST_TIMEOUT,
        settings: PrefectSettings | None = None,
        waiting: Waiting | None = None,
    ) -> None:
        self._env = os.environ if env is None else env
        if settings is None or settings.api_url != api_url:
            settings = resolve_settings(self._env, api_url=api_url)
        self.settings = settings
        url = clean_url(api_url)
        self.api_url = url
        self.location = url
        if api_key is None and settings.api_key:
            api_key = settings.api_key.reveal()
        self._api_key = api_key
        self._key_resolved = api_key is not None or settings.auth_string is not None
        self._timeout = timeout
        self._waiting = waiting
        self._client: PrefectClient | None = None
        self._type_ids: dict[str, str] = {}
        self._schema_ids: dict[str, str] = {}
        self._specs: dict[str, BlockType] = {}  # the server's own, as they are looked up
        self._all_types: dict[str, BlockType] | None = None

    # -- the interface ------------------------------------------------------------------

    def check(self) -> None:
        """Reachable, authorised, and a Prefect API (the Secret type is built in)."""
        response = self._request("GET", "/block_types/slug/secret", doing="answer")
        if response.status_code == 404:
            raise BlockStoreError(
                f"{self.api_url} answered but is not a Prefect API (no 'secret' block type): "
                "PREFECT_API_URL usually ends in /api"
            )
        self._expect(response, "answer", ok=(200,))

    def list(self, block_type: str | None = None) -> list[Block]:
        if block_type:
            slugs = [self._lookup(block_type).slug]
        else:  # the shipped types, and every type of the server once they were listed
            slugs = list({**SHIPPED_TYPES, **(self._all_types or {})})
        body = {
            "block_types": {"slug": {"any_": slugs}},
            "include_secrets": False,
            "sort": "NAME_ASC",
        }
        blocks = [
            self._block(doc, include_secrets=False)
            for doc in self._paged("/block_documents/filter", "list blocks", body)
        ]
        blocks.sort(key=lambda b: (b.type, b.name))
        return blocks

    def get(self, block_type: str, name: str, *, include_secrets: bool = False) -> Block:
        doc = self._document(block_type, name, include_secrets=include_secrets)
        if doc is None:
            raise BlockNotFound(f"no block {block_type}/{name} on {self.api_url}")
        return self._block(doc, include_secrets=include_secrets)

    def exists(self, block_type: str, name: str) -> bool:
        return self._document(block_type, name, include_secrets=False) is not None

    def save(
        self,
        block_type: str,
        name: str,
        data: Mapping[str, str | SecretStr | None],
        *,
        overwrite: bool = False,
        allow_plaintext: bool = False,
    ) -> Block:
        spec = self._lookup(block_type)
        check_name(name)
        values = normalize_data(spec.slug, data, spec=spec, allow_plaintext=allow_plaintext)
        type_id = self._type_id(spec.slug)
        schema_id = self._schema_id(spec.slug, type_id)
        spec = self._specs.get(spec.slug, spec)
        # the server's schema judges
        values = normalize_data(spec.slug, data, spec=spec, allow_plaintext=allow_plaintext)
        payload = self._payload(spec, values)
        slug = f"{spec.slug}/{name}"
        response = self._request(
            "POST",
            "/block_documents/",
            doing=f"save {slug}",
            json={
                "name": name,
                "block_type_id": type_id,
                "block_schema_id": schema_id,
                "data": payload,
            },
        )
        if response.status_code == 409:
            if not overwrite:
                raise BlockExists(
                    f"block {slug} already exists on {self.api_url}: use --overwrite to replace it"
                )
            existing = self._document(spec.slug, name, include_secrets=False)
            if existing is None:  # deleted between the two calls
                raise BlockStoreError(
                    f"block {slug} changed on {self.api_url} while it was being saved: try again"
                )
            response = self._request(
                "PATCH",
                f"/block_documents/{existing['id']}",
                doing=f"replace {slug}",
                json={
                    "block_schema_id": schema_id,
                    "data": payload,
                    "merge_existing_data": False,
                },
            )
            self._expect(response, f"replace {slug}", ok=(200, 204), write=True)
        else:
            self._expect(response, f"save {slug}", ok=(200, 201), write=True)
        return Block(
            type=spec.slug,
            name=name,
            data=dict(values),
            secret_fields=frozenset(k for k, v in values.items() if isinstance(v, SecretStr)),
        )

    def update(
        self,
        block_type: str,
        name: str,
        changes: Mapping[str, object | None],
        *,
        allow_plaintext: bool = False,
    ) -> Block:
        """PATCH only the changed fields with ``merge_existing_data``: the server keeps every
        other field (secrets included) as stored; a cleared field is sent as null."""
        spec = self._lookup(block_type)
        doc = self._document(spec.slug, name, include_secrets=False)
        if doc is None:
            raise BlockNotFound(f"no block {spec.slug}/{name} on {self.api_url}")
        type_id = self._type_id(spec.slug)
        self._schema_id(spec.slug, type_id)
        spec = self._specs.get(spec.slug, spec)
        stored = {k for k, v in (doc.get("data") or {}).items() if v is not None}
        cleared = {k for k, v in changes.items() if v is None or v == ""}
        values = normalize_data(
            spec.slug, changes, spec=spec, present=stored - cleared, allow_plaintext=allow_plaintext
        )
        payload: dict[str, object] = self._payload(spec, values)
        payload.update({k: None for k in cleared})
        slug = f"{spec.slug}/{name}"
        response = self._request(
            "PATCH",
            f"/block_documents/{doc['id']}",
            doing=f"change {slug}",
            json={"data": payload, "merge_existing_data": True},
        )
        self._expect(response, f"change {slug}", ok=(200, 204), write=True)
        return self.get(spec.slug, name)

    def _paged(
        self, path: str, doing: str, body: Mapping[str, Any] | None = None
    ) -> Iterator[Any]:
        """Every item of a ``POST .../filter`` listing, ``PAGE`` at a time (``limit`` and
        ``offset``, as Prefect's client pages); each failure is ``_expect``'s one line."""
        offset = 0
        while True:
            response = self._request(
                "POST", path, doing=doing, json={**(body or {}), "limit": PAGE, "offset": offset}
            )
            self._expect(response, doing, ok=(200,))
            page = self._json(response, doing)
            yield from page
            if len(page) < PAGE:
                return
            offset += PAGE

    def block_types(self) -> dict[str, BlockType]:
        """Every block type on the server with its newest schema, by slug (one request for
        the types, one for the schemas)."""
        if self._all_types is not None:
            return dict(self._all_types)
        types = [
            t for t in self._paged("/block_types/filter", "list block types") if isinstance(t, dict)
        ]
        schemas: dict[str, dict[str, Any]] = {}
        for schema in self._paged("/block_schemas/filter", "list block schemas"):
            if not isinstance(schema, dict):
                continue
            key = str(schema.get("block_type_id"))
            known = schemas.get(key)
            if known is None or str(schema.get("created") or "") > str(known.get("created") or ""):
                schemas[key] = schema
        found: dict[str, BlockType] = {}
        seen: list[dict[str, Any]] = []
        for doc in sorted(types, key=lambda t: str(t.get("name") or "").lower()):
            schema = schemas.get(str(doc.get("id")))
            slug = str(doc.get("slug") or "")
            if schema is None or not slug:
                continue
            shipped = SHIPPED_TYPES.get(slug)
            if shipped is None:
                seen.append(
                    {
                        "block_type": {k: doc.get(k) for k in _TYPE_KEYS},
                        "block_schema": {k: schema.get(k) for k in _SCHEMA_KEYS},
                        "source": f"last seen on the server {self.api_url}",
                    }
                )
            found[slug] = _keep_secret(
                type_from_schema(
                    doc,
                    schema,
                    collection=shipped.collection if shipped else None,
                    source=f"the server {self.api_url}",
                )
            )
        self._all_types = found
        if seen:  # the local store offers them too (schemas.seen_path)
            from flowwiz.writers.blocks.schemas import remember_seen, seen_path
            from flowwiz.writers.paths import catalog_path

            remember_seen(seen_path(catalog_path(self._env)), seen)
        return dict(found)

    def _lookup(self, slug: str) -> BlockType:
        """The type ``slug``: the server's when already read, else the shipped one, else the
        server's list (a type flowwiz does not ship)."""
        if slug in self._specs:
            return self._specs[slug]
        if slug in SHIPPED_TYPES:
            return SHIPPED_TYPES[slug]
        types = self.block_types()
        if slug not in types:
            names = ", ".join(types)
            raise InvalidBlock(f"unknown block type {slug!r} on {self.api_url} (known: {names})")
        return types[slug]

    def _payload(self, spec: BlockType, values: Mapping[str, object]) -> dict[str, object]:
        payload: dict[str, object] = {}
        for key, value in values.items():
            field = spec.field(key)
            if isinstance(value, SecretStr):
                text = value.reveal()
                payload[key] = json.loads(text) if field and field.kind == "json" else text
            elif field is not None and field.kind == "block":
                ref_type, _, ref_name = str(value).partition("/")
                doc = self._document(ref_type, ref_name, include_secrets=False)
                if doc is None:
                    raise InvalidBlock(
                        f"field {key!r} names {value}, which is not on {self.api_url}"
                    )
                payload[key] = {"$ref": {"block_document_id": doc["id"]}}
            else:
                payload[key] = value
        return payload

    def delete(self, block_type: str, name: str) -> None:
        doc = self._document(block_type, name, include_secrets=False)
        if doc is None:
            raise BlockNotFound(f"no block {block_type}/{name} on {self.api_url}")
        response = self._request(
            "DELETE", f"/block_documents/{doc['id']}", doing=f"delete {block_type}/{name}"
        )
        if response.status_code == 404:
            raise BlockNotFound(f"no block {block_type}/{name} on {self.api_url}")
        self._expect(response, f"delete {block_type}/{name}", ok=(200, 204))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- documents ----------------------------------------------------------------------

    def _document(
        self, block_type: str, name: str, *, include_secrets: bool
    ) -> dict[str, Any] | None:
        self._lookup(block_type)
        check_name(name)
        response = self._request(
            "GET",
            f"/block_types/slug/{block_type}/block_documents/name/{name}",
            doing=f"read {block_type}/{name}",
            params={"include_secrets": "true" if include_secrets else "false"},
        )
        if response.status_code == 404:
            return None
        self._expect(response, f"read {block_type}/{name}", ok=(200,))
        doc = self._json(response, f"read {block_type}/{name}")
        if not isinstance(doc, dict) or "id" not in doc:
            raise BlockStoreError(
                f"{self.api_url} sent an unexpected answer for {block_type}/{name}"
            )
        return doc

    def _block(self, doc: Mapping[str, Any], *, include_secrets: bool) -> Block:
        kind = str((doc.get("block_type") or {}).get("slug") or doc.get("block_type_name") or "")
        name = str(doc.get("name") or "")
        spec = self._specs.get(kind) or SHIPPED_TYPES.get(kind)
        if spec is None and self._all_types is not None:
            spec = self._all_types.get(kind)
        raw = doc.get("data") or {}
        refs = doc.get("block_document_references") or {}
        secret_names = spec.secret_fields if spec else frozenset()
        data: dict[str, str | SecretStr | None] = {}
        present: set[str] = set()
        order = [f.name for f in spec.fields] if spec else sorted(raw)
        for field in order:
            if field not in raw or raw[field] is None:
                continue
            value = raw[field]
            if field in secret_names:
                text = value if isinstance(value, str) else json.dumps(value)
                present.add(field)
                data[field] = SecretStr(text) if include_secrets else None
            elif isinstance(refs.get(field), Mapping):  # a nested block: TYPE/NAME
                nested = refs[field].get("block_document") or {}
                nested_type = (nested.get("block_type") or {}).get("slug") or ""
                data[field] = f"{nested_type}/{nested.get('name') or ''}"
            else:
                data[field] = value  # typed as the server keeps it
        problem = None if spec else f"unknown block type {kind!r}"
        return Block(
            type=kind,
            name=name,
            data=data,
            secret_fields=frozenset(present),
            created=_parse_time(doc.get("created")),
            updated=_parse_time(doc.get("updated")),
            problem=problem,
            extra={"id": doc.get("id")},
        )

    # -- types and schemas --------------------------------------------------------------

    def _type_id(self, slug: str) -> str:
        if slug in self._type_ids:
            return self._type_ids[slug]
        response = self._request("GET", f"/block_types/slug/{slug}", doing="look up block types")
        if response.status_code == 404:
            shipped = SHIPPED_TYPES.get(slug)
            collection = shipped.collection if shipped else None
            how = f": run `prefect block register -m {collection}` against it" if collection else ""
            raise BlockStoreError(
                f"block type {slug!r} is not registered on the server {self.api_url}{how}"
            )
        self._expect(response, "look up block types", ok=(200,))
        found = self._json(response, "look up block types")
        if not isinstance(found, Mapping) or "id" not in found:
            raise BlockStoreError(f"{self.api_url} sent an unexpected answer for block type {slug}")
        type_id = str(found["id"])
        self._type_ids[slug] = type_id
        return type_id

    def _schema_id(self, slug: str, type_id: str) -> str:
        if slug in self._schema_ids:
            return self._schema_ids[slug]
        response = self._request(
            "POST",
            "/block_schemas/filter",
            doing="look up block schemas",
            json={"block_schemas": {"block_type_id": {"any_": [type_id]}}},
        )
        self._expect(response, "look up block schemas", ok=(200,))
        schemas = self._json(response, "look up block schemas")
        if not isinstance(schemas, list):
            schemas = []
        shipped = SHIPPED_TYPES.get(slug)
        wanted = {f.name for f in shipped.fields} if shipped else set()
        # the server lists the newest first; prefer one that has every field flowwiz writes
        fitting = [
            s for s in schemas if wanted <= set((s.get("fields") or {}).get("properties") or {})
        ]
        chosen = (fitting or schemas or [None])[0]
        if chosen is None:
            collection = shipped.collection if shipped else None
            how = f": run `prefect block register -m {collection}`" if collection else ""
            raise BlockStoreError(f"block type {slug!r} has no schema on {self.api_url}{how}")
        self._schema_ids[slug] = str(chosen["id"])
        block_type = chosen.get("block_type") or {"slug": slug, "name": slug}
        self._specs[slug] = _keep_secret(
            type_from_schema(
                block_type,
                chosen,
                collection=shipped.collection if shipped else None,
                source=f"the server {self.api_url}",
            )
        )
        return self._schema_ids[slug]

    # -- HTTP ---------------------------------------------------------------------------

    def _http(self) -> PrefectClient:
        if self._client is None:
            self._client = PrefectClient(
                self.settings,
                error=BlockStoreError,
                api_key=self._key(),
                timeout=self._timeout,
                waiting=self._waiting,
            )
        return self._client

    def _key(self) -> str | None:
        """PREFECT_API_KEY (given, from the environment or the active profile), else the
        keyring entry ``flowwiz``/``prefect-api-key`` for a remote server (a server on this
        machine needs none, so the keyring is not asked). Not used with an auth string."""
        if self._key_resolved:
            return self._api_key
        self._key_resolved = True
        self._api_key = self._env.get("PREFECT_API_KEY") or None
        if self._api_key is None and not _is_loopback(self.api_url):
            from flowwiz.writers.blocks.keyring_backend import (
                PREFECT_API_KEY_USERNAME,
                SecretKeyring,
            )

            keyring = SecretKeyring(self._env, timeout=3.0)
            try:
                if keyring.status().usable and not keyring.status().plaintext:
                    self._api_key = keyring.get(PREFECT_API_KEY_USERNAME)
            except BlockStoreError:
                self._api_key = None  # no key is a clear 401 later, not a keyring error now
        return self._api_key

    def _request(self, method: str, path: str, *, doing: str, **kwargs: Any) -> Any:
        return self._http().request(method, path, doing=doing, **kwargs)

    def _expect(
        self, response: Any, doing: str, *, ok: tuple[int, ...], write: bool = False
    ) -> None:
        if response.status_code == 422 and write:
            # the body repeats the request, secret included: say nothing from it
            raise BlockStoreError(
                f"the Prefect server at {self.api_url} rejected the block (HTTP 422)"
            )
        self._http().expect(response, doing, ok=ok, write=write)

    def _json(self, response: Any, doing: str) -> Any:
        return self._http().json(response, doing)


def _keep_secret(spec: BlockType) -> BlockType:
    """A server's type with every field the shipped type keeps secret still secret (never
    shown, read or echoed), whatever the server's schema says."""
    from dataclasses import replace

    shipped = SHIPPED_TYPES.get(spec.slug)
    if shipped is None:
        return spec
    secret = shipped.secret_fields
    fields = tuple(
        replace(f, secret=True) if f.name in secret and not f.secret else f for f in spec.fields
    )
    return replace(spec, fields=fields)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
