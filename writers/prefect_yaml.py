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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeGuard
from urllib.parse import urlsplit

import yaml

from flowwiz.detectors.errors import FlowwizError, ProjectFileError, UserError, WorldError
from flowwiz.detectors.secret import SecretStr
from flowwiz.writers import atomic, remote_storage
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


class _Dumper(yaml.SafeDumper):
    """Prefect's own layout: block style, keys in insertion order, sequences not indented."""

    indent_sequences = False

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, indentless and not self.indent_sequences)


class _IndentedDumper(_Dumper):
    """For files whose lists are indented under their key (``key:\\n  - item``)."""

    indent_sequences = True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # unquoted, "{{" opens a YAML flow mapping: templates are always single-quoted
    if "{{" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_str(data)


for _cls in (_Dumper, _IndentedDumper):
    # add_representer on a subclass copies the table: PyYAML's globals stay untouched
    _cls.add_representer(str, _represent_str)


def dump(obj: Any) -> str:
    """YAML text in Prefect's layout; templates single-quoted, multi-line strings as ``|``."""
    return _dump(obj, _Style())


@dataclass(frozen=True, slots=True)
class _Style:
    indent: int = 2
    indent_sequences: bool = False


def _dump(obj: Any, style: _Style) -> str:
    dumper = _IndentedDumper if style.indent_sequences else _Dumper
    text: str = yaml.dump(
        _plain(obj, "value"),
        Dumper=dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        indent=style.indent,
        width=1_000_000,  # never fold a long line: a template must stay on one line
    )
    return text


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
    step = _only_step(push)
    if step is None or step[0] != PUSH_DOCKER_IMAGE or not isinstance(step[1], Mapping):
        return None
    value = step[1].get("credentials")
    return value if isinstance(value, str) else None


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


def storage_of(entry: Mapping[str, Any]) -> Storage | None:
    """The storage an existing deployment entry uses, read back from the steps flowwiz (or
    Prefect's wizard) writes; None when its steps are something else (or none of its own)."""
    remote = remote_storage.storage_of(entry.get("pull"), entry.get("push"))
    if remote is not None:  # a storage block or an fsspec URL
        return remote
    pull = _only_step(entry.get("pull"))
    build = _only_step(entry.get("build"))
    if pull is None:
        return None
    name, args = pull
    if name == GIT_CLONE and isinstance(args.get("repository"), str):
        return GitStorage(repository=args["repository"], branch=_text_or_none(args.get("branch")))
    for provider, (_, pull_step, _, bucket_key) in _CLOUD_STEPS.items():
        if name == pull_step and isinstance(args.get(bucket_key), str):
            credentials = args.get("credentials")
            return CloudStorage(
                provider=provider,
                bucket=args[bucket_key],
                folder=str(args.get("folder") or ""),
                credentials=credentials if isinstance(credentials, str) else None,
            )
    if name == SET_WORKING_DIRECTORY and isinstance(args.get("directory"), str):
        if build is not None and build[0] == BUILD_DOCKER_IMAGE:
            image = build[1]
            return DockerStorage(
                image=str(image.get("image_name") or ""),
                tag=str(image.get("tag") or "latest"),
                dockerfile=str(image.get("dockerfile") or "Dockerfile"),
                directory=args["directory"],
                push=_only_step(entry.get("push")) is not None,
                credentials=_push_credentials(entry.get("push")),
            )
        return LocalStorage(directory=args["directory"])
    return None


def _only_step(steps: Any) -> tuple[str, Mapping[str, Any]] | None:
    if not isinstance(steps, list) or len(steps) != 1 or not isinstance(steps[0], Mapping):
        return None
    if len(steps[0]) != 1:
        return None
    ((name, args),) = steps[0].items()
    return (str(name), args) if isinstance(args, Mapping) else None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


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
    if storage.clone_id or storage.subdirectory:
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
    return entry


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


def _clear_stale_steps(entry: dict[str, Any], old: Any) -> dict[str, Any]:
    if not isinstance(old, Mapping):
        return entry
    stale = {k: None for k in _OPTIONAL_STEPS if k not in entry and _only_storage_steps(old.get(k))}
    if not stale:
        return entry
    job_variables = entry["work_pool"]["job_variables"]
    if "build" in stale and job_variables.get("image") == IMAGE_TEMPLATE:
        # the build step that image named is going; the job variable would name nothing
        entry = {
            **entry,
            "work_pool": {
                **entry["work_pool"],
                "job_variables": {k: v for k, v in job_variables.items() if k != "image"},
            },
        }
    cleared: dict[str, Any] = {}
    for key, value in entry.items():
        if key == "pull":
            cleared.update(stale)
        cleared[key] = value
    return cleared


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
    safe = " ".join(name.split())  # a comment must stay on one line
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


def render(plan: DeploymentPlan, existing_text: str | None) -> Rendered:
    """The new prefect.yaml text for ``plan``; pure, nothing is written."""
    filename = plan.prefect_yaml.name or "prefect.yaml"
    if existing_text is None or not existing_text.strip():
        text = new_document(plan)
        diff = "" if existing_text is None else _diff(existing_text, text, filename)
        return Rendered(text, "created", dump([deployment_entry(plan)]), diff)
    entry = deployment_entry(plan)
    doc = _Document.parse(existing_text, filename)
    _refuse_open_ending(doc)
    old = next(
        (d for d in _deployment_list(doc) if isinstance(d, dict) and d.get("name") == plan.name),
        None,
    )
    entry = _clear_stale_steps(entry, old)
    text, action, index = _splice(doc, entry)
    entry_text = _verify(doc, text, index, entry)
    return Rendered(text, action, entry_text, _diff(existing_text, text, filename))


def read_existing(path: Path) -> str | None:
    """The file's text exactly as stored (CRLF kept, unlike ``Path.read_text``); None if absent."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WorldError(f"could not read {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProjectFileError(f"{path.name} line {line}: not UTF-8 text") from None


def write_atomic(path: Path, text: str) -> None:
    """Temp file in the same directory, fsync, rename, fsync the directory; mode kept."""
    atomic.write_atomic(path, text)


# ---------------------------------------------------------------------------------------------
# Parsing with positions


class _AliasNode(yaml.ScalarNode):
    """Stands for ``*name`` at the alias's own position (the stock composer hands back the
    anchored node, whose marks point at the anchor elsewhere in the file)."""


class _PositionLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.anchor_at: dict[str, int] = {}  # anchor -> index where it is defined
        self.aliased: set[str] = set()  # anchors used by an alias

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            if event.anchor in self.anchors:
                self.get_event()  # type: ignore[no-untyped-call]
                self.aliased.add(event.anchor)
                return _AliasNode("!alias", event.anchor, event.start_mark, event.end_mark)
            return super().compose_node(parent, index)  # raises "found undefined alias"
        event = self.peek_event()  # type: ignore[no-untyped-call]
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.anchor_at.setdefault(anchor, event.start_mark.index)
        return super().compose_node(parent, index)


@dataclass(frozen=True, slots=True)
class _Document:
    text: str
    filename: str
    data: Any
    root: yaml.Node | None
    anchor_at: Mapping[str, int]
    aliased: frozenset[str]
    newline: str

    @classmethod
    def parse(cls, text: str, filename: str) -> _Document:
        try:
            loader = _PositionLoader(text)
            try:
                root = loader.get_single_node()
            finally:
                loader.dispose()
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise _parse_error(exc, text, filename) from None
        if data is not None and not isinstance(data, dict):
            raise ProjectFileError(f"{filename}: the top level must be a mapping of keys")
        if isinstance(root, yaml.MappingNode) and root.flow_style:
            raise UserError(
                f"{filename} is written as one flow mapping {{...}}; flowwiz edits block-style "
                "files only"
            )
        first_break = text.find("\n")
        newline = "\r\n" if first_break > 0 and text[first_break - 1] == "\r" else "\n"
        return cls(
            text,
            filename,
            data,
            root,
            dict(loader.anchor_at),
            frozenset(loader.aliased),
            newline,
        )

    def deployments_pair(self) -> tuple[yaml.Node, yaml.Node] | None:
        if not isinstance(self.root, yaml.MappingNode):
            return None
        for key, value in self.root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "deployments":
                return key, value
        return None


def _refuse_open_ending(doc: _Document) -> None:
    """A file whose last block scalar (``|``) runs to the end without a line break: any text
    after it would add that break to the value, so the file cannot be extended unchanged."""
    if doc.text.endswith("\n") or yaml.safe_load(doc.text + "\n") == doc.data:
        return
    raise UserError(
        f"{doc.filename} ends inside a multi-line value without a final line break; add a line "
        "break at the end of the file and run flowwiz again"
    )


def _parse_error(exc: yaml.YAMLError, text: str, filename: str) -> ProjectFileError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line, column = before.count("\n"), exc.position - (before.rfind("\n") + 1)
        problem = f"unacceptable character #x{exc.character:04x}"
    elif mark is not None:
        line, column = mark.line, mark.column
    else:
        return ProjectFileError(f"{filename} does not parse as YAML")
    problem = " ".join(str(problem or "invalid YAML").split())
    return ProjectFileError(
        f"{filename} line {line + 1}, column {column + 1}: {problem}",
        hint="Fix the file (or move it away) and run flowwiz again; it was left untouched.",
    )


# ---------------------------------------------------------------------------------------------
# Splicing


_Edit = tuple[int, int, str]  # replace text[start:end] with the string


def _splice(doc: _Document, entry: dict[str, Any]) -> tuple[str, Literal["added", "updated"], int]:
    """The new text, whether the entry was added or updated, and its index in the list."""
    deployments = _deployment_list(doc)
    _refuse_duplicates(deployments, doc.filename)
    index = next(
        (
            i
            for i, item in enumerate(deployments)
            if isinstance(item, dict) and item.get("name") == entry["name"]
        ),
        None,
    )
    style = _detect_style(doc)
    pair = doc.deployments_pair()
    merged = entry if index is None else _merged(deployments[index], entry)
    if pair is None:
        edits = [_add_deployments_key(doc, entry, style)]
    elif isinstance(pair[1], yaml.SequenceNode) and not pair[1].flow_style:
        if index is None:
            edits = [_append_item(doc, pair[1], entry, style)]
        else:
            edits = _update_item(doc, pair[1].value[index], deployments[index], entry, style)
    elif isinstance(pair[1], _AliasNode):
        raise UserError(f"{doc.filename}: `deployments` is an alias; flowwiz will not edit it")
    else:  # null, [] or a flow-style list: rewrite just that value, in block style
        items = list(deployments)
        if index is None:
            items.append(entry)
        else:
            items[index] = merged
        edits = [_replace_value_with_block(doc, pair[0], pair[1], items, style)]
    text = _apply(doc.text, edits, doc.newline)
    if index is None:
        return text, "added", len(deployments)
    return text, "updated", index


def _deployment_list(doc: _Document) -> list[Any]:
    value = (doc.data or {}).get("deployments")
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProjectFileError(f"{doc.filename}: `deployments` must be a list")
    return value


def _refuse_duplicates(deployments: list[Any], filename: str) -> None:
    names = [d.get("name") for d in deployments if isinstance(d, dict)]
    duplicates = sorted({str(n) for n in names if names.count(n) > 1})
    if duplicates:
        listed = ", ".join(repr(n) for n in duplicates)
        raise UserError(
            f"{filename} has more than one deployment named {listed}; rename or remove the "
            "extra ones first"
        )


def _merged(old: dict[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """The old entry with flowwiz's keys replaced; keys it does not own keep value and order."""
    merged = dict(old)
    merged.update(entry)
    return merged


def _apply(text: str, edits: list[_Edit], newline: str) -> str:
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + new.replace("\n", newline) + text[end:]
    return text


# -- where things end ---------------------------------------------------------------------------


def _content_end(node: yaml.Node, text: str) -> int:
    """Index just after a node's last character of content.

    A block collection's end mark sits at the next token, past trailing comments and blank
    lines that belong to whatever follows; the end of its last child is what counts.
    """
    if isinstance(node, yaml.ScalarNode):
        end = int(node.end_mark.index)
        if node.style in ("|", ">"):  # block scalars end after their trailing line breaks
            start = int(node.start_mark.index)
            while end > start and text[end - 1] in " \t\r\n":
                end -= 1
        return end
    assert isinstance(node, yaml.CollectionNode)
    if node.flow_style or not node.value:
        return int(node.end_mark.index)
    last = node.value[-1]
    return _content_end(last[1] if isinstance(node, yaml.MappingNode) else last, text)


def _line_end(text: str, index: int) -> int:
    """Index just after the line break of the line holding ``index`` (or the end of text)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _ensure_break(text: str, at: int, new: str) -> str:
    """Text inserted at ``at`` starts on a line of its own."""
    return new if at == 0 or text[at - 1] == "\n" else "\n" + new


# -- layout of what is already there --------------------------------------------------------------


def _detect_style(doc: _Document) -> _Style:
    """The file's own mapping indent and list style, so new lines look like their neighbours."""
    indent, indented_lists = None, None
    pair = doc.deployments_pair()
    if pair is not None and _is_block_sequence(pair[1]) and pair[1].value:
        indented_lists = _dash_column(doc.text, pair[1]) > pair[0].start_mark.column
    # the deployments list is the closest neighbour of what gets written; the rest next
    nearest: list[yaml.Node | None] = [pair[1]] if pair is not None else []
    for key, value in _block_pairs([*nearest, doc.root]):
        if indent is None and _is_block_mapping(value) and value.value:
            child = value.value[0][0]
            if child.start_mark.line > key.start_mark.line:
                indent = child.start_mark.column - key.start_mark.column
        if indented_lists is None and _is_block_sequence(value) and value.value:
            indented_lists = _dash_column(doc.text, value) > key.start_mark.column
    if indent is None or not 1 < indent < 10:
        indent = 2
    return _Style(indent=indent, indent_sequences=bool(indented_lists))


def _block_pairs(nodes: list[yaml.Node | None]) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    """Every key/value pair of every block mapping under ``nodes``, outermost first."""
    queue = [node for node in nodes if node is not None]
    while queue:
        current = queue.pop(0)
        if _is_block_mapping(current):
            for key, value in current.value:
                yield key, value
                queue.append(value)
        elif _is_block_sequence(current):
            queue.extend(current.value)


def _is_block_mapping(node: Any) -> TypeGuard[yaml.MappingNode]:
    return isinstance(node, yaml.MappingNode) and not node.flow_style


def _is_block_sequence(node: Any) -> TypeGuard[yaml.SequenceNode]:
    return isinstance(node, yaml.SequenceNode) and not node.flow_style


def _dash_column(text: str, sequence: yaml.SequenceNode) -> int:
    first = sequence.value[0]
    line_start = _line_start(text, first.start_mark.index)
    prefix = text[line_start : first.start_mark.index]
    if "-" in prefix:
        return prefix.rindex("-")
    return int(sequence.start_mark.column)


def _item_content_column(text: str, sequence: yaml.SequenceNode, dash: int) -> int:
    """Where the keys of a list item start: ``- name`` puts them at dash + 2."""
    for item in sequence.value:
        if _is_block_mapping(item) and item.value:
            key = item.value[0][0]
            if _line_start(text, key.start_mark.index) == _line_start(text, item.start_mark.index):
                column = int(key.start_mark.column)
                if column > dash:
                    return column
            break
    return dash + 2


# -- text pieces ----------------------------------------------------------------------------------


def _indent_lines(body: str, column: int, *, first: bool) -> str:
    lines = body.splitlines(keepends=True)
    pad = " " * column
    out = [
        line if (i == 0 and not first) or line == "\n" else pad + line
        for i, line in enumerate(lines)
    ]
    return "".join(out)


def _item_text(item: Any, dash: int, content: int, style: _Style) -> str:
    """One list item at the given columns: ``<dash>-<gap><mapping lines>``."""
    body = _dump(item, style)
    return " " * dash + "-" + " " * (content - dash - 1) + _indent_lines(body, content, first=False)


def _pair_text(key: str, value: Any, column: int, style: _Style, *, first: bool) -> str:
    return _indent_lines(_dump({key: value}, style), column, first=first)


# -- the edits ---------------------------------------------------------------------------------


def _add_deployments_key(doc: _Document, entry: dict[str, Any], style: _Style) -> _Edit:
    """No ``deployments`` yet: a new block at the end (before a ``...`` end marker, if any)."""
    text = doc.text
    column = 0
    at = len(text)
    if isinstance(doc.root, yaml.MappingNode) and doc.root.value:
        column = int(doc.root.value[0][0].start_mark.column)
        after = _line_end(text, _content_end(doc.root, text))
        if not _only_comments(text[after:]):
            at = after
    block = " " * column + "deployments:\n" + _list_text([entry], column, style)
    return at, at, _ensure_break(text, at, block)


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def _list_text(items: list[Any], key_column: int, style: _Style) -> str:
    dash = key_column + (style.indent if style.indent_sequences else 0)
    return "".join(_item_text(item, dash, dash + 2, style) for item in items)


def _append_item(
    doc: _Document, sequence: yaml.SequenceNode, entry: dict[str, Any], style: _Style
) -> _Edit:
    text = doc.text
    dash = _dash_column(text, sequence)
    content = _item_content_column(text, sequence, dash)
    at = _line_end(text, _content_end(sequence, text))
    return at, at, _ensure_break(text, at, _item_text(entry, dash, content, style))


def _replace_value_with_block(
    doc: _Document, key: yaml.Node, value: yaml.Node, items: list[Any], style: _Style
) -> _Edit:
    """``deployments:`` / ``null`` / ``[...]`` becomes a block list below the key's line.

    A comment after the old value stays on the key's line.
    """
    text = doc.text
    start, end = int(value.start_mark.index), int(value.end_mark.index)
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    line_end = _line_end(text, end)
    rest = text[end:line_end]
    if not rest.strip():
        rest = "" if start == 0 or text[start - 1] == "\n" else "\n"
    elif not rest.endswith("\n"):
        rest += "\n"
    block = _list_text(items, int(key.start_mark.column), style)
    return start, line_end, rest.replace("\r\n", "\n") + block


def _update_item(
    doc: _Document,
    node: yaml.Node,
    old: Any,
    entry: dict[str, Any],
    style: _Style,
) -> list[_Edit]:
    name = entry["name"]
    _refuse_shared_anchor(doc, node.start_mark.index, node.start_mark.index + 1, name)
    if isinstance(node, _AliasNode):
        raise UserError(
            f"deployment {name!r} in {doc.filename} is an alias (*{node.value}); "
            "flowwiz will not edit it"
        )
    if not _is_block_mapping(node):  # a flow mapping {...}: rewrite the whole item
        start, end = int(node.start_mark.index), _line_end(doc.text, _content_end(node, doc.text))
        content = int(node.start_mark.column)
        text = _indent_lines(_dump(_merged(old, entry), style), content, first=False)
        return [(start, end, text)]
    return _update_keys(doc, node, old, entry, style)


def _update_keys(
    doc: _Document,
    node: yaml.MappingNode,
    old: dict[str, Any],
    entry: dict[str, Any],
    style: _Style,
) -> list[_Edit]:
    """Replace the owned keys whose value changes; add the missing ones after their neighbour."""
    text, name = doc.text, entry["name"]
    pairs: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and not isinstance(key, _AliasNode):
            if key.value in pairs and key.value in entry:
                raise UserError(
                    f"deployment {name!r} in {doc.filename} has the key {key.value!r} twice"
                )
            pairs[key.value] = (key, value)
    column = int(node.value[0][0].start_mark.column)
    missing = object()
    edits: list[_Edit] = []
    inserts: dict[int, str] = {}
    for key_name, value in entry.items():
        if key_name in pairs:
            key, value_node = pairs[key_name]
            end = _line_end(text, _content_end(value_node, text))
            if old.get(key_name, missing) != value:
                start = int(key.start_mark.index)
                _refuse_shared_anchor(doc, start, end, name)
                edits.append((start, end, _pair_text(key_name, value, column, style, first=False)))
            continue
        if old.get(key_name, missing) == value:  # comes from a merge key (<<) already
            continue
        at = _after_neighbour(text, pairs, entry, key_name, node)
        inserts[at] = inserts.get(at, "") + _pair_text(key_name, value, column, style, first=True)
    for at, new in inserts.items():
        edits.append((at, at, _ensure_break(text, at, new)))
    return edits


def _after_neighbour(
    text: str,
    pairs: Mapping[str, tuple[yaml.Node, yaml.Node]],
    entry: Mapping[str, Any],
    key_name: str,
    node: yaml.MappingNode,
) -> int:
    """A missing key goes after the nearest earlier owned key present (else after the last)."""
    order = list(entry)
    for earlier in reversed(order[: order.index(key_name)]):
        if earlier in pairs:
            return _line_end(text, _content_end(pairs[earlier][1], text))
    return _line_end(text, _content_end(node, text))


def _refuse_shared_anchor(doc: _Document, start: int, end: int, name: str) -> None:
    """Rewriting the text that defines an anchor would break (or change) its aliases."""
    for anchor, at in doc.anchor_at.items():
        if anchor in doc.aliased and start <= at < end:
            raise UserError(
                f"deployment {name!r} in {doc.filename} defines the anchor &{anchor} that other "
                "entries use; flowwiz will not rewrite it (edit that part by hand)"
            )


# ---------------------------------------------------------------------------------------------
# Checking the result


def _verify(doc: _Document, text: str, index: int, entry: dict[str, Any]) -> str:
    """Parse the new text; return the entry's text if everything is as meant, else refuse."""
    try:
        new_data = yaml.safe_load(text)
        new_doc = _Document.parse(text, doc.filename)
    except (yaml.YAMLError, FlowwizError):
        raise _check_failed(doc, "it no longer parses") from None
    old_data: dict[str, Any] = doc.data or {}
    if not isinstance(new_data, dict):
        raise _check_failed(doc, "the top level changed")
    old_top = [(k, v) for k, v in old_data.items() if k != "deployments"]
    new_top = [(k, v) for k, v in new_data.items() if k != "deployments"]
    if old_top != new_top:
        raise _check_failed(doc, "a top-level key changed")
    expected = list(_deployment_list(doc))
    if index == len(expected):
        expected.append(entry)
    else:
        expected[index] = _merged(expected[index], entry)
    actual = new_data.get("deployments")
    if not isinstance(actual, list) or len(actual) != len(expected):
        raise _check_failed(doc, "the list of deployments changed")
    for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
        if want != got:
            what = "the edited deployment" if i == index else "another deployment"
            raise _check_failed(doc, f"{what} did not come out as meant")
    return _entry_text(new_doc, index)


def _check_failed(doc: _Document, reason: str) -> MergeCheckError:
    return MergeCheckError(
        f"internal error: the edited {doc.filename} did not check out ({reason}); nothing was "
        "written — please report this with a copy of the file"
    )


def _entry_text(doc: _Document, index: int) -> str:
    pair = doc.deployments_pair()
    assert pair is not None and isinstance(pair[1], yaml.SequenceNode)
    item = pair[1].value[index]
    start = _line_start(doc.text, item.start_mark.index)
    end = _line_end(doc.text, _content_end(item, doc.text))
    return doc.text[start:end].replace("\r\n", "\n")


def _diff(old: str, new: str, filename: str) -> str:
    lines = difflib.unified_diff(
        old.replace("\r\n", "\n").splitlines(keepends=True),
        new.replace("\r\n", "\n").splitlines(keepends=True),
        fromfile=f"a/{filename}",
        tofile=f"b/{filename}",
    )
    # like git: a last line without a line break gets a marker instead of running on
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
