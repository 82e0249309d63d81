"""What will break a deployment's runs, found by reading only: the repository's files, and the
block and work-pool names a caller already has.

Used by the dashboard's Deployments tab and by ``flowwiz detect``, so both say the same thing.
User code is never imported: an entrypoint is checked with the ast discovery of
:mod:`detectors.flows`. Each problem is a frozen value with a short word for a table column,
a one-line message and, where there is one, the command that fixes it.

What each check mirrors in Prefect 3 (a run fails on the worker, ``prefect deploy`` accepts
it):

- ``entrypoint-file``: ``prefect.flows.load_flow_from_entrypoint`` opens
  ``<path>`` relative to the working directory (the project root): FileNotFoundError.
- ``entrypoint-flow``: ``import_object`` finds no ``<function>`` in the module
  (AttributeError), or finds a plain function: "Function with name ... is not a flow".
- ``entrypoint-parse``: the file does not compile: SyntaxError on import.
- ``block-missing``: a ``{{ prefect.blocks.T.N }}`` placeholder is resolved when the worker
  runs the pull steps (``resolve_block_document_references``): "Block not found".
- ``block-local-only``: the same, for a block kept in this machine's local catalog while runs
  read a Prefect server; ``flowwiz blocks push T/N`` copies it there.
- ``pool-missing``: the work pool is not on the server: no worker picks the run up.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from flowwiz.detectors.errors import DetectionError
from flowwiz.detectors.flows import Flow, flows_in_file, parse_entrypoint

ProblemKind = Literal[
    "entrypoint-invalid",
    "entrypoint-file",
    "entrypoint-parse",
    "entrypoint-flow",
    "block-missing",
    "block-local-only",
    "pool-missing",
]

# the word each kind shows in a table column (the detail says the rest)
SHORT: dict[str, str] = {
    "entrypoint-invalid": "bad entrypoint",
    "entrypoint-file": "no file",
    "entrypoint-parse": "file broken",
    "entrypoint-flow": "no flow",
    "block-missing": "no block",
    "block-local-only": "local block",
    "pool-missing": "no pool",
}


@dataclass(frozen=True, slots=True)
class DeploymentProblem:
    """One thing that will make a deployment's runs fail.

    ``subject`` is what it is about (the entrypoint, ``type/name`` of a block, the pool name);
    ``message`` one line for people; ``fix`` a command or step, or None.
    """

    kind: ProblemKind
    subject: str
    message: str
    fix: str | None = None

    @property
    def short(self) -> str:
        return SHORT[self.kind]


@dataclass(slots=True)
class EntrypointChecker:
    """Checks entrypoints below ``root`` (the folder of prefect.yaml), parsing each file once:
    a repository's 170 deployments often share a few files."""

    root: Path
    _flows: dict[str, tuple[Flow, ...] | DetectionError] = field(default_factory=dict)

    def check(self, entrypoint: str) -> DeploymentProblem | None:
        """The problem with ``entrypoint`` (``path/file.py:function``), or None when the file
        defines that flow (or may: a name bound in a way ast cannot follow is not flagged)."""
        try:
            relpath, function = parse_entrypoint(entrypoint)
        except DetectionError:
            return DeploymentProblem(
                "entrypoint-invalid",
                entrypoint,
                f"entrypoint {entrypoint} is not <path/file.py>:<function>",
            )
        if Path(relpath).is_absolute() or ".." in Path(relpath).parts:
            return None  # outside the project: not this repository's to check
        full = self.root / relpath
        if not full.is_file():
            return DeploymentProblem(
                "entrypoint-file",
                entrypoint,
                f"{relpath} does not exist (moved or deleted?): runs will fail to load the flow",
                f"fix the entrypoint, or restore {relpath}",
            )
        flows = self._flows_of(relpath)
        if isinstance(flows, DetectionError):
            return DeploymentProblem(
                "entrypoint-parse",
                entrypoint,
                f"{flows.message}: runs will fail to import it",
            )
        if any(flow.function == function for flow in flows):
            return None
        verdict = _binding(full, function)
        if verdict == "unknown":
            return None  # bound in a way the ast discovery does not follow: not flagged
        found = ", ".join(sorted(f.function for f in flows)) or "none"
        if verdict == "absent":
            message = f"{relpath} has no function {function} (its flows: {found})"
        else:
            message = f"{function} in {relpath} is not a flow (no @flow decorator)"
        return DeploymentProblem(
            "entrypoint-flow", entrypoint, message, "fix the entrypoint's function name"
        )

    def _flows_of(self, relpath: str) -> tuple[Flow, ...] | DetectionError:
        cached = self._flows.get(relpath)
        if cached is None:
            try:
                cached = flows_in_file(self.root, relpath)
            except DetectionError as exc:
                cached = exc
            self._flows[relpath] = cached
        return cached


def _binding(path: Path, function: str) -> Literal["absent", "plain", "unknown"]:
    """How the module at ``path`` binds ``function`` (``Class.method`` too): ``absent`` when
    nothing at module level binds the name (and no star import could), ``plain`` when it is
    a ``def`` without decorators, else ``unknown``."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return "unknown"
    name, _, attribute = function.partition(".")
    found: ast.stmt | None = None
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            return "unknown"
        if name in _bound_names(stmt):
            if found is not None:
                return "unknown"  # bound twice (conditionally, or redefined): not followed
            found = stmt
    if found is None:
        return "absent"
    if attribute:
        if not isinstance(found, ast.ClassDef):
            return "unknown"
        methods = [s for s in found.body if attribute in _bound_names(s)]
        if not methods:
            return "absent"
        found = methods[0]
    if isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef)) and not found.decorator_list:
        return "plain"
    return "unknown"


def _bound_names(stmt: ast.stmt) -> set[str]:
    """Names a statement binds at its own level (blocks inside it count too)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    names: set[str] = set()
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        return names
    if isinstance(stmt, (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.While)):
        for node in ast.walk(stmt):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
        return names
    if isinstance(stmt, (ast.Expr, ast.Pass)):
        return names
    for node in ast.walk(stmt):  # match, global, walrus...: whatever it stores
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def block_problems(
    references: Iterable[tuple[str, str]],
    existing: Collection[tuple[str, str]] | None,
    local_only: Collection[tuple[str, str]] = (),
) -> tuple[DeploymentProblem, ...]:
    """The referenced blocks (``(type, name)``) the store runs read lacks. ``existing``: the
    blocks of that store (None: not known, nothing flagged); ``local_only``: blocks this
    machine's local catalog holds while runs read a server (such a block is flagged
    ``block-local-only``, with the push that fixes it)."""
    if existing is None:
        return ()
    local = frozenset(local_only)
    problems = []
    for ref in references:
        if ref in existing:
            continue
        slug = f"{ref[0]}/{ref[1]}"
        if ref in local:
            problems.append(
                DeploymentProblem(
                    "block-local-only",
                    slug,
                    f"{slug} is only in this machine's local catalog: "
                    "runs read the server, where it is missing",
                    f"flowwiz blocks push {slug}",
                )
            )
        else:
            problems.append(
                DeploymentProblem(
                    "block-missing",
                    slug,
                    f"{slug} does not exist: runs will fail on the worker (Block not found)",
                    f"create it: flowwiz blocks create {ref[0]} {ref[1]}",
                )
            )
    return tuple(problems)


def pool_problem(
    pool: str | None, server_pools: Collection[str] | None
) -> DeploymentProblem | None:
    """A work pool the server lacks (``server_pools`` None: not read, nothing flagged)."""
    if server_pools is None or not pool or pool in server_pools:
        return None
    return DeploymentProblem(
        "pool-missing",
        pool,
        f"work pool {pool} is missing on the server: no worker will pick the runs up",
        f"prefect work-pool create {pool} --type process",
    )
