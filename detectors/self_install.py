"""How this flowwiz was installed, and the command that adds a package to its environment.

An optional feature (``--verify`` on a bucket needs s3fs, gcsfs or adlfs: the ``s3``, ``gcs``
and ``azure`` extras) must be installed where flowwiz runs, and each way of installing it has
its own command for that:

- pipx (its venv holds ``pipx_metadata.json``): ``pipx inject flowwiz s3fs``;
- ``uv tool install`` (its venv holds ``uv-receipt.toml``): ``uv tool install --force --with
  s3fs <source>``, the source read from the install's ``direct_url.json`` (PEP 610);
- any other environment flowwiz was installed into by uv (``INSTALLER`` is ``uv``, PEP 376):
  ``uv pip install --python <its python> s3fs``;
- otherwise (the README's ``~/.flowwiz`` venv, a project's venv, an editable checkout): that
  environment's own pip, ``<its python> -m pip install s3fs``.
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

DIST = "flowwiz"


@dataclass(frozen=True, slots=True)
class SelfInstall:
    kind: str  # "pipx" | "uv-tool" | "uv" | "pip"
    python: str  # the interpreter flowwiz runs on (sys.executable)
    source: str | None  # where it was installed from (a local path or URL), if recorded
    with_packages: tuple[str, ...] = ()  # uv tool: the receipt's other `--with` names, kept


def detect_self_install(
    prefix: str | None = None, python: str | None = None, metadata_dir: Path | None = None
) -> SelfInstall:
    """How flowwiz was installed. Defaults: ``sys.prefix``, ``sys.executable`` and flowwiz's
    own ``*.dist-info`` (arguments are for tests). Never raises: unknown is "pip"."""
    prefix_path = Path(sys.prefix if prefix is None else prefix)
    python = sys.executable if python is None else python
    installer, source = _metadata(metadata_dir)
    if (prefix_path / "pipx_metadata.json").is_file():
        kind = "pipx"
    elif (prefix_path / "uv-receipt.toml").is_file():
        return SelfInstall(
            kind="uv-tool",
            python=python,
            source=source,
            with_packages=_receipt_withs(prefix_path / "uv-receipt.toml"),
        )
    elif installer == "uv":
        kind = "uv"
    else:
        kind = "pip"
    return SelfInstall(kind=kind, python=python, source=source)


def add_package_command(package: str, install: SelfInstall | None = None) -> str:
    """The shell command that installs ``package`` where this flowwiz runs."""
    install = install or detect_self_install()
    if install.kind == "pipx":
        return f"pipx inject {DIST} {shlex.quote(package)}"
    if install.kind == "uv-tool":
        # --force reinstalls from the requirements given, so the receipt's --with stay listed
        source = shlex.quote(install.source) if install.source else DIST
        withs = [*(w for w in install.with_packages if w != package), package]
        return (
            "uv tool install --force "
            + "".join(f"--with {shlex.quote(w)} " for w in withs)
            + source
        )
    if install.kind == "uv":
        return f"uv pip install --python {shlex.quote(install.python)} {shlex.quote(package)}"
    return f"{shlex.quote(install.python)} -m pip install {shlex.quote(package)}"


def _metadata(metadata_dir: Path | None) -> tuple[str | None, str | None]:
    """(INSTALLER, the source from direct_url.json) of flowwiz's installed metadata."""
    installer = (_read(metadata_dir, "INSTALLER") or "").strip() or None
    source = None
    try:
        direct = json.loads(_read(metadata_dir, "direct_url.json") or "null")
    except ValueError:
        direct = None
    if isinstance(direct, dict) and isinstance(direct.get("url"), str):
        url = direct["url"]
        parsed = urlparse(url)
        vcs = (direct.get("vcs_info") or {}).get("vcs")
        if vcs:
            source = f"{vcs}+{url}"
        elif parsed.scheme == "file":
            source = unquote(parsed.path)
        else:
            source = url
    return installer, source


def _receipt_withs(receipt: Path) -> tuple[str, ...]:
    """Names of the receipt's requirements other than flowwiz (uv's ``[tool] requirements``)."""
    try:
        import tomllib

        data = tomllib.loads(receipt.read_text())
        requirements = data["tool"]["requirements"]
        return tuple(
            str(r["name"]) for r in requirements if isinstance(r, dict) and r.get("name") != DIST
        )
    except (ImportError, OSError, ValueError, KeyError, TypeError):  # 3.10 or unknown shape
        return ()


def _read(metadata_dir: Path | None, name: str) -> str | None:
    try:
        if metadata_dir is not None:
            return (metadata_dir / name).read_text()
        from importlib.metadata import distributions

        # the installed *.dist-info (it has INSTALLER), not a source tree's flowwiz.egg-info
        # that the current directory may put first on sys.path
        found = [d for d in distributions(name=DIST) if d.read_text("INSTALLER") is not None]
        return found[0].read_text(name) if found else None
    except (OSError, ValueError, ImportError):  # PackageNotFoundError is an ImportError
        return None
