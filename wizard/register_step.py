"""End with a deployment: offer to run Prefect's own `prefect deploy` after writing (issue 10
§6)."""

from __future__ import annotations

import os
from typing import Any

from flowwiz.detectors.errors import FlowwizError, UserError
from flowwiz.wizard.prompts import UNSET, Question
from flowwiz.wizard.session import Session
from flowwiz.wizard.terminal import terminal
from flowwiz.writers.plan import DeploymentPlan
from flowwiz.writers.prefect_client import clean_url


def look_for_prefect(plan: DeploymentPlan, session: Session) -> None:
    """Find the project's `prefect` (kept on the session for the next steps); with
    ``--register``, say now (exit 2) what is missing rather than after writing."""
    from flowwiz.writers.register import find_prefect

    session.prefect_cli = find_prefect(plan.project_root)
    if not session.options.register:
        return
    if session.prefect_cli is None:
        raise UserError(
            "--register: no `prefect` found (in the project's .venv or venv, or on PATH): "
            "install Prefect there, or drop --register"
        )
    if not session.prefect_settings().api_url:
        raise UserError(
            "--register needs a Prefect server: set PREFECT_API_URL, use a Prefect profile "
            "with one (`prefect profile use NAME`), or pass --api-url"
        )


def offer_register(plan: DeploymentPlan, session: Session) -> None:
    """Ask (``--register/--no-register``; --yes: no unless --register), then run `prefect
    deploy -n NAME` with the resolved settings and show the outcome in two lines. Raises
    RegisterError (exit 1) with Prefect's error line and the log's path."""
    from flowwiz.writers.register import register

    settings = session.prefect_settings()
    prefect = session.prefect_cli
    if prefect is None or not settings.api_url:
        return
    where = clean_url(settings.api_url)
    asker = session.asker
    wanted = asker.ask(
        Question(
            "register",
            f"Register it on {where} now (`prefect deploy -n {plan.name}`)?",
            "confirm",
            "--register",
            default=asker.interactive,
        ),
        session.options.register if session.options.register is not None else UNSET,
    )
    if not wanted:
        return
    secrets = [s.reveal() for s in (settings.api_key, settings.auth_string) if s]
    for item in plan.secrets:
        secrets += [v.reveal() for v in item.data.values() if hasattr(v, "reveal")]
    with _spinner(f"Running {prefect} deploy -n {plan.name}…"):
        done = register(
            prefect,
            plan.project_root,
            plan.flow_name,
            plan.name,
            prefect_file=os.path.relpath(plan.prefect_yaml, plan.project_root),
            env=settings.child_env(os.environ),
            api_url=settings.api_url,
            secrets=tuple(secrets),
            read_id=lambda flow, name: _deployment_id(session, flow, name),
        )
    session.registered = done
    ident = f" (id {done.id})" if done.id else ""
    from flowwiz.wizard.terminal import styled

    line = styled(("✓", "green"), f" Registered {done.deployment}{ident} on {where}")
    terminal.err.print(line, soft_wrap=True)  # whole lines: the address is copied from here
    if done.ui_url:
        terminal.err.print(styled(f"  {done.ui_url}"), soft_wrap=True)


def _deployment_id(session: Session, flow: str, name: str) -> str | None:
    from urllib.parse import quote

    client = session.prefect_client()
    try:
        with client:
            found = client.call(
                "GET",
                f"/deployments/name/{quote(flow, safe='')}/{quote(name, safe='')}",
                doing="read the deployment",
                missing_ok=True,
            )
    except FlowwizError:
        return None
    return str(found["id"]) if isinstance(found, dict) and found.get("id") else None


def _spinner(text: str) -> Any:
    from contextlib import nullcontext

    from flowwiz.wizard.terminal import styled

    if not terminal.err.is_terminal:
        return nullcontext()
    return terminal.err.status(styled(text))
