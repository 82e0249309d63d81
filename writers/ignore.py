""".prefectignore: the default file flowwiz writes, and git-exact matching of its rules.

Prefect's push steps (``push_to_s3`` and friends) read only ``./.prefectignore`` at the project
root, with gitignore syntax. Matching here follows git itself, through dulwich's IgnoreFilter:
a file under an excluded directory is ignored even when a later rule re-includes it, as
gitignore(5) says. Prefect matches each file on its own with pathspec and so may upload a few
files git would ignore; never the other way round (shared/reference/git-and-secrets.md §4).
Matching is case-sensitive, as in Prefect and in git with ``core.ignorecase=false``.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from flowwiz.detectors.ignore_rules import IgnoreRules, load_ignore, rules_from_text
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
    """Whether ``relpath`` (relative to ``root``) is excluded by the rules, as git decides.

    ``ignore_text`` None reads ``root/.prefectignore`` (no file: nothing is ignored). A path
    ending in "/" or naming an existing directory asks whether the whole directory is skipped.
    A path outside ``root`` is never ignored (it is not uploaded either way); anything inside
    ``.git`` always is.
    """
    rel = _relative(root, relpath)
    if rel is None:
        return False
    if rel.split("/", 1)[0] == ".git":  # git never looks inside its own directory
        return True
    rules = (
        load_ignore(root, (PREFECTIGNORE,)) if ignore_text is None else _rules(root, ignore_text)
    )
    if relpath.endswith(("/", os.sep)) or (root / rel).is_dir():
        return rules.may_prune(rel + "/")
    return rules.is_ignored(rel)


def write_prefectignore(root: Path, text: str) -> bool:
    """Create ``root/.prefectignore`` if there is none (atomically); return whether it wrote."""
    return atomic.create_atomic(root / PREFECTIGNORE, text)


def _rules(root: Path, ignore_text: str) -> IgnoreRules:
    # dulwich reads the text as git does: comments, blank lines and unescaped trailing spaces
    # dropped, a CR before the LF too
    return rules_from_text(root, ignore_text.encode("utf-8", "surrogateescape"))


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
