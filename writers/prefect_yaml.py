"""prefect.yaml: the deployment entry flowwiz owns, a whole new file, or a splice into an old one.

An existing file is edited as TEXT, not re-dumped: the new entry (or the keys flowwiz owns in
the entry it updates) is cut into the file at positions taken from ``yaml.compose`` marks, so
every other deployment, key, comment and byte stays as it was. The result is parsed again and
compared with what was meant before anyone may write it.

Secrets appear here only as block references, and only inside pull steps: Prefect resolves
block references elsewhere in a deployment at deploy time and stores the plain value on the
server (see shared/reference/prefect.md, "Behaviours measured").
"""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from flowwiz.detectors.errors import FlowwizError, ProjectFileError, UserError
from flowwiz.detectors.secret import SecretStr
from flowwiz.detectors.yaml_document import AliasNode, Document
from flowwiz.writers import atomic, files, remote_storage
from flowwiz.writers.plan import (
    BlockStorage,
    CloudStorage,
    DeploymentPlan,
    DockerStorage,
    FsspecStorage,
    GitStorage,
    LocalStorage,
    Schedule,
    Storage,
)
from flowwiz.writers.yaml_edit import (
    Dumper,
    Edit,
    Editor,
    IndentedDumper,
    Style,
    content_end,
    dash_column,
    dump_text,
    ensure_break,
    is_block_mapping,
    is_block_sequence,
    item_content_column,
    item_text,
    line_end,
    line_start,
    same,
)
from flowwiz.writers.yaml_edit import apply as apply_text_edits

GIT_CLONE = "prefect.deployments.steps.git_clone"
SET_WORKING_DIRECTORY = "prefect.deployments.steps.set_working_directory"
BUILD_DOCKER_IMAGE = "prefect_docker.deployments.steps.build_docker_image"
PUSH_DOCKER_IMAGE = "prefect_docker.deployments.steps.push_docker_image"
# as in Prefect's docker recipe: the step's id, and the outputs later steps template on
_DOCKER_REQUIRES = "prefect-docker>=0.3.1"
_BUILD_ID = "build_image"  # the push step and the image job variable name its outputs
IMAGE_TEMPLATE = "{{ build_image.image }}"

# provider -> (push step, pull step, requirement, name of the bucket argument); Prefect's recipes
_CLOUD_STEPS: dict[str, tuple[str, str, str, str]] = {
    "s3": (
        "prefect_aws.deployments.steps.push_to_s3",
        "prefect_aws.deployments.steps.pull_from_s3",
        "prefect-aws>=0.3.4",
        "bucket",
    ),
    "gcs": (
        "prefect_gcp.deployments.steps.push_to_gcs",
        "prefect_gcp.deployments.steps.pull_from_gcs",
        "prefect-gcp>=0.4.3",
        "bucket",
    ),
    "azure": (
        "prefect_azure.deployments.steps.push_to_azure_blob_storage",
        "prefect_azure.deployments.steps.pull_from_azure_blob_storage",
        "prefect-azure[blob_storage]>=0.2.8",
        "container",
    ),
}

# the git_clone inputs flowwiz asks about; every other input of an existing step stays
_GIT_OWNED = frozenset(
    {"repository", "branch", "commit_sha", "access_token", "credentials", "include_submodules"}
)
# the step that says where the code comes from: one per pull list
_PRIMARY_PULL = frozenset(
    {GIT_CLONE, SET_WORKING_DIRECTORY, *(pull for _, pull, _, _ in _CLOUD_STEPS.values())}
)
# inputs an existing step keeps when flowwiz writes the same step kind again (ids that later
# steps template on, pinned requirements)
_KEEP_IF_PRESENT = frozenset({"id", "requires"})

# A new file holds the pull steps in the deployment and ``pull: null`` at the top level. If
# real Prefect turns out to want them at the top level too, flip this (tests cover both).
NEW_FILE_TOP_LEVEL_PULL: Literal["null", "steps"] = "null"

# an environment variable Prefect reads where the step runs (the worker): {{ $GIT_TOKEN }}
_ENV_TEMPLATE = re.compile(r"\A\{\{\s*\$[A-Za-z_][A-Za-z0-9_]*\s*\}\}\Z")
_BLOCK_TEMPLATE = re.compile(r"\A\{\{\s*prefect\.blocks\.[a-z0-9-]+\.[^{}\s]+\s*\}\}\Z")
_BLOCK_REFERENCE = re.compile(r"\{\{\s*prefect\.blocks\.")


class MergeCheckError(FlowwizError):
    """The spliced file did not parse back to what was meant: a flowwiz bug, nothing written."""

    exit_code = 1


# ---------------------------------------------------------------------------------------------
# YAML out


_Dumper = Dumper  # the layout lives in writers.yaml_edit
_IndentedDumper = IndentedDumper
_Style = Style


def dump(obj: Any) -> str:
    """YAML text in Prefect's layout; templates single-quoted, multi-line strings as ``|``."""
    return _dump(obj, Style())


def _dump(obj: Any, style: Style) -> str:
    return dump_text(_plain(obj, "value"), style)


def _plain(value: Any, where: str) -> Any:
    """Plain dicts, lists and scalars only; a SecretStr must never reach a file."""
    if isinstance(value, SecretStr):
        raise UserError(f"{where} holds a secret value; prefect.yaml may only reference a block")
    if isinstance(value, Mapping):
        return {k: _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if value is None or isinstance(value, (str, bool, int, float, date)):
        return value
    raise UserError(f"{where} cannot be written to prefect.yaml (a {type(value).__name__})")


# ---------------------------------------------------------------------------------------------
# The deployment entry


def pull_steps(storage: Storage) -> list[dict[str, Any]]:
    """The steps a worker runs before the flow: clone, change directory, or download."""
    if isinstance(storage, GitStorage):
        clone = _git_clone_inputs(storage)
        if not storage.subdirectory:
            return [{GIT_CLONE: clone}]
        # Prefect changes into the `directory` output of the last step that gives one
        # (prefect/flows.py); for a project below the repository root that is the project
        # folder of the clone (docs: "Specify a working directory ... after git_clone")
        step_id = clone["id"]
        target = "{{ " + step_id + ".directory }}/" + _subdirectory(storage.subdirectory)
        return [{GIT_CLONE: clone}, {SET_WORKING_DIRECTORY: {"directory": target}}]
    if isinstance(storage, (LocalStorage, DockerStorage)):
        if (
            not PurePosixPath(storage.directory).is_absolute()
            and not Path(storage.directory).is_absolute()
        ):
            raise UserError(f"the working directory must be an absolute path: {storage.directory}")
        return [{SET_WORKING_DIRECTORY: {"directory": storage.directory}}]
    if isinstance(storage, CloudStorage):
        return [_cloud_step(storage, "pull")]
    if isinstance(storage, (BlockStorage, FsspecStorage)):  # storage blocks and fsspec URLs
        return remote_storage.pull_steps(storage)
    raise TypeError(f"unknown storage {type(storage).__name__}")


def build_steps(storage: Storage) -> list[dict[str, Any]]:
    """Steps ``prefect deploy`` runs first on this machine: building the image for docker."""
    if not isinstance(storage, DockerStorage):
        return []
    _check_image(storage)
    return [
        {
            BUILD_DOCKER_IMAGE: {
                "id": _BUILD_ID,
                "requires": _DOCKER_REQUIRES,
                "image_name": storage.image,
                "tag": storage.tag,
                "dockerfile": storage.dockerfile,
            }
        }
    ]


def _check_image(storage: DockerStorage) -> None:
    from flowwiz.detectors.docker_image import image_problem, tag_problem

    problem = image_problem(storage.image) or tag_problem(storage.tag)
    if problem:
        raise UserError(problem)
    if not storage.dockerfile:
        raise UserError("docker storage needs a Dockerfile path, or 'auto'")


def _push_credentials(push: Any) -> str | None:
    """The docker push step's ``credentials`` reference, when it has one."""
    for name, args in _steps(push):
        if name == PUSH_DOCKER_IMAGE:
            value = args.get("credentials")
            return value if isinstance(value, str) else None
    return None


def push_steps(storage: Storage) -> list[dict[str, Any]]:
    """Steps ``prefect deploy`` runs on this machine after the build: uploading the code to
    a bucket, or pushing the image to its registry."""
    if isinstance(storage, DockerStorage):
        if not storage.push:
            return []
        return [
            {
                PUSH_DOCKER_IMAGE: {
                    "requires": _DOCKER_REQUIRES,
                    "image_name": "{{ build_image.image_name }}",
                    "tag": "{{ build_image.tag }}",
                    **({"credentials": storage.credentials} if storage.credentials else {}),
                }
            }
        ]
    if isinstance(storage, (BlockStorage, FsspecStorage)):  # flowwiz's own push step
        return remote_storage.push_steps(storage)
    if not isinstance(storage, CloudStorage):
        return []
    return [_cloud_step(storage, "push")]


def _cloud_step(storage: CloudStorage, which: Literal["push", "pull"]) -> dict[str, Any]:
    """Prefect's recipe step: ``push_to_*`` (id push_code) or ``pull_from_*`` (id pull_code)."""
    push, pull, requires, bucket_key = _cloud_steps(storage)
    inputs: dict[str, Any] = {
        "id": f"{which}_code",
        "requires": requires,
        bucket_key: storage.bucket,
        "folder": storage.folder,
    }
    if storage.credentials is not None:
        inputs["credentials"] = _block_template(storage.credentials, "credentials")
    return {push if which == "push" else pull: inputs}


def cloud_requirement(storage: CloudStorage) -> str:
    """The collection `prefect deploy` and the worker import the steps from."""
    return _cloud_steps(storage)[2]


def storage_of(entry: Mapping[str, Any], top: Mapping[str, Any] | None = None) -> Storage | None:
    """The storage a deployment uses, read back from its EFFECTIVE steps the way Prefect
    resolves them (``prefect/cli/deploy/_core.py``): the deployment's own ``pull`` unless it is
    absent or null, then the file's top-level ``pull`` (``top``: the parsed file); ``build``
    likewise. Anchors and ``<<`` merges are already resolved in the data.

    Everything flowwiz does not model in a git_clone step (``id``, ``directories``, ...) comes
    back in ``GitStorage.extra_inputs``, so writing the storage again loses nothing. None when
    no step is one flowwiz knows."""
    pull = effective_steps(entry, top, "pull")
    build = effective_steps(entry, top, "build")
    remote = remote_storage.storage_of(pull, effective_steps(entry, top, "push"))
    if remote is not None:  # a storage block or an fsspec URL
        return remote
    primary = next(((name, args) for name, args in _steps(pull) if name in _PRIMARY_PULL), None)
    if primary is None:
        return None
    name, args = primary
    if name == GIT_CLONE and isinstance(args.get("repository"), str):
        token = args.get("access_token")
        credentials = args.get("credentials")
        username = None
        if isinstance(credentials, Mapping):
            token = credentials.get("access_token", token)
            username = _text_or_none(credentials.get("username"))
            credentials = None
        return GitStorage(
            repository=args["repository"],
            branch=_text_or_none(args.get("branch")),
            commit_sha=_text_or_none(args.get("commit_sha")),
            access_token=_text_or_none(token),
            credentials=_text_or_none(credentials),
            username=username,
            include_submodules=args.get("include_submodules") is True,
            extra_inputs={k: v for k, v in args.items() if k not in _GIT_OWNED},
        )
    for provider, (_, pull_step, _, bucket_key) in _CLOUD_STEPS.items():
        if name == pull_step and isinstance(args.get(bucket_key), str):
            credentials = args.get("credentials")
            return CloudStorage(
                provider=provider,  # type: ignore[arg-type]
                bucket=args[bucket_key],
                folder=str(args.get("folder") or ""),
                credentials=credentials if isinstance(credentials, str) else None,
            )
    if name == SET_WORKING_DIRECTORY and isinstance(args.get("directory"), str):
        image = next((a for n, a in _steps(build) if n == BUILD_DOCKER_IMAGE), None)
        if image is not None:
            return DockerStorage(
                image=str(image.get("image_name") or ""),
                tag=str(image.get("tag") or "latest"),
                dockerfile=str(image.get("dockerfile") or "Dockerfile"),
                directory=args["directory"],
                push=any(
                    n == PUSH_DOCKER_IMAGE for n, _ in _steps(effective_steps(entry, top, "push"))
                ),
                credentials=_push_credentials(effective_steps(entry, top, "push")),
            )
        return LocalStorage(directory=args["directory"])
    return None


def effective_steps(
    entry: Mapping[str, Any], top: Mapping[str, Any] | None, which: str
) -> list[Any]:
    """The ``build``/``push``/``pull`` steps Prefect runs for this deployment.

    Prefect 3.9.1 (``_core.py``): ``pull`` and ``push`` fall back to the top level when the
    deployment's own list is absent, null or empty (an explicit ``pull: []`` means none);
    ``build`` falls back only when the key is absent (``build: null`` means none)."""
    top_steps = (top or {}).get(which) if isinstance(top, Mapping) else None
    own = entry.get(which, _ABSENT)
    if which == "build":
        chosen = top_steps if own is _ABSENT else own
    elif which == "pull" and own == []:
        chosen = []
    else:
        chosen = own if own not in (_ABSENT, None, []) else top_steps
    return list(chosen) if isinstance(chosen, list) else []


_ABSENT: Any = object()


def _steps(steps: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, Mapping) and len(step) == 1:
            ((name, args),) = step.items()
            yield str(name), (args if isinstance(args, Mapping) else {})


def _step_name(step: Any) -> str | None:
    if isinstance(step, Mapping) and len(step) == 1:
        return str(next(iter(step)))
    return None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def schedules_of(entry: Mapping[str, Any]) -> tuple[Schedule, ...]:
    """The schedules a deployment has: ``schedules:``, else the legacy ``schedule:`` of Prefect 2
    files, which Prefect 3.9.1 still reads as one schedule
    (``prefect/cli/deploy/_config.py: _handle_deprecated_schedule_fields``)."""
    items = entry.get("schedules")
    if not items and isinstance(entry.get("schedule"), Mapping):
        items = [entry["schedule"]]
    found = []
    for item in items if isinstance(items, list) else []:
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
                        extra={
                            k: v
                            for k, v in item.items()
                            if k not in ("cron", "interval", "rrule", "timezone", "active")
                        },
                    )
                )
                break
    return tuple(found)


def _cloud_steps(storage: CloudStorage) -> tuple[str, str, str, str]:
    if storage.provider not in _CLOUD_STEPS:
        raise UserError(f"unknown cloud storage provider: {storage.provider}")
    if not storage.bucket:
        raise UserError("cloud storage needs a bucket (or container) name")
    return _CLOUD_STEPS[storage.provider]


def _git_clone_inputs(storage: GitStorage) -> dict[str, Any]:
    _check_repository_url(storage.repository)
    if storage.branch and storage.commit_sha:
        raise UserError("git storage takes a branch or a commit SHA, not both")
    if storage.access_token and storage.credentials:
        raise UserError("git storage takes an access token or a credentials block, not both")
    if storage.username and not storage.access_token:
        raise UserError("a git username is only written together with an access token")
    inputs: dict[str, Any] = {}
    kept_id = storage.extra_inputs.get("id")
    if isinstance(kept_id, str) and kept_id:  # the step's own id: later steps template on it
        inputs["id"] = kept_id
    elif storage.clone_id or storage.subdirectory:
        inputs["id"] = _step_id(storage.clone_id or CLONE_STEP_ID)
    inputs["repository"] = storage.repository
    if storage.commit_sha:
        inputs["commit_sha"] = storage.commit_sha
    elif storage.branch:
        inputs["branch"] = storage.branch
    if storage.access_token:
        token = (
            storage.access_token
            if _ENV_TEMPLATE.match(storage.access_token)  # read on the worker, stored nowhere
            else _block_template(storage.access_token, "access_token")
        )
        if storage.username:
            inputs["credentials"] = {"username": storage.username, "access_token": token}
        else:
            inputs["access_token"] = token
    elif storage.credentials:
        inputs["credentials"] = _block_template(storage.credentials, "credentials")
    if storage.include_submodules:
        inputs["include_submodules"] = True
    if storage.directories:
        inputs["directories"] = [_subdirectory(d) for d in storage.directories]
    for key, value in storage.extra_inputs.items():
        if key not in inputs and key not in _GIT_OWNED:
            inputs[key] = value
    return inputs


# Prefect's own example id for a clone whose output a later step reads (prefect.yaml docs)
CLONE_STEP_ID = "clone-step"
# a step id must fit Prefect's placeholder pattern, for {{ <id>.directory }}
# (prefect.utilities.templating)
_STEP_ID = re.compile(r"[\w\-]+")


def _step_id(value: str) -> str:
    if not _STEP_ID.fullmatch(value):
        raise UserError(
            f"the clone step id {value!r} must be letters, digits, _ and - "
            "(it is read back as '{{ <id>.directory }}')"
        )
    return value


def _subdirectory(value: str) -> str:
    """A folder of the repository as a relative POSIX path without '.' or '..' parts."""
    path = PurePosixPath(value)
    if (
        not value
        or "\\" in value
        or path.is_absolute()
        or any(part in ("..", ".") for part in path.parts)
        or "{{" in value
        or path.as_posix() == "."
    ):
        raise UserError(f"not a folder inside the repository: {value!r}")
    return path.as_posix()


def _check_repository_url(url: str) -> None:
    if not url:
        raise UserError("git storage needs a repository URL")
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and (parts.password or parts.username):
        # the message must not repeat the URL: it holds the credentials
        raise UserError(
            "the repository URL carries credentials; prefect.yaml gets the URL without them "
            "and the token goes into a secret block"
        )


def _block_template(value: str, what: str) -> str:
    # a value that is not a block reference may be the raw token: never write it, never show it
    if not _BLOCK_TEMPLATE.match(value):
        example = "secret" if what == "access_token" else "<type>"
        also = (
            " or an environment variable like '{{ $GIT_TOKEN }}'" if what == "access_token" else ""
        )
        raise UserError(
            f"{what} must be a block reference like "
            f"'{{{{ prefect.blocks.{example}.<name> }}}}'{also}, not a literal value"
        )
    return value


def schedule_entry(schedule: Schedule) -> dict[str, Any]:
    entry: dict[str, Any]
    if schedule.kind == "interval":
        entry = {"interval": _seconds(schedule.value)}
    elif schedule.kind == "cron":
        entry = {"cron": str(schedule.value)}
    elif schedule.kind == "rrule":
        entry = {"rrule": str(schedule.value)}
    else:
        raise UserError(f"unknown schedule kind: {schedule.kind}")
    if schedule.timezone:
        entry["timezone"] = schedule.timezone
    entry["active"] = schedule.active
    entry.update(schedule.extra)
    return entry


# schedule keys that belong to one kind (Prefect 3.9.1 ``_construct_schedules``: ``day_or`` goes
# to CronSchedule, ``anchor_date`` to IntervalSchedule); the others (``parameters``, ``slug``...)
# belong to the deployment's schedule whatever its kind
_KIND_KEYS = {"day_or": "cron", "anchor_date": "interval"}


def replace_schedule(
    current: Sequence[Schedule], kind: str, value: str | int | float, timezone: str | None
) -> Schedule:
    """The schedule that replaces ``current`` (the deployment's schedules, maybe none) when
    someone gives a new ``kind``/``value``: it keeps what they did not answer from the current
    schedule of the same kind (else the first one): ``active``, and the keys flowwiz does not
    ask about, except those of another kind (``day_or`` only on a cron, ``anchor_date`` only on
    an interval). ``timezone`` None keeps the current schedule's time zone."""
    base = current_schedule(current, kind)
    if base is None:
        return Schedule(kind=kind, value=value, timezone=timezone)  # type: ignore[arg-type]
    extra = {k: v for k, v in base.extra.items() if _KIND_KEYS.get(k, kind) == kind}
    return Schedule(
        kind=kind,  # type: ignore[arg-type]
        value=value,
        timezone=base.timezone if timezone is None else timezone,
        active=base.active,
        extra=extra,
    )


def current_schedule(current: Sequence[Schedule], kind: str) -> Schedule | None:
    """The schedule whose answers seed a new ``kind`` schedule: the first of that kind, else
    the first one (its time zone), else None."""
    return next((s for s in current if s.kind == kind), current[0] if current else None)


def _seconds(value: str | int) -> int | float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if isinstance(value, bool) or not 0 < seconds < float("inf"):
        raise UserError(f"an interval is a positive number of seconds, not {value!r}")
    return int(seconds) if seconds.is_integer() else seconds


def deployment_entry(plan: DeploymentPlan) -> dict[str, Any]:
    """The deployment as flowwiz writes it, keys in the order Prefect writes them."""
    entry: dict[str, Any] = {
        "name": plan.name,
        "tags": list(plan.tags),
        "description": plan.description,
        "entrypoint": plan.entrypoint,
        "parameters": _plain(plan.parameters, "parameters"),
        "work_pool": {
            "name": plan.work_pool,
            "work_queue_name": plan.work_queue,
            "job_variables": _plain(plan.job_variables, "job_variables"),
        },
        "schedules": [schedule_entry(s) for s in plan.schedules],
    }
    _refuse_block_references(entry)
    if isinstance(plan.storage, DockerStorage):
        image = entry["work_pool"]["job_variables"].get("image")
        if image not in (None, IMAGE_TEMPLATE):
            raise UserError(
                "docker storage sets the image job variable to the image it builds: "
                f"drop the job variable image={image}"
            )
        entry["work_pool"]["job_variables"]["image"] = IMAGE_TEMPLATE
    # a deployment's own build/push override the file's; the top level stays untouched
    build = build_steps(plan.storage)
    if build:
        entry["build"] = build
    push = push_steps(plan.storage)
    if push:
        entry["push"] = push
    entry["pull"] = pull_steps(plan.storage)
    return entry


# the step lists flowwiz writes only for some storages: when an update moves a deployment to a
# storage without them, they are set to null (so the file's top-level ones do not apply either),
# but only if they hold nothing but steps flowwiz writes: someone's own steps stay
_OPTIONAL_STEPS = ("build", "push")
_STORAGE_STEPS = frozenset(
    {
        BUILD_DOCKER_IMAGE,
        PUSH_DOCKER_IMAGE,
        *(push for push, _, _, _ in _CLOUD_STEPS.values()),
        *remote_storage.PUSH_STEPS,
    }
)


def _only_storage_steps(steps: Any) -> bool:
    return (
        isinstance(steps, list)
        and bool(steps)
        and all(
            isinstance(step, Mapping) and len(step) == 1 and next(iter(step)) in _STORAGE_STEPS
            for step in steps
        )
    )


def _clear_stale_steps(
    wanted: dict[str, Any], old: Mapping[str, Any], fresh: Mapping[str, Any]
) -> dict[str, Any]:
    """A storage change: the old storage's build/push lists (only flowwiz's steps) become null,
    so neither they nor the file's top-level ones apply; someone's own steps stay."""
    stale = [k for k in _OPTIONAL_STEPS if k not in fresh and _only_storage_steps(old.get(k))]
    for key in stale:
        wanted[key] = None
    pool = wanted.get("work_pool")
    if "build" in stale and isinstance(pool, Mapping):
        job_variables = pool.get("job_variables")
        if isinstance(job_variables, Mapping) and job_variables.get("image") == IMAGE_TEMPLATE:
            # the build step that image named is going; the job variable would name nothing
            wanted["work_pool"] = {
                **pool,
                "job_variables": {k: v for k, v in job_variables.items() if k != "image"},
            }
    return wanted


def _refuse_block_references(entry: Mapping[str, Any]) -> None:
    for where, text in _strings(entry, ""):
        if _BLOCK_REFERENCE.search(text):
            raise UserError(
                f"{where} references a block: Prefect resolves block references in "
                "parameters/job variables at deploy time and stores the plain secret on the "
                "server; reference the secret in a pull step instead"
            )


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            yield from _strings(key, path)
            yield from _strings(item, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{where}[{i}]")


# ---------------------------------------------------------------------------------------------
# A new file


def new_document(
    plan: DeploymentPlan, *, top_level_pull: Literal["null", "steps"] | None = None
) -> str:
    entry = deployment_entry(plan)
    top: dict[str, Any] = {"name": plan.project_name}
    if plan.prefect_version:
        top["prefect-version"] = plan.prefect_version
    mode = top_level_pull or NEW_FILE_TOP_LEVEL_PULL
    top.update(
        {
            "build": None,
            "push": None,
            "pull": entry["pull"] if mode == "steps" else None,
            "deployments": [entry],
        }
    )
    return _header(plan.name) + dump(top)


def _header(name: str) -> str:
    import shlex

    safe = shlex.quote(" ".join(name.split()))  # a comment must stay on one line
    return (
        "# Written by flowwiz. Deploy with:\n"
        f"#   prefect deploy -n {safe}      (or: prefect deploy --all)\n"
        "# Re-running flowwiz changes only the deployment it edits; comments stay.\n"
    )


# ---------------------------------------------------------------------------------------------
# Rendering: new file or splice


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str  # the whole new file
    action: Literal["created", "added", "updated"]
    entry_text: str  # the YAML of the deployment entry as written (LF line endings)
    diff: str  # unified diff old -> new ("" for created; LF line endings)
    base_text: str | None = None  # the file's text this was rendered onto (None: no file)
    entry: Mapping[str, Any] | None = None  # the deployment as written (data)
    previous: Mapping[str, Any] | None = None  # the deployment before (None when added)


FlowOf = Callable[[str], "str | None"]  # entrypoint -> the flow name Prefect gives it


def find_entry(
    deployments: list[Any], name: str, flow_name: str, entrypoint: str, flow_of: FlowOf | None
) -> int | None:
    """The index of the deployment ``flow_name/name``, as Prefect identifies a deployment
    (flow name and deployment name; two flows may each have ``default``).

    A deployment's name is compared as text (``name: 123`` is ``--name 123``). An entry of the
    same name is the same deployment when its entrypoint is the same, or when ``flow_of``
    says its entrypoint's flow is ``flow_name`` (the flow moved to another file) or finds no
    flow there (the file or function is gone: the entry can only be this one, moved). Without
    ``flow_of`` the name alone decides (the wizard always passes it). Raises UserError when
    two entries match."""
    found = []
    for i, item in enumerate(deployments):
        if not isinstance(item, (dict, Mapping)) or item.get("name") is None:
            continue
        if str(item["name"]) != name:
            continue
        other = item.get("entrypoint")
        if flow_of is None or other is None or other == entrypoint:
            found.append(i)
        elif isinstance(other, str) and flow_of(other) in (flow_name, None):
            # its flow is this one (moved to another file), or its file/function is gone:
            # Prefect could not deploy it any more, so it is this deployment, moved
            found.append(i)
    if len(found) > 1:
        raise UserError(
            f"prefect.yaml has more than one deployment named {name!r} of flow {flow_name!r}; "
            "rename or remove the extra ones first"
        )
    return found[0] if found else None


def render(
    plan: DeploymentPlan,
    existing: str | Document | None,
    *,
    flow_of: FlowOf | None = None,
) -> Rendered:
    """The new prefect.yaml text for ``plan``; pure, nothing is written.

    ``existing``: the file's text (or its parsed Document, so it is parsed once per run), None
    when there is no file. Raises UserError for what flowwiz will not edit, ProjectFileError
    for a file that does not parse, MergeCheckError when the result does not read back."""
    filename = plan.prefect_yaml.name or "prefect.yaml"
    text = existing.text if isinstance(existing, Document) else existing
    if text is None or not text.strip():
        new_text = new_document(plan)
        diff = "" if text is None else _diff(text, new_text, filename)
        entry = deployment_entry(plan)
        return Rendered(new_text, "created", dump([entry]), diff, text, entry, None)
    doc = (
        existing if isinstance(existing, Document) else Document.parse(text, filename, shallow=True)
    )
    if doc.root is not None and not isinstance(doc.data, dict):
        raise ProjectFileError(f"{filename}: the top level must be a mapping of keys")
    if isinstance(doc.root, yaml.MappingNode) and doc.root.flow_style:
        raise UserError(
            f"{filename} is written as one flow mapping {{...}}; flowwiz edits block-style "
            "files only"
        )
    _refuse_open_ending(doc)
    deployments = doc.deployments()
    index = find_entry(deployments, plan.name, plan.flow_name, plan.entrypoint, flow_of)
    if index is not None:
        doc.materialize(index)  # after a shallow parse: its node and data are built now
    old = deployments[index] if index is not None else None
    top = doc.data if isinstance(doc.data, Mapping) else {}
    entry = desired_entry(plan, old, top)
    new_text, action, index = _splice(doc, entry, index)
    entry_text = _verify(doc, new_text, index, entry)
    return Rendered(new_text, action, entry_text, _diff(text, new_text, filename), text, entry, old)


# -- the entry wanted ---------------------------------------------------------------------------

# where a key flowwiz adds goes: after the nearest earlier one of these present
_KEY_ORDER = (
    "name",
    "version",
    "tags",
    "description",
    "entrypoint",
    "parameters",
    "work_pool",
    "schedules",
    "schedule",
    "build",
    "push",
    "pull",
)


def desired_entry(
    plan: DeploymentPlan, old: Mapping[str, Any] | None, top: Mapping[str, Any]
) -> dict[str, Any]:
    """The whole deployment as it should read after this run.

    A new deployment is flowwiz's entry, except that steps it would inherit anyway from the
    top level are not repeated. An existing one keeps every key flowwiz does not ask about;
    of the keys it asks about only the changed ones change; in its steps only the inputs it
    asks about (see :func:`merge_steps`); the legacy ``schedule:`` key stays the key used."""
    fresh = deployment_entry(plan)
    if old is None:
        wanted = {k: v for k, v in fresh.items() if k not in ("build", "push", "pull")}
        base: Mapping[str, Any] = {}
    else:
        wanted = dict(old)
        base = old
        if str(old.get("name")) == plan.name:
            fresh["name"] = old.get("name")  # `name: 123` stays an int
        for key in ("name", "tags", "description", "entrypoint", "parameters"):
            if key not in old and _prefect_default(key, fresh[key]):
                continue  # not there and nothing to say: Prefect's default stays implicit
            wanted[key] = fresh[key]
        wanted["work_pool"] = _work_pool(old.get("work_pool"), fresh["work_pool"])
        _schedules(wanted, old, fresh["schedules"])
    for which in ("build", "push", "pull"):
        _steps_wanted(wanted, base, top, which, fresh.get(which))
    if old is not None:
        wanted = _clear_stale_steps(wanted, old, fresh)
    if not plan.inherit_build and "build" not in wanted and effective_steps(wanted, top, "build"):
        wanted["build"] = None
    elif plan.inherit_build and old is not None and "build" in old and old["build"] in (None, []):
        if "build" not in fresh and effective_steps({}, top, "build"):
            del wanted["build"]  # inherit the top-level build again
    return _ordered(wanted, old)


def _ordered(wanted: dict[str, Any], old: Mapping[str, Any] | None) -> dict[str, Any]:
    """Keys of the old entry in their order; added keys where Prefect writes them."""
    if old is not None:
        kept = [k for k in old if k in wanted]
        added = [k for k in wanted if k not in old]
    else:
        kept, added = [], list(wanted)
    order = kept[:]
    for key in sorted(added, key=lambda k: _KEY_ORDER.index(k) if k in _KEY_ORDER else 99):
        rank = _KEY_ORDER.index(key) if key in _KEY_ORDER else 99
        at = len(order)
        for i, present in enumerate(order):
            if present in _KEY_ORDER and _KEY_ORDER.index(present) > rank:
                at = i
                break
        order.insert(at, key)
    return {k: wanted[k] for k in order}


def _work_pool(old: Any, fresh: Mapping[str, Any]) -> dict[str, Any]:
    pool = dict(old) if isinstance(old, Mapping) else {}
    for key, value in fresh.items():  # other keys of the work pool stay
        if key in pool or not _prefect_default(key, value):
            pool[key] = value
    return pool


def _prefect_default(key: str, value: Any) -> bool:
    """Whether ``value`` is what Prefect uses when a deployment has no ``key`` at all (an
    empty value; the queue ``default``: ``prefect deploy`` sends no queue and the server picks
    the pool's default queue), so an update need not add the key."""
    return value in (None, "", [], {}) or (key == "work_queue_name" and value == "default")


def _schedules(wanted: dict[str, Any], old: Mapping[str, Any], fresh: list[Any]) -> None:
    if [schedule_entry(s) for s in schedules_of(old)] == fresh:
        return  # unchanged: the old text (and any key flowwiz does not model) stays
    legacy = "schedule" in old and "schedules" not in old
    if legacy and len(fresh) <= 1:
        wanted["schedule"] = fresh[0] if fresh else None  # the key the entry uses
        return
    wanted.pop("schedule", None)  # never both: Prefect refuses the file
    wanted["schedules"] = fresh


def _steps_wanted(
    wanted: dict[str, Any],
    old: Mapping[str, Any],
    top: Mapping[str, Any],
    which: str,
    fresh: list[Any] | None,
) -> None:
    """Put flowwiz's steps for ``which`` into ``wanted``: edited in place in the list the
    deployment has now (its own, else the top level's). A list equal to the one inherited is
    not written; an own list stays the deployment's own."""
    if not fresh:
        return
    own = old.get(which, _ABSENT)
    if isinstance(own, list) and own:
        wanted[which] = merge_steps(own, fresh)
        return
    explicit_none = which == "pull" and isinstance(own, list)  # `pull: []`: none at all
    inherited = [] if explicit_none else effective_steps({}, top, which)
    merged = merge_steps(inherited, fresh)
    if inherited and same(merged, inherited) and (own is _ABSENT or own is None):
        return  # the top level already does exactly this
    wanted[which] = merged


def merge_steps(old: list[Any], fresh: list[dict[str, Any]]) -> list[Any]:
    """``old`` steps with flowwiz's ``fresh`` ones edited in.

    Each fresh step replaces the inputs flowwiz asks about in the first old step of the same
    kind (other inputs, e.g. ``id``, ``directories``, stay, in order); when the kind of storage
    changed, the fresh steps take the place of the old storage step. Every other step stays
    where it is (e.g. ``pip_install_requirements`` using ``{{ clone-step.directory }}``)."""
    result = list(old)
    used: set[int] = set()
    last = -1
    for step in fresh:
        name = _step_name(step)
        match = next(
            (i for i, s in enumerate(result) if i not in used and _step_name(s) == name), None
        )
        if match is None and name in _PRIMARY_PULL:
            match = next(
                (
                    i
                    for i, s in enumerate(result)
                    if i not in used
                    and _step_name(s) in _PRIMARY_PULL
                    and _step_name(s) != name
                    and not _follows_clone(result, i)
                ),
                None,
            )
            if match is not None:
                gone = result[match]
                result[match] = step
                used.add(match)
                last = match
                result, used, last = _drop_clone_followers(result, gone, used, last)
                continue
        if match is None:
            result.insert(last + 1, step)
            used = {i + 1 if i > last else i for i in used}
            last += 1
            used.add(last)
            continue
        result[match] = {name: _merge_inputs(result[match][name], step[name])}
        used.add(match)
        last = match
    return result


def _drop_clone_followers(
    steps: list[Any], gone: Any, used: set[int], last: int
) -> tuple[list[Any], set[int], int]:
    """A git_clone replaced by another storage takes its working-directory step along (the
    one that moves into ``{{ <clone id>.directory }}``: it would name a step that is gone)."""
    if _step_name(gone) != GIT_CLONE or not isinstance(gone[GIT_CLONE], Mapping):
        return steps, used, last
    clone_id = gone[GIT_CLONE].get("id")
    if not isinstance(clone_id, str):
        return steps, used, last
    pattern = re.compile(r"\{\{\s*" + re.escape(clone_id) + r"\.directory\s*\}\}")
    kept, new_used, new_last = [], set(), last
    for i, step in enumerate(steps):
        args = (
            step.get(SET_WORKING_DIRECTORY) if _step_name(step) == SET_WORKING_DIRECTORY else None
        )
        if isinstance(args, Mapping) and pattern.search(str(args.get("directory", ""))):
            if i < last:
                new_last -= 1
            continue
        if i in used:
            new_used.add(len(kept))
        kept.append(step)
    return kept, new_used, new_last


def _follows_clone(steps: list[Any], index: int) -> bool:
    """A set_working_directory after a git_clone moves into the clone: part of git storage."""
    return _step_name(steps[index]) == SET_WORKING_DIRECTORY and any(
        _step_name(s) == GIT_CLONE for s in steps[:index]
    )


def _merge_inputs(old: Any, fresh: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(old, Mapping):
        return dict(fresh)
    owned = set(fresh) | (_GIT_OWNED if "repository" in fresh else set())
    merged: dict[str, Any] = {}
    for key, value in old.items():
        if key in _KEEP_IF_PRESENT:
            merged[key] = value
        elif key in fresh:
            merged[key] = fresh[key]
        elif key not in owned:
            merged[key] = value
    for key, value in fresh.items():
        if key not in merged:
            merged[key] = value
    return merged


def read_existing(path: Path) -> str | None:
    """The file's text exactly as stored (CRLF kept, unlike ``Path.read_text``); None if absent.

    Only a regular file is read (a symlink is followed to one): a FIFO, a device or a
    directory is refused with one line before it is opened, so nothing can hang on it."""
    return files.read_text(path)


def write_atomic(path: Path, text: str) -> None:
    """Temp file in the same directory, fsync, rename, fsync the directory; owner and mode
    kept."""
    atomic.write_atomic(path, text)


def _refuse_open_ending(doc: Document) -> None:
    """A file whose last block scalar (``|``) runs to the end without a line break: any text
    after it would add that break to the value, so the file cannot be extended unchanged."""
    if doc.text.endswith("\n") or doc.text.endswith("\r"):
        return
    last = _last_scalar(doc.root)
    if last is None or last.style not in ("|", ">"):
        return
    raise UserError(
        f"{doc.filename} ends inside a multi-line value without a final line break; add a line "
        "break at the end of the file and run flowwiz again"
    )


def _last_scalar(node: yaml.Node | None) -> yaml.ScalarNode | None:
    while node is not None and not isinstance(node, yaml.ScalarNode):
        if isinstance(node, yaml.MappingNode):
            node = node.value[-1][1] if node.value else None
        elif isinstance(node, yaml.SequenceNode):
            node = node.value[-1] if node.value else None
        else:
            return None
    return node


# ---------------------------------------------------------------------------------------------
# Splicing


def _splice(
    doc: Document, entry: dict[str, Any], index: int | None
) -> tuple[str, Literal["added", "updated"], int]:
    """The new text, whether the entry was added or updated, and its index in the list."""
    deployments = doc.deployments()
    style = _detect_style(doc)
    pair = doc.top_pair("deployments")
    what = f"deployment {str(entry.get('name'))!r}"
    editor = Editor(doc, style, what)
    if pair is None:
        edits = [_add_deployments_key(doc, entry, style)]
    elif isinstance(pair[1], yaml.SequenceNode) and not pair[1].flow_style:
        if index is None:
            edits = [_append_item(doc, pair[1], entry, style)]
        else:
            node = pair[1].value[index]
            if isinstance(node, AliasNode):
                raise UserError(
                    f"{what} in {doc.filename} is an alias (*{node.value}); flowwiz will not "
                    "edit it"
                )
            editor.item(node, deployments[index], entry, order=_KEY_ORDER)
            edits = editor.edits
    elif isinstance(pair[1], AliasNode):
        raise UserError(f"{doc.filename}: `deployments` is an alias; flowwiz will not edit it")
    else:  # null, [] or a flow-style list: rewrite just that value, in block style
        items = list(deployments)
        if index is None:
            items.append(entry)
        else:
            items[index] = entry
        edits = [_replace_value_with_block(doc, pair[0], pair[1], items, style)]
    text = _apply(doc.text, edits, doc.newline)
    if index is None:
        return text, "added", len(deployments)
    return text, "updated", index


def _apply(text: str, edits: list[Edit], newline: str) -> str:
    return apply_text_edits(text, edits, newline)


# -- layout of what is already there --------------------------------------------------------------


def _detect_style(doc: Document) -> Style:
    """The file's own mapping indent and list style, so new lines look like their neighbours.

    Looks at the deployments list's first items and the top level only: enough to decide,
    and bounded on a file of thousands of deployments."""
    indent, indented_lists = None, None
    pair = doc.top_pair("deployments")
    if pair is not None and is_block_sequence(pair[1]) and pair[1].value:
        indented_lists = dash_column(doc.text, pair[1]) > pair[0].start_mark.column
    nearest: list[yaml.Node] = []
    if pair is not None and isinstance(pair[1], yaml.SequenceNode):
        nearest = list(pair[1].value[:3])
    if doc.root is not None:
        nearest.append(doc.root)
    for key, value in _block_pairs(nearest, limit=400):
        if indent is None and is_block_mapping(value) and value.value:
            child = value.value[0][0]
            if child.start_mark.line > key.start_mark.line:
                indent = child.start_mark.column - key.start_mark.column
        if indented_lists is None and is_block_sequence(value) and value.value:
            indented_lists = dash_column(doc.text, value) > key.start_mark.column
        if indent is not None and indented_lists is not None:
            break
    if indent is None or not 1 < indent < 10:
        indent = 2
    return Style(indent=indent, indent_sequences=bool(indented_lists))


def _block_pairs(nodes: list[yaml.Node], limit: int) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    """Key/value pairs of the block mappings under ``nodes``, outermost first, at most
    ``limit`` nodes looked at."""
    queue = deque(nodes)
    looked = 0
    while queue and looked < limit:
        current = queue.popleft()
        looked += 1
        if isinstance(current, AliasNode):
            continue
        if is_block_mapping(current):
            for key, value in current.value:
                yield key, value
                queue.append(value)
        elif is_block_sequence(current):
            queue.extend(current.value)


# -- the edits ---------------------------------------------------------------------------------


def _add_deployments_key(doc: Document, entry: dict[str, Any], style: Style) -> Edit:
    """No ``deployments`` yet: a new block at the end (before a ``...`` end marker, if any)."""
    text = doc.text
    column = 0
    at = len(text)
    if isinstance(doc.root, yaml.MappingNode) and doc.root.value:
        column = int(doc.root.value[0][0].start_mark.column)
        after = line_end(text, content_end(doc.root, text))
        if not _only_comments(text[after:]):
            at = after
    block = " " * column + "deployments:\n" + _list_text([entry], column, style)
    return at, at, ensure_break(text, at, block)


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def _list_text(items: list[Any], key_column: int, style: Style) -> str:
    dash = key_column + (style.indent if style.indent_sequences else 0)
    return "".join(item_text(_plain(item, "value"), dash, dash + 2, style) for item in items)


def _append_item(
    doc: Document, sequence: yaml.SequenceNode, entry: dict[str, Any], style: Style
) -> Edit:
    text = doc.text
    dash = dash_column(text, sequence)
    content = item_content_column(text, sequence, dash)
    at = line_end(text, content_end(sequence, text))
    return at, at, ensure_break(text, at, item_text(_plain(entry, "value"), dash, content, style))


def _replace_value_with_block(
    doc: Document, key: yaml.Node, value: yaml.Node, items: list[Any], style: Style
) -> Edit:
    """``deployments:`` / ``null`` / ``[...]`` becomes a block list below the key's line.

    A comment after the old value stays on the key's line.
    """
    text = doc.text
    start, end = int(value.start_mark.index), int(value.end_mark.index)
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    end_of_line = line_end(text, end)
    rest = text[end:end_of_line]
    if not rest.strip():
        rest = "" if start == 0 or text[start - 1] == "\n" else "\n"
    elif not rest.endswith("\n"):
        rest += "\n"
    block = _list_text(items, int(key.start_mark.column), style)
    return start, end_of_line, rest.replace("\r\n", "\n") + block


# ---------------------------------------------------------------------------------------------
# Checking the result

# above this many deployments, the result is checked on a reduced copy of the file (the top
# level, the edited entry and its next neighbour) instead of a full second parse: the text of
# every other entry is the same bytes at the same place, which the check proves
_FULL_CHECK_UP_TO = 64


def _verify(doc: Document, text: str, index: int, entry: dict[str, Any]) -> str:
    """Parse the new text; return the entry's text if everything is as meant, else refuse."""
    expected = list(doc.deployments())
    if index == len(expected):
        expected.append(entry)
    else:
        expected[index] = entry
    old_data: dict[str, Any] = doc.data or {}
    reduced = _reduce(doc, text, index)
    if reduced is not None:
        old_text, new_text, keep = reduced
        try:
            new_doc = Document.parse(new_text, doc.filename)
            old_small = Document.parse(old_text, doc.filename)
        except FlowwizError:
            raise _check_failed(doc, "it no longer parses") from None
        expected = [
            entry if i == index else item
            for i, item in zip(keep, old_small.deployments() + [None], strict=False)
        ]
        old_data = old_small.data or {}
        new_index = keep.index(index)
    else:
        try:
            new_doc = Document.parse(text, doc.filename)
        except FlowwizError:
            raise _check_failed(doc, "it no longer parses") from None
        new_index = index
    new_data = new_doc.data
    if not isinstance(new_data, dict):
        raise _check_failed(doc, "the top level changed")
    old_top = [(k, v) for k, v in old_data.items() if k != "deployments"]
    new_top = [(k, v) for k, v in new_data.items() if k != "deployments"]
    if old_top != new_top:
        raise _check_failed(doc, "a top-level key changed")
    actual = new_data.get("deployments")
    if not isinstance(actual, list) or len(actual) != len(expected):
        raise _check_failed(doc, "the list of deployments changed")
    for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
        if not same(_plain_data(want), got):
            what = "the edited deployment" if i == new_index else "another deployment"
            raise _check_failed(doc, f"{what} did not come out as meant")
    return _entry_text(new_doc, new_index)


def _plain_data(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_data(v) for v in value]
    return value


def _reduce(doc: Document, new_text: str, index: int) -> tuple[str, str, list[int]] | None:
    """For a long list: the old and new text without the entries the edit cannot reach.

    Kept: everything outside the list, the entries before ``index`` that define an anchor,
    the edited entry and the one after it (a broken edit would swallow or reshape it). The
    edit changed only bytes inside the edited entry (or appended after the last one), so the
    entries dropped are the same bytes in both texts."""
    pair = doc.top_pair("deployments")
    if pair is None or not is_block_sequence(pair[1]):
        return None
    items = pair[1].value
    if len(items) <= _FULL_CHECK_UP_TO:
        return None
    text = doc.text
    spans = _Spans(text, items)
    # the entries must tile the list (comments between them belong to the next one)
    holding = set()  # the entries that hold an anchor an alias uses
    for i in range(len(items)) if doc.shared else ():
        a, b = spans[i]
        if any(a <= s < b for s, _, _ in doc.shared):
            holding.add(i)
    keep = sorted(holding | {i for i in (index, index + 1) if i < len(items)})
    if any(s >= spans[-1][1] for s, _, _ in doc.shared):
        return None
    delta = len(new_text) - len(text)
    list_end = spans[-1][1]
    # the edit lies in the edited entry (or right after the last one): the bytes before it
    # are the same, the bytes after it are shifted by delta
    edited_start = spans[index][0] if index < len(items) else list_end
    edited_end = spans[index][1] if index < len(items) else list_end
    if new_text[:edited_start] != text[:edited_start]:
        return None
    if new_text[edited_end + delta :] != text[edited_end:]:
        return None

    def cut(source: str, shift_from: int, shift: int) -> str:
        pieces = [source[: spans[0][0]]]
        for i in keep:
            a, b = spans[i]
            if i == index:
                b += shift
            elif a >= shift_from:
                a, b = a + shift, b + shift
            pieces.append(source[a:b])
        if index == len(items):
            pieces.append(source[list_end : list_end + shift])
        pieces.append(source[list_end + (shift if list_end >= shift_from else 0) :])
        return "".join(pieces)

    old_cut = cut(text, len(text) + 1, 0)
    new_cut = cut(new_text, edited_end, delta)
    return old_cut, new_cut, keep + ([index] if index == len(items) else [])


class _Spans:
    """``spans[i]``: where entry ``i`` of the list lies, from the start of its line (or the
    end of the entry before: comments between entries belong to the next) to the end of the
    line of its last content. Worked out only for the entries asked about."""

    def __init__(self, text: str, items: list[yaml.Node]) -> None:
        self.text, self.items = text, items

    def _end(self, i: int) -> int:
        return line_end(self.text, content_end(self.items[i], self.text))

    def __getitem__(self, i: int) -> tuple[int, int]:
        if i < 0:
            i += len(self.items)
        start = (
            line_start(self.text, self.items[0].start_mark.index) if i == 0 else self._end(i - 1)
        )
        return start, self._end(i)


def _check_failed(doc: Document, reason: str) -> MergeCheckError:
    return MergeCheckError(
        f"internal error: the edited {doc.filename} did not check out ({reason}); nothing was "
        "written — please report this with a copy of the file"
    )


def _entry_text(doc: Document, index: int) -> str:
    pair = doc.top_pair("deployments")
    assert pair is not None and isinstance(pair[1], yaml.SequenceNode)
    item = pair[1].value[index]
    start = line_start(doc.text, item.start_mark.index)
    end = line_end(doc.text, content_end(item, doc.text))
    return doc.text[start:end].replace("\r\n", "\n")


def _diff(old: str, new: str, filename: str) -> str:
    """Unified diff, like git's. Only the lines between the common head and tail are handed
    to difflib (its matcher is slow on long files of similar lines); hunks are renumbered."""
    old, new = old.replace("\r\n", "\n"), new.replace("\r\n", "\n")
    skipped = 0
    if not any(c in old or c in new for c in _OTHER_BREAKS):
        old, new, skipped = _around_change(old, new)
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    head = 0
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < len(a) - head and tail < len(b) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    start = max(0, head - 3) + skipped
    lines = difflib.unified_diff(
        a[start - skipped : len(a) - max(0, tail - 3)],
        b[start - skipped : len(b) - max(0, tail - 3)],
        fromfile=f"a/{filename}",
        tofile=f"b/{filename}",
    )
    out = []
    for line in lines:
        if start and line.startswith("@@ "):
            line = _HUNK.sub(lambda m: _shift(m, start), line)
        # like git: a last line without a line break gets a marker instead of running on
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# line breaks `str.splitlines` knows besides LF (CRLF is made LF first)
_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _around_change(old: str, new: str) -> tuple[str, str, int]:
    """The lines of ``old`` and ``new`` from 4 lines before their first difference to 4 lines
    after their last, and how many lines come before: what the diff needs, found by comparing
    characters (C speed; splitting 100,000 lines and comparing them one by one is not)."""
    first = old.rfind("\n", 0, _common_head(old, new)) + 1  # the first line that differs
    h = first
    for _ in range(4):
        if h > 0:
            h = old.rfind("\n", 0, h - 1) + 1
    # the common tail, not reaching back into the lines before the first difference
    k = min(_common_tail(old, new), len(old) - first, len(new) - first)
    e = old.find("\n", len(old) - k)
    if e < 0:
        e = len(old)
    else:
        for _ in range(5):
            found = old.find("\n", e)
            e = found + 1 if found >= 0 else len(old)
    shift = len(new) - len(old)
    return old[h:e], new[h : e + shift], old.count("\n", 0, h)


def _common_head(a: str, b: str) -> int:
    """How many characters ``a`` and ``b`` have in common at the start (binary search over
    slice comparisons: memcmp speed)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[low:mid] == b[low:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _common_tail(a: str, b: str) -> int:
    """How many characters ``a`` and ``b`` have in common at the end."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[len(a) - mid : len(a) - low] == b[len(b) - mid : len(b) - low]:
            low = mid
        else:
            high = mid - 1
    return low


_HUNK = re.compile(r"([-+])(\d+)")


def _shift(match: re.Match[str], by: int) -> str:
    number = int(match.group(2))
    return f"{match.group(1)}{number + by if number else number}"
