"""The prefect.yaml files of a repository: the root's, and those of folders below it.

Repositories of examples keep one project per folder (a prefect.yaml in each pipeline folder,
deployed with ``prefect deploy`` run from that folder, its entrypoints relative to it); a
dashboard opened at the root shows them all. The walk is the flow discovery's
(``detectors.flows``): ignore rules, the same pruned folders, virtualenvs and symlinked
folders skipped, in sorted order.
"""

from __future__ import annotations

import os
from pathlib import Path

from flowwiz.detectors.flows import PRUNED_DIRS
from flowwiz.detectors.ignore_rules import load_ignore

PREFECT_YAML = "prefect.yaml"
# A repository with more is not a set of projects: the first ones are shown, and said so.
MAX_FILES = 200
MAX_DEPTH = 6


def nested_prefect_yamls(root: Path, limit: int = MAX_FILES) -> tuple[str, ...]:
    """POSIX paths (relative to ``root``) of the ``prefect.yaml`` files in folders below
    ``root`` (not the root's own), at most ``limit``, at most MAX_DEPTH folders deep."""
    root = Path(root)
    rules = load_ignore(root)
    found: list[str] = []
    stack = [(str(root), "", 0)]
    while stack and len(found) < limit:
        top, prefix, depth = stack.pop()
        dirs: list[str] = []
        has_yaml = venv = False
        try:
            with os.scandir(top) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            dirs.append(entry.name)
                        elif entry.name == PREFECT_YAML and entry.is_file():
                            has_yaml = True
                        elif entry.name == "pyvenv.cfg":
                            venv = True
                    except OSError:
                        continue
        except OSError:
            continue
        if prefix and venv:
            continue  # a virtualenv: installed code, never the project's
        if prefix and has_yaml and not (rules and rules.is_ignored(prefix + PREFECT_YAML)):
            found.append(prefix + PREFECT_YAML)
        if depth >= MAX_DEPTH:
            continue
        for name in sorted(dirs, reverse=True):  # popped in sorted order
            if name in PRUNED_DIRS or name.startswith(".") or name.endswith(".egg-info"):
                continue
            if rules and rules.may_prune(prefix + name + "/"):
                continue
            stack.append((top + os.sep + name, prefix + name + "/", depth + 1))
    return tuple(found)
