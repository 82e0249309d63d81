""".prefectignore: the default file flowwiz writes, and whether Prefect's push steps skip a path.

Prefect's push steps (``push_to_s3`` and friends) read only ``./.prefectignore`` at the project
root, with gitignore syntax but their own matching: each line stripped, every file matched on
its own by pathspec's GitIgnoreSpec, so a later ``!rule`` can re-include a file under an
excluded directory (git would not). ``is_ignored`` answers "will Prefect leave this out of the
upload?" with exactly those rules (detectors/prefect_ignore.py, checked against Prefect's own
function); discovery keeps git's rules (detectors/ignore_rules.py).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from flowwiz.detectors.prefect_ignore import (
    load_prefectignore,
    read_prefectignore,
    uploaded_files,
)
from flowwiz.writers import atomic

PREFECTIGNORE = ".prefectignore"

DEFAULT_PREFECTIGNORE = """\
# Files Prefect leaves out when it uploads this project to remote storage
# (push_to_s3, push_to_gcs, push_to_azure_blob_storage). Same syntax as .gitignore.
# Written by flowwiz; edit freely. A leading "/" anchors a rule to the project root:
# /venv/ skips ./venv but keeps a package directory named venv deeper in the tree.

# Prefect
.prefectignore

# Version control
.git/
.hg/
.svn/

# Virtual environments (env and venv anchored: they are also plausible package names;
# .venv never is, so it is skipped at any depth)
.venv/
/venv/
/env/

# Python caches and build output
__pycache__/
*.py[cod]
*$py.class
*.egg-info/
*.egg
.mypy_cache/
.dmypy.json
dmypy.json
.pytest_cache/
.ruff_cache/
.pyre/

# Notebooks
.ipynb_checkpoints/

# Editors and operating systems
.DS_Store
.idea/
.vscode/

# Secrets: never upload them
.env
.env.*
.envrc
*.pem
*.key

# JavaScript dependencies
node_modules/
"""

_GITIGNORE_BEGIN = "# --- copied from .gitignore by flowwiz ---"
_GITIGNORE_END = "# --- end of the .gitignore rules ---"


def prefectignore_text(existing_gitignore: str | None = None) -> str:
    """The default file; with a .gitignore's text, its rules appended in a marked section.

    Prefect never reads .gitignore, so copying its rules is how both agree on what is uploaded.
    """
    if existing_gitignore is None or not existing_gitignore.strip():
        return DEFAULT_PREFECTIGNORE
    rules = existing_gitignore.replace("\r\n", "\n")
    if not rules.endswith("\n"):
        rules += "\n"
    return f"{DEFAULT_PREFECTIGNORE}\n{_GITIGNORE_BEGIN}\n{rules}{_GITIGNORE_END}\n"


def is_ignored(root: Path, relpath: str, ignore_text: str | None = None) -> bool:
    """Whether Prefect's push step leaves ``relpath`` (relative to ``root``) out of the upload.

    ``ignore_text`` None reads ``root/.prefectignore`` (no file: nothing is left out). A path
    ending in "/" or naming an existing directory asks whether no file under it is uploaded
    (a directory not there: whether pathspec matches it as a directory). A path outside
    ``root`` is never ignored (it is not uploaded either way). Raises PrefectIgnoreError for a
    line Prefect cannot read (``prefect deploy`` would fail on it).
    """
    rel = _relative(root, relpath)
    if rel is None:
        return False
    rules = load_prefectignore(root) if ignore_text is None else read_prefectignore(ignore_text)
    if rules.lines is None:
        return False
    if relpath.endswith(("/", os.sep)) or (root / rel).is_dir():
        if (root / rel).is_dir() and not (root / rel).is_symlink():
            return next(uploaded_files(root, rules, under=rel), None) is None
        return not rules.uploads(rel + "/")
    return not rules.uploads(rel)


def write_prefectignore(root: Path, text: str) -> bool:
    """Create ``root/.prefectignore`` if there is none (atomically); return whether it wrote."""
    return atomic.create_atomic(root / PREFECTIGNORE, text)


def _relative(root: Path, relpath: str) -> str | None:
    """``relpath`` as a clean POSIX path relative to ``root``; None if it leaves ``root``."""
    path = Path(relpath)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(root.resolve())
        except ValueError:
            return None
    parts = [p for p in PurePosixPath(path.as_posix()).parts if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)
