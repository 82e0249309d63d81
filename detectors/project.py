"""What a project already has: prefect.yaml (parsed), a Dockerfile, requirements, Python version.

A prefect.yaml that does not parse is reported (``ProjectInfo.prefect_yaml_error``) and never
raised from ``detect_project``: the wizard shows it and leaves the file untouched, where real
Prefect silently discards a file that fails validation (reference quirk 6).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowwiz.detectors.errors import DetectionError, ProjectFileError

PREFECT_YAML = "prefect.yaml"

# Prefect 3's own placeholder pattern (prefect/utilities/templating) and block prefix
_PLACEHOLDER = re.compile(r"\{\{\s*([\w.\-\[\]$]+)\s*\}\}")
_BLOCK_PREFIX = "prefect.blocks."
_VERSION = re.compile(r"(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True)
class PrefectYaml:
    path: Path
    text: str
    data: Mapping[str, Any]  # safe_load result (a dict; {} for an empty file)
    deployments: tuple[Mapping[str, Any], ...]  # the entries of `deployments:` (mappings only)
    # the same parse with text positions (detectors.yaml_document.Document): the writer
    # splices into it, so a run parses the file once
    document: Any = None

    @property
    def deployment_names(self) -> tuple[str, ...]:
        """The ``name`` of each deployment that has a string one, in file order."""
        return tuple(d["name"] for d in self.deployments if isinstance(d.get("name"), str))


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    root: Path
    prefect_yaml: PrefectYaml | None
    prefect_yaml_error: str | None  # "prefect.yaml line 3, column 5: ..." (never raised)
    dockerfile: Path | None
    requirements: tuple[str, ...]  # requirements.txt, requirements-*.txt, pyproject.toml, ...
    python_version: str  # "3.11": .python-version if usable, else the running interpreter's
    prefectignore: Path | None


def load_prefect_yaml(path: Path, *, shallow: bool = False) -> PrefectYaml:
    """Parse a prefect.yaml once (libyaml when present); ProjectFileError (one line, 1-based
    line/column) when malformed, not UTF-8, not a regular file, or holding a duplicate key
    or a recursive alias. The text is kept exactly as stored (CRLF too).

    ``shallow``: a long list of deployments is read lazily (``Document.parse(shallow=True)``:
    the same data, each entry built when first used); for a run that edits one entry."""
    from flowwiz.detectors.yaml_document import Document

    path = Path(path)
    name = path.name
    text = _read_regular(path)
    document = Document.parse(text, name, shallow=shallow)
    data = document.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProjectFileError(
            f"{name} must be a mapping (key: value lines) at the top level, not {_kind(data)}"
        )
    deployments = data.get("deployments")
    if deployments is None:
        deployments = []
    if not isinstance(deployments, list):
        raise ProjectFileError(f"{name}: `deployments` must be a list, not {_kind(deployments)}")
    return PrefectYaml(
        path=path,
        text=text,
        data=data,
        deployments=tuple(d for d in deployments if isinstance(d, dict)),
        document=document,
    )


def _read_regular(path: Path) -> str:
    """Bytes as stored, decoded; a FIFO or device is refused before it is opened."""
    import stat

    name = path.name
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ProjectFileError(f"{name}: no such file") from None
    except OSError as exc:
        raise ProjectFileError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ProjectFileError(f"{name} is not a regular file (a pipe, device or directory)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProjectFileError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ProjectFileError(f"{name}: does not decode as UTF-8") from None


def detect_project(root: Path, *, shallow: bool = False) -> ProjectInfo:
    """What the project at ``root`` already has. Raises DetectionError only if root is no dir.
    ``shallow``: see :func:`load_prefect_yaml`."""
    root = Path(root)
    if not root.is_dir():
        raise DetectionError(f"{root} is not a directory")
    prefect_yaml: PrefectYaml | None = None
    error: str | None = None
    candidate = root / PREFECT_YAML
    if (candidate.exists() or candidate.is_symlink()) and not candidate.is_dir():
        try:
            prefect_yaml = load_prefect_yaml(root / PREFECT_YAML, shallow=shallow)
        except ProjectFileError as exc:
            error = str(exc)
    return ProjectInfo(
        root=root,
        prefect_yaml=prefect_yaml,
        prefect_yaml_error=error,
        dockerfile=_file(root / "Dockerfile"),
        requirements=_requirements(root),
        python_version=_python_version(root),
        prefectignore=_file(root / ".prefectignore"),
    )


def block_references(obj: Any) -> tuple[tuple[str, str], ...]:
    """Each ``{{ prefect.blocks.<type>.<name>[.field] }}`` in obj's values, as (type, name).

    Walks dict values, lists and strings as Prefect's ``find_placeholders`` does (dict keys
    are never templated); deduplicated, in order of first appearance.
    """
    found: dict[tuple[str, str], None] = {}
    for text in _strings(obj):
        for match in _PLACEHOLDER.finditer(text):
            placeholder = match.group(1)
            if not placeholder.startswith(_BLOCK_PREFIX):
                continue
            parts = placeholder[len(_BLOCK_PREFIX) :].split(".", 2)
            if len(parts) >= 2 and parts[0] and parts[1]:
                found.setdefault((parts[0], parts[1]), None)
    return tuple(found)


# ---------------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return f"a {type(value).__name__}"


def _strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, Mapping):
        for value in obj.values():
            yield from _strings(value)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _strings(item)


def _file(path: Path) -> Path | None:
    return path if path.is_file() else None


def _requirements(root: Path) -> tuple[str, ...]:
    names = ["requirements.txt"]
    names += sorted(p.name for p in root.glob("requirements-*.txt"))
    names += ["pyproject.toml", "setup.py", "environment.yml"]
    return tuple(n for n in names if (root / n).is_file())


def _python_version(root: Path) -> str:
    """The first usable line of the nearest .python-version, as major.minor.

    The nearest file is looked for in ``root`` and then each parent folder, as pyenv's
    ``pyenv version-file`` and uv do, so a project in a sub-folder of a repository reads the
    repository's file. The first file found decides, even when its line is not a version
    (``system``): then, as without a file, the running interpreter's version.
    """
    text = ""
    for folder in (root, *root.resolve().parents):
        try:
            text = (folder / ".python-version").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        break
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _VERSION.search(line)
        if match:
            return f"{match.group(1)}.{match.group(2)}"
    return f"{sys.version_info.major}.{sys.version_info.minor}"
