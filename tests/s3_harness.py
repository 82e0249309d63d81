"""A bucket on loopback: moto's S3 server from the Prefect venv, for the tests of bucket storage.

The ``s3_url`` fixture (session-scoped) starts ``moto_server`` on 127.0.0.1, waits (bounded)
until it answers, creates the bucket ``BUCKET``, and stops it at the end. It stands in for an
AWS account, the one thing that cannot run here; boto3, s3fs and Prefect's steps talking to it
are real. Like the Prefect harness, it fails, never skips.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.prefect_harness import PrefectServer, _bin, _free_port

BUCKET = "flowwiz-compat"
# for boto3/s3fs clients pointed at the stand-in (moto accepts any key)
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def s3_url(
    prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    process = subprocess.Popen(
        [str(_bin(prefect_server.venv, "moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/moto-api/", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"moto's S3 server did not start on {url}: see {log.name}")
            time.sleep(0.2)
        assert httpx.put(f"{url}/{BUCKET}", timeout=10).status_code == 200
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
