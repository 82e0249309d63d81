"""Review what will be written, write it (secrets first), and say what to do next."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flowwiz.detectors.errors import FlowwizError, UserError
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
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")  # long values (block names) wrap, never cut
    table.add_column(style="dim")
    hidden = plaintext_tokens(plan)
    action = {
        "created": "create prefect.yaml",
        "added": "add to prefect.yaml",
        "updated": "update in prefect.yaml",
    }
    status = field_status(plan, rendered, session)

    def row(label: str, value: object, key: str | None = None) -> None:
        table.add_row(
            styled(label),
            styled(scrub(str(value), *hidden)),
            styled(status.get(key if key is not None else label, "")),
        )

    table.add_row(
        styled("Deployment"),
        styled(f"{plan.flow_name}/{plan.name}  ", (f"({action[rendered.action]})", "dim")),
        "",
    )
    row("Entrypoint", plan.entrypoint)
    row("Description", _short(plan.description or "none"))
    row("Tags", ", ".join(plan.tags) or "none")
    row(
        "Work pool",
        plan.work_pool
        + (f" / queue {plan.work_queue}" if plan.work_queue else "")
        + _pool_note(session),
    )
    row("Schedule", describe_schedules(plan.schedules) or "none")
    row("Prefect server", session.prefect_settings().describe_server(), key="")
    if plan.parameters or "Parameters" in status:
        row("Parameters", ", ".join(f"{k}={v!r}" for k, v in plan.parameters.items()) or "none")
    if plan.job_variables or "Job variables" in status:
        row("Job variables", str(dict(plan.job_variables)) if plan.job_variables else "none")
    storage = plan.storage
    if isinstance(storage, GitStorage):
        row("Code", describe_git(storage))
        access = storage.credentials or storage.access_token
        row("Access", access if access else "public repository (no token)")
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
    for label, text in inherited_steps(plan, rendered, session):
        row(label, text, key="")
    for secret in plan.secrets:
        store = session.open_store()
        where = "OS keyring" if store.kind == "local" else f"Prefect server {store.location}"
        verb = "replace" if secret.overwrite else "save"
        row("Secret", f"{verb} {secret.block_type}/{secret.name} in the {where}", key="")
    err.print()
    terminal.heading("Review")
    err.print(Padding(table, (0, 2)))
    err.print()
    if rendered.action == "updated" and rendered.diff:
        terminal.heading(f"Changes to {plan.prefect_yaml.name}")
        shown, lexer = printable(scrub(rendered.diff, *hidden), multiline=True), "diff"
    else:
        terminal.heading(
            f"{'New file' if rendered.action == 'created' else 'Added to'} {plan.prefect_yaml.name}"
        )
        text = rendered.text if rendered.action == "created" else rendered.entry_text
        shown, lexer = printable(scrub(text, *hidden), multiline=True), "yaml"
    if err.is_terminal:  # coloured, long lines wrapped (never cropped)
        body = Syntax(shown, lexer, theme="ansi_dark", background_color="default", word_wrap=True)
        err.print(Padding(body, (0, 2)))
    else:  # piped or captured: the text as written, whole lines, whatever the width
        for text_line in shown.splitlines():
            err.print(styled("  " + text_line if text_line else ""), soft_wrap=True)
    if session.options.dry_run:
        terminal.data(rendered.text)


class InterruptedAfterWrite(KeyboardInterrupt):
    """Ctrl-C after something was written: the CLI says what, not "nothing was written"."""

    def __init__(self, done: list[str]) -> None:
        super().__init__("; ".join(done))
        self.done = done


def apply(plan: DeploymentPlan, rendered: Any, session: Session) -> None:
    """Secrets first, then prefect.yaml under the write lock: if the file changed since it
    was read (another flowwiz, an editor), the deployment is rendered again onto the new
    text, so nobody's deployment is dropped; then .prefectignore."""
    done: list[str] = []
    try:
        _apply(plan, rendered, session, done)
    except KeyboardInterrupt:
        if done:
            raise InterruptedAfterWrite(done) from None
        raise


def _apply(plan: DeploymentPlan, rendered: Any, session: Session, done: list[str]) -> None:
    from flowwiz.writers.files import write_lock
    from flowwiz.writers.ignore import prefectignore_text, write_prefectignore
    from flowwiz.writers.prefect_yaml import read_existing, render, write_atomic

    for secret in plan.secrets:
        store = session.open_store()
        store.save(secret.block_type, secret.name, secret.data, overwrite=secret.overwrite)
        done.append(f"saved {secret.block_type}/{secret.name}")
        if secret.repository:
            from flowwiz.writers.token_origins import record

            record(store, secret.name, secret.repository)
        where = "the OS keyring" if store.kind == "local" else store.location
        what = "the token" if secret.block_type == "secret" else "the credentials"
        terminal.success(f"Saved {what} as {secret.block_type}/{secret.name} ({where})")
    name = plan.prefect_yaml.name
    with write_lock(plan.prefect_yaml):
        current = read_existing(plan.prefect_yaml)
        if current != rendered.base_text:
            try:
                rendered = render(plan, current, flow_of=session.flow_of)
            except FlowwizError as exc:
                raise UserError(
                    f"{name} changed while flowwiz was running and this deployment cannot be "
                    f"written onto the new text ({exc.message}); {name} was left as it is now: "
                    "run flowwiz again"
                ) from None
            terminal.warn(
                f"{name} changed since flowwiz read it (another writer): the deployment was "
                "written onto the new text; everything else in it is kept."
            )
        try:
            write_atomic(plan.prefect_yaml, rendered.text)
        except BaseException:
            # Ctrl-C is held back during the rename and lands right after it: then the
            # file IS the new one, and the last message must say so
            if _holds(plan.prefect_yaml, rendered.text):
                done.append(f"wrote {plan.prefect_yaml}")
            raise
        done.append(f"wrote {plan.prefect_yaml}")
    # a file entry, not a registration: "registered" is said only by offer_register
    if rendered.action == "updated":
        terminal.success(f"Updated deployment {plan.name!r} in {plan.prefect_yaml}")
    else:
        terminal.success(f"Added deployment {plan.name!r} to {plan.prefect_yaml}")
    if plan.write_prefectignore and write_prefectignore(plan.project_root, prefectignore_text()):
        done.append("created .prefectignore")
        terminal.success("Created .prefectignore")


def _holds(path: Any, text: str) -> bool:
    try:
        return bool(path.read_bytes() == text.encode("utf-8"))
    except OSError:
        return False


def field_status(plan: DeploymentPlan, rendered: Any, session: Session) -> dict[str, str]:
    """For an update: per review row, "kept", "changed" or "added" (what the entry had)."""
    old = rendered.previous if rendered.action == "updated" else None
    if not isinstance(old, Mapping):
        return {}
    from flowwiz.writers.prefect_yaml import schedule_entry, schedules_of, storage_of

    top = session.target.data if session.target is not None else {}
    pool = old.get("work_pool") if isinstance(old.get("work_pool"), Mapping) else {}
    previous = storage_of(old, top if isinstance(top, Mapping) else {})
    pairs: dict[str, tuple[Any, Any]] = {
        "Entrypoint": (old.get("entrypoint"), plan.entrypoint),
        "Description": (old.get("description"), plan.description),
        "Tags": (list(old.get("tags") or []), list(plan.tags)),
        "Work pool": (
            (pool.get("name"), pool.get("work_queue_name") or "default"),
            (plan.work_pool, plan.work_queue or "default"),  # none is Prefect's "default"
        ),
        "Schedule": (
            [schedule_entry(s) for s in schedules_of(old)],
            [schedule_entry(s) for s in plan.schedules],
        ),
        "Parameters": (dict(old.get("parameters") or {}), dict(plan.parameters)),
        "Job variables": (dict(pool.get("job_variables") or {}), dict(plan.job_variables)),
        "Code": (_code(previous), _code(plan.storage)),
        "Access": (_access(previous), _access(plan.storage)),
    }
    status = {}
    for label, (before, after) in pairs.items():
        if before == after:
            status[label] = "kept"
        elif before in (None, "", [], {}, (None, None)):
            status[label] = "added"
        else:
            status[label] = "changed"
    return status


def _code(storage: Any) -> Any:
    if isinstance(storage, GitStorage):
        return ("git", storage.repository, storage.branch, storage.commit_sha)
    if isinstance(storage, (LocalStorage, DockerStorage)):
        return (type(storage).__name__, storage.directory)
    if isinstance(storage, CloudStorage):
        return (storage.provider, storage.bucket, storage.folder)
    return None


def _access(storage: Any) -> Any:
    if isinstance(storage, GitStorage):
        return (storage.access_token, storage.credentials, storage.username)
    if isinstance(storage, CloudStorage):
        return storage.credentials
    return None


def inherited_steps(plan: DeploymentPlan, rendered: Any, session: Session) -> list[tuple[str, str]]:
    """Rows naming the top-level build/push steps this deployment runs (or skips)."""
    from flowwiz.writers.prefect_yaml import effective_steps

    entry = rendered.entry if isinstance(rendered.entry, Mapping) else {}
    top = session.target.data if session.target is not None else {}
    if not isinstance(top, Mapping):
        return []
    rows = []
    for which in ("build", "push"):
        top_steps = effective_steps({}, top, which)
        if not top_steps or (isinstance(entry.get(which), list) and entry.get(which)):
            continue
        names = ", ".join(
            str(next(iter(s))).rsplit(".", 1)[-1] if isinstance(s, Mapping) and s else "?"
            for s in top_steps
        )
        runs = bool(effective_steps(entry, top, which))
        if which == "build":
            text = (
                f"runs the file's top-level build: {names}"
                if runs
                else (f"skips the file's top-level build ({names}): build: null")
            )
        else:
            text = (
                f"runs the file's top-level push: {names} (Prefect runs a top-level push for "
                "every deployment)"
            )
        rows.append((which.capitalize(), text))
    return rows


def _short(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    return first + (" ..." if "\n" in text.strip() else "")


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
    for line in push_lines(storage, session):
        say(line)
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


def push_lines(storage: Any, session: Session) -> list[str]:
    """``git push`` when the branch a worker clones is this clone's branch and the remote
    lacks it or lacks commits of it (detectors.git BranchState: on_remote, ahead)."""
    git = session.detected.git
    if not isinstance(storage, GitStorage) or git is None or git.preferred is None:
        return []
    state = git.branch
    if state.detached or not state.name or storage.branch != state.name:
        return []
    remote, branch = _shell_quote(git.preferred.name), _shell_quote(state.name)
    if state.on_remote is False:
        why = f"branch {state.name!r} is not on {git.preferred.name} yet"
        command = f"git push -u {remote} {branch}"
    elif state.ahead:
        plural = "commit" if state.ahead == 1 else "commits"
        why = f"{state.ahead} {plural} on {state.name!r} are not pushed"
        command = f"git push {remote} {branch}"
    else:
        return []
    return [f"  A worker clones the remote, and {why}: commit, then", f"    {command}"]


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
