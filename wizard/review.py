"""Review what will be written, write it (secrets first), and say what to do next."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flowwiz.detectors.secret import scrub
from flowwiz.wizard.session import Session
from flowwiz.wizard.terminal import printable, styled, terminal
from flowwiz.writers.plan import (
    BlockStorage,
    CloudStorage,
    DeploymentPlan,
    DockerStorage,
    FsspecStorage,
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


def describe_git(storage: GitStorage) -> str:
    """One line for the review: repository, ref, and how the clone is laid out."""
    ref = storage.branch or "default branch"
    if storage.commit_sha:
        ref = f"commit {storage.commit_sha}"
    text = f"git {storage.repository} @ {ref}"
    extras = []
    if storage.subdirectory:
        extras.append(f"runs in {storage.subdirectory}/")
    if storage.directories:
        extras.append("sparse: " + ", ".join(storage.directories))
    if storage.include_submodules:
        extras.append("with submodules")
    return text + (f" ({'; '.join(extras)})" if extras else "")


def describe_bucket(storage: CloudStorage) -> str:
    scheme = {"s3": "s3", "gcs": "gs", "azure": "az"}[storage.provider]
    return f"{scheme}://{storage.bucket}/{storage.folder} (uploaded by `prefect deploy`)"


def plaintext_tokens(plan: DeploymentPlan) -> list[str]:
    """Token-looking values the plan writes in plain text (allowed by
    --allow-plaintext-secrets): the file holds them, the review on screen masks them."""
    from flowwiz.detectors.secret import holds_token

    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            if holds_token(value):
                found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(dict(plan.parameters or {}))
    walk(dict(plan.job_variables or {}))
    return found


def _pool_note(session: Session) -> str:
    if session.pool_to_create is not None:
        return f"  (created on the server: {session.pool_to_create[1]} pool)"
    if session.pool_missing:
        return "  (not on the server yet)"
    return ""


def review(plan: DeploymentPlan, rendered: Any, session: Session) -> None:
    from rich.padding import Padding
    from rich.syntax import Syntax
    from rich.table import Table

    err = terminal.err
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()

    hidden = plaintext_tokens(plan)

    def row(label: str, value: object) -> None:
        table.add_row(styled(label), styled(scrub(str(value), *hidden)))

    action = {
        "created": "create prefect.yaml",
        "added": "add to prefect.yaml",
        "updated": "update in prefect.yaml",
    }
    table.add_row(
        styled("Deployment"),
        styled(f"{plan.flow_name}/{plan.name}  ", (f"({action[rendered.action]})", "dim")),
    )
    row("Entrypoint", plan.entrypoint)
    row(
        "Work pool",
        plan.work_pool
        + (f" / queue {plan.work_queue}" if plan.work_queue else "")
        + _pool_note(session),
    )
    row("Schedule", describe_schedules(plan.schedules) or "none")
    row("Prefect server", session.prefect_settings().describe_server())
    if plan.parameters:
        row("Parameters", ", ".join(f"{k}={v!r}" for k, v in plan.parameters.items()))
    if plan.job_variables:
        row("Job variables", str(dict(plan.job_variables)))
    storage = plan.storage
    if isinstance(storage, GitStorage):
        row("Code", describe_git(storage))
        ref = storage.credentials or storage.access_token
        row("Access", ref if ref else "public repository (no token)")
    elif isinstance(storage, LocalStorage):
        row("Code", f"local directory {storage.directory}")
    elif isinstance(storage, CloudStorage):
        row("Code", describe_bucket(storage))
        row("Access", storage.credentials or "the environment's own credentials")
    elif isinstance(storage, DockerStorage):
        from flowwiz.wizard.docker_storage import describe

        row("Code", describe(storage))
    elif isinstance(storage, (BlockStorage, FsspecStorage)):
        from flowwiz.wizard.block_storage import describe as describe_remote

        row("Code", describe_remote(storage))
    for secret in plan.secrets:
        store = session.open_store()
        where = "OS keyring" if store.kind == "local" else f"Prefect server {store.location}"
        verb = "replace" if secret.overwrite else "save"
        row("Secret", f"{verb} {secret.block_type}/{secret.name} in the {where}")
    err.print()
    terminal.heading("Review")
    err.print(Padding(table, (0, 2)))
    err.print()
    if rendered.action == "updated" and rendered.diff:
        terminal.heading(f"Changes to {plan.prefect_yaml.name}")
        body = Syntax(
            printable(scrub(rendered.diff, *hidden), multiline=True),
            "diff",
            theme="ansi_dark",
            background_color="default",
        )
    else:
        terminal.heading(
            f"{'New file' if rendered.action == 'created' else 'Added to'} {plan.prefect_yaml.name}"
        )
        text = rendered.text if rendered.action == "created" else rendered.entry_text
        body = Syntax(
            printable(scrub(text, *hidden), multiline=True),
            "yaml",
            theme="ansi_dark",
            background_color="default",
        )
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
    say = terminal.line
    storage = plan.storage
    err.print()
    terminal.heading("Next steps")
    refs = []
    if isinstance(storage, GitStorage):
        refs = [r for r in (storage.access_token, storage.credentials) if r]
    elif isinstance(storage, CloudStorage) and storage.credentials:
        refs = [storage.credentials]
    elif isinstance(storage, FsspecStorage):
        refs = [v for v in storage.settings.values() if isinstance(v, str) and "{{" in v]
    from flowwiz.detectors.project import block_references

    names = [f"{kind}/{name}" for kind, name in block_references(refs)]
    store = session.store
    if isinstance(storage, GitStorage) and storage.access_token and not names:
        variable = storage.access_token.strip("{} $")
        say(f"  Give your workers the token as the environment variable {variable}:")
        say("  flowwiz stored nothing, and prefect.yaml only names the variable.")
    if names and (store is None or store.kind == "local"):
        what = "token" if isinstance(storage, GitStorage) else "credentials block"
        say(
            f"  The {what} is in this machine's keyring, but `prefect deploy` and your workers "
            "read it"
        )
        say("  from your Prefect server: copy it there first (with PREFECT_API_URL set):")
        for slug in names:
            say(f"    flowwiz blocks push {slug}")
    if isinstance(storage, CloudStorage):
        from flowwiz.writers.prefect_yaml import cloud_requirement

        say("  `prefect deploy` uploads the code: install this here and on the workers:")
        say(f"    pip install {_shell_quote(cloud_requirement(storage))}")
    elif isinstance(storage, (BlockStorage, FsspecStorage)):
        from flowwiz.wizard.block_storage import next_steps_lines

        for line in next_steps_lines(storage):
            say(line)
    elif isinstance(storage, DockerStorage):
        say(
            "  `prefect deploy` builds the image here: Docker must be running, and "
            "prefect-docker installed:"
        )
        say("    pip install prefect-docker")
        if storage.push:
            say(f"  and you must be logged in to the registry: docker login {_registry(storage)}")
    if session.prefect_cli is None and session.registered is None:
        say(
            "  No `prefect` was found here (the project's .venv or venv, or PATH): install it "
            "(pip install prefect) to run:"
        )
    if session.pool_missing:
        say(f"  prefect work-pool create {_shell_quote(plan.work_pool)} --type process")
    if session.registered is None:
        for line in deploy_commands(plan):
            say(f"  {line}")
    say(f"  prefect worker start --pool {_shell_quote(plan.work_pool)}")
    say(f"  prefect deployment run {_shell_quote(plan.flow_name + '/' + plan.name)}")


def deploy_commands(plan: DeploymentPlan, cwd: Path | None = None) -> list[str]:
    """How to register the deployment: ``prefect deploy`` runs in the project folder (Prefect
    resolves the entrypoint relative to its working directory), with ``--prefect-file`` when
    the file is not that folder's prefect.yaml. ``cwd``: where the user is (default: here)."""
    here = (cwd or Path.cwd()).resolve()
    project = plan.project_root.resolve()
    lines = []
    if project != here:
        try:
            where = os.path.relpath(project, here)
        except ValueError:  # another drive (Windows)
            where = str(project)
        if where.startswith(".." + os.sep + ".." + os.sep + ".."):
            where = str(project)
        lines.append(f"cd {_shell_quote(where)}")
    command = "prefect deploy"
    prefect_file = Path(os.path.normpath(plan.prefect_yaml))
    if prefect_file != project / "prefect.yaml":
        try:
            shown = prefect_file.relative_to(project).as_posix()
        except ValueError:
            shown = os.path.relpath(prefect_file, project)
        command += f" --prefect-file {_shell_quote(shown)}"
    lines.append(f"{command} -n {_shell_quote(plan.name)}")
    return lines


def _registry(storage: DockerStorage) -> str:
    first = storage.image.split("/", 1)[0]
    if "/" in storage.image and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
