"""The DeploymentPlan: every answer of the wizard, frozen, before anything is written.

The wizard builds it; writers turn it into prefect.yaml text, secret blocks and files.
Secret values appear here only as SecretStr inside ``secrets``; everything else is safe to
print (templates reference blocks by name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from flowwiz.detectors.secret import SecretStr


@dataclass(frozen=True, slots=True)
class Schedule:
    kind: Literal["interval", "cron", "rrule"]
    value: str | int  # seconds for an interval, the expression otherwise
    timezone: str | None = None
    active: bool = True
    # the keys of an existing schedule flowwiz does not ask about (Prefect 3.9.1 reads
    # ``anchor_date``, ``day_or``, ``parameters``, ``slug``: cli/deploy/_schedules.py
    # ``_construct_schedules``), read back and written back unchanged, in their order
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GitStorage:
    """Pull with ``prefect.deployments.steps.git_clone``."""

    repository: str  # https URL, never with credentials
    branch: str | None = None
    commit_sha: str | None = None
    # exactly one of these, or none for a public repository:
    access_token: str | None = None  # a template, e.g. "{{ prefect.blocks.secret.<name> }}"
    credentials: str | None = (
        None  # a provider block template, "{{ prefect.blocks.github-credentials.x }}"
    )
    # with access_token on hosts Prefect does not recognise: credentials {username, access_token}
    username: str | None = None
    include_submodules: bool = False
    # the project's folder inside the repository (POSIX, relative to its root, e.g.
    # "projects/sales"); when set, the clone gets an id and a set_working_directory step
    # into '{{ <id>.directory }}/<subdirectory>' follows it, so the entrypoint (relative to
    # the project) resolves on the worker
    subdirectory: str | None = None
    clone_id: str | None = None  # the git_clone step's id ("clone-step" when one is needed)
    directories: tuple[str, ...] = ()  # sparse checkout: only these folders are checked out
    # the git_clone inputs flowwiz does not ask about (``id``, ``directories``, ...), read back
    # from an existing step and written back unchanged
    extra_inputs: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LocalStorage:
    """Pull with ``set_working_directory``: only a worker on this machine can run it."""

    directory: str


@dataclass(frozen=True, slots=True)
class CloudStorage:
    """Push the code to a bucket at deploy time, pull it on the worker (fsspec-backed steps)."""

    provider: Literal["s3", "gcs", "azure"]
    bucket: str
    folder: str
    credentials: str | None = None  # block template


@dataclass(frozen=True, slots=True)
class DockerStorage:
    """The code is baked into an image that ``prefect deploy`` builds (and pushes) on this
    machine; the worker runs it and changes into ``directory`` inside the container."""

    image: str  # repository, e.g. ghcr.io/acme/flows (no tag)
    tag: str = "latest"
    dockerfile: str = "auto"  # "auto": Prefect writes one that copies the project in
    directory: str = "/opt/prefect/project"  # where the code sits inside the image
    push: bool = True  # push to the registry so a remote worker can pull it
    # "{{ prefect.blocks.docker-registry-credentials.NAME }}" for the push step, or None
    # (Docker's own login on this machine)
    credentials: str | None = None


@dataclass(frozen=True, slots=True)
class BlockStorage:
    """An existing storage block (``type/name``) and a sub-path in it: flowwiz's push step
    uploads the code there at every ``prefect deploy``; the worker pulls it with Prefect's
    ``pull_with_block`` and enters the sub-path (writers/remote_storage.py)."""

    block_type: str  # slug, e.g. remote-file-system
    block_name: str
    path: str = ""  # POSIX sub-path inside the block, no leading or trailing "/"


@dataclass(frozen=True, slots=True)
class FsspecStorage:
    """Any fsspec URL (``smb://``, ``sftp://``, ``file://`` on a shared mount...): flowwiz's push
    step uploads, Prefect's ``pull_from_remote_storage`` downloads."""

    url: str  # without credentials
    # fsspec options; a secret one is only ever a block template "{{ prefect.blocks.secret.x }}"
    settings: Mapping[str, object] = field(default_factory=dict)


Storage = GitStorage | LocalStorage | CloudStorage | DockerStorage | BlockStorage | FsspecStorage


@dataclass(frozen=True, slots=True)
class SecretToSave:
    """A block the apply step saves before writing prefect.yaml."""

    block_type: str
    name: str
    data: Mapping[str, str | SecretStr]
    overwrite: bool = False
    repository: str | None = None  # a repository token: the URL it is for (token_origins)


@dataclass(frozen=True, slots=True)
class DeploymentPlan:
    project_root: Path
    prefect_yaml: Path
    project_name: str
    name: str
    flow_name: str
    entrypoint: str  # relative/path.py:function
    storage: Storage
    work_pool: str
    work_queue: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    parameters: Mapping[str, object] = field(default_factory=dict)
    job_variables: Mapping[str, object] = field(default_factory=dict)
    schedules: tuple[Schedule, ...] = ()
    secrets: tuple[SecretToSave, ...] = ()
    prefect_version: str | None = None
    write_prefectignore: bool = True
    # whether the file's top-level `build` steps run for this deployment (when it has none of
    # its own); False writes `build: null` into the deployment, as Prefect reads it
    inherit_build: bool = True
