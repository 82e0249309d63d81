"""`flowwiz deploy --entrypoint` for the flow forms Prefect's loader loads (issue 11): decorator
factories of the repository, module-level assignments, static and class methods, names from
constants. Each is accepted, written as given, and the next steps name the flow Prefect will
register (proved loadable with those names by tests/test_compat_discovery.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.deployutil import github_like_repo, run_deploy
from tests.flowcorpus import CORPUS

FILES = {
    "factories/team.py": (CORPUS / "factories/team.py").read_text(),
    "factories/uses_team.py": (CORPUS / "factories/uses_team.py").read_text(),
    "forms/assigned.py": (CORPUS / "forms/assigned.py").read_text(),
    "forms/methods.py": (CORPUS / "forms/methods.py").read_text(),
    "names/names.py": (CORPUS / "names/names.py").read_text(),
    "names/constants.py": (CORPUS / "names/constants.py").read_text(),
    "requirements.txt": "prefect\n",
}


@pytest.mark.parametrize(
    ("entrypoint", "flow_name"),
    [
        ("factories/uses_team.py:team_report", "team-report"),
        ("factories/uses_team.py:plain_team", "plain-team"),
        ("forms/assigned.py:assigned", "assigned-flow"),
        ("forms/assigned.py:constructed", "constructed-flow"),
        ("forms/methods.py:Jobs.nightly", "static-job"),
        ("forms/methods.py:Jobs.from_class", "from-class"),
        ("names/names.py:imported_constant_name", "report-from-constants"),
    ],
)
def test_explicit_entrypoint_for_each_form(tmp_path: Path, entrypoint: str, flow_name: str) -> None:
    repo = github_like_repo(tmp_path, FILES)
    result = run_deploy(repo, "--yes", "--entrypoint", entrypoint, "--name", "dep")
    assert result.returncode == 0, result.stderr
    entry = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    assert entry["entrypoint"] == entrypoint
    assert f"prefect deployment run {flow_name}/dep" in result.stdout + result.stderr


def test_instance_methods_stay_refused(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path, FILES)
    result = run_deploy(repo, "--yes", "--entrypoint", "forms/methods.py:Jobs.instance_run")
    assert result.returncode == 2
    assert "Jobs.instance_run" in result.stderr


def test_class_method_parameters_leave_out_cls(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path, FILES)
    result = run_deploy(
        repo, "--yes", "--entrypoint", "forms/methods.py:Jobs.from_class", "--param", "region=us"
    )
    assert result.returncode == 0, result.stderr
    entry = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    assert entry["parameters"] == {"region": "us"}
