"""Which of a flow file's imports come from a git submodule.

A worker that clones without ``include_submodules`` gets empty submodule folders, and the
flow fails with ModuleNotFoundError. The imports are read by parsing (``ast``), never by
importing, and resolved the way Prefect's loader makes them importable: from the folder
``prefect deploy`` runs in (the project) and from the flow file's own folder, both put on
``sys.path`` by ``prefect.utilities.importtools.load_script_as_module``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SubmoduleImport", "submodule_imports"]


@dataclass(frozen=True, slots=True)
class SubmoduleImport:
    module: str  # the dotted name as imported, e.g. "vendor.shared"
    submodule: str  # the submodule's path relative to the git root, e.g. "projects/sales/vendor"


def submodule_imports(
    project_root: Path, flow_path: str, git_root: Path, submodules: Sequence[str]
) -> tuple[SubmoduleImport, ...]:
    """The imports of ``flow_path`` (relative to ``project_root``) that resolve into one of
    ``submodules`` (paths relative to ``git_root``). A file that cannot be read or parsed
    gives ``()``: this only sharpens a proposal, it never stops the wizard."""
    if not submodules:
        return ()
    flow_file = project_root / flow_path
    try:
        tree = ast.parse(flow_file.read_bytes(), filename=flow_path)
    except (OSError, SyntaxError, ValueError):
        return ()
    roots = [Path(git_root).resolve() / sub for sub in submodules]
    bases = list(dict.fromkeys([project_root.resolve(), flow_file.resolve().parent]))
    found: dict[str, SubmoduleImport] = {}
    for module in _imported_modules(tree):
        parts = module.split(".")
        for base in bases:
            # vendor.shared: vendor/ may be the submodule, or a folder holding it
            hit = next(
                (
                    root
                    for depth in range(1, len(parts) + 1)
                    if (root := _inside(base.joinpath(*parts[:depth]), roots)) is not None
                ),
                None,
            )
            if hit is not None:
                found.setdefault(
                    module, SubmoduleImport(module, hit.relative_to(git_root.resolve()).as_posix())
                )
                break
    return tuple(found.values())


def _imported_modules(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def _inside(path: Path, roots: Sequence[Path]) -> Path | None:
    """The submodule root that ``path`` (a package folder or ``<name>.py``) is in, or None."""
    for candidate in (path, path.with_name(path.name + ".py")):
        if not candidate.exists():
            continue
        resolved = candidate.resolve()
        for root in roots:
            if resolved == root or root in resolved.parents:
                return root
    return None
