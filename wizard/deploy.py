"""`flowwiz deploy`: detect, ask, plan, review, apply.

Every question goes through one asker (interactive or ``--yes``); a flag always wins, then
what was detected, then a safe default. Nothing is written before the review: secrets are
saved first, then prefect.yaml (atomically), then .prefectignore.
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detectors.errors import DetectionError, UserError
from detectors.secret import SecretStr, forbidden_character
from detectors.slug import repo_token_block_name, slugify
from wizard import values
from wizard.prompts import UNSET, Asker, Choice, Question
from wizard.terminal import terminal
from writers.plan import (
    DeploymentPlan,
    GitStorage,
    LocalStorage,
    Schedule,
    SecretToSave,
    Storage,
)

# hosts where Prefect's git_clone formats a bare access_token correctly by itself
_TOKEN_HOSTS = {"github.com", "gitlab.com", "bitbucket.org"}
_PROVIDER_BLOCKS = ("github-credentials", "gitlab-credentials", "bitbucket-credentials")
MANUAL = "__manual__"


@dataclass(frozen=True, slots=True)
class DeployOptions:
    """Every flag of `flowwiz deploy`; None/empty means "not given"."""

    path: Path = Path(".")
    yes: bool = False
    dry_run: bool = False
    prefect_file: str = "prefect.yaml"
    api_url: str | None = None
    entrypoint: str | None = None
    name: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    interval: str | None = None
    cron: str | None = None
    rrule: str | None = None
    timezone: str | None = None
    no_schedule: bool = False
    pool: str | None = None
    queue: str | None = None
    job_variables: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    params_json: str | None = None
    git: bool | None = None
    repository: str | None = None
    branch: str | None = None
    private: bool | None = None
    token_env: str | None = None
    token_stdin: bool = False
    token_block: str | None = None
    token_from_remote: bool = False
    credentials_block: str | None = None
    username: str | None = None
    verify: bool | None = None
    prefectignore: bool = True


@dataclass(frozen=True, slots=True)
class Detected:
    root: Path
    git: Any  # detectors.git.GitInfo | None
    git_problem: str | None
    scan: Any  # detectors.flows.FlowScan
    project: Any  # detectors.project.ProjectInfo


@dataclass(slots=True)
class Session:
    """What the run carries between questions (mutable while asking, frozen into the plan)."""

    options: DeployOptions
    asker: Asker
    detected: Detected
    store: Any = None  # opened on first need
    notes: list[str] = field(default_factory=list)

    def open_store(self) -> Any:
        if self.store is None:
            from writers.blocks import open_store

            self.store = open_store(self.options.api_url, on_warning=terminal.warn)
        return self.store


# ---------------------------------------------------------------- entry


def run(options: DeployOptions) -> int:
    from wizard.prompts import InteractiveAsker, UnattendedAsker

    if not options.yes and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError(
            "no terminal to ask questions on: run `flowwiz deploy --yes` and answer with flags "
            "(see `flowwiz deploy --help`)"
        )
    if options.token_stdin and not options.yes:
        raise UserError("--token-stdin reads the token from standard input: use it with --yes")
    asker: Asker = (UnattendedAsker if options.yes else InteractiveAsker)(notes=_note)
    detected = detect(options.path, interactive=asker.interactive)
    session = Session(options=options, asker=asker, detected=detected)
    plan = ask(session)

    from writers.prefect_yaml import read_existing, render

    rendered = render(plan, read_existing(plan.prefect_yaml))  # bytes kept as they are (CRLF too)
    _check_not_ignored(plan)
    review(plan, rendered, session)
    if options.dry_run:
        terminal.info("[bold]Dry run:[/] nothing was written.")
        return 0
    if asker.interactive:
        confirm = Question("write", f"Write {plan.prefect_yaml.name}?", "confirm", "--yes", default=True)
        if not asker.ask(confirm):
            terminal.info("Nothing was written.")
            return 0
    apply(plan, rendered, session)
    next_steps(plan, session)
    return 0


def _note(message: str) -> None:
    """Notes from the questions: a leading "!" marks plain information, the rest are warnings."""
    if message.startswith("!"):
        terminal.info(message[1:])
    else:
        terminal.warn(message)


# ---------------------------------------------------------------- detect


def detect(path: Path, *, interactive: bool) -> Detected:
    from detectors.flows import find_flows
    from detectors.git import detect_git
    from detectors.project import detect_project

    if not path.is_dir():
        raise UserError(f"not a directory: {path}")
    root = path.resolve()
    try:
        git = detect_git(root)
        git_problem = None
    except DetectionError as exc:
        git, git_problem = None, exc.message
    scan_root = git.root if git is not None and Path(git.root) == root else root
    if interactive:
        with terminal.err.status("Scanning for flows…") as status:

            def progress(count: int) -> None:
                status.update(f"Scanning for flows… {count} files")

            scan = find_flows(scan_root, progress=progress)
    else:
        scan = find_flows(scan_root)
    project = detect_project(root)
    if project.prefect_yaml_error:
        raise UserError(f"{project.prefect_yaml_error} (fix it first; flowwiz left it untouched)")
    return Detected(root=root, git=git, git_problem=git_problem, scan=scan, project=project)


# ---------------------------------------------------------------- ask


def ask(session: Session) -> DeploymentPlan:
    opts, det = session.options, session.detected
    flow = ask_flow(session)
    name, existing = ask_name(session, flow)
    description = session.asker.ask(
        Question(
            "description",
            "Description",
            "text",
            "--description",
            default=_first(opts.description, existing.get("description"), flow.description),
        ),
        opts.description if opts.description is not None else UNSET,
    )
    tags = ask_tags(session, existing)
    schedules = ask_schedule(session, existing)
    pool, queue, job_vars = ask_work_pool(session, existing)
    parameters = ask_parameters(session, flow, existing)
    storage, secrets = ask_storage(session, flow, name)
    project = det.project
    return DeploymentPlan(
        project_root=det.root,
        prefect_yaml=det.root / opts.prefect_file,
        project_name=_project_name(det),
        name=name,
        flow_name=flow.name,
        entrypoint=flow.entrypoint,
        storage=storage,
        work_pool=pool,
        work_queue=queue,
        description=description or None,
        tags=tags,
        parameters=parameters,
        job_variables=job_vars,
        schedules=schedules,
        secrets=secrets,
        prefect_version=_pinned_prefect(det.root, project),
        write_prefectignore=opts.prefectignore and project.prefectignore is None,
    )


def _first(*candidates: Any) -> Any:
    return next((c for c in candidates if c not in (None, "")), None)


def ask_flow(session: Session) -> Any:
    from detectors.flows import flows_in_file, parse_entrypoint

    det, opts, asker = session.detected, session.options, session.asker
    root = det.scan.root

    def resolve(text: str) -> Any:
        path, function = parse_entrypoint(text.strip())
        found = [f for f in flows_in_file(root, path) if f.function == function]
        if not found:
            raise UserError(f"{path} defines no flow named {function!r} (decorated with @flow)")
        return found[0]

    def problem(text: str) -> str | None:
        try:
            resolve(text)
        except UserError as exc:
            return exc.message
        return None

    manual = Question(
        "entrypoint",
        "Flow entrypoint (path/to/file.py:function)",
        "text",
        "--entrypoint",
        validate=problem,
        convert=resolve,
        why_no_default="no flow was found in this repository",
    )
    if opts.entrypoint:
        return asker.ask(manual, opts.entrypoint)
    flows = det.scan.flows
    if not flows:
        asker.note(f"No flows found under {root} (looked for functions decorated with @flow).")
        return asker.ask(manual)
    rows = [
        Choice(
            f"{flow.name}  ({flow.entrypoint})",
            flow,
            flow.description,
        )
        for flow in flows
    ]
    rows.append(Choice("Enter an entrypoint manually", MANUAL))
    question = Question(
        "flow",
        "Which flow do you want to deploy?",
        "select",
        "--entrypoint",
        default=flows[0] if len(flows) == 1 else UNSET,
        suggestion=flows[0],
        choices=tuple(rows),
        why_no_default=f"{len(flows)} flows found",
    )
    picked = asker.ask(question)
    return asker.ask(manual) if picked == MANUAL else picked


def _existing_entries(session: Session) -> dict[str, Mapping[str, Any]]:
    prefect_yaml = session.detected.project.prefect_yaml
    if prefect_yaml is None or session.options.prefect_file != "prefect.yaml":
        path = session.detected.root / session.options.prefect_file
        if prefect_yaml is None or prefect_yaml.path != path:
            if not path.exists():
                return {}
            from detectors.project import load_prefect_yaml

            prefect_yaml = load_prefect_yaml(path)
    return {str(d.get("name")): d for d in prefect_yaml.deployments if d.get("name")}


def ask_name(session: Session, flow: Any) -> tuple[str, Mapping[str, Any]]:
    opts, asker = session.options, session.asker
    entries = _existing_entries(session)
    default_name = slugify(flow.name) or flow.function
    question = Question(
        "name",
        "Deployment name",
        "text",
        "--name",
        default=default_name,
        validate=values.deployment_name_problem,
        convert=str.strip,
    )
    name = asker.ask(question, opts.name if opts.name else UNSET)
    while name in entries:
        entry = entries[name]
        if entry.get("entrypoint") not in (None, flow.entrypoint):
            asker.note(
                f"prefect.yaml already has a deployment {name!r} of {entry.get('entrypoint')}; "
                f"updating it points it at {flow.entrypoint}."
            )
        update = Question(
            "update",
            f"prefect.yaml has a deployment named {name!r}. Update it?",
            "confirm",
            "--name",
            default=True,
        )
        if asker.ask(update):
            return name, entry
        name = asker.ask(
            Question(
                "name",
                "New deployment name",
                "text",
                "--name",
                validate=lambda t: values.deployment_name_problem(t)
                or (f"{t!r} exists too" if t.strip() in entries else None),
                convert=str.strip,
            )
        )
    return name, {}


def ask_tags(session: Session, existing: Mapping[str, Any]) -> tuple[str, ...]:
    opts = session.options
    if opts.tags:
        return tuple(dict.fromkeys(t for tag in opts.tags for t in values.parse_tags(tag)))
    current = existing.get("tags") or []
    current_text = ", ".join(str(t) for t in current) if isinstance(current, list) else ""
    answer = session.asker.ask(
        Question(
            "tags",
            "Tags (comma-separated, optional)",
            "text",
            "--tag",
            default=current_text,
        )
    )
    return values.parse_tags(answer or "")


def ask_schedule(session: Session, existing: Mapping[str, Any]) -> tuple[Schedule, ...]:
    opts, asker = session.options, session.asker
    given = [f for f, v in (("--interval", opts.interval), ("--cron", opts.cron), ("--rrule", opts.rrule)) if v]
    if opts.no_schedule:
        given.append("--no-schedule")
    if len(given) > 1:
        raise UserError(f"choose one schedule: {', '.join(given)} were all given")
    kept = _existing_schedules(existing)
    rows = [Choice("No schedule (run on demand)", "none")]
    if kept:
        rows.insert(0, Choice(f"Keep the current schedule ({_describe_schedules(kept)})", "keep"))
    rows += [
        Choice("Interval: every N seconds", "interval"),
        Choice("Cron: a cron expression", "cron"),
        Choice("RRule: an RFC 5545 recurrence rule", "rrule"),
    ]
    flag_kind = {
        "--interval": "interval",
        "--cron": "cron",
        "--rrule": "rrule",
        "--no-schedule": "none",
    }.get(given[0]) if given else UNSET
    kind = asker.ask(
        Question(
            "schedule",
            "Schedule",
            "select",
            "--cron/--interval/--rrule/--no-schedule",
            default="keep" if kept else "none",
            choices=tuple(rows),
        ),
        flag_kind,
    )
    if kind == "keep":
        return kept
    if kind == "none":
        return ()
    if kind == "interval":
        value: str | int | float = asker.ask(
            Question(
                "interval",
                "Seconds between runs",
                "text",
                "--interval",
                default="3600",
                validate=values.interval_problem,
                convert=values.interval_value,
            ),
            opts.interval if opts.interval else UNSET,
        )
        if isinstance(value, str):
            value = values.interval_value(value)
    elif kind == "cron":
        value = asker.ask(
            Question(
                "cron",
                "Cron string (minute hour day month weekday)",
                "text",
                "--cron",
                default="0 0 * * *",
                validate=values.cron_problem,
                convert=str.strip,
            ),
            opts.cron if opts.cron else UNSET,
        )
    else:
        value = asker.ask(
            Question(
                "rrule",
                "RRule string",
                "text",
                "--rrule",
                default="RRULE:FREQ=DAILY;INTERVAL=1",
                validate=values.rrule_problem,
                convert=str.strip,
            ),
            opts.rrule if opts.rrule else UNSET,
        )
    timezone = asker.ask(
        Question(
            "timezone",
            "Time zone",
            "text",
            "--timezone",
            default=_local_timezone(),
            validate=values.timezone_problem,
            convert=str.strip,
        ),
        opts.timezone if opts.timezone else UNSET,
    )
    return (Schedule(kind=kind, value=value, timezone=timezone),)


def _local_timezone() -> str:
    return os.environ.get("TZ") if os.environ.get("TZ") and not values.timezone_problem(os.environ["TZ"]) else "UTC"


def _existing_schedules(existing: Mapping[str, Any]) -> tuple[Schedule, ...]:
    found = []
    for item in existing.get("schedules") or []:
        if not isinstance(item, Mapping):
            continue
        for kind in ("cron", "interval", "rrule"):
            if item.get(kind) is not None:
                found.append(
                    Schedule(
                        kind=kind,  # type: ignore[arg-type]
                        value=item[kind],
                        timezone=item.get("timezone"),
                        active=bool(item.get("active", True)),
                    )
                )
                break
    return tuple(found)


def _describe_schedules(schedules: Sequence[Schedule]) -> str:
    parts = []
    for s in schedules:
        text = f"every {s.value} s" if s.kind == "interval" else f"{s.kind} {s.value}"
        if s.timezone:
            text += f" {s.timezone}"
        if not s.active:
            text += " (paused)"
        parts.append(text)
    return "; ".join(parts)


def ask_work_pool(session: Session, existing: Mapping[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    opts, asker = session.options, session.asker
    current = existing.get("work_pool") if isinstance(existing.get("work_pool"), Mapping) else {}
    others = Counter(
        str(d["work_pool"]["name"])
        for d in _existing_entries(session).values()
        if isinstance(d.get("work_pool"), Mapping) and d["work_pool"].get("name")
    )
    pool_default = current.get("name") or (others.most_common(1)[0][0] if others else "default")
    pool = asker.ask(
        Question(
            "pool",
            "Work pool",
            "text",
            "--pool",
            default=str(pool_default),
            validate=lambda t: None if t.strip() else "the work pool name cannot be empty",
            convert=str.strip,
        ),
        opts.pool if opts.pool else UNSET,
    )
    queue = asker.ask(
        Question(
            "queue",
            "Work queue",
            "text",
            "--queue",
            default=str(current.get("work_queue_name") or "default"),
            convert=str.strip,
        ),
        opts.queue if opts.queue else UNSET,
    )
    base = current.get("job_variables") if isinstance(current.get("job_variables"), Mapping) else {}
    if opts.job_variables:
        return pool, queue or None, values.job_variables(opts.job_variables, base)
    text = asker.ask(
        Question(
            "job_variables",
            "Job variables (dotted.key=value, space-separated; empty for none)",
            "text",
            "--job-variable",
            default="",
            validate=values.job_variables_problem,
        )
    )
    return pool, queue or None, values.job_variables(values.split_assignments(text or ""), base)


def ask_parameters(session: Session, flow: Any, existing: Mapping[str, Any]) -> dict[str, Any]:
    opts, asker = session.options, session.asker
    declared = {p.name: p for p in flow.parameters if p.kind not in ("var_positional", "var_keyword")}
    open_ended = any(p.kind == "var_keyword" for p in flow.parameters)
    result: dict[str, Any] = {}
    current = existing.get("parameters")
    if isinstance(current, Mapping):
        result.update({k: v for k, v in current.items() if k in declared or open_ended})
    if opts.params_json:
        result.update(values.params_json(opts.params_json))
    for item in opts.params:
        key, raw = values.parse_assignment(item, "--param")
        param = declared.get(key)
        if param is None and not open_ended:
            known = ", ".join(declared) or "none"
            raise UserError(f"--param {key}: flow {flow.name!r} has no such parameter (its parameters: {known})")
        try:
            result[key] = values.parse_parameter(raw, param.annotation if param else None)
        except UserError as exc:
            raise UserError(f"invalid --param {key}: {exc.message}") from None
    unknown = [k for k in result if k not in declared and not open_ended]
    if unknown:
        raise UserError(f"flow {flow.name!r} has no parameter {unknown[0]!r} (its parameters: {', '.join(declared) or 'none'})")
    for param in declared.values():
        if param.required and param.name not in result:
            result[param.name] = asker.ask(
                Question(
                    f"param.{param.name}",
                    f"Parameter {param.name}" + (f" ({param.annotation})" if param.annotation else ""),
                    "text",
                    f"--param {param.name}=VALUE",
                    validate=values.parameter_problem(param.annotation),
                    convert=lambda text, a=param.annotation: values.parse_parameter(text, a),
                    why_no_default="the flow requires it",
                )
            )
    optional = [p for p in declared.values() if not p.required and p.name not in result]
    if optional and asker.interactive:
        names = ", ".join(p.name for p in optional)
        change = asker.ask(
            Question("param.defaults", f"Override parameters with defaults ({names})?", "confirm", "--param", default=False)
        )
        if change:
            for param in optional:
                text = asker.ask(
                    Question(
                        f"param.{param.name}",
                        f"Parameter {param.name} (empty keeps the default {param.default})",
                        "text",
                        f"--param {param.name}=VALUE",
                        default="",
                        validate=lambda t, a=param.annotation: None if t == "" else values.parameter_problem(a)(t),
                    )
                )
                if text != "":
                    result[param.name] = values.parse_parameter(text, param.annotation)
    if values.contains_block_template(result):
        raise UserError(
            "a parameter references a block: Prefect resolves it at deploy time and stores the plain "
            "value on the server; reference secrets in the pull step instead"
        )
    return result


# ---------------------------------------------------------------- storage


def ask_storage(session: Session, flow: Any, name: str) -> tuple[Storage, tuple[SecretToSave, ...]]:
    opts, asker, det = session.options, session.asker, session.detected
    git = det.git
    remote = git.preferred if git is not None else None
    https = remote.url.https_url if remote is not None else None
    token_flags = opts.token_env or opts.token_stdin or opts.token_block or opts.credentials_block or opts.token_from_remote
    if opts.git is False:
        return _local_storage(session), ()
    if remote is not None and remote.url.had_credentials:
        asker.note(
            f"The remote {remote.name!r} URL carries credentials; flowwiz never writes them. "
            f"To remove them from .git/config: git remote set-url {remote.name} {https or '<url>'}"
        )
    if not https and not opts.repository:
        if opts.git or token_flags:
            raise UserError(
                "no remote with an https form to pull from"
                + (f" ({remote.url.note})" if remote is not None and remote.url.note else "")
                + ": pass --repository URL"
            )
        reason = (
            remote.url.note
            if remote is not None and remote.url.note
            else det.git_problem
            if git is None
            else "the repository has no remote"
        )
        asker.note(f"Git storage is not offered: {reason}.")
        return _local_storage(session), ()
    use_git = asker.ask(
        Question(
            "git",
            "Pull flow code from the remote repository at run time?",
            "confirm",
            "--git/--no-git",
            default=True,
        ),
        True if (opts.git or opts.repository or token_flags) else UNSET,
    )
    if not use_git:
        return _local_storage(session), ()
    from detectors.git import parse_remote_url

    repository = asker.ask(
        Question(
            "repository",
            "Repository URL",
            "text",
            "--repository",
            default=https,
            validate=_repository_problem,
            convert=str.strip,
            why_no_default="no remote with an https form was found",
        ),
        opts.repository if opts.repository else UNSET,
    )
    parsed = parse_remote_url(repository)
    if parsed.had_credentials:
        raise UserError("the repository URL carries credentials: give the token with --token-env or --token-stdin instead")
    branch = ask_branch(session)
    private_default: Any = UNSET
    if token_flags:
        private_default = True
    private = asker.ask(
        Question(
            "private",
            "Is this a private repository?",
            "confirm",
            "--private/--public",
            default=False if not (remote is not None and remote.url.had_credentials) else UNSET,
            suggestion=bool(remote is not None and remote.url.had_credentials),
            why_no_default="the remote URL carried credentials",
        ),
        opts.private if opts.private is not None else private_default,
    )
    if opts.private is False and token_flags:
        raise UserError("--public does not take a token: drop --token-env/--token-stdin/--token-block/--credentials-block")
    if not private:
        return GitStorage(repository=repository, branch=branch), ()
    return ask_token(session, flow, name, repository, parsed, branch, remote)


def _repository_problem(text: str) -> str | None:
    text = text.strip()
    if not text.startswith("https://"):
        return "use an https URL: a worker clones with a token over https (ssh would ignore it)"
    if "@" in text.split("/", 3)[2]:
        return "leave credentials out of the URL: flowwiz stores the token as a secret block"
    return None


def ask_branch(session: Session) -> str:
    opts, asker, git = session.options, session.asker, session.detected.git
    state = git.branch if git is not None else None
    detected = state.name if state is not None and not state.detached else None
    if state is not None and state.detached:
        detected = _strip_remote(state.suggestion, git.remotes)
        if detected and not opts.branch:
            asker.note(f"HEAD is detached at {str(state.commit)[:10]}; proposing branch {detected!r}.")
    if state is not None and state.unborn and not opts.branch:
        asker.note("This repository has no commit yet: commit and push before a worker can clone it.")
    branch = asker.ask(
        Question(
            "branch",
            "Branch to pull",
            "text",
            "--branch",
            default=detected if detected else UNSET,
            suggestion=detected or "main",
            validate=lambda t: None if t.strip() and " " not in t.strip() else "enter a branch name",
            convert=str.strip,
            why_no_default="HEAD is detached and no remote branch contains it",
        ),
        opts.branch if opts.branch else UNSET,
    )
    if state is not None and branch == state.name:
        if state.on_remote is False:
            asker.note(f"Branch {branch!r} is not on the remote yet: push it before the first run.")
        elif state.ahead:
            asker.note(f"{state.ahead} local commit(s) on {branch!r} are not pushed: a worker clones the remote.")
    return branch


def _strip_remote(suggestion: str | None, remotes: Sequence[Any]) -> str | None:
    """'origin/feat/x' -> 'feat/x' (suggestions name the remote-tracking branch)."""
    if not suggestion:
        return None
    for remote in remotes:
        if suggestion.startswith(remote.name + "/"):
            return suggestion[len(remote.name) + 1 :]
    return suggestion


def ask_token(
    session: Session,
    flow: Any,
    name: str,
    repository: str,
    parsed: Any,
    branch: str,
    remote: Any,
) -> tuple[Storage, tuple[SecretToSave, ...]]:
    from writers.blocks import parse_slug, reference

    opts, asker = session.options, session.asker
    store = session.open_store()
    block_name = repo_token_block_name(name, flow.name)
    host = (parsed.host or "").lower()

    if opts.credentials_block:
        kind, block = parse_slug(opts.credentials_block)
        if kind not in _PROVIDER_BLOCKS:
            raise UserError(f"--credentials-block takes one of {', '.join(_PROVIDER_BLOCKS)} (got {kind})")
        _require_block(store, kind, block, "--credentials-block")
        return GitStorage(repository=repository, branch=branch, credentials=reference(kind, block)), ()

    username = _ask_username(session, parsed) if host not in _TOKEN_HOSTS else None

    def storage_for(secret_name: str) -> GitStorage:
        return GitStorage(
            repository=repository,
            branch=branch,
            access_token=reference("secret", secret_name),
            username=username,
        )

    if opts.token_block:
        _require_block(store, "secret", opts.token_block, "--token-block")
        return storage_for(opts.token_block), ()

    exists = store.exists("secret", block_name)
    has_remote_token = remote is not None and remote.url.had_credentials and remote.url.credential
    source: Any = UNSET
    if opts.token_env:
        source = "env"
    elif opts.token_stdin:
        source = "stdin"
    elif opts.token_from_remote:
        if not has_remote_token:
            raise UserError("--token-from-remote: the remote URL carries no credentials")
        source = "remote"
    rows = []
    if exists:
        rows.append(Choice(f"Use the token already stored as secret/{block_name}", "existing"))
    if has_remote_token:
        rows.append(Choice("Store the token found in the remote URL", "remote"))
    rows.append(Choice("Enter a token (hidden input)", "prompt"))
    other_secrets = [b for b in _list_blocks(store, "secret") if b.name != block_name]
    if other_secrets:
        rows.append(Choice("Use another secret block", "block"))
    provider_blocks = [b for t in _PROVIDER_BLOCKS for b in _list_blocks(store, t)]
    if provider_blocks:
        rows.append(Choice("Use a provider credentials block", "credentials"))
    how = asker.ask(
        Question(
            "token_source",
            "Repository token",
            "select",
            "--token-env VAR/--token-stdin/--token-block NAME",
            default="existing" if exists else UNSET,
            choices=tuple(rows),
            why_no_default="the repository is private and no token was given",
        ),
        source,
    )
    if how == "existing":
        asker.note(f"!Using the token stored as secret/{block_name}.")
        return storage_for(block_name), ()
    if how == "block":
        picked = asker.ask(
            Question(
                "token_block",
                "Secret block",
                "select",
                "--token-block",
                choices=tuple(Choice(b.name, b.name) for b in other_secrets),
            )
        )
        return storage_for(picked), ()
    if how == "credentials":
        picked = asker.ask(
            Question(
                "credentials_block",
                "Credentials block",
                "select",
                "--credentials-block",
                choices=tuple(Choice(b.slug, b) for b in provider_blocks),
            )
        )
        return GitStorage(repository=repository, branch=branch, credentials=picked.reference), ()
    store.check()  # before anyone types a token that could not be kept
    token = _read_token(session, how, remote)
    _verify(session, repository, token, parsed, username)
    if exists:
        replace = asker.ask(
            Question(
                "overwrite",
                f"Replace the token stored as secret/{block_name}?",
                "confirm",
                "--token-env/--token-stdin (replaces it)",
                default=True,
            )
        )
        if not replace:
            return storage_for(block_name), ()
    secret = SecretToSave(block_type="secret", name=block_name, data={"value": token}, overwrite=exists)
    return storage_for(block_name), (secret,)


def _list_blocks(store: Any, kind: str) -> list[Any]:
    return [b for b in store.list(kind) if b.problem is None]


def _require_block(store: Any, kind: str, name: str, flag: str) -> None:
    from writers.blocks import check_name

    check_name(name)
    if not store.exists(kind, name):
        raise UserError(
            f"{flag}: no block {kind}/{name} in the {store.kind} store ({store.location}); "
            f"create it with `flowwiz blocks create {kind} {name}`"
        )


def _ask_username(session: Session, parsed: Any) -> str:
    from detectors.git_access import username_for

    provider = parsed.provider
    default: Any = UNSET if provider in ("bitbucket-server", "codecommit") else username_for(provider, None)
    if provider == "azure":
        default = "pat"
    return session.asker.ask(
        Question(
            "username",
            f"Username to pair with the token on {parsed.host}",
            "text",
            "--username",
            default=default,
            validate=lambda t: None if t.strip() and ":" not in t else "enter a username (no colon)",
            convert=str.strip,
            why_no_default=f"{parsed.host} needs your username with the token",
        ),
        session.options.username if session.options.username else UNSET,
    )


def _read_token(session: Session, how: str, remote: Any) -> SecretStr:
    opts = session.options
    if how == "env":
        raw = os.environ.get(opts.token_env or "")
        if not raw:
            raise UserError(f"--token-env: the environment variable {opts.token_env} is not set or empty")
    elif how == "stdin":
        if sys.stdin.isatty():
            raise UserError("--token-stdin: pipe the token in, e.g. `flowwiz deploy --yes --token-stdin < token.txt`")
        raw = sys.stdin.read()
        if raw.endswith("\n"):
            raw = raw[:-1]
        if raw.endswith("\r"):
            raw = raw[:-1]
    elif how == "remote":
        raw = remote.url.credential.reveal()
    else:
        raw = session.asker.ask(
            Question(
                "token",
                "Access token (input hidden)",
                "password",
                "--token-env VAR/--token-stdin",
                validate=_token_problem,
            )
        )
    stripped = raw.strip()
    if stripped != raw:
        session.asker.note("!Removed white space around the token.")
    problem = _token_problem(stripped)
    if problem:
        raise UserError(f"the token was refused: {problem}")
    return SecretStr(stripped)


def _token_problem(text: str) -> str | None:
    bad = forbidden_character(text.strip())
    if bad:
        return f"a token cannot contain {bad}"
    if not text.strip():
        return "the token is empty"
    if len(text.strip().encode()) > 2560:
        return "the token is longer than 2560 bytes"
    return None


def _verify(session: Session, repository: str, token: SecretStr, parsed: Any, username: str | None) -> None:
    from detectors.git_access import check_access, username_for

    opts, asker = session.options, session.asker
    verify = asker.ask(
        Question(
            "verify",
            "Check now that this token can read the repository?",
            "confirm",
            "--verify/--no-verify",
            default=False,
            suggestion=True,
        ),
        opts.verify if opts.verify is not None else UNSET,
    )
    if not verify:
        return
    result = check_access(repository, token, username=username_for(parsed.provider, username))
    if result.status == "ok":
        terminal.success(result.detail)
    elif result.status == "unreachable":
        asker.note(f"Could not check the token (network): {result.detail}")
    else:
        message = f"the token cannot read {repository}: {result.detail}"
        if not asker.interactive:
            raise UserError(message + " (pass --no-verify to store it anyway)")
        asker.note(message)
        keep = asker.ask(Question("keep", "Store this token anyway?", "confirm", "--no-verify", default=False))
        if not keep:
            raise UserError("stopped: the token was not stored")


def _local_storage(session: Session) -> LocalStorage:
    root = session.detected.root
    session.asker.note(
        f"Flow code will be read from {root} on the worker's machine: only a worker on this "
        "machine can run this deployment."
    )
    return LocalStorage(directory=str(root))


# ---------------------------------------------------------------- helpers


def _project_name(det: Detected) -> str:
    git = det.git
    if git is not None and git.preferred is not None and git.preferred.url.path:
        stem = git.preferred.url.path.rstrip("/").rsplit("/", 1)[-1]
        stem = stem[:-4] if stem.endswith(".git") else stem
        if stem:
            return stem
    return det.root.name


_PIN = re.compile(r"^\s*prefect\s*(?:\[[^\]]*\])?\s*==\s*([0-9][0-9A-Za-z.+-]*)", re.MULTILINE)


def _pinned_prefect(root: Path, project: Any) -> str | None:
    for rel in project.requirements:
        if rel.endswith(".txt"):
            try:
                match = _PIN.search((root / rel).read_text(errors="replace"))
            except OSError:
                continue
            if match:
                return match.group(1)
    return None


def _check_not_ignored(plan: DeploymentPlan) -> None:
    from writers.ignore import is_ignored, prefectignore_text

    root = plan.project_root
    path = plan.entrypoint.rsplit(":", 1)[0]
    text = (root / ".prefectignore").read_text() if (root / ".prefectignore").exists() else (
        prefectignore_text() if plan.write_prefectignore else None
    )
    if text is not None and is_ignored(root, path, text):
        raise UserError(
            f"{path} is excluded by .prefectignore, so its code would not be shipped: "
            "change .prefectignore or pick another entrypoint"
        )


# ---------------------------------------------------------------- review, apply


def review(plan: DeploymentPlan, rendered: Any, session: Session) -> None:
    from rich.padding import Padding
    from rich.syntax import Syntax
    from rich.table import Table

    err = terminal.err
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    action = {"created": "create prefect.yaml", "added": "add to prefect.yaml", "updated": "update in prefect.yaml"}
    table.add_row("Deployment", f"{plan.flow_name}/{plan.name}  [dim]({action[rendered.action]})[/]")
    table.add_row("Entrypoint", plan.entrypoint)
    table.add_row("Work pool", f"{plan.work_pool}" + (f" / queue {plan.work_queue}" if plan.work_queue else ""))
    table.add_row("Schedule", _describe_schedules(plan.schedules) or "none")
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
        err.print(f"[bold]{'New file' if rendered.action == 'created' else 'Added to'} {plan.prefect_yaml.name}[/]")
        text = rendered.text if rendered.action == "created" else rendered.entry_text
        body = Syntax(text, "yaml", theme="ansi_dark", background_color="default")
    err.print(Padding(body, (0, 2)))
    if session.options.dry_run:
        terminal.data(rendered.text)


def apply(plan: DeploymentPlan, rendered: Any, session: Session) -> None:
    from writers.ignore import prefectignore_text, write_prefectignore
    from writers.prefect_yaml import write_atomic

    for secret in plan.secrets:
        store = session.open_store()
        store.save(secret.block_type, secret.name, secret.data, overwrite=secret.overwrite)
        where = "the OS keyring" if store.kind == "local" else store.location
        terminal.success(f"Saved the token as {secret.block_type}/{secret.name} ({where})")
    write_atomic(plan.prefect_yaml, rendered.text)
    terminal.success(f"{rendered.action.capitalize()} deployment {plan.name!r} in {plan.prefect_yaml}")
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
    store = session.store
    if refs and (store is None or store.kind == "local"):
        names = [r.split("prefect.blocks.", 1)[1].rstrip(" }").replace(".", "/", 1) for r in refs]
        err.print("  The token is in this machine's keyring, but `prefect deploy` and your workers read it")
        err.print("  from your Prefect server: copy it there first (with PREFECT_API_URL set):")
        for slug in names:
            err.print(f"    flowwiz blocks push {slug}")
    err.print(f"  prefect deploy -n {_shell_quote(plan.name)}")
    err.print(f"  prefect worker start --pool {_shell_quote(plan.work_pool)}")
    err.print(f"  prefect deployment run {_shell_quote(plan.flow_name + '/' + plan.name)}")


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
