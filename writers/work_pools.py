"""Work pools on a Prefect server: list them, the worker types the server offers, create one.

Endpoints, as checked against a Prefect 3.9.1 server:

- ``POST /work_pools/filter``: the pools (name, type, is_paused, base_job_template)
- ``GET  /collections/views/aggregate-worker-metadata``: worker types by collection, each with
  ``default_base_job_configuration`` (the server's registry copy: the template
  `prefect work-pool create --type T` falls back to, ``prefect.workers.utilities``)
- ``POST /work_pools/``: create (409 when it exists)
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flowwiz.detectors.errors import UserError
from flowwiz.writers.prefect_client import PrefectClient

PAGE = 200


@dataclass(frozen=True, slots=True)
class WorkPool:
    name: str
    type: str
    paused: bool = False
    # base_job_template.variables.properties: job variable name -> its JSON schema
    variables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name}  ({self.type}{', paused' if self.paused else ''})"


def list_work_pools(client: PrefectClient) -> tuple[WorkPool, ...]:
    """Every work pool on the server, by name."""
    pools: list[WorkPool] = []
    while True:
        page = client.call(
            "POST",
            "/work_pools/filter",
            doing="list work pools",
            json={"limit": PAGE, "offset": len(pools)},
        )
        if not isinstance(page, list):
            page = []
        pools += [_pool(doc) for doc in page if isinstance(doc, Mapping)]
        if len(page) < PAGE:
            break
    return tuple(sorted(pools, key=lambda p: p.name))


def worker_types(client: PrefectClient) -> dict[str, dict[str, Any]]:
    """Worker type -> its default base job template, as the server's registry lists them
    (``process`` first, then by name)."""
    data = client.call(
        "GET", "/collections/views/aggregate-worker-metadata", doing="list worker types"
    )
    found: dict[str, dict[str, Any]] = {}
    for collection in (data or {}).values() if isinstance(data, Mapping) else ():
        if not isinstance(collection, Mapping):
            continue
        for worker in collection.values():
            if not isinstance(worker, Mapping):
                continue
            kind, template = worker.get("type"), worker.get("default_base_job_configuration")
            if isinstance(kind, str) and isinstance(template, Mapping):
                found[kind] = dict(template)
    return dict(sorted(found.items(), key=lambda item: (item[0] != "process", item[0])))


def create_work_pool(
    client: PrefectClient, name: str, kind: str, template: Mapping[str, Any]
) -> WorkPool:
    """Create the pool (as `prefect work-pool create NAME --type KIND` does); an existing pool
    of that name is left as it is and returned."""
    response = client.request(
        "POST",
        "/work_pools/",
        doing=f"create work pool {name}",
        json={"name": name, "type": kind, "base_job_template": dict(template)},
    )
    if response.status_code == 409:
        pools = {p.name: p for p in list_work_pools(client)}
        if name in pools:
            return pools[name]
    client.expect(response, f"create work pool {name}", ok=(200, 201))
    return _pool(client.json(response, f"create work pool {name}"))


def check_job_variables(
    pool: WorkPool, job_variables: Mapping[str, Any], flag: str = "--job-variable"
) -> list[str]:
    """Warnings for keys the pool's base job template does not define (with the nearest
    names); UserError naming ``flag`` for a value of the wrong JSON type. A value holding a
    Jinja/Prefect template (``{{ ... }}``) is resolved later and not checked."""
    warnings: list[str] = []
    if not pool.variables:
        return warnings
    for key, value in job_variables.items():
        schema = pool.variables.get(key)
        if schema is None:
            near = difflib.get_close_matches(key, list(pool.variables), n=3, cutoff=0.5)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            warnings.append(
                f"job variable {key!r} is not a variable of the {pool.type} pool {pool.name!r}"
                f"{hint}: its workers ignore it"
            )
            continue
        wanted = _types(schema)
        if wanted and not _fits(value, wanted):
            raise UserError(
                f"{flag} {key}: the {pool.type} pool {pool.name!r} takes "
                f"{' or '.join(sorted(wanted))}, not {_json_type(value)}"
            )
    return warnings


def _pool(doc: Mapping[str, Any]) -> WorkPool:
    template = doc.get("base_job_template") or {}
    variables = (template.get("variables") or {}) if isinstance(template, Mapping) else {}
    props = variables.get("properties") if isinstance(variables, Mapping) else None
    return WorkPool(
        name=str(doc.get("name") or ""),
        type=str(doc.get("type") or "?"),
        paused=bool(doc.get("is_paused")),
        variables=dict(props) if isinstance(props, Mapping) else {},
    )


def _types(schema: Mapping[str, Any]) -> set[str]:
    kinds: set[str] = set()
    given = schema.get("type")
    if isinstance(given, str):
        kinds.add(given)
    elif isinstance(given, list):
        kinds |= {t for t in given if isinstance(t, str)}
    for option in schema.get("anyOf") or schema.get("oneOf") or ():
        if isinstance(option, Mapping):
            inner = _types(option)
            if not inner:  # a $ref or an untyped option: anything may fit
                return set()
            kinds |= inner
    return kinds


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _fits(value: Any, wanted: set[str]) -> bool:
    if isinstance(value, str) and "{{" in value:
        return True
    kind = _json_type(value)
    return kind in wanted or (kind == "integer" and "number" in wanted)
