"""The real-Prefect harness itself: server health, work pools, secrets over REST."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.prefect_harness import PREFECT_VERSION, PrefectCommandFailed, PrefectServer

pytestmark = pytest.mark.prefect


def test_server_answers_health_and_is_the_pinned_version(prefect_server: PrefectServer) -> None:
    assert prefect_server.api_url.startswith("http://127.0.0.1:")
    health = prefect_server.api("GET", "/health")
    assert health.status_code == 200
    assert health.json() is True
    version = prefect_server.check_prefect("version").stdout
    assert f"Version:              {PREFECT_VERSION}" in version
    assert "Server type:          server" in version


def test_environment_points_at_the_harness_server_only(
    prefect_server: PrefectServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_API_KEY", "pnu_not-for-this-server")
    monkeypatch.setenv("PREFECT_PROFILE", "somewhere-else")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = prefect_server.env
    assert env["PREFECT_API_URL"] == prefect_server.api_url
    assert env["PREFECT_HOME"] == str(prefect_server.client_home)
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert "PREFECT_API_KEY" not in env
    assert "PREFECT_PROFILE" not in env
    assert "PYTHONDONTWRITEBYTECODE" not in env
    # the per-test isolation of tests/conftest.py reaches Prefect's subprocesses
    assert env["HOME"] == os.environ["HOME"]
    seen = prefect_server.check_python(
        "import json, os; from prefect.settings import PREFECT_API_URL;"
        "print(json.dumps([PREFECT_API_URL.value(), os.environ.get('PREFECT_API_KEY')]))"
    )
    assert json.loads(seen.stdout) == [prefect_server.api_url, None]


def test_create_work_pool_is_idempotent(prefect_server: PrefectServer) -> None:
    prefect_server.create_work_pool("harness-pool")
    prefect_server.create_work_pool("harness-pool")
    pool = prefect_server.api("GET", "/work_pools/harness-pool").json()
    assert pool["name"] == "harness-pool"
    assert pool["type"] == "process"


def test_secret_saved_by_prefect_reads_back_over_rest(prefect_server: PrefectServer) -> None:
    prefect_server.check_python(
        "from prefect.blocks.system import Secret\n"
        "Secret(value='harness-value-1').save('harness-secret', overwrite=True)\n"
    )
    document = prefect_server.read_block_document("secret", "harness-secret")
    assert document is not None
    assert document["data"] == {"value": "harness-value-1"}
    assert document["block_type"]["slug"] == "secret"
    masked = prefect_server.api(
        "GET", "/block_types/slug/secret/block_documents/name/harness-secret"
    ).json()
    assert masked["data"] == {"value": "********"}
    assert prefect_server.read_block_document("secret", "no-such-secret") is None
    loaded = prefect_server.check_python(
        "from prefect.blocks.system import Secret; print(Secret.load('harness-secret').get())"
    )
    assert loaded.stdout.strip() == "harness-value-1"


def test_secret_saved_over_rest_loads_in_prefect(prefect_server: PrefectServer) -> None:
    first = prefect_server.save_secret("harness-rest-secret", "first-value")
    again = prefect_server.save_secret("harness-rest-secret", "second-value")
    assert first == again  # overwritten in place, not duplicated
    loaded = prefect_server.check_python(
        "from prefect.blocks.system import Secret; print(Secret.load('harness-rest-secret').get())"
    )
    assert loaded.stdout.strip() == "second-value"


def test_checked_commands_fail_loudly_with_their_output(prefect_server: PrefectServer) -> None:
    with pytest.raises(PrefectCommandFailed) as failed:
        prefect_server.check_python("import sys; print('to-stdout'); sys.exit('to-stderr')")
    message = str(failed.value)
    assert "exited 1" in message
    assert "to-stdout" in message
    assert "to-stderr" in message
    unchecked = prefect_server.run_python("import sys; sys.exit(3)")
    assert unchecked.returncode == 3


def test_read_deployment_names_the_missing_deployment(prefect_server: PrefectServer) -> None:
    with pytest.raises(AssertionError, match="nope/missing: HTTP 404"):
        prefect_server.read_deployment("nope", "missing")


def test_a_prefect_test_fails_not_skips_when_prefect_cannot_be_installed(tmp_path: Path) -> None:
    """The issue's "fails loudly": no index reachable -> the test using the fixture FAILS."""
    repo_root = Path(__file__).resolve().parents[1]
    (tmp_path / "test_needs_prefect.py").write_text(
        "def test_uses_it(prefect_server):\n    assert prefect_server.api_url\n"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(repo_root),
        "FLOWWIZ_TEST_PREFECT_VENV": str(tmp_path / "venv"),
        "CI": "true",
        # neither installer can reach a package: uv offline with an empty cache, pip with no
        # index and no configuration
        "UV_OFFLINE": "1",
        "UV_CACHE_DIR": str(empty),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(empty),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.prefect_harness", "-q", "-rA",
         "-p", "no:cacheprovider", str(tmp_path / "test_needs_prefect.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 error" in done.stdout
    assert "skipped" not in done.stdout
    assert "real Prefect is not available: could not install prefect==" in done.stdout
    assert not (tmp_path / "venv" / ".flowwiz-ready").exists()
