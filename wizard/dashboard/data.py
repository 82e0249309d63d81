"""What the dashboard shows, loaded and shaped away from the widgets.

Nothing here imports Textual: these functions take a block store or a project directory and
return frozen values, so they can be tested and timed on their own and run in a worker thread.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from itertools import groupby
from pathlib import Path
from typing import Literal

from flowwiz.detectors.deployment_checks import DeploymentProblem, EntrypointChecker
from flowwiz.detectors.secret import MASK
from flowwiz.writers.blocks.model import (
    BLOCK_TYPES,
    SHIPPED_TYPES,
    Block,
    BlockStore,
    mask_field,
)
from flowwiz.writers.blocks.schemas import show_value

NOTHING = "—"


# ---------------------------------------------------------------------------------------------
# blocks


@dataclass(frozen=True, slots=True)
class BlockRow:
    """One block as the table shows it, with the lowercase text a filter searches."""

    block: Block
    summary: str
    updated: str
    haystack: str

    @property
    def key(self) -> str:
        return self.block.slug


@dataclass(frozen=True, slots=True)
class BlockCatalog:
    """Every block of the active store, in display order, with counts per type."""

    rows: tuple[BlockRow, ...]
    counts: Mapping[str, int]
    by_key: Mapping[str, BlockRow]  # "type/name" -> row
    # True for the first page of a load: the rest follows as a catalog whose rows start with
    # these (the store's order is the display order)
    partial: bool = False
    # every row's haystack, in row order: the filter's loop reads a tuple of str, no attribute
    haystacks: tuple[str, ...] = ()
    # type -> (first, end) index of its rows (rows are sorted by type: one slice each)
    spans: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def slugs(self) -> frozenset[tuple[str, str]]:
        return frozenset((row.block.type, row.block.name) for row in self.rows)

    def matching(self, query: str = "", block_type: str | None = None) -> list[BlockRow]:
        """Rows of one type (or all) whose type, name or summary holds every word of query."""
        rows = self.rows
        return [rows[i] for i in self.matching_indices(query, block_type)]

    def matching_indices(self, query: str = "", block_type: str | None = None) -> Sequence[int]:
        """Indices into ``rows`` of matching(query, block_type), ascending.

        One substring test per row and word over the precomputed lowercase haystacks, the
        longest word first (it rules out the most): ~4 ms at 50,000 rows on one core."""
        words = sorted(set(query.lower().split()), key=len, reverse=True)
        if block_type is None:
            first, end = 0, len(self.rows)
        else:
            first, end = self.spans.get(block_type, (0, 0))
        if not words:
            return range(first, end)
        hay = self.haystacks
        word = words.pop(0)
        found = [i for i, h in enumerate(hay[first:end], first) if word in h]
        for word in words:
            found = [i for i in found if word in hay[i]]
        return found


# Blocks in the first catalog a load hands over: a few screenfuls, so the first paint does not
# wait for the whole store.
FIRST_PAGE = 200


def load_blocks(store: BlockStore) -> BlockCatalog:
    """Read the store once (no secrets); may raise BlockStoreError (store unreachable)."""
    return catalog_of(store.list())


def load_block_pages(store: BlockStore, first: int | None = None) -> Iterator[BlockCatalog]:
    """The store's blocks as a first catalog of ``first`` rows (``partial``), then the whole
    catalog, whose rows start with the first one's. A store without ``pages()`` (a Prefect
    server answers in one list) yields the whole catalog once. No secret is read; may raise
    BlockStoreError (store unreachable)."""
    first = FIRST_PAGE if first is None else first
    pages = getattr(store, "pages", None)
    if pages is None:
        yield catalog_of(store.list())
        return
    rows: list[BlockRow] = []
    handed = False
    for page in pages(first):
        rows.extend(block_row(b) for b in page)
        if not handed:
            handed = True
            if len(page) == first:  # else that was all of it
                yield _catalog(rows, partial=True)
    yield _catalog(rows)


def catalog_of(blocks: Iterable[Block]) -> BlockCatalog:
    return _catalog(block_row(b) for b in blocks)


def _catalog(rows: Iterable[BlockRow], *, partial: bool = False) -> BlockCatalog:
    # timsort: linear on the store's rows, which come sorted already
    ordered = tuple(sorted(rows, key=lambda r: (r.block.type, r.block.name)))
    counts: dict[str, int] = dict.fromkeys(BLOCK_TYPES, 0)
    spans: dict[str, tuple[int, int]] = {}
    index = 0
    for kind, group in groupby(ordered, key=_row_type):
        count = sum(1 for _ in group)
        counts[kind] = count
        spans[kind] = (index, index + count)
        index += count
    return BlockCatalog(
        rows=ordered,
        counts=counts,
        by_key={row.key: row for row in ordered},
        partial=partial,
        haystacks=tuple(row.haystack for row in ordered),
        spans=spans,
    )


def _row_type(row: BlockRow) -> str:
    return row.block.type


def block_row(block: Block) -> BlockRow:
    summary = block_summary(block)
    return BlockRow(
        block=block,
        summary=summary,
        updated=format_time(block.updated),
        haystack=f"{block.type}/{block.name} {summary}".lower(),
    )


def is_secret_field(block: Block, field: str) -> bool:
    spec = SHIPPED_TYPES.get(block.type)
    return field in block.secret_fields or bool(spec and field in spec.secret_fields)


def block_fields(block: Block) -> list[tuple[str, str, bool]]:
    """(field, value safe to show, is secret) for every field: the type's essential fields
    (``BlockType.essential_fields``) first, in their declared order, then any others the
    block holds. A secret always reads ``********``
    whether or not its value was loaded: the dashboard never asks the store for secrets; a
    token-looking text in a plain value is masked (``mask_field``)."""
    spec = SHIPPED_TYPES.get(block.type)
    names = [f.name for f in spec.essential_fields] if spec else []
    names += [k for k in block.data if k not in names]
    shown: list[tuple[str, str, bool]] = []
    for name in names:
        secret = is_secret_field(block, name)
        if secret:
            present = name in block.data or bool(spec and (f := spec.field(name)) and f.required)
            shown.append((name, MASK if present else NOTHING, True))
        else:
            value = mask_field(name, block.data.get(name))  # a token stored in plain text
            shown.append((name, NOTHING if value in (None, "") else show_value(value), False))
    return shown


def block_summary(block: Block) -> str:
    """The non-secret fields that are set, or the names of the secret ones."""
    fields = block_fields(block)
    public = [
        f"{name}={value}" for name, value, secret in fields if not secret and value != NOTHING
    ]
    if public:
        return ", ".join(public)
    secrets = [name for name, value, secret in fields if secret and value != NOTHING]
    return f"{', '.join(secrets)}: {MASK}" if secrets else NOTHING


def format_time(moment: datetime | None) -> str:
    """Minutes in UTC: the same text on every machine, which keeps screenshots stable."""
    if moment is None:
        return NOTHING
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M")


def display_path(path: Path | str, home: Path | None = None) -> str:
    """A path with the home directory written ``~``, as people read it in a header."""
    path = Path(path)
    home = Path("~").expanduser() if home is None else home
    try:
        return "~/" + path.relative_to(home).as_posix()
    except ValueError:
        return str(path)


def store_label(store: BlockStore) -> str:
    if store.kind == "local":
        return f"local store {display_path(store.location)}"
    settings = getattr(store, "settings", None)
    if settings is not None and settings.api_url:
        return f"Prefect server {settings.describe_server()}"
    return f"Prefect server {store.location}"


# ---------------------------------------------------------------------------------------------
# deployments (from prefect.yaml)


@dataclass(frozen=True, slots=True)
class BlockRef:
    type: str
    name: str

    @property
    def slug(self) -> str:
        return f"{self.type}/{self.name}"


# where a deployment row comes from: prefect.yaml, the Prefect server, or both of them
DeploymentSource = Literal["file", "server", "both"]


@dataclass(frozen=True, slots=True)
class LastRun:
    """A deployment's latest flow run that is not merely scheduled (server only)."""

    state_type: str  # "COMPLETED", "FAILED", "CRASHED", "RUNNING", ...
    state_name: str  # "Completed", "Failed", "Crashed", "Running", ...
    when: datetime | None  # started, else expected to start (UTC)

    @property
    def text(self) -> str:
        """'Failed 11-30 14:20' (UTC): the state and when, short enough for a column."""
        if self.when is None:
            return self.state_name
        moment = self.when.astimezone(timezone.utc) if self.when.tzinfo else self.when
        return f"{self.state_name} {moment:%m-%d %H:%M}"


@dataclass(frozen=True, slots=True)
class DeploymentRow:
    name: str
    entrypoint: str
    work_pool: str
    work_queue: str
    schedule: str
    storage: str
    references: tuple[BlockRef, ...]
    source: DeploymentSource = "file"
    # the deployment's own name (``name`` of a server row reads ``flow/deployment``)
    deployment_name: str = ""
    # found when the file was read: its entrypoint's file or flow is gone (file rows only; a
    # server-only deployment's code may live in another repository)
    problems: tuple[DeploymentProblem, ...] = ()
    # the server's id, and its latest run (None: no run, or no server)
    deployment_id: str = ""
    last_run: LastRun | None = None
    # the folder (POSIX, below the project root) of the prefect.yaml it is in; "" for the
    # root's own (a folder's prefect.yaml is deployed from there: entrypoints relative to it)
    folder: str = ""

    @property
    def shown_name(self) -> str:
        """The name with the folder of its prefect.yaml: ``pipelines/etl: daily``."""
        return f"{self.folder}: {self.name}" if self.folder else self.name

    def missing(self, existing: Collection[tuple[str, str]]) -> tuple[BlockRef, ...]:
        return tuple(r for r in self.references if (r.type, r.name) not in existing)


@dataclass(frozen=True, slots=True)
class ProjectDeployments:
    """The deployments of one prefect.yaml; ``found`` is False when there is no file."""

    path: Path
    found: bool
    deployments: tuple[DeploymentRow, ...] = ()
    # the prefect.yaml files of folders below (their rows carry ``folder``), and those that
    # could not be read: (relative path, one-line reason)
    others: tuple[ProjectDeployments, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()

    @property
    def every_deployment(self) -> tuple[DeploymentRow, ...]:
        return (*self.deployments, *(row for other in self.others for row in other.deployments))


def load_deployments(project_root: Path) -> ProjectDeployments:
    """Read ``project_root/prefect.yaml`` and the prefect.yaml of each folder below (found as
    the flow discovery walks: ignore rules, no virtualenvs), checking each entrypoint against
    the files below its prefect.yaml's folder (each file parsed once, never imported). Raises
    ProjectFileError when the root's file is malformed; a folder's malformed file is listed
    in ``unreadable``."""
    from flowwiz.detectors.errors import ProjectFileError
    from flowwiz.detectors.prefect_yamls import nested_prefect_yamls

    root = Path(project_root)
    path = root / "prefect.yaml"
    main = _load_one(root, "") if path.is_file() else ProjectDeployments(path=path, found=False)
    others: list[ProjectDeployments] = []
    unreadable: list[tuple[str, str]] = []
    for relpath in nested_prefect_yamls(root):
        folder = relpath.rpartition("/")[0]
        try:
            others.append(_load_one(root / folder, folder))
        except ProjectFileError as exc:
            unreadable.append((relpath, exc.message))
    return replace(main, others=tuple(others), unreadable=tuple(unreadable))


def _load_one(folder_path: Path, folder: str) -> ProjectDeployments:
    from flowwiz.detectors.project import block_references, load_prefect_yaml

    path = folder_path / "prefect.yaml"
    document = load_prefect_yaml(path)
    top_pull = document.data.get("pull")
    checker = EntrypointChecker(folder_path)
    rows = []
    for entry in document.deployments:
        pull = entry.get("pull", top_pull)
        # a deployment without its own pull steps runs the file's: their references count too
        effective = dict(entry, pull=pull)
        refs = tuple(BlockRef(t, n) for t, n in block_references(effective))
        row = replace(deployment_row(entry, pull, refs), folder=folder)
        if row.entrypoint != NOTHING:
            problem = checker.check(row.entrypoint)
            if problem is not None:
                row = replace(row, problems=(problem,))
        rows.append(row)
    return ProjectDeployments(path=path, found=True, deployments=tuple(rows))


def deployment_row(
    entry: Mapping[str, object], pull: object, refs: tuple[BlockRef, ...]
) -> DeploymentRow:
    pool = entry.get("work_pool")
    pool = pool if isinstance(pool, Mapping) else {}
    name = _text(entry.get("name"))
    return DeploymentRow(
        name=name or "(unnamed)",
        entrypoint=_text(entry.get("entrypoint")) or NOTHING,
        work_pool=_text(pool.get("name")) or NOTHING,
        work_queue=_text(pool.get("work_queue_name")) or "default",
        schedule=schedule_summary(entry),
        storage=_image_summary(entry.get("build")) + storage_summary(pull),
        references=refs,
        deployment_name=name,
    )


def merge_deployments(
    in_file: Sequence[DeploymentRow], on_server: Sequence[DeploymentRow]
) -> tuple[DeploymentRow, ...]:
    """The file's deployments in file order, then the server's that the file lacks.

    A server deployment is the file's when its name matches and so does its entrypoint (the
    file cannot name the flow: that is decided by the code). The merged row keeps the file's
    fields (what the next ``prefect deploy`` sends), the server's ``flow/name``, and the
    block references of both: a block missing from either breaks a run.
    """
    pending = list(on_server)
    merged: list[DeploymentRow] = []
    for row in in_file:
        twin = next(
            (
                s
                for s in pending
                if s.deployment_name == row.deployment_name
                and row.entrypoint in (NOTHING, s.entrypoint)
            ),
            None,
        )
        if twin is None:
            merged.append(row)
            continue
        pending.remove(twin)
        refs = tuple(dict.fromkeys((*row.references, *twin.references)))
        merged.append(
            replace(
                row,
                name=twin.name,
                source="both",
                references=refs,
                deployment_id=twin.deployment_id,
                last_run=twin.last_run,
            )
        )
    return (*merged, *pending)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def schedule_summary(entry: Mapping[str, object]) -> str:
    schedules = entry.get("schedules")
    if schedules is None and entry.get("schedule"):
        schedules = [entry.get("schedule")]  # the single-schedule form older files use
    if not isinstance(schedules, list) or not schedules:
        return "none"
    return "; ".join(_one_schedule(s) for s in schedules if isinstance(s, Mapping)) or "none"


def _one_schedule(schedule: Mapping[str, object]) -> str:
    if schedule.get("cron"):
        text = f"cron {schedule['cron']}"
    elif schedule.get("interval") is not None:
        text = f"every {_duration(schedule['interval'])}"
    elif schedule.get("rrule"):
        text = f"rrule {schedule['rrule']}"
    else:
        return "unknown schedule"
    if schedule.get("timezone"):
        text += f" ({schedule['timezone']})"
    if schedule.get("active") is False:
        text += " paused"
    return text


def _duration(seconds: object) -> str:
    try:
        total = int(float(str(seconds)))
    except ValueError:
        return f"{seconds}s"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if total >= size and total % size == 0:
            return f"{total // size}{unit}"
    return f"{total}s"


def _image_summary(build: object) -> str:
    """'image ghcr.io/acme/flows:v3, ' when the deployment builds an image for its code."""
    for step in build if isinstance(build, list) else ():
        if isinstance(step, Mapping) and len(step) == 1:
            ((name, args),) = step.items()
            if str(name).endswith(".build_docker_image") and isinstance(args, Mapping):
                tag = args.get("tag")
                return f"image {args.get('image_name', '?')}" + (f":{tag}" if tag else "") + ", "
    return ""


def storage_summary(pull: object) -> str:
    """Where a worker gets the code, from the first pull step that says."""
    if not isinstance(pull, list):
        return "none"
    for step in pull:
        if not isinstance(step, Mapping) or len(step) != 1:
            continue
        ((name, args),) = step.items()
        args = args if isinstance(args, Mapping) else {}
        kind = str(name).rsplit(".", 1)[-1]
        if kind == "git_clone":
            branch = args.get("branch") or "default branch"
            return f"git {args.get('repository', '?')} @ {branch}"
        if kind == "set_working_directory":
            return f"dir {args.get('directory', '?')}"
        if kind.startswith("pull_from_"):
            where = args.get("bucket") or args.get("container") or "?"
            folder = args.get("folder")
            return f"{kind.removeprefix('pull_from_')} {where}" + (f"/{folder}" if folder else "")
    return "none"


# ---------------------------------------------------------------------------------------------
# where a block is used


@dataclass(frozen=True, slots=True)
class Usage:
    """One deployment that references a block: its name as the Deployments tab shows it and
    where it was found (prefect.yaml, the server, or both)."""

    deployment: str
    source: DeploymentSource

    @property
    def where(self) -> str:
        return {"file": "prefect.yaml", "server": "server", "both": "prefect.yaml, server"}[
            self.source
        ]


def where_used(
    block_type: str, name: str, deployments: Iterable[DeploymentRow]
) -> tuple[Usage, ...]:
    """The deployments that reference the block ``block_type/name``, in the order given.

    ``deployments`` are the rows the Deployments tab shows (prefect.yaml's, merged with the
    server's by merge_deployments when a server is read); a reference is one of a row's
    ``references`` (``{{ prefect.blocks.TYPE.NAME }}`` in the deployment or the pull steps it
    runs, as detectors.project.block_references finds them)."""
    return tuple(
        Usage(d.name, d.source)
        for d in deployments
        if any(r.type == block_type and r.name == name for r in d.references)
    )
