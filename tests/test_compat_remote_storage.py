"""Storage blocks and fsspec URLs end to end: `flowwiz deploy --storage block|fsspec`, real
`prefect deploy` uploading through flowwiz's push step, and one real process worker running
every deployment from storage after the repository's own flow files are gone.

Nothing is a stand-in: a real ``remote-file-system`` block on the Prefect server pointing at an
FTP server on loopback (pyftpdlib; Prefect refuses a ``file://`` basepath for that block type),
fsspec URLs on the same FTP server (the password a secret block) and on a ``file://`` folder (a
shared mount, as workers on other machines would see it), Prefect 3.9.1's ``pull_with_block``
and ``pull_from_remote_storage``.
flowwiz is importable in the Prefect environment (as a user installs it where ``prefect deploy``
runs) through PYTHONPATH on a folder that maps ``flowwiz.*`` onto this worktree.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deployutil import github_like_repo
from tests.ftp_harness import FtpServer, ftp_server  # noqa: F401 - the fixture
from tests.leaks import assert_not_leaked, canary
from tests.prefect_harness import PrefectServer
from tests.test_compat_deploy import FLOW_NAME, flowwiz

pytestmark = pytest.mark.prefect

ROOT = Path(__file__).resolve().parents[1]
POOL = "compat-remote-pool"  # its own pool: the worker below must find only these runs
BLOCK = "compat-remote-rfs"


def flowwiz_importable(tmp_path: Path) -> dict[str, str]:
    """PYTHONPATH under which the Prefect venv imports flowwiz from this worktree."""
    shim = tmp_path / "shim" / "flowwiz"
    shim.mkdir(parents=True)
    for part in ("writers", "detectors", "wizard"):
        (shim / part).symlink_to(ROOT / part, target_is_directory=True)
    return {"PYTHONPATH": str(shim.parent)}


def deploy(server: PrefectServer, repo: Path, env: dict[str, str], *args: str) -> Any:
    return server.run_prefect("--no-prompt", "deploy", *args, cwd=repo, env_extra=env)


def run_all_on_worker(
    server: PrefectServer, ids: list[str], tmp_path: Path, env: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    runs = []
    for deployment_id in ids:
        created = server.api("POST", f"/deployments/{deployment_id}/create_flow_run", json={})
        assert created.status_code == 201, created.text[:500]
        runs.append(created.json()["id"])
    workdir = tmp_path / "worker"
    workdir.mkdir()
    worker = server.check_prefect(
        "worker", "start", "--pool", POOL, "--run-once", cwd=workdir, timeout=300,
        env_extra=env,
    )
    states = [server.api("GET", f"/flow_runs/{run}").json() for run in runs]
    for state in states:
        assert state["state"]["type"] == "COMPLETED", worker.stdout[-3000:] + worker.stderr[-3000:]
    return states


def test_block_and_fsspec_storage_upload_on_deploy_and_run_on_a_worker(
    prefect_server: PrefectServer, ftp_server: FtpServer, tmp_path: Path
) -> None:
    ftp = ftp_server
    prefect_server.create_work_pool(POOL)
    # Prefect refuses a file:// basepath for remote-file-system ("Use LocalFileSystem"): the
    # block points at the FTP server, its settings as fsspec's FTPFileSystem takes them
    prefect_server.save_block_document(
        "remote-file-system",
        BLOCK,
        {
            "basepath": ftp.url("blocks"),
            "settings": {
                "host": ftp.host, "port": ftp.port,
                "username": ftp.username, "password": ftp.password,
            },
        },
    )  # fmt: skip
    mount = tmp_path / "shared-mount"
    repo = github_like_repo(tmp_path)
    in_env = canary()
    (repo / ".env").write_text(f"API_KEY={in_env}\n")  # .prefectignore keeps it out
    (repo / "flows" / "stale.py").write_text("gone = True\n")
    env = flowwiz_importable(tmp_path)

    # two deployments share the block: the default sub-path, and the seed's type/name/path
    outputs = [
        flowwiz(
            prefect_server, repo, "--name", "compat-rfs-a", "--pool", POOL, "--param", "count=1",
            "--storage", "block", "--storage-block", f"remote-file-system/{BLOCK}",
        ),
        flowwiz(
            prefect_server, repo, "--name", "compat-rfs-b", "--pool", POOL, "--param", "count=2",
            "--storage", "block", "--storage-block", f"remote-file-system/{BLOCK}/team/b",
            "--upload",  # flowwiz uploads once itself, with the block's settings from the server
        ),
        # fsspec URLs: FTP with the password kept as a secret block, and a shared mount
        flowwiz(
            prefect_server, repo, "--name", "compat-ftp", "--pool", POOL, "--param", "count=3",
            "--storage", "fsspec", "--url", ftp.url("shared/etl"),
            "--storage-setting", f"username={ftp.username}",
            "--storage-secret-env", "password=FTP_PASSWORD",
            env={"FTP_PASSWORD": ftp.password},
        ),
        flowwiz(
            prefect_server, repo, "--name", "compat-file", "--pool", POOL, "--param", "count=4",
            "--storage", "fsspec", "--url", f"file://{mount}/etl",
        ),
    ]  # fmt: skip
    # .prefectignore, flows/etl.py, flows/stale.py, requirements.txt (not .env, not .git)
    assert "Uploaded 4 files" in outputs[1].stderr
    assert (ftp.root / "blocks" / "team" / "b" / "flows" / "etl.py").is_file()
    written = yaml.safe_load((repo / "prefect.yaml").read_text())
    by_name = {d["name"]: d for d in written["deployments"]}
    assert by_name["compat-rfs-a"]["pull"] == [
        {
            "prefect.deployments.steps.pull_with_block": {
                "id": "pull_code",
                "block_type_slug": "remote-file-system",
                "block_document_name": BLOCK,
            }
        },
        {
            "prefect.deployments.steps.set_working_directory": {
                "directory": "{{ pull_code.directory }}/flows/compat-rfs-a"
            }
        },
        {"prefect.deployments.steps.set_working_directory": {"directory": "."}},
    ]
    push_b = by_name["compat-rfs-b"]["push"][0]["flowwiz.writers.storage_push.push_with_block"]
    assert (push_b["path"], push_b["requires"]) == ("team/b", "flowwiz")
    secret_name = "deployment-compat-ftp-nightly-etl-storage-password"
    stored = prefect_server.read_block_document("secret", secret_name)
    assert stored is not None and stored["data"]["value"] == ftp.password

    uploads = [
        ftp.root / "blocks" / "flows" / "compat-rfs-a",
        ftp.root / "blocks" / "team" / "b",
        ftp.root / "shared" / "etl",
        mount / "etl",
    ]
    done = deploy(prefect_server, repo, env, "--all")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for folder in uploads:
        assert (folder / "flows" / "etl.py").is_file(), folder
        assert (folder / "flows" / "stale.py").is_file(), folder
        assert not (folder / ".env").exists() and not (folder / ".git").exists()
        assert json.loads((folder / ".flowwiz-upload.json").read_text())["files"] >= 3

    # a re-deploy replaces each upload whole: a file deleted from the project is gone
    (repo / "flows" / "stale.py").unlink()
    redone = deploy(prefect_server, repo, env, "--all")
    assert redone.returncode == 0, redone.stdout[-3000:] + redone.stderr[-3000:]
    for folder in uploads:
        assert not (folder / "flows" / "stale.py").exists(), folder
        assert (folder / "flows" / "etl.py").is_file()
    assert sorted(p.name for p in (ftp.root / "blocks").iterdir()) == ["flows", "team"]

    # an unreachable target: the push step fails, prefect deploy fails, nothing registered
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be\n")
    outputs.append(
        flowwiz(
            prefect_server, repo, "--name", "compat-unreachable", "--pool", POOL,
            "--param", "count=5", "--storage", "fsspec", "--url", f"file://{blocker}/etl",
        )
    )  # fmt: skip
    failed = deploy(prefect_server, repo, env, "-n", "compat-unreachable")
    assert failed.returncode != 0
    assert f"upload to file://{blocker}/etl failed" in failed.stdout + failed.stderr
    missing = prefect_server.api("GET", f"/deployments/name/{FLOW_NAME}/compat-unreachable")
    assert missing.status_code == 404

    names = ("compat-rfs-a", "compat-rfs-b", "compat-ftp", "compat-file")
    deployments = [prefect_server.read_deployment(FLOW_NAME, n) for n in names]
    pull_ftp = deployments[2]["pull_steps"][0]["prefect.deployments.steps.pull_from_remote_storage"]
    assert pull_ftp["url"] == "dir://" and pull_ftp["path"] == "/shared/etl"
    reference = f"{{{{ prefect.blocks.secret.{secret_name} }}}}"
    assert pull_ftp["target_options"]["password"] == reference

    # the worker can only have the code from storage
    shutil.rmtree(repo / "flows")
    runs = run_all_on_worker(prefect_server, [d["id"] for d in deployments], tmp_path)
    assert [r["parameters"] for r in runs] == [{"count": n} for n in (1, 2, 3, 4)]

    texts = [p.stdout + p.stderr for p in (*outputs, done, redone, failed)]
    assert_not_leaked(ftp.password, texts=texts, roots=[repo, mount, ftp.root])
    assert_not_leaked(in_env, roots=[mount, ftp.root])
