"""The wheel installs one import package, `flowwiz`, and lives beside packages named like its parts.

One wheel is built per module (``pip wheel --no-deps --no-build-isolation`` from a copy of the
sources, so the work tree gets no build/ or egg-info); the venv test reuses it. The fresh venv
gets its dependencies by a ``.pth`` line pointing at this venv's site-packages (a plain path:
no ``.pth`` there is run, so the editable flowwiz of this venv is not importable from it), and
pip installs the wheel and three stand-ins from local directories with no index at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.gitutil import make_repo

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("wizard", "detectors", "writers")  # the card's top-level folders
FLOW = "from prefect import flow\n\n\n@flow\ndef etl():\n    pass\n"


def _pip(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PIP_NO_INPUT": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what a clone holds for installing (the work tree gets no build/ or egg-info)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for part in PARTS:
        shutil.copytree(ROOT / part, src / part, ignore=shutil.ignore_patterns("__pycache__"))
    return src


@pytest.fixture(scope="module")
def wheel(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheelhouse")
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(out), str(source))
    (built,) = out.glob("flowwiz-*.whl")
    return built


def _packages_declared() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(data["tool"]["setuptools"]["packages"])


def _packages_on_disk() -> set[str]:
    found = set()
    for part in PARTS:
        for init in (ROOT / part).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT).as_posix()
            found.add("flowwiz." + rel.replace("/", "."))
    return found


def test_every_sub_package_on_disk_is_declared_for_the_wheel() -> None:
    # a new folder with __init__.py that is not listed would silently be left out of the wheel
    assert _packages_on_disk() == _packages_declared()


def test_the_wheel_installs_only_flowwiz(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    (dist_info,) = [t for t in top if t.endswith(".dist-info")]
    assert top == {"flowwiz", dist_info}
    # namespace package: no flowwiz/__init__.py, each part a regular package
    assert "flowwiz/__init__.py" not in names
    packaged = {
        name.rsplit("/", 1)[0].replace("/", ".") for name in names if name.endswith("/__init__.py")
    }
    assert packaged == _packages_declared()
    assert "flowwiz/wizard/dashboard/app.tcss" in names  # package data
    assert "flowwiz/writers/blocks/block_schemas.json" in names  # the shipped block types
    entry_points = zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode()
    assert "flowwiz = flowwiz.wizard.cli:main" in entry_points


def _stand_in(root: Path, name: str) -> Path:
    """A tiny distribution whose import package is ``name`` and knows it is not flowwiz's."""
    project = root / f"standin-{name}"
    (project / name).mkdir(parents=True)
    (project / name / "__init__.py").write_text(f"MARK = 'stand-in {name}'\n")
    (project / "pyproject.toml").write_text(
        "[build-system]\n"
        'requires = ["setuptools>=68"]\n'
        'build-backend = "setuptools.build_meta"\n'
        "[project]\n"
        f'name = "{name}"\n'
        'version = "0.0.1"\n'
        "[tool.setuptools]\n"
        f'packages = ["{name}"]\n'
    )
    return project


def test_flowwiz_and_packages_named_like_its_parts_live_side_by_side(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # flowwiz's dependencies (and setuptools to build the stand-ins) from this environment
    (site / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    stand_ins = [str(_stand_in(tmp_path / "standins", name)) for name in PARTS]
    install = ("install", "--no-deps", "--no-index", "--no-build-isolation")
    _pip("--python", str(python), *install, *stand_ins, str(wheel))

    probe = (
        "import json, wizard, detectors, writers, flowwiz.detectors.git as g; "
        "from flowwiz.detectors.self_install import add_package_command as add; "
        "print(json.dumps([wizard.MARK, detectors.MARK, writers.MARK, g.__file__, add('s3fs')]))"
    )
    out = subprocess.run(
        [str(python), "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout
    marks = json.loads(out)
    assert marks[:3] == ["stand-in wizard", "stand-in detectors", "stand-in writers"]
    assert Path(marks[3]).is_relative_to(site / "flowwiz" / "detectors")
    assert marks[4] == f"{python} -m pip install s3fs"  # the install hint for an extra

    repo = make_repo(tmp_path / "repo", {"flows/etl.py": FLOW})
    flowwiz = venv / "bin" / "flowwiz"

    def detect() -> dict:
        result = subprocess.run(
            [str(flowwiz), "detect", "--json"], cwd=repo, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    found = detect()
    assert found["root"] == str(repo)
    assert [f["entrypoint"] for f in found["flows"]] == ["flows/etl.py:etl"]
    # uninstalling a stand-in takes only its own files
    _pip("--python", str(python), "uninstall", "-y", "detectors")
    assert not (site / "detectors").exists()
    assert (site / "flowwiz" / "detectors" / "__init__.py").is_file()
    assert detect()["flows"] == found["flows"]


def test_a_uv_tool_install_gets_a_hint_that_adds_the_extra(source: Path, tmp_path: Path) -> None:
    """`uv tool install .` from a clone, as the README offers: flowwiz lands on uv's bin
    directory, and the hint for s3fs is uv's, and it works."""
    uv = Path(sys.executable).with_name("uv")
    env = {
        **os.environ,
        "UV_TOOL_DIR": str(tmp_path / "tools"),
        "UV_TOOL_BIN_DIR": str(tmp_path / "bin"),
        "PATH": os.pathsep.join([str(uv.parent), os.environ.get("PATH", "")]),
    }
    run = {"env": env, "capture_output": True, "text": True, "timeout": 300, "cwd": tmp_path}
    installed = subprocess.run([str(uv), "tool", "install", "-q", "."], **{**run, "cwd": source})
    assert installed.returncode == 0, installed.stderr
    python = tmp_path / "tools" / "flowwiz" / "bin" / "python"
    probe = "from flowwiz.detectors.self_install import add_package_command as a; print(a('s3fs'))"
    hint = subprocess.run([str(python), "-c", probe], check=True, **run).stdout.strip()
    assert hint == f"uv tool install --force --with s3fs {source}"
    added = subprocess.run(hint, shell=True, **run)  # noqa: S602  the very line users are shown
    assert added.returncode == 0, added.stderr
    subprocess.run([str(python), "-c", "import s3fs"], check=True, **run)
    assert (tmp_path / "bin" / "flowwiz").exists()
