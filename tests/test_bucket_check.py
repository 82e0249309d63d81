"""`flowwiz deploy --storage s3 --verify`: the bucket is read through fsspec (s3fs) before
anything is written, against moto's S3 server on loopback (tests.s3_harness)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowwiz.detectors.bucket_access import check_bucket, fsspec_options
from tests.clirun import flowwiz
from tests.deployutil import github_like_repo, run_deploy, tree_hashes
from tests.leaks import assert_not_leaked, canary
from tests.s3_harness import BUCKET, S3_ENV

pytestmark = pytest.mark.prefect  # needs the Prefect venv, where moto lives


def s3_env(url: str) -> dict[str, str]:
    return {**S3_ENV, "AWS_ENDPOINT_URL": url}


def test_check_bucket_reads_an_existing_bucket(
    s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in s3_env(s3_url).items():
        monkeypatch.setenv(key, value)
    assert check_bucket("s3", BUCKET).status == "ok"
    missing = check_bucket("s3", "no-such-bucket-here")
    assert missing.status == "denied" and "does not exist" in missing.detail


def test_check_bucket_with_nothing_listening(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.prefect_harness import _free_port

    for key, value in s3_env(f"http://127.0.0.1:{_free_port()}").items():
        monkeypatch.setenv(key, value)
    result = check_bucket("s3", BUCKET, timeout=30)
    assert result.status == "unreachable", result


def test_check_bucket_without_the_fsspec_implementation() -> None:
    result = check_bucket("azure", "box", {"connection_string": "x"})  # adlfs is not installed
    assert result.status == "unavailable" and "pip install adlfs" in result.detail


def test_fsspec_options_from_block_fields() -> None:
    fields = {"aws_access_key_id": "AKIA", "aws_secret_access_key": "s", "region_name": "eu-west-1"}
    assert fsspec_options("s3", fields) == {
        "key": "AKIA",
        "secret": "s",
        "client_kwargs": {"region_name": "eu-west-1"},
    }
    assert fsspec_options("gcs", {"service_account_info": '{"a": 1}', "project": "p"}) == {
        "project": "p",
        "token": {"a": 1},
    }
    assert fsspec_options("azure", {"connection_string": "c"}) == {"connection_string": "c"}


def test_deploy_verify_passes_for_a_readable_bucket(s3_url: str, tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    result = run_deploy(
        repo, "--yes", "--param", "count=1", "--storage", "s3", "--bucket", BUCKET, "--verify",
        env=s3_env(s3_url),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"this machine can read the bucket {BUCKET}" in result.stderr


def test_deploy_verify_stops_on_a_missing_bucket_and_writes_nothing(
    s3_url: str, tmp_path: Path
) -> None:
    repo = github_like_repo(tmp_path)
    before = tree_hashes(repo)
    result = run_deploy(
        repo, "--yes", "--param", "count=1", "--storage", "s3", "--bucket", "not-made-yet",
        "--verify", env=s3_env(s3_url),
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "does not exist" in last and "--no-verify" in last
    assert "Traceback" not in result.stderr
    assert tree_hashes(repo) == before


def test_deploy_verify_uses_the_credentials_block_and_never_shows_them(
    s3_url: str, tmp_path: Path, file_keyring: Path
) -> None:
    repo = github_like_repo(tmp_path)
    secret = canary()
    made = flowwiz(
        "blocks", "create", "aws-credentials", "moto-creds",
        "--field", "aws_access_key_id=testing", "--field-env", "aws_secret_access_key=S",
        "--field", "region_name=us-east-1",
        env={"S": secret},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    result = run_deploy(
        repo, "--yes", "--param", "count=1", "--storage", "s3", "--bucket", BUCKET,
        "--storage-block", "moto-creds", "--verify",
        env={"AWS_ENDPOINT_URL": s3_url},  # no AWS_* keys: only the block's can be used
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "can read the bucket" in result.stderr
    assert_not_leaked(secret, texts=[result.stdout, result.stderr], roots=[repo])
