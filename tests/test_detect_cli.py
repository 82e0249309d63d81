"""`flowwiz detect`: what flowwiz sees, as JSON and as tables, with credentials masked."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.clirun import flowwiz
from tests.gitutil import bare_remote, flow_repo, git, push_to
from tests.leaks import assert_not_leaked, canary


def detect(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return flowwiz("detect", *args, cwd=cwd)


def test_json_reports_remotes_branch_flows_and_masks_credentials(tmp_path: Path) -> None:
    repo = flow_repo(tmp_path / "repo")
    push_to(repo, bare_remote(tmp_path), name="backup")
    token = canary()
    git(repo, "remote", "add", "origin", f"https://ci:{token}@gitlab.com/team/sub/flows.git")
    (repo / "prefect.yaml").write_text(
        "deployments:\n- name: one\n  entrypoint: flows/etl.py:etl\n"
    )
    result = detect(str(repo), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    remotes = {r["name"]: r for r in data["git"]["remotes"]}
    assert remotes["origin"]["https_url"] == "https://gitlab.com/team/sub/flows.git"
    assert remotes["origin"]["provider"] == "gitlab"
    assert remotes["origin"]["had_credentials"] is True
    assert remotes["backup"]["clonable"] is False
    assert data["git"]["preferred_remote"] == "backup"  # main tracks backup/main
    assert data["git"]["branch"] == "main"
    assert [f["entrypoint"] for f in data["flows"]] == ["flows/etl.py:etl"]
    assert data["flows"][0]["name"] == "nightly-etl"
    assert [p["name"] for p in data["flows"][0]["parameters"]] == ["count", "label"]
    assert data["prefect_yaml"]["deployments"] == ["one"]
    assert "requirements.txt" in data["requirements"]
    tables = detect(cwd=repo)
    assert tables.returncode == 0, tables.stderr
    assert "flows/etl.py:etl" in tables.stdout and "masked" in tables.stdout
    assert_not_leaked(token, texts=[result.stdout, result.stderr, tables.stdout, tables.stderr])


def test_not_a_git_repository_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    result = detect(str(tmp_path / "plain"), "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["git"] is None and "not inside a git repository" in data["git_problem"]


def test_path_that_is_not_a_directory_exits_2(tmp_path: Path) -> None:
    result = detect(str(tmp_path / "missing"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: not a directory: {tmp_path / 'missing'}"


def test_malformed_prefect_yaml_is_shown_with_line_and_column(tmp_path: Path) -> None:
    repo = flow_repo(tmp_path / "repo")
    (repo / "prefect.yaml").write_text("deployments:\n  - name: [x\n")
    data = json.loads(detect(str(repo), "--json").stdout)
    assert "line" in data["prefect_yaml_error"] and "column" in data["prefect_yaml_error"]


def test_dockerfile_and_where_it_puts_the_code(tmp_path: Path) -> None:
    repo = flow_repo(tmp_path / "repo")
    (repo / "Dockerfile").write_text("FROM python:3.12\nWORKDIR /srv\nCOPY . app\n")
    data = json.loads(detect(str(repo), "--json").stdout)
    assert data["dockerfile"].endswith("Dockerfile")
    assert data["dockerfile_code_dir"] == "/srv/app"
    tables = detect(cwd=repo)
    assert "Dockerfile (code in /srv/app)" in " ".join(tables.stdout.split())


def test_json_reports_project_folder_submodules_tag_and_ci_variable(tmp_path: Path) -> None:
    """Issue 9: a release checkout of a monorepo's sub-folder, inside a CI job."""
    lib = flow_repo(tmp_path / "lib")
    repo = flow_repo(tmp_path / "repo", {"projects/sales/flows/etl.py": ("etl", "sales")})
    push_to(repo, bare_remote(tmp_path))
    git(repo, "submodule", "add", "-q", str(lib), "projects/sales/vendor")
    git(repo, "commit", "-q", "-m", "vendor")
    git(repo, "tag", "v2.0")
    git(repo, "checkout", "-q", "--detach", "v2.0")
    sales = repo / "projects" / "sales"
    data = json.loads(detect("--json", cwd=sales).stdout)["git"]
    assert data["project_subdir"] == "projects/sales"
    assert data["submodules"] == ["projects/sales/vendor"]
    assert (data["detached"], data["tags_at_head"]) == (True, ["v2.0"])
    assert (data["suggested_branch"], data["suggested_from"], data["ci_variable"]) == (
        "v2.0", "tag", None,
    )  # fmt: skip
    in_ci = flowwiz("detect", "--json", cwd=sales, env={"CI_COMMIT_REF_NAME": "release/2"})
    data = json.loads(in_ci.stdout)["git"]
    assert (data["suggested_branch"], data["suggested_from"], data["ci_variable"]) == (
        "origin/release/2", "ci", "CI_COMMIT_REF_NAME",
    )  # fmt: skip
    tables = " ".join(flowwiz("detect", cwd=sales).stdout.split())
    assert "Project folder projects/sales (below the git root" in tables
    assert "Submodules projects/sales/vendor" in tables
    assert "tag v2.0, suggested: v2.0" in tables


def test_deployments_whose_runs_will_break(tmp_path: Path, file_keyring: Path) -> None:
    """The Deployments tab's checks (detectors.deployment_checks), in text and JSON: an
    entrypoint whose file was deleted in git, one whose function was renamed, one naming a
    helper that is no flow, a block the local store lacks; the fine ones are not listed."""
    flows = {"flows/etl.py": ("etl", "etl"), "flows/old.py": ("old", "old")}
    repo = flow_repo(tmp_path / "repo", flows)
    with (repo / "flows" / "etl.py").open("a") as source:
        source.write("\n\ndef helper():\n    pass\n")
    git(repo, "rm", "-q", "flows/old.py")
    git(repo, "commit", "-qam", "old flow removed, a helper added")
    token = "{{ prefect.blocks.secret.%s }}"
    (repo / "prefect.yaml").write_text(
        "pull:\n- prefect.deployments.steps.git_clone:\n"
        "    repository: https://github.com/acme/flows.git\n"
        f"    access_token: '{token % 'present-token'}'\n"
        "deployments:\n"
        "- {name: good, entrypoint: 'flows/etl.py:etl'}\n"
        "- {name: file-gone, entrypoint: 'flows/old.py:old'}\n"
        "- {name: renamed, entrypoint: 'flows/etl.py:extract'}\n"
        "- {name: not-a-flow, entrypoint: 'flows/etl.py:helper'}\n"
        "- name: block-gone\n  entrypoint: flows/etl.py:etl\n  pull:\n"
        "  - prefect.deployments.steps.git_clone:\n"
        "      repository: https://github.com/acme/flows.git\n"
        f"      access_token: '{token % 'absent-token'}'\n"
    )
    made = flowwiz("blocks", "create", "secret", "present-token", "--stdin", stdin="value-1")
    assert made.returncode == 0, made.stderr
    data = json.loads(detect(str(repo), "--json").stdout)["prefect_yaml"]
    assert [(p["deployment"], p["kind"], p["subject"]) for p in data["problems"]] == [
        ("file-gone", "entrypoint-file", "flows/old.py:old"),
        ("renamed", "entrypoint-flow", "flows/etl.py:extract"),
        ("not-a-flow", "entrypoint-flow", "flows/etl.py:helper"),
        ("block-gone", "block-missing", "secret/absent-token"),
    ]
    assert data["problems"][1]["message"] == (
        "flows/etl.py has no function extract (its flows: etl)"
    )
    assert data["problems"][3]["fix"] == "create it: flowwiz blocks create secret absent-token"
    assert data["checked"] == "block references checked in the local store"
    text = " ".join(detect(cwd=repo).stdout.split())
    assert (
        "✗ file-gone: flows/old.py does not exist (moved or deleted?): runs will fail to load"
        " the flow → fix the entrypoint, or restore flows/old.py" in text
    )
    assert "✗ not-a-flow: helper in flows/etl.py is not a flow (no @flow decorator)" in text
    assert "✗ good" not in text
