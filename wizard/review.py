"""Review what will be written, write it (secrets first), and say what to do next."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flowwiz.wizard.session import Session
from flowwiz.wizard.terminal import terminal
from flowwiz.writers.plan import (
    CloudStorage,
    DeploymentPlan,
    DockerStorage,
    GitStorage,
    LocalStorage,
    Schedule,
)


def describe_schedules(schedules: Sequence[Schedule]) -> str:
    parts = []
    for s in schedules:
        text = f"every {s.value} s" if s.kind == "interval" else f"{s.kind} {s.value}"
        if s.timezone:
            text += f" {s.timezone}"
        if not s.active:
            text += " (paused)"
        parts.append(text)
    return "; ".join(parts)


def describe_bucket(storage: CloudStorage) -> str:
    scheme = {"s3": "s3", "gcs": "gs", "azure": "az"}[storage.provider]
    return f"{scheme}://{storage.bucket}/{storage.folder} (uploaded by `prefect deploy`)"


def _pool_note(session: Session) -> str:
    if session.pool_to_create is not None:
        return f"  [dim](created on the server: {session.pool_to_create[1]} pool)[/]"
    if session.pool_missing:
        return "  [yellow](not on the server yet)[/]"
    return ""


def review(plan: DeploymentPlan, rendered: Any, session: Session) -> None:
    from rich.padding import Padding
    from rich.syntax import Syntax
    from rich.table import Table

    err = terminal.err
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    action = {
        "created": "create prefect.yaml",
        "added": "add to prefect.yaml",
        "updated": "update in prefect.yaml",
    }
    table.add_row(
        "Deployment", f"{plan.flow_name}/{plan.name}  [dim]({action[rendered.action]})[/]"
    )
    table.add_row("Entrypoint", plan.entrypoint)
    table.add_row(
        "Work pool",
        f"{plan.work_pool}" + (f" / queue {plan.work_queue}" if plan.work_queue else "")
        + _pool_note(session),
    )
    table.add_row("Schedule", describe_schedules(plan.schedules) or "none")
    from rich.text import Text

    table.add_row("Prefect server", Text(session.prefect_settings().describe_server()))
    if plan.parameters:
        table.add_row("Parameters", ", ".join(f"{k}={v!r}" for k, v in plan.parameters.items()))
    if plan.job_variables:
        table.add_row("Job variables", str(dict(plan.job_variables)))
    storage = plan.storage
    if isinstance(storage, GitStorage):
        where = f"git {storage.repository} @ {storage.branch}"
        table.add_row("Code", where)
        ref = storage.credentials or storage.access_token
        table.add_row("Access", ref if ref else "public repository (no token)")
    elif isinstance(storage, LocalStorage):
        table.add_row("Code", f"local directory {storage.directory}")
    elif isinstance(storage, CloudStorage):
        table.add_row("Code", describe_bucket(storage))
        table.add_row("Access", storage.credentials or "the environment's own credentials")
    elif isinstance(storage, DockerStorage):
        from flowwiz.wizard.docker_storage import describe

        table.add_row("Code", describe(storage))
    for secret in plan.secrets:
        store = session.open_store()
        where = "OS keyring" if store.kind == "local" else f"Prefect server {store.location}"
        verb = "replace" if secret.overwrite else "save"
        table.add_row("Secret", f"{verb} {secret.block_type}/{secret.name} in the {where}")
    err.print()
    err.print("[bold]Review[/]")
    err.print(Padding(table, (0, 2)))
    err.print()
    if rendered.action == "updated" and rendered.diff:
        err.print(f"[bold]Changes to {plan.prefect_yaml.name}[/]")
        body = Syntax(rendered.diff, "diff", theme="ansi_dark", background_color="default")
    else:
        err.print(
            f"[bold]{'New file' if rendered.action == 'created' else 'Added to'} "
            f"{plan.prefect_yaml.name}[/]"
        )
        text = rendered.text if rendered.action == "created" else rendered.entry_text
        body = Syntax(text, "yaml", theme="ansi_dark", background_color="default")
    err.print(Padding(body, (0, 2)))
    if session.options.dry_run:
        terminal.data(rendered.text)


def apply(plan: DeploymentPlan, rendered: Any, session: Session) -> None:
    from flowwiz.writers.ignore import prefectignore_text, write_prefectignore
    from flowwiz.writers.prefect_yaml import write_atomic

    for secret in plan.secrets:
        store = session.open_store()
        store.save(secret.block_type, secret.name, secret.data, overwrite=secret.overwrite)
        where = "the OS keyring" if store.kind == "local" else store.location
        what = "the token" if secret.block_type == "secret" else "the credentials"
        terminal.success(f"Saved {what} as {secret.block_type}/{secret.name} ({where})")
    write_atomic(plan.prefect_yaml, rendered.text)
    terminal.success(
        f"{rendered.action.capitalize()} deployment {plan.name!r} in {plan.prefect_yaml}"
    )
    if plan.write_prefectignore and write_prefectignore(plan.project_root, prefectignore_text()):
        terminal.success("Created .prefectignore")


def next_steps(plan: DeploymentPlan, session: Session) -> None:
    err = terminal.err
    storage = plan.storage
    err.print()
    err.print("[bold]Next steps[/]")
    refs = []
    if isinstance(storage, GitStorage):
        refs = [r for r in (storage.access_token, storage.credentials) if r]
    elif isinstance(storage, CloudStorage) and storage.credentials:
        refs = [storage.credentials]
    from flowwiz.detectors.project import block_references

    names = [f"{kind}/{name}" for kind, name in block_references(refs)]
    store = session.store
    if isinstance(storage, GitStorage) and storage.access_token and not names:
        variable = storage.access_token.strip("{} $")
        err.print(f"  Give your workers the token as the environment variable {variable}:")
        err.print("  flowwiz stored nothing, and prefect.yaml only names the variable.")
    if names and (store is None or store.kind == "local"):
        what = "token" if isinstance(storage, GitStorage) else "credentials block"
        err.print(
            f"  The {what} is in this machine's keyring, but `prefect deploy` and your workers "
            "read it"
        )
        err.print("  from your Prefect server: copy it there first (with PREFECT_API_URL set):")
        for slug in names:
            err.print(f"    flowwiz blocks push {slug}")
    if isinstance(storage, CloudStorage):
        from flowwiz.writers.prefect_yaml import cloud_requirement

        err.print("  `prefect deploy` uploads the code: install this here and on the workers:")
        err.print(f"    pip install {_shell_quote(cloud_requirement(storage))}")
    elif isinstance(storage, DockerStorage):
        err.print(
            "  `prefect deploy` builds the image here: Docker must be running, and "
            "prefect-docker installed:"
        )
        err.print("    pip install prefect-docker")
        if storage.push:
            err.print(
                f"  and you must be logged in to the registry: docker login {_registry(storage)}"
            )
    if session.prefect_cli is None and session.registered is None:
        err.print(
            "  No `prefect` was found here (the project's .venv or venv, or PATH): install it "
            "(pip install prefect) to run:"
        )
    if session.pool_missing:
        err.print(f"  prefect work-pool create {_shell_quote(plan.work_pool)} --type process")
    if session.registered is None:
        err.print(f"  prefect deploy -n {_shell_quote(plan.name)}")
    err.print(f"  prefect worker start --pool {_shell_quote(plan.work_pool)}")
    err.print(f"  prefect deployment run {_shell_quote(plan.flow_name + '/' + plan.name)}")


def _registry(storage: DockerStorage) -> str:
    first = storage.image.split("/", 1)[0]
    if "/" in storage.image and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
