"""detectors.self_install: the command that adds an extra where this flowwiz runs.

Real installs are in tests/test_packaging.py (a pip venv and a real `uv tool install`); here
each kind is read from the files its installer leaves (a prefix and a dist-info in tmp_path).
"""

from __future__ import annotations

import json
from pathlib import Path

from flowwiz.detectors.self_install import add_package_command, detect_self_install


def _layout(tmp_path: Path, installer: str | None, direct_url: dict | None = None) -> Path:
    prefix = tmp_path / "env"
    meta = prefix / "lib" / "flowwiz-0.1.0.dist-info"
    meta.mkdir(parents=True)
    if installer is not None:
        (meta / "INSTALLER").write_text(installer + "\n")
    if direct_url is not None:
        (meta / "direct_url.json").write_text(json.dumps(direct_url))
    return prefix


def _command(prefix: Path, python: str = "/env/bin/python") -> str:
    meta = prefix / "lib" / "flowwiz-0.1.0.dist-info"
    install = detect_self_install(prefix=str(prefix), python=python, metadata_dir=meta)
    return add_package_command("s3fs", install)


def test_a_pip_venv_uses_its_own_pip(tmp_path: Path) -> None:
    prefix = _layout(tmp_path, "pip", {"url": "file:///src/flowwiz", "dir_info": {}})
    assert _command(prefix) == "/env/bin/python -m pip install s3fs"
    assert _command(prefix, "/home/a b/.flowwiz/bin/python") == (
        "'/home/a b/.flowwiz/bin/python' -m pip install s3fs"
    )


def test_a_venv_uv_installed_into_uses_uv_pip(tmp_path: Path) -> None:
    prefix = _layout(tmp_path, "uv")
    assert _command(prefix) == "uv pip install --python /env/bin/python s3fs"


def test_pipx_injects(tmp_path: Path) -> None:
    prefix = _layout(tmp_path, "pip")
    (prefix / "pipx_metadata.json").write_text("{}")
    assert _command(prefix) == "pipx inject flowwiz s3fs"


def test_a_uv_tool_reinstalls_from_its_source_keeping_its_other_packages(tmp_path: Path) -> None:
    url = {"url": "file:///home/me/src/flow%20wiz", "dir_info": {}}
    prefix = _layout(tmp_path, "uv", url)
    (prefix / "uv-receipt.toml").write_text(
        "[tool]\nrequirements = [\n"
        '    { name = "flowwiz", directory = "/home/me/src/flow wiz" },\n'
        '    { name = "gcsfs" },\n]\n'
    )
    assert _command(prefix) == (
        "uv tool install --force --with gcsfs --with s3fs '/home/me/src/flow wiz'"
    )


def test_a_uv_tool_from_git(tmp_path: Path) -> None:
    url = {"url": "https://github.com/acme/flowwiz", "vcs_info": {"vcs": "git", "commit_id": "a"}}
    prefix = _layout(tmp_path, "uv", url)
    (prefix / "uv-receipt.toml").write_text("not toml [")
    assert _command(prefix) == (
        "uv tool install --force --with s3fs git+https://github.com/acme/flowwiz"
    )


def test_nothing_recorded_falls_back_to_pip(tmp_path: Path) -> None:
    prefix = _layout(tmp_path, None)
    (prefix / "lib" / "flowwiz-0.1.0.dist-info" / "direct_url.json").write_text("{oops")
    install = detect_self_install(
        prefix=str(prefix), python="/p", metadata_dir=prefix / "lib" / "flowwiz-0.1.0.dist-info"
    )
    assert (install.kind, install.source) == ("pip", None)


def test_this_checkout_is_a_pip_install_of_this_python() -> None:
    import sys

    install = detect_self_install()
    assert install.kind == "pip" and install.python == sys.executable
    assert install.source == str(Path(__file__).resolve().parent.parent)
