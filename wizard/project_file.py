"""Which prefect.yaml the deployment goes into, and so which folder is its project.

Prefect resolves a deployment's entrypoint relative to the directory ``prefect deploy`` runs
in (``load_flow_from_entrypoint`` at deploy time; on a worker, relative to the ``directory``
the last pull step returned). A repository that keeps one prefect.yaml per pipeline folder
therefore writes entrypoints relative to that folder, and the team runs ``prefect deploy``
there. So: when the chosen flow sits below a prefect.yaml other than the one at the project
root, the wizard offers that file, and when the deployment goes into it the project becomes
its folder (entrypoint rebased, the clone followed by a change into that folder). A file whose
existing entrypoints resolve from where flowwiz runs keeps that convention instead.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from flowwiz.detectors.errors import UserError
from flowwiz.wizard.prompts import Question
from flowwiz.wizard.session import Session

PREFECT_YAML = "prefect.yaml"


def choose_project(session: Session, flow: Any) -> Any:
    """The flow, rebased when the project moves to the folder of the chosen prefect.yaml
    (then ``session.detected`` and ``session.options.prefect_file`` follow). Raises UserError
    when ``--prefect-file`` names a folder that does not exist, or a file flowwiz refuses."""
    opts, det = session.options, session.detected
    root = Path(det.root)
    flow_dir = (root / flow.path).parent
    if opts.prefect_file_given:
        target = Path(os.path.normpath(root / opts.prefect_file))
        if not target.parent.is_dir():
            raise UserError(f"--prefect-file: no such folder: {target.parent}")
    else:
        nearest = nearest_prefect_yaml(flow_dir, root)
        if nearest is None:
            _mention_file_above(session, root)
            return flow
        if nearest.parent == root:
            return flow
        shown = _relative(nearest, root)
        here = "create" if not (root / opts.prefect_file).exists() else "update"
        use = session.asker.ask(
            Question(
                "prefect_file",
                f"{shown} sits beside this flow. Add the deployment there "
                f"(rather than {here} {opts.prefect_file} here)?",
                "confirm",
                "--prefect-file",
                default=True,
            )
        )
        if not use:
            return flow
        target = nearest
    folder = target.parent
    if folder == root or not _is_under(flow_dir, folder) or _entries_from(target, root, folder):
        # entrypoints stay relative to root; next steps carry --prefect-file
        session.options = replace(session.options, prefect_file=os.path.relpath(target, root))
        return flow
    return _rebase(session, flow, root, folder, target)


def _mention_file_above(session: Session, root: Path) -> None:
    """A new file is about to be created here while the repository keeps one above: say so
    (where flowwiz was started is the user's choice, so it is not changed)."""
    git = session.detected.git
    if git is None or (root / session.options.prefect_file).exists():
        return
    top = Path(git.root)
    if root == top or not _is_under(root, top):
        return
    above = nearest_prefect_yaml(root.parent, top)
    if above is not None:
        shown = os.path.relpath(above, root)
        session.asker.note(
            f"!The repository has {shown}; this deployment goes into a new "
            f"{session.options.prefect_file} here (pass --prefect-file {shown} to add it there)."
        )


def nearest_prefect_yaml(start: Path, stop: Path) -> Path | None:
    """The prefect.yaml in ``start`` or the nearest folder above it, up to ``stop``."""
    current = start
    while True:
        candidate = current / PREFECT_YAML
        if candidate.is_file():
            return candidate
        if current == stop or current.parent == current or not _is_under(current, stop):
            return None
        current = current.parent


def _rebase(session: Session, flow: Any, root: Path, folder: Path, target: Path) -> Any:
    from flowwiz.detectors.project import detect_project

    project = detect_project(folder, shallow=True)
    if project.prefect_yaml_error and target.name == PREFECT_YAML:
        raise UserError(f"{project.prefect_yaml_error} (fix it first; flowwiz left it untouched)")
    path = (root / flow.path).relative_to(folder).as_posix()
    moved = replace(flow, path=path, entrypoint=f"{path}:{flow.function}")
    session.options = replace(session.options, prefect_file=target.name)
    session.detected = replace(session.detected, root=folder, project=project)
    session.asker.note(
        f"!The deployment goes into {_relative(target, root)}; its entrypoint is relative to "
        f"{_relative(folder, root)}: {moved.entrypoint}"
    )
    return moved


def _entries_from(target: Path, root: Path, folder: Path) -> bool:
    """Whether the deployments already in ``target`` name entrypoints relative to ``root``
    (where flowwiz runs) rather than to the file's own folder."""
    if not target.is_file():
        return False
    from flowwiz.detectors.errors import ProjectFileError
    from flowwiz.detectors.project import load_prefect_yaml

    try:
        found = load_prefect_yaml(target, shallow=True)
    except ProjectFileError:
        return False
    from_root = from_folder = 0
    for entry in found.deployments:
        entrypoint = entry.get("entrypoint")
        if not isinstance(entrypoint, str) or ":" not in entrypoint:
            continue
        path = entrypoint.rsplit(":", 1)[0]
        from_root += (root / path).is_file()
        from_folder += (folder / path).is_file()
    return from_root > from_folder


def _is_under(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix() or "."
    except ValueError:
        return str(path)
