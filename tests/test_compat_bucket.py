"""Bucket storage end to end: `flowwiz deploy --storage s3`, real `prefect deploy` uploading the
code with prefect-aws, and a real process worker downloading it and running the flow.

The bucket is moto's S3 server on 127.0.0.1 (installed into the Prefect venv by the harness):
the one stand-in here, for an AWS account. Everything else is the real thing: the
aws-credentials block on the Prefect server (its ``aws_client_parameters.endpoint_url`` points
at the stand-in, as one would for MinIO), Prefect's push and pull steps, boto3.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
import pytest

from tests.deployutil import github_like_repo
from tests.leaks import canary
from tests.prefect_harness import PrefectServer
from tests.s3_harness import BUCKET
from tests.test_compat_deploy import FLOW_NAME, flowwiz, prefect_deploy, run_on_worker

pytestmark = pytest.mark.prefect

PULL_S3 = "prefect_aws.deployments.steps.pull_from_s3"


def bucket_keys(url: str) -> list[str]:
    listed = httpx.get(f"{url}/{BUCKET}", params={"list-type": "2"}, timeout=10)
    assert listed.status_code == 200, listed.text[:300]
    return re.findall(r"<Key>([^<]+)</Key>", listed.text)


def test_s3_storage_uploads_on_deploy_and_runs_on_a_worker(
    prefect_server: PrefectServer, s3_url: str, tmp_path: Path
) -> None:
    repo = github_like_repo(tmp_path)
    secret_in_env = canary()
    (repo / ".env").write_text(f"API_KEY={secret_in_env}\n")  # must stay out of the bucket
    pool = "compat-s3-pool"  # its own pool: the worker below must find only this run
    prefect_server.create_work_pool(pool)
    prefect_server.check_python(
        "from prefect_aws import AwsCredentials\n"
        "from prefect_aws.client_parameters import AwsClientParameters\n"
        "AwsCredentials(aws_access_key_id='testing', aws_secret_access_key='testing',\n"
        "               region_name='us-east-1',\n"
        f"               aws_client_parameters=AwsClientParameters(endpoint_url={s3_url!r}),\n"
        ").save('compat-s3', overwrite=True)\n"
    )
    wizard = flowwiz(
        prefect_server, repo,
        "--name", "compat-s3", "--pool", pool, "--param", "count=3",
        "--storage", "s3", "--bucket", BUCKET, "--storage-block", "compat-s3",
    )  # fmt: skip
    assert "will upload 2 files" in wizard.stderr  # flows/etl.py, requirements.txt: no .env
    prefect_deploy(prefect_server, repo, "-n", "compat-s3")

    # prefect-aws uploaded the project, with flowwiz's .prefectignore applied
    keys = bucket_keys(s3_url)
    folder = "flows/compat-s3/"
    assert f"{folder}flows/etl.py" in keys
    assert f"{folder}requirements.txt" in keys
    assert not [k for k in keys if k.endswith(".env") or "/.git/" in k], keys

    dep = prefect_server.read_deployment(FLOW_NAME, "compat-s3")
    assert dep["pull_steps"] == [
        {
            PULL_S3: {
                "id": "pull_code",
                "requires": "prefect-aws>=0.3.4",
                "bucket": BUCKET,
                "folder": "flows/compat-s3",
                "credentials": "{{ prefect.blocks.aws-credentials.compat-s3 }}",
            }
        }
    ]
    # the worker can only have the code from the bucket
    shutil.rmtree(repo / "flows")
    gitconfig = tmp_path / "empty.gitconfig"
    gitconfig.write_text("")
    flow_run = run_on_worker(prefect_server, dep["id"], pool, gitconfig, tmp_path)
    assert flow_run["parameters"] == {"count": 3}
