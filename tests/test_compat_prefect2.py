"""Storage blocks and fsspec URLs against Prefect 2.20 (its own venv and server, installed
lazily by tests/prefect2_harness.py): the steps flowwiz writes exist in 2.20 with the same
arguments (``pull_with_block``, ``pull_from_remote_storage``, ``set_working_directory``; the push
step is flowwiz's), so the file is the same; this proves 2.20 deploys it, runs flowwiz's push
step, and a 2.20 process worker runs them from storage, next to a git-cloned deployment with a
cron schedule written exactly as for 3.x.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.deployutil import github_like_repo
from tests.ftp_harness import FtpServer, ftp_server  # noqa: F401 - the fixture
from tests.leaks import assert_not_leaked
from tests.prefect2_harness import prefect2_server  # noqa: F401 - the fixture
from tests.prefect_harness import PrefectServer
from tests.test_compat_deploy import FLOW_NAME, URL, flowwiz, worker_gitconfig
from tests.test_compat_remote_storage import deploy, flowwiz_importable, run_all_on_worker

pytestmark = pytest.mark.prefect

POOL = "compat-remote-pool"  # run_all_on_worker's pool; this is another server
BLOCK = "compat2-rfs"


def test_prefect2_block_and_fsspec_storage_run_on_a_worker(
    prefect2_server: PrefectServer, ftp_server: FtpServer, tmp_path: Path
) -> None:
    server, ftp = prefect2_server, ftp_server
    server.create_work_pool(POOL)
    server.save_block_document(
        "remote-file-system",
        BLOCK,
        {
            "basepath": ftp.url("p2-blocks"),
            "settings": {
                "host": ftp.host, "port": ftp.port,
                "username": ftp.username, "password": ftp.password,
            },
        },
    )  # fmt: skip
    repo = github_like_repo(tmp_path)
    (repo / "requirements.txt").write_text("prefect==2.20.27\n")  # the project pins Prefect 2
    env = flowwiz_importable(tmp_path)
    outputs = [
        flowwiz(
            server, repo, "--name", "p2-block", "--pool", POOL, "--param", "count=1",
            "--storage", "block", "--storage-block", f"remote-file-system/{BLOCK}/team/p2",
        ),
        flowwiz(
            server, repo, "--name", "p2-ftp", "--pool", POOL, "--param", "count=2",
            "--storage", "fsspec", "--url", ftp.url("p2-shared/etl"),
            "--storage-setting", f"username={ftp.username}",
            "--storage-secret-env", "password=FTP_PASSWORD",
            env={"FTP_PASSWORD": ftp.password},
        ),
        # git storage and a cron schedule, as written for 3.x: 2.20 takes them as they are
        flowwiz(
            server, repo, "--name", "p2-git", "--pool", POOL, "--param", "count=3",
            "--cron", "0 3 * * *", "--timezone", "Europe/Paris",
        ),
    ]  # fmt: skip
    assert "prefect-version: 2.20.27" in (repo / "prefect.yaml").read_text()
    done = deploy(server, repo, env, "--all")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (ftp.root / "p2-blocks" / "team" / "p2" / "flows" / "etl.py").is_file()
    assert (ftp.root / "p2-shared" / "etl" / "flows" / "etl.py").is_file()
    names = ("p2-block", "p2-ftp", "p2-git")
    deployments = [server.read_deployment(FLOW_NAME, n) for n in names]
    ((schedule,),) = [d["schedules"] for d in deployments[2:]]
    assert schedule["schedule"]["cron"] == "0 3 * * *"
    assert schedule["schedule"]["timezone"] == "Europe/Paris"
    shutil.rmtree(repo / "flows")
    gitconfig = worker_gitconfig(tmp_path, URL)  # the worker clones the test's bare remote
    runs = run_all_on_worker(
        server, [d["id"] for d in deployments], tmp_path,
        env={"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"},
    )  # fmt: skip
    assert [r["parameters"] for r in runs] == [{"count": 1}, {"count": 2}, {"count": 3}]
    texts = [p.stdout + p.stderr for p in (*outputs, done)]
    assert_not_leaked(ftp.password, texts=texts, roots=[repo, ftp.root])
