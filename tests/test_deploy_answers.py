"""Issue 17: a wizard that never throws answers away, and words that mean what they say.

Real git repositories with bare remotes, the installed console script (piped, --yes) and
pexpect in a pseudo-terminal for the interactive paths."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.deployutil import FLOW, github_like_repo, run_deploy


def test_words_push_warnings_name_and_whole_yaml(tmp_path: Path) -> None:
    # the branch is not on the remote: warned once in a block before the review, and
    # `git push -u origin main` is a next step; "Added", not "Created", for a file entry
    repo = github_like_repo(tmp_path, push=False)
    long = "A description long enough to pass the eighty columns of a narrow terminal, " * 2
    first = run_deploy(
        repo, "--yes", "--param", "count=3", "--description", long.strip(),
        env={"COLUMNS": "80"},
    )
    assert first.returncode == 0, first.stderr
    err = first.stderr
    warning = "is not on the remote yet"
    assert err.count(warning) == 1, err
    assert err.index("Warnings") < err.index(warning) < err.index("Review")
    assert "Added deployment 'nightly-etl' to" in err
    assert "Created deployment" not in err and "Registered" not in err
    assert "git push -u origin main" in err.split("Next steps", 1)[1]
    # the review's YAML is whole at 80 columns when piped
    assert any(long.strip() in line for line in err.splitlines()), err

    # a second run updates it; with the branch pushed, no push step
    from tests.gitutil import git

    git(repo, "push", "-q", "-u", "origin", "main")
    again = run_deploy(repo, "--yes", "--param", "count=4")
    assert again.returncode == 0, again.stderr
    assert "Updated deployment 'nightly-etl' in" in again.stderr
    assert "git push" not in again.stderr


def test_one_project_name_for_file_and_bucket_folder(tmp_path: Path) -> None:
    # the folder is "repo", the remote "acme/flows": both defaults say "flows"
    repo = github_like_repo(tmp_path, {"flows/etl.py": FLOW})
    result = run_deploy(
        repo, "--yes", "--param", "count=1", "--storage", "s3", "--bucket", "acme-flows",
        "--dry-run",
    )
    assert result.returncode == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    assert doc["name"] == "flows"
    push = doc["deployments"][0].get("push") or doc.get("push")
    step = push[0]["prefect_aws.deployments.steps.push_to_s3"]
    assert step["folder"] == "flows/nightly-etl"
