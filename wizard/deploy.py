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
from pathlib import Path
from typing import Any

from flowwiz.detectors.errors import DetectionError, UserError
from flowwiz.detectors.slug import slugify
from flowwiz.wizard import values
from flowwiz.wizard.prompts import UNSET, Asker, Choice, Question
from flowwiz.wizard.review import apply, describe_schedules, next_steps, review
from flowwiz.wizard.session import DeployOptions, Detected, Session  # noqa: F401
from flowwiz.wizard.storage import ask_storage
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
    asker: Asker = (UnattendedAsker if options.yes else InteractiveAsker)(notes=_note)
    detected = detect(options.path, interactive=asker.interactive)
    session = Session(options=options, asker=asker, detected=detected)
    session.target = load_target(detected, options)
    session.flow_of = flow_resolver(detected.root)
    plan = ask(session)

    from flowwiz.writers.prefect_yaml import render

    # the file as parsed before the questions (once per run); apply checks it is unchanged
    existing = session.target.document if session.target is not None else None
    rendered = render(plan, existing, flow_of=session.flow_of)
    ignore_text = _effective_prefectignore(plan)
    _check_not_ignored(plan, ignore_text)
    _check_upload(plan, ignore_text, session)
    review(plan, rendered, session)
    if options.dry_run:
        terminal.info("[bold]Dry run:[/] nothing was written.")
        return 0
    if asker.interactive:
        confirm = Question(
            "write", f"Write {plan.prefect_yaml.name}?", "confirm", "--yes", default=True
        )
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


def detect(path: Path, *, interactive: bool) -> Detected:
    from flowwiz.detectors.flows import find_flows
    from flowwiz.detectors.git import detect_git
    from flowwiz.detectors.project import detect_project

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
        return load_prefect_yaml(path)
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
    flow = ask_flow(session)
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
    tags = ask_tags(session, existing)
    schedules = ask_schedule(session, existing)
    pool, queue, job_vars = ask_work_pool(session, existing)
    parameters = ask_parameters(session, flow, existing)
    from flowwiz.writers.prefect_yaml import storage_of

    previous = storage_of(existing, _top(session))
    storage, secrets = ask_storage(session, flow, name, previous)
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
    )
    name = asker.ask(question, opts.name if opts.name else UNSET)
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
        )
    )
    return values.parse_tags(answer or "")


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
    from flowwiz.writers.prefect_yaml import schedules_of

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
    return (
        os.environ.get("TZ")
        if os.environ.get("TZ") and not values.timezone_problem(os.environ["TZ"])
        else "UTC"
    )


def ask_work_pool(
    session: Session, existing: Mapping[str, Any]
) -> tuple[str, str | None, dict[str, Any]]:
    opts, asker = session.options, session.asker
    current = existing.get("work_pool") if isinstance(existing.get("work_pool"), Mapping) else {}
    others = Counter(
        str(d["work_pool"]["name"])
        for d in _existing_entries(session)
        if isinstance(d, Mapping)
        and isinstance(d.get("work_pool"), Mapping)
        and d["work_pool"].get("name")
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
    declared = {
        p.name: p for p in flow.parameters if p.kind not in ("var_positional", "var_keyword")
    }
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
            raise UserError(
                f"--param {key}: flow {flow.name!r} has no such parameter (its parameters: {known})"
            )
        try:
            result[key] = values.parse_parameter(raw, param.annotation if param else None)
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
            result[param.name] = asker.ask(
                Question(
                    f"param.{param.name}",
                    f"Parameter {param.name}"
                    + (f" ({param.annotation})" if param.annotation else ""),
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
                text = asker.ask(
                    Question(
                        f"param.{param.name}",
                        f"Parameter {param.name} (empty keeps the default {param.default})",
                        "text",
                        f"--param {param.name}=VALUE",
                        default="",
                        validate=lambda t, a=param.annotation: (
                            None if t == "" else values.parameter_problem(a)(t)
                        ),
                    )
                )
                if text != "":
                    result[param.name] = values.parse_parameter(text, param.annotation)
    if values.contains_block_template(result):
        raise UserError(
            "a parameter references a block: Prefect resolves it at deploy time and stores "
            "the plain "
            "value on the server; reference secrets in the pull step instead"
        )
    return result


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


def _effective_prefectignore(plan: DeploymentPlan) -> str | None:
    """The .prefectignore Prefect will read: the project's, else the one flowwiz writes."""
    from flowwiz.writers.ignore import prefectignore_text

    path = plan.project_root / ".prefectignore"
    if path.exists():
        return path.read_text(encoding="utf-8", errors="replace")
    return prefectignore_text() if plan.write_prefectignore else None


def _check_not_ignored(plan: DeploymentPlan, ignore_text: str | None) -> None:
    from flowwiz.writers.ignore import is_ignored

    path = plan.entrypoint.rsplit(":", 1)[0]
    if ignore_text is not None and is_ignored(plan.project_root, path, ignore_text):
        raise UserError(
            f"{path} is excluded by .prefectignore, so its code would not be shipped: "
            "change .prefectignore or pick another entrypoint"
        )


def _check_upload(plan: DeploymentPlan, ignore_text: str | None, session: Session) -> None:
    """For a bucket: say how much `prefect deploy` uploads, and warn about secret-looking files
    that .prefectignore lets through (they would land in the bucket)."""
    from flowwiz.detectors.upload_set import human_size, upload_set
    from flowwiz.writers.plan import CloudStorage

    if not isinstance(plan.storage, CloudStorage):
        return
    found = upload_set(plan.project_root, ignore_text or "")
    session.asker.note(
        f"!`prefect deploy` will upload {found.files} files ({human_size(found.size)}) "
        "that .prefectignore lets through."
    )
    if found.sensitive:
        shown = ", ".join(found.sensitive[:5]) + (" ..." if len(found.sensitive) > 5 else "")
        session.asker.note(
            f"{len(found.sensitive)} of them look like secrets and would be uploaded to the "
            f"bucket: {shown}. Add them to .prefectignore."
        )
