"""The work-pool question when a Prefect server is known (issue 10 §4).

The server's pools are listed (name, type, paused); a name the server does not have is
flagged, and creating it is offered with a worker type the server offers and that type's
default base job template (created when the plan is applied, never before the review).
Under ``--yes`` a missing pool needs ``--pool-type TYPE``. Job variables are checked against
the pool's base-job-template variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowwiz.detectors.errors import FlowwizError, UserError
from flowwiz.wizard.prompts import UNSET, Choice, Question
from flowwiz.wizard.session import Session
from flowwiz.wizard.terminal import terminal
from flowwiz.writers.prefect_client import clean_url

ANOTHER = "__another__"


def server_pools(session: Session) -> tuple[Any, ...] | None:
    """The server's work pools, or None: no server, or it cannot be read (said once)."""
    if session.store is not None and session.store.kind != "prefect":
        return None
    client = session.prefect_client()
    if client is None:
        return None
    from flowwiz.writers.work_pools import list_work_pools

    try:
        with client:
            return list_work_pools(client)
    except FlowwizError as exc:
        session.asker.note(f"work pools not checked: {exc.message}")
        return None


def ask_pool_name(session: Session, default: str, pools: tuple[Any, ...] | None) -> str:
    opts, asker = session.options, session.asker
    text = Question(
        "pool",
        "Work pool",
        "text",
        "--pool",
        default=default,
        validate=lambda t: None if t.strip() else "the work pool name cannot be empty",
        convert=str.strip,
        name_of="work pool name",
    )
    if opts.pool or not pools or not asker.interactive:
        return str(asker.ask(text, opts.pool if opts.pool else UNSET))
    names = [p.name for p in pools]
    rows = [Choice(p.label, p.name) for p in pools]
    rows.append(Choice("Another name (flowwiz offers to create it)", ANOTHER))
    picked = asker.ask(
        Question(
            "pool",
            "Work pool",
            "select",
            "--pool",
            default=default if default in names else UNSET,
            suggestion=names[0],
            choices=tuple(rows),
        )
    )
    if picked == ANOTHER:
        other = Question(
            "pool",
            "New work pool name",
            "text",
            "--pool",
            validate=lambda t: (
                "the work pool name cannot be empty"
                if not t.strip()
                else f"{t.strip()!r} is listed: pick it above"
                if t.strip() in names
                else None
            ),
            convert=str.strip,
            name_of="work pool name",
        )
        return str(asker.ask(other))
    return str(picked)


def settle_pool(session: Session, name: str, pools: tuple[Any, ...] | None) -> Any:
    """The chosen pool (writers.work_pools.WorkPool), or None when the server is not known.
    A missing pool: offered for creation (``--pool-type``), else marked missing."""
    if pools is None:
        return None
    found = {p.name: p for p in pools}
    if name in found:
        pool = found[name]
        session.pool_type = pool.type
        if pool.paused:
            session.asker.note(
                f"work pool {name!r} is paused: its workers take no runs until resumed"
            )
        return pool
    return _offer_creation(session, name)


def _offer_creation(session: Session, name: str) -> Any:
    from flowwiz.writers.work_pools import WorkPool, worker_types

    opts, asker = session.options, session.asker
    settings = session.prefect_settings()
    where = settings.describe_server()
    client = session.prefect_client()
    try:
        with client:
            types = worker_types(client)
    except FlowwizError as exc:
        asker.note(f"cannot list the server's worker types: {exc.message}")
        types = {}
    offered = ", ".join(types) or "none listed"
    if opts.pool_type and types and opts.pool_type not in types:
        raise UserError(f"--pool-type {opts.pool_type}: the server offers {offered}")
    if not opts.pool_type:
        if not asker.interactive:
            raise UserError(
                f"work pool {name!r} does not exist on {clean_url(settings.api_url)}: pass "
                "--pool-type TYPE "
                f"to create it (the server offers {offered}), or create it first with "
                f"`prefect work-pool create {name} --type process`"
            )
        asker.note(f"work pool {name!r} does not exist on the Prefect server {where}")
        create = asker.ask(
            Question(
                "pool_create",
                f"Create work pool {name!r} on the server?",
                "confirm",
                "--pool-type",
                default=True,
            )
        )
        if not create or not types:
            session.pool_missing = True
            return None
    if opts.pool_type:
        asker.note(f"!Work pool {name!r} is not on the server yet: it will be created.")
    kind = asker.ask(
        Question(
            "pool_type",
            "Worker type of the new pool",
            "select",
            "--pool-type",
            default="process" if "process" in types else UNSET,
            choices=tuple(Choice(t, t) for t in types),
        ),
        opts.pool_type if opts.pool_type else UNSET,
    )
    template = types.get(kind)
    if template is None:
        raise UserError(f"--pool-type {kind}: the server offers {offered}")
    session.pool_to_create = (name, kind, template)
    session.pool_type = kind
    props = (template.get("variables") or {}).get("properties") or {}
    return WorkPool(
        name=name, type=kind, variables=dict(props) if isinstance(props, Mapping) else {}
    )


def check_variables(session: Session, pool: Any, job_variables: Mapping[str, Any]) -> None:
    if pool is None or not job_variables:
        return
    from flowwiz.writers.work_pools import check_job_variables

    for warning in check_job_variables(pool, job_variables):
        session.asker.note(warning)


def create_pending_pool(session: Session) -> None:
    """Create the pool chosen for creation (after the review, before prefect.yaml)."""
    if session.pool_to_create is None:
        return
    from flowwiz.writers.work_pools import create_work_pool

    name, kind, template = session.pool_to_create
    with session.prefect_client() as client:
        create_work_pool(client, name, kind, template)
    where = clean_url(session.prefect_settings().api_url)
    terminal.success(f"Created work pool {name!r} ({kind}) on {where}")
    session.pool_to_create = None


def check_pool_runs_images(session: Session, storage: Any) -> None:
    """Docker storage on a pool whose workers run no images (a process pool): a warning."""
    from flowwiz.writers.plan import DockerStorage

    if isinstance(storage, DockerStorage) and session.pool_type == "process":
        session.asker.note(
            "the code is in a Docker image, but a process pool's workers run flows on their own "
            "machine and never start the image: use a docker or kubernetes pool"
        )
