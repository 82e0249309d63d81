"""What one `flowwiz deploy` run carries: its flags, what was detected, the open store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowwiz.wizard.prompts import Asker
from flowwiz.wizard.terminal import terminal


@dataclass(frozen=True, slots=True)
class DeployOptions:
    """Every flag of `flowwiz deploy`; None/empty means "not given"."""

    path: Path = Path()
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
    token_worker_env: str | None = None
    credentials_block: str | None = None
    username: str | None = None
    verify: bool | None = None
    prefectignore: bool = True
    storage: str | None = None  # git, local, s3, gcs, azure, docker
    bucket: str | None = None
    folder: str | None = None
    storage_block: str | None = None
    image: str | None = None
    image_tag: str | None = None
    dockerfile: str | None = None
    image_dir: str | None = None
    push_image: bool | None = None
    inherit_build: bool | None = None  # run the file's top-level build steps for it too


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
    # the prefect.yaml being written, parsed once (detectors.project.PrefectYaml) or None
    target: Any = None
    # the deployment being updated as it reads now ({} when it is added)
    existing: Any = None
    flow_of: Any = None  # entrypoint -> flow name (how Prefect identifies a deployment)

    def open_store(self) -> Any:
        if self.store is None:
            from flowwiz.writers.blocks import open_store

            self.store = open_store(self.options.api_url, on_warning=terminal.warn)
        return self.store
