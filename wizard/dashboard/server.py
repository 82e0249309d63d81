"""The deployments a Prefect server holds, read over its REST API for the dashboard.

Plain httpx (imported when first called), never ``import prefect``; nothing here imports
Textual, so it runs in a worker thread and can be tested on its own. Endpoints, as checked
against a Prefect 3.9.1 server:

- ``POST /deployments/filter``  (limit, offset, sort)   the deployments, a page at a time
- ``POST /flows/filter``        (flows.id.any_)         their flows' names (a deployment
                                                       carries only its flow's id)
- ``POST /flow_runs/filter``    (deployments.id.any_,   the latest run of each deployment:
                                 state.type.not_any_,   one request for all of them, newest
                                 sort START_TIME_DESC)  first (start time, else expected)

Response bodies never reach a message: only status codes and our own words do.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flowwiz.detectors.errors import WorldError
from flowwiz.detectors.prefect_settings import PrefectSettings, resolve_settings
from flowwiz.wizard.dashboard.data import (
    NOTHING,
    BlockRef,
    DeploymentRow,
    LastRun,
    schedule_summary,
    storage_summary,
)
from flowwiz.writers.prefect_client import clean_url

PAGE = 200
# A dashboard waits on nothing for long: a slow server is reported, the file still shows.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
# Enough for any real workspace; a runaway server cannot keep the worker paging forever.
MAX_DEPLOYMENTS = 10_000
# Requests for the latest runs: the first answers for every deployment among the newest
# PAGE runs; each next one asks only for the deployments not answered yet.
MAX_RUN_PAGES = 5


class ServerReadError(WorldError):
    """The server's deployments could not be read (unreachable, refused, not a Prefect API)."""


def load_server_deployments(
    api_url: str,
    *,
    env: Mapping[str, str] | None = None,
    settings: PrefectSettings | None = None,
) -> tuple[DeploymentRow, ...]:
    """Every deployment on the server at ``api_url`` as rows (source "server"), sorted by
    flow and name. ``settings`` (auth, TLS, retries) default to those resolved from ``env``
    with ``api_url`` given. Raises ServerReadError with a one-line message."""
    from flowwiz.writers.prefect_client import PrefectClient

    if settings is None or settings.api_url is None:
        settings = resolve_settings(os.environ if env is None else env, api_url=api_url)
    elif clean_url(settings.api_url) != clean_url(api_url):
        settings = settings.with_api_url(api_url)
    client = PrefectClient(
        settings,
        error=ServerReadError,
        timeout=READ_TIMEOUT,
        connect_timeout=CONNECT_TIMEOUT,
    )
    with client:
        documents = _all_deployments(client)
        flows = _flow_names(client, {str(d.get("flow_id")) for d in documents})
        try:
            runs = last_runs(client, [str(d.get("id")) for d in documents if d.get("id")])
        except ServerReadError:
            runs = {}  # the deployments still show; their last runs are not known
    rows = [
        server_row(d, flows.get(str(d.get("flow_id")), "?"), runs.get(str(d.get("id"))))
        for d in documents
    ]
    return tuple(sorted(rows, key=lambda r: r.name))


def last_runs(client: Any, deployment_ids: Sequence[str]) -> dict[str, LastRun]:
    """The latest flow run of each deployment that is past SCHEDULED (a run that crashed
    before it started counts), by deployment id: ``/flow_runs/filter`` for all of them at
    once, newest first. When the newest PAGE runs leave some deployments unanswered, the
    next request asks for those only (at most MAX_RUN_PAGES requests)."""
    found: dict[str, LastRun] = {}
    wanted = set(deployment_ids)
    for _ in range(MAX_RUN_PAGES):
        if not wanted - found.keys():
            break
        page = _post(
            client,
            "/flow_runs/filter",
            {
                "deployments": {"id": {"any_": sorted(wanted - found.keys())}},
                "flow_runs": {"state": {"type": {"not_any_": ["SCHEDULED"]}}},
                "sort": "START_TIME_DESC",
                "limit": PAGE,
            },
        )
        for run in page:
            if isinstance(run, Mapping):
                key = str(run.get("deployment_id"))
                if key in wanted and key not in found:
                    found[key] = _last_run(run)
        if len(page) < PAGE:
            break  # every run of the deployments left was read: the rest never ran
    return found


def _last_run(run: Mapping[str, Any]) -> LastRun:
    from datetime import datetime

    when = None
    for key in ("start_time", "expected_start_time"):
        value = run.get(key)
        if isinstance(value, str):
            try:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            break
    return LastRun(
        state_type=_text(run.get("state_type")) or "?",
        state_name=_text(run.get("state_name")) or _text(run.get("state_type")) or "?",
        when=when,
    )


def _all_deployments(client: Any) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    while len(found) < MAX_DEPLOYMENTS:
        page = _post(
            client,
            "/deployments/filter",
            {"limit": PAGE, "offset": len(found), "sort": "NAME_ASC"},
        )
        found += [d for d in page if isinstance(d, Mapping)]
        if len(page) < PAGE:
            break
    return found


def _flow_names(client: Any, ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(ids)
    names: dict[str, str] = {}
    for start in range(0, len(wanted), PAGE):
        chunk = wanted[start : start + PAGE]
        page = _post(client, "/flows/filter", {"flows": {"id": {"any_": chunk}}})
        names.update((str(f.get("id")), str(f.get("name"))) for f in page if isinstance(f, Mapping))
    return names


def _post(client: Any, path: str, body: Mapping[str, Any]) -> Sequence[Any]:
    data = client.call("POST", path, doing="list deployments", json=dict(body))
    if not isinstance(data, list):
        raise ServerReadError(
            f"{client.api_url} did not answer like a Prefect API (reading deployments): "
            f"check {client.url_setting()}"
        )
    return data


def server_context(
    api_url: str, *, settings: PrefectSettings | None = None, env: Mapping[str, str] | None = None
) -> tuple[frozenset[str] | None, frozenset[tuple[str, str]]]:
    """What the dashboard marks deployments with when a server is in use: the server's work
    pool names (None when they cannot be read), and the blocks kept only in this machine's
    local catalog (``(type, name)``: workers reading the server cannot see them)."""
    from flowwiz.writers.prefect_client import PrefectClient
    from flowwiz.writers.work_pools import list_work_pools

    env = os.environ if env is None else env
    if settings is None or settings.api_url is None:
        settings = resolve_settings(env, api_url=api_url)
    pools: frozenset[str] | None
    try:
        with PrefectClient(settings, error=ServerReadError, timeout=READ_TIMEOUT,
                           connect_timeout=CONNECT_TIMEOUT) as client:
            pools = frozenset(p.name for p in list_work_pools(client))
    except WorldError:
        pools = None
    local: frozenset[tuple[str, str]] = frozenset()
    try:
        from flowwiz.writers.blocks import open_store

        store = open_store(env={**env, "PREFECT_API_URL": ""})
        local = frozenset((b.type, b.name) for b in store.list())
    except Exception:  # noqa: BLE001 - no local catalog is no mark, never a failure
        local = frozenset()
    return pools, local


def server_row(
    document: Mapping[str, Any], flow_name: str, last_run: LastRun | None = None
) -> DeploymentRow:
    """One deployment as the server returns it (``DeploymentResponse``)."""
    from flowwiz.detectors.project import block_references

    pull = document.get("pull_steps")
    return DeploymentRow(
        name=f"{flow_name}/{document.get('name') or '(unnamed)'}",
        entrypoint=_text(document.get("entrypoint")) or NOTHING,
        work_pool=_text(document.get("work_pool_name")) or NOTHING,
        work_queue=_text(document.get("work_queue_name")) or "default",
        schedule=schedule_summary({"schedules": _schedules(document.get("schedules"))}),
        storage=storage_summary(pull),
        references=tuple(BlockRef(t, n) for t, n in block_references(pull or [])),
        source="server",
        deployment_name=_text(document.get("name")),
        deployment_id=_text(document.get("id")),
        last_run=last_run,
    )


def _schedules(value: object) -> list[Mapping[str, object]]:
    """The server's ``{schedule: {cron|interval|rrule, timezone}, active}`` as the flat
    prefect.yaml form schedule_summary reads."""
    if not isinstance(value, list):
        return []
    flat: list[Mapping[str, object]] = []
    for item in value:
        if not isinstance(item, Mapping):
            continue
        inner = item.get("schedule")
        flat.append({**(inner if isinstance(inner, Mapping) else {}), "active": item.get("active")})
    return flat


def _text(value: object) -> str:
    return "" if value is None else str(value)
