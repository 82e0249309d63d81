"""`flowwiz deploy --storage block|fsspec` through the real console script: flags under `--yes`,
the seed's ``type/name/path`` typed at the prompt (pexpect), shared blocks, re-runs, secrets,
and `--upload` with its progress."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.deployutil import github_like_repo, run_deploy, tree_hashes
from tests.leaks import assert_not_leaked, canary
from tests.test_deploy_interactive import DOWN, ENTER, Transcript, spawn

PUSH_BLOCK = "flowwiz.writers.storage_push.push_with_block"
PUSH_URL = "flowwiz.writers.storage_push.push_to_remote_storage"


def entries(repo: Path) -> dict[str, dict]:
    data = yaml.safe_load((repo / "prefect.yaml").read_text())
    return {d["name"]: d for d in data["deployments"]}


def deploy_ok(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = run_deploy(repo, "--yes", "--param", "count=1", "--no-schedule", *args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def deploy_refused(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    before = tree_hashes(repo)
    result = run_deploy(repo, "--yes", "--param", "count=1", *args, env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert tree_hashes(repo) == before
    return [x for x in result.stderr.splitlines() if x.strip()][-1]


def test_two_deployments_share_a_block_each_in_its_own_sub_path(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    block = "remote-file-system/shared-code"
    out = deploy_ok(repo, "--name", "first", "--storage", "block", "--storage-block", block)
    assert "create it there" in out  # the local store cannot see the server's blocks
    deploy_ok(repo, "--name", "second", "--storage", "block", "--storage-block", block)
    found = entries(repo)
    assert found["first"]["push"][0][PUSH_BLOCK]["path"] == "flows/first"
    assert found["second"]["push"][0][PUSH_BLOCK]["path"] == "flows/second"
    # a third one may not upload into a folder another deployment replaces at each deploy
    line = deploy_refused(
        repo, "--name", "third", "--storage", "block", "--storage-block", block,
        "--path", "flows/first",
    )  # fmt: skip
    assert "'first' already uploads to 'flows/first'" in line
    line = deploy_refused(
        repo, "--name", "third", "--storage", "block", "--storage-block", f"{block}/x",
        "--path", "y",
    )  # fmt: skip
    assert "give the sub-path once" in line
    # a re-run without storage flags keeps the block and the sub-path
    before = entries(repo)["second"]
    deploy_ok(repo, "--name", "second")
    assert entries(repo)["second"]["pull"] == before["pull"]
    assert entries(repo)["second"]["push"] == before["push"]


def test_block_storage_needs_the_block_under_yes(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    line = deploy_refused(repo, "--storage", "block")
    assert "--storage-block" in line
    line = deploy_refused(repo, "--storage", "block", "--storage-block", "nothing-here")
    assert "TYPE/NAME" in line


def test_fsspec_secret_setting_is_a_block_never_the_value(
    tmp_path: Path, file_keyring: Path
) -> None:
    repo = github_like_repo(tmp_path)
    password = canary()
    out = deploy_ok(
        repo, "--storage", "fsspec", "--url", "smb://nas.example.com/flows/etl",
        "--storage-setting", "username=svc", "--storage-setting", "port=445",
        "--storage-secret-env", "password=SMB_PASSWORD",
        env={"SMB_PASSWORD": password},
    )  # fmt: skip
    entry = entries(repo)["nightly-etl"]
    reference = "{{ prefect.blocks.secret.deployment-nightly-etl-nightly-etl-storage-password }}"
    push = entry["push"][0][PUSH_URL]
    assert (push["username"], push["port"], push["password"]) == ("svc", 445, reference)
    pull = entry["pull"][0]["prefect.deployments.steps.pull_from_remote_storage"]
    assert pull["target_options"]["password"] == reference
    assert pull["target_protocol"] == "smb" and pull["path"] == "/flows/etl"
    assert "flowwiz blocks push" in out and "etl-storage-password" in out  # to the server
    assert_not_leaked(password, texts=[out], roots=[repo], allow=list(file_keyring.rglob("*")))
    line = deploy_refused(repo, "--storage", "fsspec", "--url", f"smb://svc:{password}@nas/x")
    assert "password" in line and password not in line
    line = deploy_refused(repo, "--name", "other", "--storage", "fsspec")
    assert "--url" in line


def test_upload_now_shows_what_went_where(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    (repo / ".env").write_text("TOKEN=nope\n")
    target = tmp_path / "mount" / "etl"
    out = deploy_ok(repo, "--storage", "fsspec", "--url", f"file://{target}", "--upload")
    # counted before the review, as for a bucket (the .prefectignore flowwiz writes comes after)
    assert "will upload 2 files" in out
    assert "Uploaded 3 files" in out and f"file://{target}" in out  # .prefectignore, flow, reqs
    assert (target / "flows" / "etl.py").is_file() and not (target / ".env").exists()


def test_seed_form_typed_at_the_prompt(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    t = Transcript(
        spawn(
            repo, "--entrypoint", "flows/etl.py:etl", "--name", "etl", "--description", "d",
            "--tag", "x", "--no-schedule", "--pool", "p", "--queue", "default",
            "--job-variable", "env.A=1", "--param", "count=2", "--no-git",
        )
    )  # fmt: skip
    t.answer("Override parameters", ENTER)
    t.answer("Where should workers get the flow code", *([DOWN] * 5), ENTER)
    t.answer("Storage block", ENTER)  # the local store lists none: enter one
    t.answer(r"TYPE/NAME\[/PATH\]", "s3-bucket/log-test/log-flow-directory", ENTER)
    t.answer(r"Write prefect.yaml\?", ENTER)
    t.answer("Upload the code now", "n")
    assert t.finish() == 0, t.text
    entry = entries(repo)["etl"]
    assert entry["push"][0][PUSH_BLOCK] == {
        "id": "push_code",
        "requires": "flowwiz",
        "block_type_slug": "s3-bucket",
        "block_document_name": "log-test",
        "path": "log-flow-directory",
    }
    assert entry["pull"][1]["prefect.deployments.steps.set_working_directory"] == {
        "directory": "{{ pull_code.directory }}/log-flow-directory"
    }


def test_fsspec_at_the_prompt_types_the_secret_hidden(tmp_path: Path, file_keyring: Path) -> None:
    repo = github_like_repo(tmp_path)
    password = canary()
    t = Transcript(
        spawn(
            repo, "--entrypoint", "flows/etl.py:etl", "--name", "etl", "--description", "d",
            "--tag", "x", "--no-schedule", "--pool", "p", "--queue", "default",
            "--job-variable", "env.A=1", "--param", "count=2", "--no-git",
        )
    )  # fmt: skip
    t.answer("Override parameters", ENTER)
    t.answer("Where should workers get the flow code", *([DOWN] * 6), ENTER)
    t.answer("fsspec URL", "smb://nas/flows/etl", ENTER)
    t.answer("Settings for the filesystem", "username=svc port=445", ENTER)
    t.answer("Secret settings", "password", ENTER)
    t.answer(r"password \(input hidden\)", password, ENTER)
    t.answer(r"Write prefect.yaml\?", ENTER)
    t.answer("Upload the code now", "n")
    assert t.finish() == 0, t.text
    push = entries(repo)["etl"]["push"][0][PUSH_URL]
    assert (push["username"], push["port"]) == ("svc", 445)
    reference = "{{ prefect.blocks.secret.deployment-etl-nightly-etl-storage-password }}"
    assert push["password"] == reference
    assert_not_leaked(password, texts=[t.text], roots=[repo], allow=list(file_keyring.rglob("*")))
