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
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from flowwiz.detectors.errors import DetectionError, FlowwizError, UserError
from flowwiz.detectors.slug import slugify
from flowwiz.wizard import values
from flowwiz.wizard.project_file import choose_project
from flowwiz.wizard.prompts import UNSET, Asker, Choice, Question
from flowwiz.wizard.review import apply, describe_schedules, next_steps, review
from flowwiz.wizard.session import DeployOptions, Detected, Session  # noqa: F401
from flowwiz.wizard.storage import ask_git_layout, ask_storage
from flowwiz.wizard.terminal import terminal
from flowwiz.writers.plan import DeploymentPlan, Schedule

MANUAL = "__manual__"


def run(options: DeployOptions) -> int:
    from flowwiz.wizard.prompts import InteractiveAsker, UnattendedAsker

    if not options.yes and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError(
            "no terminal to ask questions on: run `flowwiz deploy --yes` and answer with flags "
            "(see `flowwiz deploy --help`)"
        )
    if options.token_stdin and not options.yes:
        raise UserError("--token-stdin reads the token from standard input: use it with --yes")
    refuse_tokens_as_names(options)
    notes = Notes(inline=not options.yes)
    asker: Asker = (UnattendedAsker if options.yes else InteractiveAsker)(notes=notes)
    try:
        return _run(options, asker, notes)
    except FlowwizError:
        notes.release()  # a run that stops still says what it warned about (Ctrl-C: nothing)
        raise


def _run(options: DeployOptions, asker: Asker, notes: Notes) -> int:
    from flowwiz.detectors.prefect_settings import resolve_settings

    settings = resolve_settings(api_url=options.api_url)  # a bad profile or URL: before anything
    detected = detect(
        options.path,
        interactive=asker.interactive,
        needs_git=options.storage in (None, "git") and options.git is not False,
    )
    session = Session(options=options, asker=asker, detected=detected, settings=settings)
    from flowwiz.wizard.store_probe import announce, fail_fast, probe_store

    probe_store(session)  # where secrets will go is known before the first question
    fail_fast(session)
    announce(session)
    session.target = load_target(detected, options)
    session.flow_of = flow_resolver(detected.root)
    from copy import copy

    from flowwiz.wizard.answers import RecordingAsker, change_choices
    from flowwiz.wizard.docker_storage import write_dockerignore
    from flowwiz.wizard.equivalent import equivalent_command, show
    from flowwiz.wizard.register_step import offer_register

    start = copy(session)  # what a changed answer starts again from
    recorder = RecordingAsker(asker)
    while True:
        session.asker = recorder
        plan, rendered = _ask_and_review(session, notes)
        same = equivalent_command(plan, session)
        show(same)
        if options.dry_run:
            terminal.line(("Dry run:", "bold"), " nothing was written.")
            return 0
        if not asker.interactive:
            break
        what = asker.ask(
            Question(
                "write",
                f"Write {plan.prefect_yaml.name}?",
                "select",
                "--yes",
                default="write",
                choices=(
                    Choice(f"Yes, write {plan.prefect_yaml.name}", "write"),
                    Choice("Change an answer", "change"),
                    Choice("No, cancel (nothing is written)", "cancel"),
                ),
            )
        )
        if what == "write":
            break
        if what == "cancel":
            terminal.info("Nothing was written.")
            show(same, "To write it later")
            return 0
        key = asker.ask(
            Question(
                "change",
                "Which answer?",
                "select",
                "--yes",
                choices=change_choices(recorder.answers),
            )
        )
        recorder = RecordingAsker(asker, recorder.answers, change=key)
        for field in Session.__dataclass_fields__:  # every answer-made state, as at the start
            setattr(session, field, getattr(start, field))
        notes.hold()
    from flowwiz.wizard.work_pool import create_pending_pool

    try:
        create_pending_pool(session)
        apply(plan, rendered, session)
        from flowwiz.wizard.block_storage import upload_now  # block and fsspec: --upload

        upload_now(plan, session)
        write_dockerignore(session)
        offer_register(plan, session)
    except FlowwizError:
        show(same, "Nothing typed is lost: to finish, fix the problem below and run")
        raise
    next_steps(plan, session)
    return 0


def _ask_and_review(session: Session, notes: Notes) -> tuple[DeploymentPlan, Any]:
    """Ask, check, and show the review (the gathered warnings first): one pass of the
    review loop. Returns the plan and its rendering."""
    plan = ask(session)

    from flowwiz.writers.prefect_yaml import render

    check_entrypoint_in_clone(plan, session)
    # the file as parsed before the questions (once per run); apply checks it is unchanged
    existing = session.target.document if session.target is not None else None
    rendered = render(plan, existing, flow_of=session.flow_of)
    ignore_text = _effective_prefectignore(plan)
    _check_not_ignored(plan, ignore_text)
    _check_upload(plan, ignore_text, session)
    from flowwiz.wizard.docker_storage import check_build_context
    from flowwiz.writers.plan import DockerStorage

    if isinstance(plan.storage, DockerStorage):
        from flowwiz.wizard.work_pool import check_pool_runs_images

        check_pool_runs_images(session, plan.storage)
        check_build_context(session, plan.storage)
    from flowwiz.wizard.register_step import look_for_prefect

    look_for_prefect(plan, session)
    notes.release()
    review(plan, rendered, session)
    return plan, rendered


# flag, its value(s), what kind of name it takes
def _named_flags(o: DeployOptions) -> list[tuple[str, str | None, str]]:
    return [
        ("--name", o.name, "deployment name"),
        ("--pool", o.pool, "work pool name"),
        ("--queue", o.queue, "work queue name"),
        *(("--tag", tag, "tag") for tag in o.tags),
        ("--token-env", o.token_env, "variable name"),
        ("--token-worker-env", o.token_worker_env, "variable name"),
        ("--token-block", o.token_block, "block name"),
        ("--credentials-block", o.credentials_block, "block name"),
        ("--storage-block", o.storage_block, "block name"),
        ("--username", o.username, "username"),
        ("--branch", o.branch, "branch name"),
        ("--bucket", o.bucket, "bucket name"),
        ("--entrypoint", o.entrypoint, "flow entrypoint"),
        ("--prefect-file", o.prefect_file, "file name"),
    ]


_TAKES_A_NAME = {
    "--token-env": " (it takes the NAME of the variable that holds the token, e.g. GITHUB_TOKEN)",
    "--token-worker-env": " (it takes the NAME of the workers' variable, e.g. GITHUB_TOKEN)",
}


def refuse_tokens_as_names(options: DeployOptions) -> None:
    """A token given where a name goes is refused before anything runs, and never repeated:
    the message would land in CI logs. Raises UserError (exit 2)."""
    from flowwiz.detectors.secret import holds_token

    for flag, value, what in _named_flags(options):
        if value and holds_token(value):
            raise UserError(
                f"{flag}: that looks like a token, not a {what}{_TAKES_A_NAME.get(flag, '')}"
            )


def guard_plaintext(session: Session, what: str, values_given: Mapping[str, Any]) -> None:
    """``values_given``: dotted key -> value about to be written to prefect.yaml in plain text.
    A value that looks like a token is warned about (never repeated) with the safe ways; under
    --yes it is refused unless --allow-plaintext-secrets; a person is asked to confirm."""
    from flowwiz.detectors.secret import holds_token

    found = [k for k, v in _flatten(values_given) if isinstance(v, str) and holds_token(v)]
    if not found:
        return
    keys = ", ".join(found)
    if what == "job variable":
        way = (
            "give the workers the variable in their own environment (or the work pool's base "
            "job template), or keep it in a secret block (`flowwiz blocks create secret NAME`) "
            "that the flow reads with Secret.load"
        )
    else:
        way = (
            "keep it in a secret block (`flowwiz blocks create secret NAME`) and pass the "
            "block's name, read in the flow with Secret.load(name)"
        )
    message = (
        f"{what} {keys}: the value looks like a token, and prefect.yaml would hold it in plain "
        f"text (`prefect deploy` copies it to the server too); instead {way}"
    )
    opts, asker = session.options, session.asker
    if opts.allow_plaintext_secrets:
        asker.note(message + " (written anyway: --allow-plaintext-secrets)")
        return
    if not asker.interactive:
        raise UserError(message + "; or pass --allow-plaintext-secrets to write it anyway")
    asker.note(message)
    keep = asker.ask(
        Question(
            "plaintext",
            "Write it in plain text anyway?",
            "confirm",
            "--allow-plaintext-secrets",
            default=False,
        )
    )
    if not keep:
        raise UserError("stopped: the token was not written (nothing was written)")


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        return [
            pair
            for k, v in value.items()
            for pair in _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        ]
    if isinstance(value, (list, tuple)):
        return [pair for i, v in enumerate(value) for pair in _flatten(v, f"{prefix}[{i}]")]
    return [(prefix, value)]


def _changed(new: Mapping[str, Any], old: Any) -> dict[str, Any]:
    """The entries of ``new`` that are not already in ``old`` as they are (a re-run does not
    warn about what the file held before)."""
    old = old if isinstance(old, Mapping) else {}
    return {k: v for k, v in new.items() if k not in old or old[k] != v}


def check_entrypoint_in_clone(plan: DeploymentPlan, session: Session) -> None:
    """For git storage: will a worker's clone hold the entrypoint's file?

    Untracked or ignored: a warning (writing prefect.yaml before committing the flow with it is
    the usual order, so --yes goes on). A symlink leading out of the repository: the clone gets
    only a dangling link, so --yes stops (exit 2) naming the fix; a person is warned."""
    from flowwiz.detectors.git import file_in_clone
    from flowwiz.writers.plan import GitStorage

    git = session.detected.git
    if not isinstance(plan.storage, GitStorage) or git is None:
        return
    file = plan.project_root / plan.entrypoint.rsplit(":", 1)[0]
    found = file_in_clone(Path(git.root), file)
    if found.status == "outside":
        message = (
            f"{found.path} is a symlink to a file outside the repository: a worker's clone gets "
            "only the link, not the file"
        )
        fix = "copy the file into the repository and commit it, or choose --storage local/s3/docker"
        if not session.asker.interactive:
            raise UserError(f"{message}; {fix}")
        session.asker.note(f"{message}: {fix}.")
    elif found.status == "untracked":
        session.asker.note(
            f"{found.path} is not tracked by git, so a worker's clone will not have it: "
            f"`git add {found.path}`, commit and push before the first run."
        )
    elif found.status == "ignored":
        session.asker.note(
            f"{found.path} is ignored by .gitignore, so a worker's clone will not have it: "
            "change .gitignore (or `git add -f` it), commit and push before the first run."
        )


class Notes:
    """The notes printer of one run: a leading "!" marks plain information (shown where it
    arises), the rest are warnings. Until :meth:`release` (just before the review) warnings
    are also gathered, and the review starts with all of them in one block: a person sees
    each where it explains the next question and again before deciding to write; under
    --yes (no questions to explain) only the block is printed. After the review, notes print
    as they come."""

    def __init__(self, *, inline: bool) -> None:
        self.inline = inline
        self.held: list[str] = []
        self.holding = True

    def __call__(self, message: str) -> None:
        if message.startswith("!"):
            terminal.info(message[1:])
            return
        if not self.holding:
            terminal.warn(message)
            return
        if message not in self.held:
            self.held.append(message)
        if self.inline:
            terminal.warn(message)

    def hold(self) -> None:
        """Gather warnings again (the questions are asked again after a change)."""
        self.holding = True

    def release(self) -> None:
        """Print the gathered warnings as one block (once) and stop holding."""
        held, self.held, self.holding = self.held, [], False
        if not held:
            return
        terminal.err.print()
        terminal.heading("Warnings")
        for message in held:
            terminal.warn(message)


def detect(path: Path, *, interactive: bool, needs_git: bool = True) -> Detected:
    """``needs_git``: git storage is still possible, so a repository git refuses (dubious
    ownership) stops the run; with another storage chosen by flag it is only noted."""
    from flowwiz.detectors.flows import find_flows
    from flowwiz.detectors.git import UnsafeRepositoryError, detect_git
    from flowwiz.detectors.project import detect_project

    if not path.is_dir():
        raise UserError(f"not a directory: {path}")
    root = path.resolve()
    try:
        git = detect_git(root)
        git_problem = None
    except UnsafeRepositoryError as exc:
        if needs_git:
            raise  # never a silent switch to other storage: the message says how to trust it
        git, git_problem = None, exc.message
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
    project = detect_project(root, shallow=True)  # a run edits one entry: built when used
    if project.prefect_yaml_error:
        raise UserError(f"{project.prefect_yaml_error} (fix it first; flowwiz left it untouched)")
    return Detected(root=root, git=git, git_problem=git_problem, scan=scan, project=project)


def load_target(det: Detected, opts: DeployOptions) -> Any:
    """The prefect.yaml this run writes, parsed once (None when there is none yet)."""
    from flowwiz.detectors.errors import ProjectFileError
    from flowwiz.detectors.project import load_prefect_yaml

    path = det.root / opts.prefect_file
    found = det.project.prefect_yaml
    if found is not None and found.path == path:
        return found
    if not (path.exists() or path.is_symlink()):
        return None
    try:
        return load_prefect_yaml(path, shallow=True)
    except ProjectFileError as exc:
        raise UserError(f"{exc.message} (fix it first; flowwiz left it untouched)") from None


def flow_resolver(root: Path) -> Any:
    """entrypoint -> the flow name Prefect gives it (read from the source, never imported);
    None when the file or function is not there."""
    from flowwiz.detectors.flows import flows_in_file, parse_entrypoint

    cache: dict[str, str | None] = {}

    def flow_of(entrypoint: str) -> str | None:
        if entrypoint not in cache:
            try:
                path, function = parse_entrypoint(entrypoint)
                found = [f for f in flows_in_file(root, path) if f.function == function]
                cache[entrypoint] = found[0].name if found else None
            except (DetectionError, UserError):
                cache[entrypoint] = None
        return cache[entrypoint]

    return flow_of


def _top(session: Session) -> Mapping[str, Any]:
    target = session.target
    return target.data if target is not None and isinstance(target.data, Mapping) else {}


def ask(session: Session) -> DeploymentPlan:
    opts, det = session.options, session.detected
    before = (session.options.prefect_file, session.detected.root)
    flow = choose_project(session, ask_flow(session))
    opts, det = session.options, session.detected  # the project may have moved to the flow's folder
    if (opts.prefect_file, det.root) != before:  # another prefect.yaml: parse that one (once)
        session.target = load_target(det, opts)
        session.flow_of = flow_resolver(det.root)
    problem = values.flow_name_problem(flow.name)
    if problem:  # `prefect deploy` would fail importing it: say so before anything is written
        raise UserError(f"flow {flow.name!r} ({flow.entrypoint}) cannot be deployed: {problem}")
    name, existing = ask_name(session, flow)
    session.existing = existing
    description = session.asker.ask(
        Question(
            "description",
            "Description",
            "text",
            "--description",
            default=_first(
                opts.description,
                existing.get("description"),
                getattr(flow, "docstring", None) or flow.description,
            ),
        ),
        opts.description if opts.description is not None else UNSET,
    )
    docstring = getattr(flow, "docstring", None) or flow.description
    unasked = existing and "description" not in existing and opts.description is None
    if unasked and description == docstring:
        description = None  # Prefect describes the deployment by the docstring anyway
    tags = ask_tags(session, existing)
    schedules = ask_schedule(session, existing)
    pool, queue, job_vars = ask_work_pool(session, existing)
    pool_entry = existing.get("work_pool")
    old_vars = pool_entry.get("job_variables") if isinstance(pool_entry, Mapping) else None
    guard_plaintext(session, "job variable", _changed(job_vars, old_vars))
    parameters = ask_parameters(session, flow, existing)
    guard_plaintext(session, "parameter", _changed(parameters, existing.get("parameters")))
    from flowwiz.writers.prefect_yaml import storage_of

    previous = storage_of(existing, _top(session))
    storage, secrets = ask_storage(session, flow, name, previous)
    storage = ask_git_layout(session, storage, flow)
    inherit_build = ask_inherit_build(session, existing, storage)
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
        inherit_build=inherit_build,
    )


def ask_inherit_build(session: Session, existing: Mapping[str, Any], storage: Any) -> bool:
    """Whether the file's top-level ``build`` steps run for this deployment too (Prefect runs
    them for every deployment without a ``build`` of its own). Asked only when there are
    some and the storage brings no build of its own; a re-run keeps the choice made."""
    from flowwiz.writers.prefect_yaml import build_steps, effective_steps

    top = _top(session)
    inherited = effective_steps({}, top, "build")
    own = existing.get("build") if existing else None
    if not inherited or build_steps(storage) or (isinstance(own, list) and own):
        return True
    kept = not (existing and "build" in existing and not existing["build"])
    names = ", ".join(_step_label(s) for s in inherited)
    return bool(
        session.asker.ask(
            Question(
                "inherit_build",
                f"{session.options.prefect_file} runs build steps for every deployment "
                f"({names}). Run them for this one too?",
                "confirm",
                "--inherit-build/--no-inherit-build",
                default=kept,
            ),
            session.options.inherit_build if session.options.inherit_build is not None else UNSET,
        )
    )


def _step_label(step: Any) -> str:
    if isinstance(step, Mapping) and len(step) == 1:
        return str(next(iter(step))).rsplit(".", 1)[-1]
    return "a step"


def _first(*candidates: Any) -> Any:
    return next((c for c in candidates if c not in (None, "")), None)


def ask_flow(session: Session) -> Any:
    from flowwiz.detectors.flows import flows_in_file, parse_entrypoint

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


def _existing_entries(session: Session) -> list[Any]:
    """The deployments already in the file being written (its parsed data)."""
    target = session.target
    return list(target.deployments) if target is not None else []


def ask_name(session: Session, flow: Any) -> tuple[str, Mapping[str, Any]]:
    """The deployment name, and the entry it updates ({} when it is added). An entry is the
    same deployment when it has the same name and the same flow (Prefect's flow/name)."""
    from flowwiz.writers.prefect_yaml import find_entry

    opts, asker = session.options, session.asker
    entries = _existing_entries(session)
    filename = session.options.prefect_file

    def match(candidate: str) -> int | None:
        return find_entry(entries, candidate, flow.name, flow.entrypoint, session.flow_of)

    default_name = slugify(flow.name) or flow.function
    question = Question(
        "name",
        "Deployment name",
        "text",
        "--name",
        default=default_name,
        validate=values.deployment_name_problem,
        convert=str.strip,
        name_of="deployment name",
    )
    name = asker.ask(question, opts.name if opts.name is not None else UNSET)
    while True:
        index = match(name)
        if index is None:
            others = [e for e in entries if isinstance(e, Mapping) and str(e.get("name")) == name]
            if others:
                asker.note(
                    f"!{filename} also has a deployment {name!r} of "
                    f"{others[0].get('entrypoint')}: a different flow, so this adds "
                    f"{flow.name}/{name} beside it."
                )
            return name, {}
        entry = entries[index]
        if entry.get("entrypoint") not in (None, flow.entrypoint):
            asker.note(
                f"{filename} has {flow.name}/{name} at {entry.get('entrypoint')}; "
                f"updating it points it at {flow.entrypoint}."
            )
        update = Question(
            "update",
            f"{filename} has the deployment {flow.name}/{name}. Update it?",
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
                validate=lambda t: (
                    values.deployment_name_problem(t)
                    or (f"{t!r} exists too" if match(t.strip()) is not None else None)
                ),
                convert=str.strip,
            )
        )


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
            validate=_tags_problem,
        )
    )
    return values.parse_tags(answer or "")


def _tags_problem(text: str) -> str | None:
    from flowwiz.detectors.secret import token_not_name

    return next(
        (p for p in (token_not_name(t, "tag") for t in values.parse_tags(text)) if p), None
    )


def ask_schedule(session: Session, existing: Mapping[str, Any]) -> tuple[Schedule, ...]:
    opts, asker = session.options, session.asker
    given = [
        f
        for f, v in (("--interval", opts.interval), ("--cron", opts.cron), ("--rrule", opts.rrule))
        if v
    ]
    if opts.no_schedule:
        given.append("--no-schedule")
    if len(given) > 1:
        raise UserError(f"choose one schedule: {', '.join(given)} were all given")
    from flowwiz.writers.prefect_yaml import current_schedule, replace_schedule, schedules_of

    kept = schedules_of(existing)
    rows = [Choice("No schedule (run on demand)", "none")]
    if kept:
        rows.insert(0, Choice(f"Keep the current schedule ({describe_schedules(kept)})", "keep"))
    rows += [
        Choice("Interval: every N seconds", "interval"),
        Choice("Cron: a cron expression", "cron"),
        Choice("RRule: an RFC 5545 recurrence rule", "rrule"),
    ]
    flag_kind = (
        {
            "--interval": "interval",
            "--cron": "cron",
            "--rrule": "rrule",
            "--no-schedule": "none",
        }.get(given[0])
        if given
        else UNSET
    )
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
    if kind == "none" and opts.timezone:
        raise UserError(
            "--timezone goes with a new schedule (--cron, --interval or --rrule); there is none"
        )
    if kind == "keep":
        if not opts.timezone:
            return kept
        for s in kept:  # --timezone alone: the current schedules move to that zone
            problem = values.timezone_problem(opts.timezone, s.kind)
            if problem:
                raise UserError(f"--timezone: {problem}")
        zone = opts.timezone.strip()
        return tuple(replace(s, timezone=zone) for s in kept)
    if kind == "none":
        return ()
    seed = current_schedule(kept, kind)
    same = seed.value if seed is not None and seed.kind == kind else None
    if kind == "interval":
        value: str | int | float = asker.ask(
            Question(
                "interval",
                "Seconds between runs",
                "text",
                "--interval",
                default=str(same) if same is not None else "3600",
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
                default=str(same) if same is not None else "0 0 * * *",
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
                default=str(same) if same is not None else "RRULE:FREQ=DAILY;INTERVAL=1",
                validate=values.rrule_problem,
                convert=str.strip,
            ),
            opts.rrule if opts.rrule else UNSET,
        )
    # the current schedule's zone (none stays none: Prefect's UTC), else this machine's
    zone_now = None
    if seed is not None:
        zone_now = seed.timezone if isinstance(seed.timezone, str) else ""
    timezone = asker.ask(
        Question(
            "timezone",
            "Time zone",
            "text",
            "--timezone",
            default=_local_timezone() if zone_now is None else zone_now,
            validate=values.timezone_validator(kind),
            convert=str.strip,
        ),
        opts.timezone if opts.timezone else UNSET,
    )
    return (replace_schedule(kept, kind, value, timezone),)


def _local_timezone() -> str:
    return (
        os.environ.get("TZ")
        if os.environ.get("TZ") and not values.timezone_problem(os.environ["TZ"])
        else "UTC"
    )


def _most_used_pool(session: Session) -> str:
    """The work pool most deployments in the file use ("default" when none names one). Read
    only when needed: on a long file it reads every entry."""
    others = Counter(
        str(d["work_pool"]["name"])
        for d in _existing_entries(session)
        if isinstance(d, Mapping)
        and isinstance(d.get("work_pool"), Mapping)
        and d["work_pool"].get("name")
    )
    return others.most_common(1)[0][0] if others else "default"


def ask_work_pool(
    session: Session, existing: Mapping[str, Any]
) -> tuple[str, str | None, dict[str, Any]]:
    opts, asker = session.options, session.asker
    current = existing.get("work_pool") if isinstance(existing.get("work_pool"), Mapping) else {}
    pool_default = current.get("name") or _most_used_pool(session)
    from flowwiz.wizard.work_pool import ask_pool_name, check_variables, server_pools, settle_pool

    pools = server_pools(session)
    pool = ask_pool_name(session, str(pool_default), pools)
    known = settle_pool(session, pool, pools)
    queue = asker.ask(
        Question(
            "queue",
            "Work queue",
            "text",
            "--queue",
            default=str(current.get("work_queue_name") or "default"),
            convert=str.strip,
            name_of="work queue name",
        ),
        opts.queue if opts.queue else UNSET,
    )
    base = current.get("job_variables") if isinstance(current.get("job_variables"), Mapping) else {}
    if opts.job_variables:
        job_vars = values.job_variables(opts.job_variables, base)
        check_variables(session, known, job_vars)
        return pool, queue or None, job_vars
    offered = ""
    if known is not None and known.variables:
        names = list(known.variables)
        offered = f"; the {known.type} pool takes " + ", ".join(names[:8])
        offered += ", ..." if len(names) > 8 else ""
    text = asker.ask(
        Question(
            "job_variables",
            f"Job variables (dotted.key=value, space-separated; empty for none{offered})",
            "text",
            "--job-variable",
            default="",
            validate=values.job_variables_problem,
        )
    )
    job_vars = values.job_variables(values.split_assignments(text or ""), base)
    check_variables(session, known, job_vars)
    return pool, queue or None, job_vars


def ask_parameters(session: Session, flow: Any, existing: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values, each checked as Prefect checks it (detectors/parameter_schema.py:
    the deploy-time schema check and the run-time pydantic check); a refused ``--param`` or
    ``--params`` value exits 2 naming the flag. Interactively, Literal/Enum/bool parameters are
    a choice and list/dict/model parameters ask for JSON with an example."""
    from flowwiz.detectors.parameter_schema import parameter_schema

    opts, asker = session.options, session.asker
    schema = parameter_schema(session.detected.scan.root, flow)
    declared = {
        p.name: p
        for p in flow.parameters
        # `self`/`cls` are bound, never passed: Prefect's schema leaves them out by name
        if p.kind not in ("var_positional", "var_keyword") and p.name not in ("self", "cls")
    }
    open_ended = any(p.kind == "var_keyword" for p in flow.parameters)
    result: dict[str, Any] = {}
    current = existing.get("parameters")
    if isinstance(current, Mapping):
        kept = {k: v for k, v in current.items() if k in declared or open_ended}
        for problem in schema.problems(kept):
            asker.note(
                f"prefect.yaml parameter {problem.name!r} is one Prefect refuses: "
                f"{problem.message}"
            )
        result.update(kept)
    if opts.params_json:
        given = values.params_json(opts.params_json)
        problems = schema.problems(
            {k: v for k, v in given.items() if k in declared or not open_ended}
        )
        if problems:
            first = problems[0]
            raise UserError(f"invalid --params: {first.name}: {first.message}")
        result.update(given)
    for item in opts.params:
        key, raw = values.parse_assignment(item, "--param")
        param = declared.get(key)
        if param is None and not open_ended:
            known = ", ".join(declared) or "none"
            raise UserError(
                f"--param {key}: flow {flow.name!r} has no such parameter (its parameters: {known})"
            )
        try:
            result[key] = values.parameter_value(
                raw, key, schema, param.annotation if param else None
            )
        except UserError as exc:
            raise UserError(f"invalid --param {key}: {exc.message}") from None
    unknown = [k for k in result if k not in declared and not open_ended]
    if unknown:
        raise UserError(
            f"flow {flow.name!r} has no parameter {unknown[0]!r} "
            f"(its parameters: {', '.join(declared) or 'none'})"
        )
    for param in declared.values():
        if param.required and param.name not in result:
            result[param.name] = asker.ask(_parameter_question(schema, param, required=True))
    optional = [p for p in declared.values() if not p.required and p.name not in result]
    if optional and asker.interactive:
        names = ", ".join(p.name for p in optional)
        change = asker.ask(
            Question(
                "param.defaults",
                f"Override parameters with defaults ({names})?",
                "confirm",
                "--param",
                default=False,
            )
        )
        if change:
            for param in optional:
                answer = asker.ask(_parameter_question(schema, param, required=False))
                if answer is not _KEEP_DEFAULT:
                    result[param.name] = answer
    if values.contains_block_template(result):
        raise UserError(
            "a parameter references a block: Prefect resolves it at deploy time and stores "
            "the plain "
            "value on the server; reference secrets in the pull step instead"
        )
    return result


_KEEP_DEFAULT: Any = "__flowwiz_keep_default__"


def _parameter_question(schema: Any, param: Any, *, required: bool) -> Question:
    """One parameter's question: a choice for Literal/Enum/bool, else typed text (JSON for a
    list, dict or model, with an example). Optional ones can keep their default."""
    label = param.annotation
    flag = f"--param {param.name}=VALUE"
    typed = f" ({label})" if label else ""
    rows = values.parameter_choices(schema, param.name)
    if rows is not None:
        choices = [Choice(title, value) for title, value in rows]
        if not required:
            choices.insert(0, Choice(f"keep the default ({param.default})", _KEEP_DEFAULT))
        return Question(
            f"param.{param.name}",
            f"Parameter {param.name}{typed}",
            "select",
            flag,
            default=UNSET if required else _KEEP_DEFAULT,
            choices=tuple(choices),
            why_no_default="the flow requires it",
        )
    notes = [label] if label else []
    if values.parameter_wants_json(schema, param.name):
        notes.append(f"JSON, e.g. {values.parameter_example(schema, param.name)}")
    message = f"Parameter {param.name}" + (f" ({'; '.join(notes)})" if notes else "")
    if not required:
        message += f" (empty keeps the default {param.default})"
    return Question(
        f"param.{param.name}",
        message,
        "text",
        flag,
        default=UNSET if required else "",
        validate=values.parameter_validator(param.name, schema, label, allow_empty=not required),
        convert=lambda text, n=param.name, a=label, r=required: (
            _KEEP_DEFAULT if (text == "" and not r) else values.parameter_value(text, n, schema, a)
        ),
        why_no_default="the flow requires it",
    )


def _project_name(det: Detected) -> str:
    return det.project_name()


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


def _effective_prefectignore(plan: DeploymentPlan) -> str | None:
    """The .prefectignore Prefect will read: the project's, else the one flowwiz writes."""
    from flowwiz.writers.ignore import prefectignore_text

    path = plan.project_root / ".prefectignore"
    if path.exists():
        return path.read_text(encoding="utf-8", errors="replace")
    return prefectignore_text() if plan.write_prefectignore else None


def _check_not_ignored(plan: DeploymentPlan, ignore_text: str | None) -> None:
    """For a bucket: the entrypoint must be among what Prefect's push step uploads.

    Only the push steps read .prefectignore (git, docker and local storage never do), so the
    question is Prefect's, answered with Prefect's matching (writers/ignore.is_ignored).
    """
    from flowwiz.detectors.prefect_ignore import PrefectIgnoreError
    from flowwiz.writers.ignore import is_ignored
    from flowwiz.writers.plan import CloudStorage

    if ignore_text is None or not isinstance(plan.storage, CloudStorage):
        return
    path = plan.entrypoint.rsplit(":", 1)[0]
    try:
        ignored = is_ignored(plan.project_root, path, ignore_text)
    except PrefectIgnoreError:
        return  # _check_upload says which line Prefect cannot read
    if ignored:
        raise UserError(
            f"{path} is excluded by .prefectignore, so its code would not be shipped: "
            "change .prefectignore or pick another entrypoint"
        )


def _check_upload(plan: DeploymentPlan, ignore_text: str | None, session: Session) -> None:
    """For a bucket: say how much `prefect deploy` uploads, and warn about secret-looking files
    that .prefectignore lets through (they would land in the bucket)."""
    from flowwiz.detectors.prefect_ignore import PrefectIgnoreError
    from flowwiz.detectors.upload_set import human_size, upload_set
    from flowwiz.writers.plan import BlockStorage, CloudStorage, FsspecStorage
    from flowwiz.writers.remote_storage import push_steps

    uploaded = isinstance(plan.storage, CloudStorage) or (
        isinstance(plan.storage, (BlockStorage, FsspecStorage)) and push_steps(plan.storage)
    )  # a storage block or fsspec URL: flowwiz's push step uploads the same files
    if not uploaded:
        return
    try:
        found = upload_set(plan.project_root, ignore_text)
    except PrefectIgnoreError as exc:
        session.asker.note(f"{exc.message}; {exc.hint}.")
        return
    session.asker.note(
        f"!`prefect deploy` will upload {found.files} files ({human_size(found.size)}) "
        "that .prefectignore lets through."
    )
    if found.sensitive:
        shown = ", ".join(found.sensitive[:5])
        shown += " ..." if len(found.sensitive) > 5 else ""
        session.asker.note(
            f"{len(found.sensitive)} of them look like secrets and would be uploaded to the "
            f"storage: {shown}. Add them to .prefectignore."
        )
