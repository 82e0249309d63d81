"""Headless: with the `fail` keyring, flowwiz deploy knows before the first question that no
secret can be kept on this machine, and offers what works (issue 10 §3)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.deployutil import github_like_repo, run_deploy, tree_hashes
from tests.test_deploy_interactive import DOWN, ENTER, Transcript, spawn

FAIL = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def test_yes_fails_fast_and_offers_the_ways_that_work(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    before = tree_hashes(repo)
    stored = run_deploy(
        repo,
        "--yes",
        "--private",
        "--token-env",
        "T",
        "--param",
        "count=1",
        env={**FAIL, "T": "tok"},
    )
    assert stored.returncode == 1
    assert stored.stderr.startswith("error: no usable keyring")
    assert stored.stderr.count("\n") == 1
    asked = run_deploy(repo, "--yes", "--private", "--param", "count=1", env=FAIL)
    assert asked.returncode == 2
    assert "--token-worker-env VAR" in asked.stderr and "--api-url URL" in asked.stderr
    assert tree_hashes(repo) == before
    done = run_deploy(
        repo,
        "--yes",
        "--private",
        "--token-worker-env",
        "GIT_TOKEN",
        "--param",
        "count=1",
        env=FAIL,
    )
    assert done.returncode == 0, done.stderr
    step = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]["pull"][0]
    assert step["prefect.deployments.steps.git_clone"]["access_token"] == "{{ $GIT_TOKEN }}"


def test_interactive_knows_at_the_first_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in FAIL.items():
        monkeypatch.setenv(key, value)
    repo = github_like_repo(tmp_path)
    t = Transcript(spawn(repo, "--param", "count=1", "--no-schedule"))
    t.expect("no usable keyring")
    t.expect("Which flow")
    assert "--token-worker-env" in t.text
    t.child.send(ENTER)
    for prompt in (
        "Deployment name",
        "Description",
        "Tags",
        "Work pool",
        "Work queue",
        "Job variables",
        "Override parameters with defaults",
        "Pull flow code from the remote repository",
        "Repository URL",
        "Branch to pull",
    ):
        t.answer(prompt, ENTER)
    t.answer("Is this a private repository", "y")
    t.expect("Repository token")
    t.expect("nothing stored")  # the last row is drawn
    menu = t.text[t.text.rindex("Repository token") :]
    assert "Keep it on a Prefect server" in menu
    assert "Enter a token" not in menu
    t.child.send(DOWN)
    t.child.send(ENTER)
    t.answer("Environment variable that holds the token", ENTER)  # GIT_TOKEN, suggested
    t.answer(r"Write prefect.yaml\?", ENTER)
    assert t.finish() == 0, t.text
    step = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]["pull"][0]
    assert step["prefect.deployments.steps.git_clone"]["access_token"] == "{{ $GIT_TOKEN }}"
