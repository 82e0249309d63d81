"""The `flowwiz deploy --yes ...` command line that reproduces a run's answers.

Built from the plan (what was answered), never from the flags typed, so a person's answers
at the prompts survive a failure at the end: the review shows it, and it is printed again
when writing, saving a secret or registering fails. Secrets never appear: a stored token is
named by its source flag (``--token-env VAR``, ``--token-block NAME``, ``--token-worker-env
VAR``); a token typed at the hidden prompt becomes ``--token-env GIT_TOKEN`` with a note to
export it.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowwiz.writers.plan import (
    BlockStorage,
    CloudStorage,
    DeploymentPlan,
    DockerStorage,
    FsspecStorage,
    GitStorage,
    LocalStorage,
)

TYPED_TOKEN_VARIABLE = "GIT_TOKEN"  # where a token typed at the prompt is read from on replay


@dataclass(frozen=True, slots=True)
class Equivalent:
    """``argv``: the command's words (``flowwiz``, ``deploy``, ``--yes``, ...); ``notes``:
    what must be true before running it (a variable to export, a block to create)."""

    argv: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def line(self) -> str:
        """The words quoted for a POSIX shell, on one line: a word with a newline or another
        control character (a flow's docstring as the description) is written in ANSI-C
        quotes (``$'...'``: bash, zsh, ksh and POSIX.1-2024 sh), since a newline inside
        plain quotes would be shown escaped and so copied wrong."""
        return " ".join(_shell_word(word) for word in self.argv)


def _shell_word(word: str) -> str:
    if not any(ord(c) < 0x20 or ord(c) == 0x7F for c in word):
        return shlex.quote(word)
    out = []
    for c in word:
        if c in "\\'":
            out.append("\\" + c)
        elif c in _C_ESCAPES:
            out.append(_C_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\x{ord(c):02x}")
        else:
            out.append(c)
    return "$'" + "".join(out) + "'"


_C_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _template_name(text: str | None, kind: str) -> str | None:
    """``{{ prefect.blocks.<kind>.<name> }}`` -> name (None for anything else)."""
    from flowwiz.detectors.project import block_references

    found = block_references([text or ""])
    return found[0][1] if found and found[0][0] == kind else None


def _env_variable(text: str | None) -> str | None:
    """``{{ $VAR }}`` -> VAR."""
    if text and text.startswith("{{") and text.endswith("}}"):
        inner = text[2:-2].strip()
        if inner.startswith("$"):
            return inner[1:].strip()
    return None


def _job_variable_items(values: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted ``key=value`` items that values.job_variables reads back to ``values``."""
    from flowwiz.wizard.values import job_variables

    items = []
    for key, value in values.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            items += _job_variable_items(value, dotted)
            continue
        raw = value if isinstance(value, str) else json.dumps(value)
        if isinstance(value, str) and dotted.split(".", 1)[0] != "env":
            try:
                if job_variables([f"{dotted}={raw}"]) != _nest(dotted, value):
                    raw = json.dumps(value)
            except Exception:  # noqa: BLE001 - any doubt: the JSON form, read as YAML
                raw = json.dumps(value)
        items.append(f"{dotted}={raw}")
    return items


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    here = out
    parts = dotted.split(".")
    for part in parts[:-1]:
        here = here.setdefault(part, {})
    here[parts[-1]] = value
    return out


def equivalent_command(plan: DeploymentPlan, session: Any, cwd: Path | None = None) -> Equivalent:
    """The command, run in ``cwd`` (default: here), that writes the same prefect.yaml entry
    under ``--yes``. Pure apart from reading the working directory."""
    opts = session.options
    existing = session.existing if isinstance(session.existing, Mapping) else {}
    args: list[str] = ["flowwiz", "deploy", "--yes"]
    notes: list[str] = []
    here = (cwd or Path.cwd()).resolve()
    root = plan.project_root.resolve()
    if root != here:
        where = os.path.relpath(root, here)
        args.append(where if not where.startswith("-") else f"./{where}")
    if opts.api_url:
        args += ["--api-url", opts.api_url]
    prefect_file = os.path.relpath(plan.prefect_yaml, plan.project_root)
    if prefect_file != "prefect.yaml":
        args += ["--prefect-file", prefect_file]
    args += ["--entrypoint", plan.entrypoint, "--name", plan.name]
    args += ["--description", plan.description or ""]
    if plan.tags:
        args += [part for tag in plan.tags for part in ("--tag", tag)]
    elif existing.get("tags"):
        args += ["--tag", ""]  # the entry's tags were cleared
    from flowwiz.writers.prefect_yaml import replace_schedule, schedules_of

    kept = schedules_of(existing) if existing else ()
    if plan.schedules and tuple(plan.schedules) == tuple(kept):
        pass  # --yes keeps what the entry has
    elif not plan.schedules:
        args.append("--no-schedule")
    elif len(plan.schedules) == 1 and plan.schedules[0] == replace_schedule(
        kept, plan.schedules[0].kind, plan.schedules[0].value, plan.schedules[0].timezone
    ):  # a flag gives kind, value and zone; the rest comes from the current schedule
        schedule = plan.schedules[0]
        args += [f"--{schedule.kind}", str(schedule.value)]
        if schedule.timezone:
            args += ["--timezone", schedule.timezone]
    else:
        notes.append("the schedules cannot be given by flags: they are the entry's own")
    args += ["--pool", plan.work_pool]
    if session.pool_to_create is not None:
        args += ["--pool-type", session.pool_to_create[1]]
    if plan.work_queue:
        args += ["--queue", plan.work_queue]
    for item in _job_variable_items(plan.job_variables or {}):
        args += ["--job-variable", item]
    if plan.parameters:
        args += ["--params", json.dumps(dict(plan.parameters), separators=(",", ":"))]
    args += _storage_args(plan, session, notes)
    if not plan.inherit_build:
        args.append("--no-inherit-build")
    if not plan.write_prefectignore and (plan.project_root / ".prefectignore").exists() is False:
        args.append("--no-prefectignore")
    if opts.allow_plaintext_secrets:
        args.append("--allow-plaintext-secrets")
    from flowwiz.detectors.secret import scrub
    from flowwiz.wizard.review import plaintext_tokens

    hidden = plaintext_tokens(plan)  # written in plain text by choice, never shown
    if hidden:
        masked = [scrub(arg, *hidden) for arg in args]
        if masked != args:
            notes.append("token-looking values are masked: put them back before running it")
            args = masked
    return Equivalent(tuple(args), tuple(notes))


def _storage_args(plan: DeploymentPlan, session: Any, notes: list[str]) -> list[str]:
    storage, opts = plan.storage, session.options
    saved = {(s.block_type, s.name) for s in plan.secrets}
    if isinstance(storage, GitStorage):
        args = ["--storage", "git", "--repository", storage.repository]
        if storage.commit_sha:
            args += ["--commit-sha", storage.commit_sha]
        elif storage.branch:
            args += ["--branch", storage.branch]
        args.append(
            "--include-submodules" if storage.include_submodules else "--no-include-submodules"
        )
        if storage.directories:
            args.append("--sparse-checkout")
        if storage.username:
            args += ["--username", storage.username]
        token_block = _template_name(storage.access_token, "secret")
        worker_env = _env_variable(storage.access_token)
        if storage.credentials:
            from flowwiz.detectors.project import block_references

            kind, name = block_references([storage.credentials])[0]
            args += ["--credentials-block", f"{kind}/{name}"]
        elif worker_env:
            args += ["--token-worker-env", worker_env]
        elif token_block and ("secret", token_block) in saved:
            variable = opts.token_env or TYPED_TOKEN_VARIABLE
            args += ["--token-env", variable]
            if not opts.token_env:
                notes.append(
                    f"export {variable} with the token first: it is read from there and "
                    f"saved as secret/{token_block} again"
                )
        elif token_block:
            args += ["--token-block", token_block]
        else:
            args.append("--public")
        return args
    if isinstance(storage, LocalStorage):
        return ["--storage", "local"]
    if isinstance(storage, CloudStorage):
        args = [
            "--storage",
            storage.provider,
            "--bucket",
            storage.bucket,
            "--folder",
            storage.folder,
        ]
        if storage.credentials:
            from flowwiz.detectors.project import block_references

            kind, name = block_references([storage.credentials])[0]
            args += ["--storage-block", f"{kind}/{name}"]
            if (kind, name) in saved:
                notes.append(f"{kind}/{name} must exist first (create it: flowwiz blocks create)")
        return args
    if isinstance(storage, DockerStorage):
        args = ["--storage", "docker", "--image", storage.image, "--image-tag", storage.tag]
        args += ["--dockerfile", storage.dockerfile]
        args.append("--push-image" if storage.push else "--no-push-image")
        if storage.credentials:
            from flowwiz.detectors.project import block_references

            kind, name = block_references([storage.credentials])[0]
            args += ["--registry-credentials", name]
        return args
    if isinstance(storage, BlockStorage):
        address = f"{storage.block_type}/{storage.block_name}"
        return ["--storage", "block", "--storage-block", address, "--path", storage.path]
    if isinstance(storage, FsspecStorage):
        args = ["--storage", "fsspec", "--url", storage.url]
        given = dict(item.partition("=")[::2] for item in opts.storage_secret_envs)
        for key, value in storage.settings.items():
            block = _template_name(value if isinstance(value, str) else None, "secret")
            if block is not None and ("secret", block) in saved:
                variable = given.get(key) or f"FLOWWIZ_{key.upper()}"
                args += ["--storage-secret-env", f"{key}={variable}"]
                notes.append(f"export {variable} with the {key} setting first")
            else:
                raw = value if isinstance(value, str) else json.dumps(value)
                args += ["--storage-setting", f"{key}={raw}"]
        return args
    return []


def show(equivalent: Equivalent, heading: str = "The same answers, unattended") -> None:
    """Print the command whole (never wrapped or cut: it is copied from here) and its notes."""
    from flowwiz.wizard.terminal import styled, terminal

    terminal.err.print()
    terminal.heading(heading)
    terminal.err.print(styled("  " + equivalent.line), soft_wrap=True)
    for note in equivalent.notes:
        terminal.err.print(styled(("  (", "dim"), (note, "dim"), (")", "dim")), soft_wrap=True)
