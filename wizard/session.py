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
    pool_type: str | None = None  # create the pool with this worker type when it is missing
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
    storage: str | None = None  # git, local, s3, gcs, azure, docker, block, fsspec
    bucket: str | None = None
    folder: str | None = None
    storage_block: str | None = None
    image: str | None = None
    image_tag: str | None = None
    dockerfile: str | None = None
    image_dir: str | None = None
    push_image: bool | None = None
    # issue 9, real repositories: a pinned commit, submodules, a sparse clone of the project
    # folder, and whether --prefect-file was given (the default is only a default)
    commit_sha: str | None = None
    include_submodules: bool | None = None
    sparse_checkout: bool = False
    prefect_file_given: bool = False
    allow_plaintext_secrets: bool = False  # write a token-looking parameter/job variable anyway
    # storage blocks and fsspec URLs (wizard/block_storage.py)
    sub_path: str | None = None  # --path: the sub-path in the storage block
    url: str | None = None  # fsspec URL
    storage_settings: tuple[str, ...] = ()  # KEY=VALUE
    storage_secret_envs: tuple[str, ...] = ()  # KEY=VAR: a secret setting read from $VAR
    upload: bool | None = None  # upload now, after writing (prefect deploy uploads anyway)
    registry_credentials: str | None = None  # docker-registry-credentials block for the push
    registry_username: str | None = None
    registry_password_env: str | None = None
    register: bool | None = None  # run `prefect deploy` after writing (None: ask; --yes: no)
    dockerignore: bool | None = None  # write/extend .dockerignore when secrets would be copied
    inherit_build: bool | None = None  # run the file's top-level build steps for it too


@dataclass(frozen=True, slots=True)
class Detected:
    root: Path
    git: Any  # detectors.git.GitInfo | None
    git_problem: str | None
    scan: Any  # detectors.flows.FlowScan
    project: Any  # detectors.project.ProjectInfo

    def project_name(self) -> str:
        """The project's one name: prefect.yaml's ``name:`` and the default bucket/block
        folder both come from here. The preferred remote's repository name (``acme/sales.git``
        -> ``sales``), else the folder's name."""
        git = self.git
        if git is not None and git.preferred is not None and git.preferred.url.path:
            stem = git.preferred.url.path.rstrip("/").rsplit("/", 1)[-1]
            stem = stem[:-4] if stem.endswith(".git") else stem
            if stem:
                return str(stem)
        return self.root.name


@dataclass(slots=True)
class Session:
    """What the run carries between questions (mutable while asking, frozen into the plan)."""

    options: DeployOptions
    asker: Asker
    detected: Detected
    store: Any = None  # opened on first need
    settings: Any = None  # detectors.prefect_settings.PrefectSettings, resolved at the start
    store_problem: str | None = None  # why the store cannot keep a secret (probed at the start)
    # (name, type, base job template) of a work pool to create on the server when applying
    pool_to_create: tuple[str, str, dict[str, Any]] | None = None
    pool_type: str | None = None  # the chosen pool's worker type, when the server said
    pool_missing: bool = False  # the chosen pool is not on the server and will not be created
    prefect_cli: Any = None  # the `prefect` that registers (None: not found / not looked for)
    registered: Any = None  # writers.register.Registered once `prefect deploy` succeeded
    dockerignore_text: str | None = None  # the .dockerignore to write after the review

    def prefect_settings(self) -> Any:
        if self.settings is None:
            from flowwiz.detectors.prefect_settings import resolve_settings

            self.settings = resolve_settings(api_url=self.options.api_url)
        return self.settings

    def prefect_client(self) -> Any:
        """A client for the configured server (writers.prefect_client.PrefectClient), or None
        when no server is configured."""
        settings = self.prefect_settings()
        if not settings.api_url:
            return None
        from flowwiz.writers.prefect_client import PrefectClient

        return PrefectClient(settings, waiting=terminal.waiting)
    # the prefect.yaml being written, parsed once (detectors.project.PrefectYaml) or None
    target: Any = None
    # the deployment being updated as it reads now ({} when it is added)
    existing: Any = None
    flow_of: Any = None  # entrypoint -> flow name (how Prefect identifies a deployment)

    def open_store(self) -> Any:
        if self.store is None:
            from flowwiz.writers.blocks import open_store

            self.store = open_store(
                self.options.api_url,
                settings=self.prefect_settings(),
                on_warning=terminal.warn,
                waiting=terminal.waiting,
            )
        return self.store
