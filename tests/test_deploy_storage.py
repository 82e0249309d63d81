"""Code storage other than git: a bucket (S3, GCS, Azure) or a Docker image, by flag under
`--yes` and by prompt in a pseudo-terminal, through the real console script in real repos."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.clirun import flowwiz
from tests.deployutil import github_like_repo, run_deploy, tree_hashes
from tests.leaks import assert_not_leaked, canary

PUSH_S3 = "prefect_aws.deployments.steps.push_to_s3"
PULL_S3 = "prefect_aws.deployments.steps.pull_from_s3"
BUILD = "prefect_docker.deployments.steps.build_docker_image"
PUSH_IMAGE = "prefect_docker.deployments.steps.push_docker_image"
WORKDIR = "prefect.deployments.steps.set_working_directory"


def entry_of(repo: Path) -> dict:
    (entry,) = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"]
    return entry


def deploy_ok(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = run_deploy(repo, "--yes", "--param", "count=1", *args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stderr


def deploy_refused(repo: Path, *args: str) -> str:
    before = tree_hashes(repo)
    result = run_deploy(repo, "--yes", "--param", "count=1", *args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert tree_hashes(repo) == before
    line = [x for x in result.stderr.splitlines() if x.strip()][-1]
    assert line.startswith("error: "), result.stderr  # one line, after any warnings
    return line


# ---------------------------------------------------------------------------------------------
# Buckets


def test_s3_by_flags_uploads_per_deployment_folder(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    err = deploy_ok(repo, "--storage", "s3", "--bucket", "s3://acme-flows/")
    entry = entry_of(repo)
    expected = {
        "requires": "prefect-aws>=0.3.4",
        "bucket": "acme-flows",
        "folder": "flows/nightly-etl",
    }
    assert entry["push"] == [{PUSH_S3: {"id": "push_code", **expected}}]
    assert entry["pull"] == [{PULL_S3: {"id": "pull_code", **expected}}]
    assert "build" not in entry
    assert "pip install 'prefect-aws>=0.3.4'" in err


@pytest.mark.parametrize(
    ("provider", "step", "key", "requires"),
    [
        ("gcs", "prefect_gcp.deployments.steps.pull_from_gcs", "bucket", "prefect-gcp>=0.4.3"),
        (
            "azure",
            "prefect_azure.deployments.steps.pull_from_azure_blob_storage",
            "container",
            "prefect-azure[blob_storage]>=0.2.8",
        ),
    ],
)
def test_gcs_and_azure_name_their_bucket_as_prefect_does(
    tmp_path: Path, provider: str, step: str, key: str, requires: str
) -> None:
    repo = github_like_repo(tmp_path)
    deploy_ok(repo, "--storage", provider, "--bucket", "team-code", "--folder", "/etl/v1/")
    (pull,) = entry_of(repo)["pull"]
    assert pull == {
        step: {"id": "pull_code", "requires": requires, key: "team-code", "folder": "etl/v1"}
    }


def test_bucket_has_no_safe_default(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    line = deploy_refused(repo, "--storage", "s3")
    assert "--bucket" in line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--storage", "s3", "--bucket", "acme/flows"), "--bucket"),
        (("--storage", "s3", "--bucket", "acme", "--folder", "../up"), "--folder"),
        (
            ("--storage", "s3", "--bucket", "acme", "--storage-block", "nope"),
            "aws-credentials/nope",
        ),
        (
            ("--storage", "s3", "--bucket", "acme", "--storage-block", "gcp-credentials/x"),
            "aws-credentials block",
        ),
        (("--storage", "s3", "--bucket", "acme", "--private"), "--storage s3"),
        (("--storage", "gcs", "--repository", "https://github.com/a/b.git"), "--storage gcs"),
    ],
)
def test_bad_bucket_answers_stop_with_the_flag(
    tmp_path: Path, file_keyring: Path, args: tuple[str, ...], needle: str
) -> None:
    repo = github_like_repo(tmp_path)
    assert needle in deploy_refused(repo, *args)


def test_existing_credentials_block_is_referenced_and_pushed_first(
    tmp_path: Path, file_keyring: Path
) -> None:
    repo = github_like_repo(tmp_path)
    secret = canary()
    made = flowwiz(
        "blocks", "create", "aws-credentials", "prod-aws",
        "--field", "aws_access_key_id=AKIAEXAMPLE", "--field-env", "aws_secret_access_key=SECRET",
        env={"SECRET": secret},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    err = deploy_ok(repo, "--storage", "s3", "--bucket", "acme", "--storage-block", "prod-aws")
    entry = entry_of(repo)
    ref = "{{ prefect.blocks.aws-credentials.prod-aws }}"
    assert entry["push"][0][PUSH_S3]["credentials"] == ref
    assert entry["pull"][0][PULL_S3]["credentials"] == ref
    assert "flowwiz blocks push aws-credentials/prod-aws" in err
    assert_not_leaked(secret, texts=[err, made.stdout, made.stderr], roots=[repo], allow=[])


# ---------------------------------------------------------------------------------------------
# Docker images


def test_docker_auto_bakes_code_into_the_image(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    err = deploy_ok(repo, "--storage", "docker", "--image", "ghcr.io/acme/flows:v3")
    entry = entry_of(repo)
    assert entry["build"] == [
        {
            BUILD: {
                "id": "build_image",
                "requires": "prefect-docker>=0.3.1",
                "image_name": "ghcr.io/acme/flows",
                "tag": "v3",
                "dockerfile": "auto",
            }
        }
    ]
    assert entry["push"] == [
        {
            PUSH_IMAGE: {
                "requires": "prefect-docker>=0.3.1",
                "image_name": "{{ build_image.image_name }}",
                "tag": "{{ build_image.tag }}",
            }
        }
    ]
    # Prefect's generated Dockerfile copies the project to /opt/prefect/<directory name>
    assert entry["pull"] == [{WORKDIR: {"directory": "/opt/prefect/repo"}}]
    assert entry["work_pool"]["job_variables"] == {"image": "{{ build_image.image }}"}
    assert "docker login ghcr.io" in err


def test_docker_reads_the_code_directory_from_the_projects_dockerfile(tmp_path: Path) -> None:
    dockerfile = (
        "FROM prefecthq/prefect:3-python3.12\n"
        "WORKDIR /srv\n"
        "COPY requirements.txt .\n"
        "RUN pip install -r requirements.txt\n"
        "COPY --chown=app:app \\\n    . app/\n"
    )
    repo = github_like_repo(tmp_path)
    (repo / "Dockerfile").write_text(dockerfile)
    deploy_ok(repo, "--storage", "docker", "--image", "acme/flows")
    entry = entry_of(repo)
    assert entry["build"][0][BUILD]["dockerfile"] == "Dockerfile"
    assert entry["build"][0][BUILD]["tag"] == "latest"
    assert entry["pull"] == [{WORKDIR: {"directory": "/srv/app"}}]
    assert "push" in entry  # acme/flows names a Docker Hub namespace: pushed by default


def test_docker_image_without_registry_is_not_pushed_by_default(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    deploy_ok(repo, "--storage", "docker")
    entry = entry_of(repo)
    assert entry["build"][0][BUILD]["image_name"] == "flows"  # the project name
    assert "push" not in entry


@pytest.mark.parametrize(
    ("setup", "args", "needle"),
    [
        (None, ("--image", "Acme/Flows"), "--image"),
        (None, ("--image", "acme/flows", "--image-tag", "-bad"), "--image-tag"),
        (None, ("--image", "acme/flows:v1", "--image-tag", "v2"), "--image-tag"),
        ("FROM python:3.12\nRUN true\n", ("--image", "acme/flows"), "--image-dir"),
        ("FROM python:3.12\nCOPY . /app\n", ("--dockerfile", "auto"), "rename yours"),
        (None, ("--dockerfile", "docker/Missing"), "--dockerfile"),
        (None, ("--image-dir", "relative/dir", "--dockerfile", "Dockerfile"), "--dockerfile"),
        (None, ("--job-variable", "image=other:1"), "image"),
    ],
)
def test_bad_docker_answers_stop_with_the_flag(
    tmp_path: Path, setup: str | None, args: tuple[str, ...], needle: str
) -> None:
    repo = github_like_repo(tmp_path)
    if setup is not None:
        (repo / "Dockerfile").write_text(setup)
    assert needle in deploy_refused(repo, "--storage", "docker", *args)


# ---------------------------------------------------------------------------------------------
# Changing a deployment's storage


def test_moving_off_docker_and_buckets_leaves_no_stale_steps(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    deploy_ok(repo, "--storage", "docker", "--image", "ghcr.io/acme/flows")
    deploy_ok(repo, "--storage", "git")
    entry = entry_of(repo)
    assert entry["build"] is None and entry["push"] is None  # the file's top level does not apply
    assert "image" not in entry["work_pool"]["job_variables"]
    assert list(entry["pull"][0]) == ["prefect.deployments.steps.git_clone"]
    deploy_ok(repo, "--storage", "s3", "--bucket", "acme")
    entry = entry_of(repo)
    assert entry["build"] is None and list(entry["push"][0]) == [PUSH_S3]
    deploy_ok(repo, "--storage", "local")
    entry = entry_of(repo)
    assert entry["push"] is None
    assert entry["pull"] == [{WORKDIR: {"directory": str(repo.resolve())}}]


# ---------------------------------------------------------------------------------------------
# Interactive


def test_interactive_s3_with_a_new_credentials_block(tmp_path: Path, file_keyring: Path) -> None:
    from tests.test_deploy_interactive import DOWN, ENTER, Transcript, spawn

    repo = github_like_repo(tmp_path)
    secret = canary()
    t = Transcript(spawn(repo))
    t.answer("Which flow do you want to deploy", ENTER)
    for prompt in ("Deployment name", "Description", "Tags", "Schedule", "Work pool", "Work queue",
                   "Job variables"):  # fmt: skip
        t.answer(prompt, ENTER)
    t.answer("Parameter count", "2", ENTER)
    t.answer("Override parameters with defaults", ENTER)
    t.answer("Pull flow code from the remote repository", "n")
    t.answer("Where should workers get the flow code", DOWN, ENTER)  # AWS S3
    t.answer("AWS S3 bucket name", "acme-flows", ENTER)
    t.answer("Folder in the bucket", ENTER)
    t.answer("Credentials for AWS S3", DOWN, ENTER)  # a new block
    t.answer("Name of the new aws-credentials block", ENTER)
    t.answer("aws_access_key_id", "AKIAEXAMPLE", ENTER)
    t.answer(r"aws_secret_access_key \(hidden", secret, ENTER)
    t.answer("aws_session_token", ENTER)
    t.answer("profile_name", ENTER)
    t.answer("region_name", "eu-west-1", ENTER)
    t.answer("Check now that this machine can read the bucket", "n")
    t.answer(r"Write prefect.yaml\?", ENTER)
    assert t.finish() == 0, t.text
    name = "deployment-nightly-etl-nightly-etl-s3-credentials"
    ref = "{{ prefect.blocks.aws-credentials." + name + " }}"
    entry = entry_of(repo)
    assert entry["pull"][0][PULL_S3] == {
        "id": "pull_code",
        "requires": "prefect-aws>=0.3.4",
        "bucket": "acme-flows",
        "folder": "flows/nightly-etl",
        "credentials": ref,
    }
    from flowwiz.writers.blocks import open_store

    block = open_store().get("aws-credentials", name, include_secrets=True)
    assert block.data["aws_secret_access_key"].reveal() == secret
    assert block.data["region_name"] == "eu-west-1"
    assert "aws_session_token" not in block.data
    assert_not_leaked(secret, texts=[t.text], roots=[repo, Path(os.environ["FLOWWIZ_HOME"])])


def test_interactive_docker_with_the_projects_dockerfile(tmp_path: Path) -> None:
    from tests.test_deploy_interactive import DOWN, ENTER, Transcript, spawn

    repo = github_like_repo(tmp_path)
    (repo / "Dockerfile").write_text("FROM python:3.12\nWORKDIR /code\nCOPY . .\n")
    t = Transcript(spawn(repo, "--param", "count=1", "--no-schedule", "--pool", "docker"))
    for prompt in ("Which flow do you want to deploy", "Deployment name", "Description", "Tags",
                   "Work queue", "Job variables", "Override parameters with defaults"):  # fmt: skip
        t.answer(prompt, ENTER)
    t.answer("Pull flow code from the remote repository", "n")
    t.answer("Where should workers get the flow code", *([DOWN] * 4), ENTER)  # docker
    t.answer(r"Image name", "\x15", "registry.local:5000/team/etl", ENTER)
    t.answer("Image tag", ENTER)
    t.answer("Dockerfile to build the image from", ENTER)  # the project's Dockerfile
    t.answer("Where is the project's code inside the image", ENTER)  # read from COPY: /code
    t.answer("Push the image to its registry", ENTER)
    t.answer("log in to push to registry.local:5000", ENTER)  # Docker's own login
    t.answer(r"Write prefect.yaml\?", ENTER)
    assert t.finish() == 0, t.text
    entry = entry_of(repo)
    assert entry["build"][0][BUILD]["image_name"] == "registry.local:5000/team/etl"
    assert entry["build"][0][BUILD]["dockerfile"] == "Dockerfile"
    assert entry["pull"] == [{WORKDIR: {"directory": "/code"}}]
    assert list(entry["push"][0]) == [PUSH_IMAGE]
    assert "docker login registry.local:5000" in t.text


def test_bucket_upload_is_counted_and_secret_looking_files_are_named(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    # Prefect's matching: `!*.json` re-includes a file under the excluded secrets/
    (repo / ".prefectignore").write_text("__pycache__/\n.git/\nsecrets/\n!*.json\n")
    (repo / ".env").write_text("API_KEY=do-not-print-me\n")
    (repo / "secrets").mkdir()
    (repo / "secrets" / "service-account.json").write_text("{}")
    (repo / "secrets" / "token.txt").write_text("t")
    err = deploy_ok(repo, "--storage", "s3", "--bucket", "acme")
    # flows/etl.py, requirements.txt, .prefectignore, .env, secrets/service-account.json
    assert "will upload 5 files" in err
    assert "2 of them look like secrets" in err and "secrets/service-account.json" in err
    assert "do-not-print-me" not in err
    # the default .prefectignore flowwiz writes keeps .env out
    other = github_like_repo(tmp_path / "other")
    (other / ".env").write_text("API_KEY=x\n")
    err = deploy_ok(other, "--storage", "s3", "--bucket", "acme")
    assert "look like secrets" not in err
    assert ".env" in (other / ".prefectignore").read_text()


def test_the_entrypoint_check_asks_prefects_question(tmp_path: Path) -> None:
    """Only a bucket's push step reads .prefectignore, with Prefect's matching: `flows/` then
    `!*.py` ships flows/etl.py (git would not); `flows/` alone does not; git storage never asks.
    A line Prefect cannot read is named before anything is written."""
    repo = github_like_repo(tmp_path)
    # discovery reads .prefectignore with git's rules, so the flow is named here
    bucket = ("--entrypoint", "flows/etl.py:etl", "--storage", "s3", "--bucket", "acme")
    (repo / ".prefectignore").write_text(".git/\nflows/\n!*.py\n")
    assert "will upload 3 files" in deploy_ok(repo, *bucket)  # etl.py, requirements, itself
    (repo / ".prefectignore").write_text(".git/\nflows/\n")
    line = deploy_refused(repo, *bucket)
    assert "flows/etl.py is excluded by .prefectignore" in line
    deploy_ok(repo, "--entrypoint", "flows/etl.py:etl", "--storage", "git")  # never read
    (repo / ".prefectignore").write_text(".git/\nkeep\\ \n")
    err = deploy_ok(repo, *bucket, "--dry-run")
    assert ".prefectignore line 2 ('keep\\\\') is not a pattern Prefect can read" in err


def test_a_rerun_without_storage_flags_keeps_the_bucket(tmp_path: Path, file_keyring: Path) -> None:
    repo = github_like_repo(tmp_path)
    made = flowwiz(
        "blocks", "create", "aws-credentials", "prod-aws",
        "--field", "region_name=eu-west-1",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    deploy_ok(
        repo, "--storage", "s3", "--bucket", "acme", "--folder", "team/etl",
        "--storage-block", "prod-aws",
    )  # fmt: skip
    first = entry_of(repo)
    deploy_ok(repo, "--cron", "0 5 * * *")  # only the schedule changes
    again = entry_of(repo)
    assert again["push"] == first["push"] and again["pull"] == first["pull"]
    assert again["schedules"][0]["cron"] == "0 5 * * *"


def test_a_rerun_without_storage_flags_keeps_the_image(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    (repo / "Dockerfile.prod").write_text("FROM python:3.12\nRUN true\n")
    deploy_ok(
        repo, "--storage", "docker", "--image", "ghcr.io/acme/flows:v7",
        "--dockerfile", "Dockerfile.prod", "--image-dir", "/srv/code", "--no-push-image",
    )  # fmt: skip
    first = entry_of(repo)
    deploy_ok(repo, "--tag", "again")
    again = entry_of(repo)
    assert again["tags"] == ["again"]
    for key in ("build", "pull", "work_pool"):
        assert again[key] == first[key], key
    assert "push" not in again


def test_a_rerun_can_still_switch_back_to_git(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    deploy_ok(repo, "--storage", "gcs", "--bucket", "acme")
    deploy_ok(repo, "--git")
    entry = entry_of(repo)
    assert list(entry["pull"][0]) == ["prefect.deployments.steps.git_clone"]
    assert entry["push"] is None


def test_new_credentials_fields_are_checked_as_typed() -> None:
    from flowwiz.wizard.cloud_storage import _field_problem
    from flowwiz.writers.blocks import block_type

    info = block_type("gcp-credentials").field("service_account_info")
    assert _field_problem('{"type": "service_account"}', info) is None
    assert _field_problem("", info) is None  # skipped
    assert "JSON" in (_field_problem("not json", info) or "")
    key = block_type("aws-credentials").field("aws_secret_access_key")
    assert _field_problem("a\x00b", key) is not None


# the bucket path, with flags for everything before it (those prompts are covered elsewhere)
BUCKET_PROMPTS = [
    ("Where should workers get the flow code", ("\x1b[B", "\r")),  # AWS S3
    ("AWS S3 bucket name", ("acme-flows", "\r")),
    ("Folder in the bucket", ("\r",)),
    ("Credentials for AWS S3", ("\x1b[B", "\r")),  # a new block
    ("Name of the new aws-credentials block", ("\r",)),
    ("aws_access_key_id", ("AKIAEXAMPLE", "\r")),
    (r"aws_secret_access_key \(hidden", ("partial-secret-key", "\r")),
    ("aws_session_token", ("\r",)),
    ("profile_name", ("\r",)),
    ("region_name", ("\r",)),
    ("Check now that this machine can read the bucket", ("n",)),
    (r"Write prefect.yaml\?", ()),
]


@pytest.mark.parametrize(
    "stop_at", range(len(BUCKET_PROMPTS)), ids=[p[0].split(" \\")[0] for p in BUCKET_PROMPTS]
)
def test_ctrl_c_at_any_bucket_prompt_writes_nothing(
    tmp_path: Path, file_keyring: Path, stop_at: int
) -> None:
    from tests.test_deploy_interactive import CTRL_C, Transcript, spawn
    from flowwiz.writers.blocks import open_store

    repo = github_like_repo(tmp_path)
    before = tree_hashes(repo)
    flags = ("--entrypoint", "flows/etl.py:etl", "--name", "etl", "--description", "d",
             "--tag", "t", "--no-schedule", "--pool", "p", "--queue", "q",
             "--job-variable", "env.A=1", "--params", '{"count": 1}', "--no-git")  # fmt: skip
    t = Transcript(spawn(repo, *flags))
    t.answer("Override parameters with defaults", "\r")
    for index, (prompt, keys) in enumerate(BUCKET_PROMPTS):
        t.expect(prompt)
        if index == stop_at:
            t.child.send(CTRL_C)
            break
        for key in keys:
            t.child.send(key)
    assert t.finish() == 130, t.text
    assert "nothing was written" in t.text and "Traceback" not in t.text
    assert tree_hashes(repo) == before
    assert open_store().list() == []
    assert_not_leaked(
        "partial-secret-key", texts=[t.text], roots=[Path(os.environ["FLOWWIZ_HOME"])]
    )
