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
        repo,
        "--yes",
        "--param",
        "count=3",
        "--description",
        long.strip(),
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
        repo,
        "--yes",
        "--param",
        "count=1",
        "--storage",
        "s3",
        "--bucket",
        "acme-flows",
        "--dry-run",
    )
    assert result.returncode == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    assert doc["name"] == "flows"
    push = doc["deployments"][0].get("push") or doc.get("push")
    step = push[0]["prefect_aws.deployments.steps.push_to_s3"]
    assert step["folder"] == "flows/nightly-etl"


def equivalent_of(stderr: str, heading: str = "The same answers, unattended") -> list[str]:
    """The printed command's words (after `flowwiz`), read from the line under heading."""
    import shlex

    lines = stderr.splitlines()
    index = max(i for i, line in enumerate(lines) if heading in line)
    words = shlex.split(lines[index + 1])
    assert words[:3] == ["flowwiz", "deploy", "--yes"], lines[index + 1]
    return words[2:]


def test_equivalent_command_replays_to_the_same_file(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    first = run_deploy(
        repo,
        "--yes",
        "--param",
        "count=3",
        "--param",
        "label=it's 'quoted'",
        "--cron",
        "0 3 * * 1-5",
        "--timezone",
        "Europe/Paris",
        "--tag",
        "a, b",
        "--queue",
        "q1",
        "--job-variable",
        "env.LEVEL=5",
        "--job-variable",
        "image=python:3.12",
        "--job-variable",
        "cpu=2",
        "--description",
        "it's a $HOME `test`",
    )
    assert first.returncode == 0, first.stderr
    written = (repo / "prefect.yaml").read_bytes()
    words = equivalent_of(first.stderr)
    assert words[words.index("--cron") + 1] == "0 3 * * 1-5"
    (repo / "prefect.yaml").unlink()
    (repo / ".prefectignore").unlink()
    again = run_deploy(repo, *words)
    assert again.returncode == 0, again.stderr
    assert (repo / "prefect.yaml").read_bytes() == written
    # a dry run from the same start shows the same command
    (repo / "prefect.yaml").unlink()
    dry = run_deploy(repo, *words, "--dry-run")
    assert dry.returncode == 0 and equivalent_of(dry.stderr) == words


def test_failure_at_the_end_prints_the_command_and_its_replay_writes_it(
    tmp_path: Path, file_keyring: Path
) -> None:
    # a private repository, a token typed at the hidden prompt, a schedule; the block catalog
    # breaks between the review and the write: the command is printed again, without the
    # token, and replaying it with the token in the environment writes the file the review
    # showed
    import os

    from tests.leaks import assert_not_leaked, canary
    from tests.test_deploy_interactive import ENTER, Transcript, spawn

    repo = github_like_repo(tmp_path)
    token = canary()
    t = Transcript(spawn(repo))
    for prompt in ("Which flow", "Deployment name", "Description", "Tags"):
        t.answer(prompt, ENTER)
    t.answer("Schedule", "\x1b[B", ENTER)  # interval
    t.answer("Seconds between runs", "\x15", "900", ENTER)
    t.answer("Time zone", ENTER)
    for prompt in ("Work pool", "Work queue", "Job variables"):
        t.answer(prompt, ENTER)
    t.answer("Parameter count", "5", ENTER)
    t.answer("Override parameters with defaults", ENTER)
    t.answer("Pull flow code from the remote repository", ENTER)
    t.answer("Repository URL", ENTER)
    t.answer("Branch to pull", ENTER)
    t.answer("Is this a private repository", "y")
    t.answer("Repository token", ENTER)
    t.answer(r"Access token \(input hidden\)", token, ENTER)
    t.answer("Check now that this token", "n")
    t.expect(r"Write prefect.yaml\?")
    from flowwiz.writers.paths import catalog_path

    catalog = catalog_path()
    moved = catalog.with_suffix(".moved")
    if catalog.exists():
        catalog.rename(moved)
    catalog.parent.mkdir(parents=True, exist_ok=True)
    catalog.write_bytes(b"this is not a database\n" * 10)
    t.child.send(ENTER)
    assert t.finish() == 1, t.text
    assert not (repo / "prefect.yaml").exists()
    text = t.text.replace("\r\n", "\n")
    assert "Nothing typed is lost" in text
    words = equivalent_of(text, "Nothing typed is lost")
    assert words[words.index("--token-env") + 1] == "GIT_TOKEN"
    assert words[words.index("--interval") + 1] == "900"
    assert "export GIT_TOKEN" in text
    assert_not_leaked(token, texts=[t.text], roots=[repo])

    catalog.unlink()
    if moved.exists():
        moved.rename(catalog)
    again = run_deploy(repo, *words, env={"GIT_TOKEN": token})
    assert again.returncode == 0, again.stderr
    import re

    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    shown = plain.split("New file prefect.yaml", 1)[1].split("The same answers", 1)[0]
    shown_lines = [line[2:].rstrip() for line in shown.split("\n")[1:]]
    while shown_lines and not shown_lines[-1]:
        shown_lines.pop()
    assert (repo / "prefect.yaml").read_text().splitlines() == shown_lines
    assert_not_leaked(token, texts=[again.stdout, again.stderr], roots=[repo])
    assert os.environ.get("GIT_TOKEN") is None


def test_change_answers_at_the_review_then_write(tmp_path: Path) -> None:
    # a schedule, then the storage kind, changed at the review: only those (and what
    # depends on them) are asked again; the other answers are kept
    from tests.test_deploy_interactive import DOWN, ENTER, Transcript, spawn

    repo = github_like_repo(tmp_path)
    t = Transcript(spawn(repo, "--public"))
    for prompt in ("Which flow", "Deployment name"):
        t.answer(prompt, ENTER)
    t.answer("Description", "\x15", "kept description", ENTER)
    t.answer("Tags", "nightly", ENTER)
    t.answer("Schedule", ENTER)  # none
    for prompt in ("Work pool", "Work queue", "Job variables"):
        t.answer(prompt, ENTER)
    t.answer("Parameter count", "7", ENTER)
    t.answer("Override parameters with defaults", ENTER)
    t.answer("Pull flow code from the remote repository", ENTER)
    t.answer("Repository URL", ENTER)
    t.answer("Branch to pull", ENTER)
    t.answer(r"Write prefect.yaml\?", DOWN, ENTER)  # Change an answer
    t.answer("Which answer", *([DOWN] * 4), ENTER)  # ... Tags, Schedule
    t.answer("Schedule", DOWN, DOWN, ENTER)  # cron
    t.answer("Cron string", "\x15", "0 4 * * *", ENTER)
    t.answer("Time zone", "\x15", "UTC", ENTER)
    t.expect("Review")
    t.answer(r"Write prefect.yaml\?", DOWN, ENTER)
    t.expect("Which answer")
    t.child.send("Pull flow")  # a long list filters as you type
    t.child.send(ENTER)
    t.answer("Pull flow code from the remote repository", "n")
    t.answer("Where should workers get the flow code", ENTER)  # this machine's directory
    t.answer(r"Write prefect.yaml\?", ENTER)
    assert t.finish() == 0, t.text
    # the answers not changed were kept without being asked (the transcript would have
    # stopped at a prompt it did not expect)
    assert "Schedule: No schedule" in t.text  # the change list shows each answer
    entry = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    assert entry["description"] == "kept description"
    assert entry["tags"] == ["nightly"]
    assert entry["parameters"] == {"count": 7}
    assert entry["schedules"] == [{"cron": "0 4 * * *", "timezone": "UTC", "active": True}]
    assert entry["pull"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(repo)}}
    ]


def test_same_names_in_two_repositories_never_share_a_token_default(
    tmp_path: Path, file_keyring: Path
) -> None:
    # repository A stores its token under Prefect's name (deployment + flow only); in B, with
    # the same deployment and flow names, A's token is never the default: B gets its own
    from tests.leaks import canary
    from tests.test_deploy_interactive import ENTER, Transcript, spawn

    a = github_like_repo(tmp_path / "a", url="https://github.com/acme/flows.git")
    b = github_like_repo(tmp_path / "b", url="https://github.com/other/flows.git")
    token_a, token_b = canary(), canary()
    base = "deployment-nightly-etl-nightly-etl-repo-token"
    stored = run_deploy(
        a, "--yes", "--param", "count=1", "--token-env", "TOKEN_A", "--no-verify",
        env={"TOKEN_A": token_a},
    )  # fmt: skip
    assert stored.returncode == 0, stored.stderr

    # --yes in B: no token flag, A's block is not taken as a default
    refused = run_deploy(b, "--yes", "--param", "count=1", "--private", "--no-verify")
    assert refused.returncode == 2, refused.stderr
    assert "no safe answer for 'Repository token'" in refused.stderr

    t = Transcript(spawn(b))
    for prompt in ("Which flow", "Deployment name", "Description", "Tags", "Schedule"):
        t.answer(prompt, ENTER)
    for prompt in ("Work pool", "Work queue", "Job variables"):
        t.answer(prompt, ENTER)
    t.answer("Parameter count", "2", ENTER)
    t.answer("Override parameters with defaults", ENTER)
    t.answer("Pull flow code from the remote repository", ENTER)
    t.answer("Repository URL", ENTER)
    t.answer("Branch to pull", ENTER)
    t.answer("Is this a private repository", "y")
    t.expect(r"holds the token stored for\s+https://github.com/acme/flows.git")
    t.answer("Repository token", ENTER)  # the first choice: a new token, not A's
    t.answer(r"Access token \(input hidden\)", token_b, ENTER)
    t.answer("Check now that this token", "n")
    t.answer(r"Write prefect.yaml\?", ENTER)
    assert t.finish() == 0, t.text
    assert "Use the token already stored" not in t.text

    from flowwiz.writers.blocks import open_store

    store = open_store()
    own = f"{base}-other-flows"
    assert store.get("secret", base, include_secrets=True).data["value"].reveal() == token_a
    assert store.get("secret", own, include_secrets=True).data["value"].reveal() == token_b
    step = yaml.safe_load((b / "prefect.yaml").read_text())["deployments"][0]["pull"][0]
    clone = step["prefect.deployments.steps.git_clone"]
    assert clone["access_token"] == "{{ prefect.blocks.secret." + own + " }}"
    # each repository's own token is its default again
    again_b = run_deploy(b, "--yes", "--param", "count=1", "--private", "--no-verify")
    assert again_b.returncode == 0, again_b.stderr
    assert f"secret.{own} " in (b / "prefect.yaml").read_text()
    again_a = run_deploy(a, "--yes", "--param", "count=1", "--private", "--no-verify")
    assert again_a.returncode == 0, again_a.stderr
    assert f"secret.{base} " in (a / "prefect.yaml").read_text()


def test_equivalent_command_for_other_storages_renders_the_same(tmp_path: Path) -> None:
    # bucket, local directory, worker-env token, image: the dry run's command renders the same file
    repo = github_like_repo(tmp_path)
    for args in (
        ("--storage", "s3", "--bucket", "acme-flows", "--interval", "600"),
        ("--storage", "local", "--tag", "x"),
        ("--private", "--token-worker-env", "GIT_TOKEN", "--no-verify", "--no-schedule"),
        ("--storage", "docker", "--image", "ghcr.io/acme/flows", "--no-push-image"),
    ):
        first = run_deploy(repo, "--yes", "--param", "count=2", "--dry-run", *args)
        assert first.returncode == 0, first.stderr
        words = equivalent_of(first.stderr)
        again = run_deploy(repo, *words, "--dry-run")
        assert again.returncode == 0, again.stderr
        assert again.stdout == first.stdout, words


def test_equivalent_command_with_a_multi_line_docstring_replays_through_a_shell(
    tmp_path: Path,
) -> None:
    """A flow's docstring (several lines) becomes the description: the printed command must
    carry its newlines in a form a shell reads back (ANSI-C quotes), not as the two
    characters backslash-n that plain quotes would show."""
    import subprocess

    flow = FLOW.replace(
        '"""Loads the nightly extract."""',
        '"""Loads the nightly extract.\n\n    Returns:\n        the count, it\'s \\\\ all.\n    """',
    )
    repo = github_like_repo(tmp_path, {"flows/etl.py": flow})
    first = run_deploy(repo, "--yes", "--param", "count=3")
    assert first.returncode == 0, first.stderr
    written = (repo / "prefect.yaml").read_bytes()
    assert "Returns:" in yaml.safe_load(written)["deployments"][0]["description"]
    line = next(
        line.strip()
        for line in first.stderr.splitlines()
        if line.strip().startswith("flowwiz deploy --yes")
    )
    assert "$'" in line and "\\n" in line
    split = subprocess.run(
        ["bash", "-c", 'printf "%s\\0" ' + line], capture_output=True, text=True, check=True
    )
    words = split.stdout.split("\0")[:-1][2:]
    (repo / "prefect.yaml").unlink()
    again = run_deploy(repo, *words)
    assert again.returncode == 0, again.stderr
    assert (repo / "prefect.yaml").read_bytes() == written
