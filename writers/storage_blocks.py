"""Storage blocks on a Prefect server: which exist, what they point at, and (for an upload that
flowwiz runs itself) their connection settings.

A storage block is any block document whose schema has Prefect's ``get-directory``
capability: exactly what ``pull_with_block`` needs (``BlockStorageAdapter`` refuses a block
without ``get_directory``); ``put-directory`` marks the ones an upload can write to. The server
decides, so collections registered later (prefect-aws's ``s3-bucket``...) show up too.

Read over the block store's own HTTP client (``PrefectStore._request``/``_expect``), so the
server URL, API key and error wording are the store's. The local catalog holds no storage
blocks (a worker loads them from the server), so it lists none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flowwiz.detectors.errors import UserError

_PAGE = 200
# fields worth showing next to a block's name (never secret ones)
_WHERE = ("basepath", "bucket_name", "bucket", "container_name", "repository_url", "share_path")


@dataclass(frozen=True, slots=True)
class StorageBlock:
    type: str
    name: str
    writable: bool  # its schema has "put-directory"
    where: str = ""  # basepath, bucket or repository: a hint for people
    data: Mapping[str, Any] = field(default_factory=dict)  # secrets only when asked for

    @property
    def slug(self) -> str:
        return f"{self.type}/{self.name}"


def list_storage_blocks(store: Any) -> list[StorageBlock]:
    """Every storage block on the store's server, sorted by type and name; [] for the local
    store. Raises BlockStoreError when the server cannot be read."""
    if getattr(store, "kind", None) != "prefect":
        return []
    found: list[StorageBlock] = []
    offset = 0
    while True:
        response = store._request(
            "POST",
            "/block_documents/filter",
            doing="list storage blocks",
            json={
                "block_schemas": {"block_capabilities": {"all_": ["get-directory"]}},
                "include_secrets": False,
                "sort": "NAME_ASC",
                "limit": _PAGE,
                "offset": offset,
            },
        )
        store._expect(response, "list storage blocks", ok=(200,))
        page = response.json()
        found.extend(_storage_block(doc) for doc in page if isinstance(doc, Mapping))
        if len(page) < _PAGE:
            break
        offset += _PAGE
    return sorted((b for b in found if b.type and b.name), key=lambda b: (b.type, b.name))


def read_storage_block(
    store: Any, block_type: str, name: str, *, include_secrets: bool = False
) -> StorageBlock | None:
    """One block on the store's server (None when absent). Raises UserError when it exists but
    is not a storage block, BlockStoreError when the server cannot be read."""
    response = store._request(
        "GET",
        f"/block_types/slug/{block_type}/block_documents/name/{name}",
        doing=f"read {block_type}/{name}",
        params={"include_secrets": "true" if include_secrets else "false"},
    )
    if response.status_code == 404:
        return None
    store._expect(response, f"read {block_type}/{name}", ok=(200,))
    block = _storage_block(response.json())
    capabilities = _capabilities(response.json())
    if "get-directory" not in capabilities:
        raise UserError(
            f"{block_type}/{name} is not a storage block (Prefect cannot pull code with it)"
        )
    return block


def _capabilities(doc: Mapping[str, Any]) -> list[str]:
    schema = doc.get("block_schema") or {}
    return list(schema.get("capabilities") or []) if isinstance(schema, Mapping) else []


def _storage_block(doc: Mapping[str, Any]) -> StorageBlock:
    kind = str((doc.get("block_type") or {}).get("slug") or "")
    data = doc.get("data") if isinstance(doc.get("data"), Mapping) else {}
    where = next((str(data[k]) for k in _WHERE if isinstance(data.get(k), str) and data[k]), "")
    return StorageBlock(
        type=kind,
        name=str(doc.get("name") or ""),
        writable="put-directory" in _capabilities(doc),
        where=where,
        data=dict(data),
    )
