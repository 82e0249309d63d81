"""detectors.submodules: which imports of a flow file come from a git submodule (by parsing)."""

from __future__ import annotations

from pathlib import Path

from flowwiz.detectors.submodules import SubmoduleImport, submodule_imports

FLOW = """\
import os
import vendor.shared
from libs.common.util import helper
from . import sibling
from local_pkg import thing
"""


def tree(root: Path) -> Path:
    project = root / "projects" / "sales"
    for folder in ("vendor/shared", "libs/common/util", "local_pkg", "flows"):
        (project / folder).mkdir(parents=True, exist_ok=True)
    (project / "flows" / "etl.py").write_text(FLOW)
    return project


def test_imports_resolving_into_a_submodule_are_named(tmp_path: Path) -> None:
    project = tree(tmp_path)
    found = submodule_imports(
        project,
        "flows/etl.py",
        tmp_path,
        ["projects/sales/vendor", "projects/sales/libs/common", "elsewhere"],
    )
    assert found == (
        SubmoduleImport("vendor.shared", "projects/sales/vendor"),
        SubmoduleImport("libs.common.util", "projects/sales/libs/common"),
    )


def test_a_module_beside_the_flow_file_counts_too(tmp_path: Path) -> None:
    project = tree(tmp_path)
    (project / "flows" / "helpers").mkdir()
    (project / "flows" / "etl.py").write_text("from helpers.x import y\n")
    found = submodule_imports(project, "flows/etl.py", tmp_path, ["projects/sales/flows/helpers"])
    assert [f.module for f in found] == ["helpers.x"]


def test_nothing_when_no_submodule_or_the_file_does_not_parse(tmp_path: Path) -> None:
    project = tree(tmp_path)
    assert submodule_imports(project, "flows/etl.py", tmp_path, []) == ()
    assert submodule_imports(project, "flows/etl.py", tmp_path, ["projects/sales/other"]) == ()
    (project / "flows" / "bad.py").write_text("def broken(:\n")
    assert submodule_imports(project, "flows/bad.py", tmp_path, ["projects/sales/vendor"]) == ()
    assert submodule_imports(project, "flows/missing.py", tmp_path, ["projects/sales/vendor"]) == ()
