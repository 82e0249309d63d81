"""The block store: named blocks whose secret fields live only in a secret store.

``open_store()`` picks the backend: a Prefect server when an API URL is given or
``PREFECT_API_URL`` is set, else the local catalog with values in the OS keyring.
"""

from __future__ import annotations

from flowwiz.writers.blocks.model import (
    BLOCK_TYPES,
    SHIPPED_TYPES,
    Block,
    BlockExists,
    BlockNotFound,
    BlockStore,
    BlockStoreError,
    BlockType,
    FieldSpec,
    InvalidBlock,
    NoKeyringError,
    PlaintextKeyringWarning,
    PlaintextToken,
    StoreKind,
    block_type,
    check_name,
    mask_field,
    normalize_data,
    parse_slug,
    reference,
)
from flowwiz.writers.blocks.store import open_store

__all__ = [
    "BLOCK_TYPES",
    "SHIPPED_TYPES",
    "Block",
    "BlockExists",
    "BlockNotFound",
    "BlockStore",
    "BlockStoreError",
    "BlockType",
    "FieldSpec",
    "InvalidBlock",
    "NoKeyringError",
    "PlaintextKeyringWarning",
    "PlaintextToken",
    "StoreKind",
    "block_type",
    "check_name",
    "mask_field",
    "normalize_data",
    "open_store",
    "parse_slug",
    "reference",
]
