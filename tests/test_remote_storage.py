"""Storage blocks and fsspec URLs: addresses, the steps written and read back, the files Prefect
would upload (checked against Prefect's own filter), and an upload that fails cleanly."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import fsspec
import pytest
import yaml
from fsspec.implementations.memory import MemoryFileSystem

from flowwiz.detectors.errors import UserError
from flowwiz.writers import remote_storage
from flowwiz.writers.plan import BlockStorage, DeploymentPlan, FsspecStorage, LocalStorage
from flowwiz.writers.prefect_yaml import deployment_entry, render, storage_of
from flowwiz.writers.remote_storage import (
    MARKER,
    UploadError,
    files_to_upload,
    parse_block_address,
    upload,
)


def plan(tmp_path: Path, storage: object, name: str = "etl") -> DeploymentPlan:
    return DeploymentPlan(
        project_root=tmp_path,
        prefect_yaml=tmp_path / "prefect.yaml",
        project_name="p",
        name=name,
        flow_name="etl",
        entrypoint="flows/etl.py:etl",
        storage=storage,  # type: ignore[arg-type]
        work_pool="pool",
    )


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("s3-bucket/log-test/log-flow-directory", ("s3-bucket", "log-test", "log-flow-directory")),
        ("remote-file-system/shared", ("remote-file-system", "shared", "")),
        ("smb/nas/a/b/c/", ("smb", "nas", "a/b/c")),
    ],
)
def test_the_seed_block_address_form(text: str, parsed: tuple[str, str, str]) -> None:
    assert parse_block_address(text) == parsed


@pytest.mark.parametrize(
    "text", ["shared", "remote-file-system/", "Remote/x", "s3-bucket/Bad_Name", "smb/nas/../up"]
)
def test_bad_block_addresses_are_refused(text: str) -> None:
    with pytest.raises(UserError):
        parse_block_address(text)


def test_block_steps_and_read_back(tmp_path: Path) -> None:
    storage = BlockStorage("remote-file-system", "shared", "p/etl")
    entry = deployment_entry(plan(tmp_path, storage))
    assert entry["push"] == [
        {
            "flowwiz.writers.storage_push.push_with_block": {
                "id": "push_code",
                "requires": "flowwiz",
                "block_type_slug": "remote-file-system",
                "block_document_name": "shared",
                "path": "p/etl",
            }
        }
    ]
    assert entry["pull"][1:] == [
        {
            "prefect.deployments.steps.set_working_directory": {
                "directory": "{{ pull_code.directory }}/p/etl"
            }
        },
        {"prefect.deployments.steps.set_working_directory": {"directory": "."}},
    ]
    assert storage_of(entry) == storage
    # a read-only block gets no push step, and no sub-path means no second pull step
    readonly = deployment_entry(plan(tmp_path, BlockStorage("github-repository", "code")))
    assert "push" not in readonly and len(readonly["pull"]) == 1
    assert storage_of(readonly) == BlockStorage("github-repository", "code")


def test_fsspec_steps_keep_secrets_as_templates(tmp_path: Path) -> None:
    secret = "{{ prefect.blocks.secret.deployment-etl-etl-storage-password }}"
    storage = FsspecStorage(
        "sftp://files.example.com:2222/srv/flows/etl", {"username": "svc", "password": secret}
    )
    entry = deployment_entry(plan(tmp_path, storage))
    ((_, pull),) = entry["pull"][0].items()
    # Prefect's RemoteStorage drops the URL path's leading "/": the dir:// wrapper keeps it
    assert pull == {
        "id": "pull_code",
        "url": "dir://",
        "path": "/srv/flows/etl",
        "target_protocol": "sftp",
        "target_options": {
            "host": "files.example.com",
            "port": 2222,
            "username": "svc",
            "password": secret,
        },
    }
    ((name, push),) = entry["push"][0].items()
    assert name == "flowwiz.writers.storage_push.push_to_remote_storage"
    assert push["url"] == storage.url and push["password"] == secret
    assert storage_of(entry) == storage
    from flowwiz.detectors.secret import SecretStr

    with pytest.raises(UserError, match="secret value"):
        deployment_entry(plan(tmp_path, FsspecStorage("file:///x/y", {"k": SecretStr("v")})))


def test_switching_away_nulls_flowwizs_push_step(tmp_path: Path) -> None:
    first = render(plan(tmp_path, FsspecStorage("file:///srv/x/etl")), None).text
    again = render(plan(tmp_path, LocalStorage(str(tmp_path))), first).text
    entry = yaml.safe_load(again)["deployments"][0]
    assert entry["push"] is None  # the top-level push list does not apply either


PREFECT_FILTER = """
import json, sys
from prefect.utilities.filesystem import filter_files
root = sys.argv[1]
lines = open(root + "/.prefectignore").readlines()
kept = filter_files(root, lines, include_dirs=False, as_posix=True)
print(json.dumps(sorted(kept)))
"""


@pytest.mark.prefect
def test_upload_set_is_prefects_filter(tmp_path: Path) -> None:
    from tests.prefect_harness import _bin, ensure_prefect

    files = [
        "flows/etl.py", "flows/keep.py", "flows/__pycache__/etl.cpython-311.pyc", ".env",
        ".env.example", "data/big.csv", "data/keep/important.csv", "notes/a.md", "a b/c d.py",
        ".git/config", "build/out.txt", "src/build/x.py", "deep/x/y/z.log",
    ]  # fmt: skip
    for rel in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    (tmp_path / ".prefectignore").write_text(
        "__pycache__/\n*.pyc\n.env*\n!.env.example\ndata/\n!data/keep/important.csv\n"
        "/build\n**/*.log\n.git\nnotes/*.md\n"
    )
    python = _bin(ensure_prefect(), "python")
    done = subprocess.run(
        [str(python), "-c", PREFECT_FILTER, str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    ours = [f.path for f in files_to_upload(tmp_path)]
    assert ours == theirs
    assert "data/keep/important.csv" in ours  # pathspec re-includes under an excluded dir


class FailingFileSystem(MemoryFileSystem):
    """A memory filesystem that loses the connection after ``limit`` files."""

    protocol = "failing-memory"
    limit = 1
    calls = 0

    def put_file(self, lpath, rpath, *args, **kwargs):  # type: ignore[no-untyped-def]
        FailingFileSystem.calls += 1
        if FailingFileSystem.calls > self.limit:
            raise ConnectionError("connection reset by hunter2-password-peer")
        return super().put_file(lpath, rpath, *args, **kwargs)


def project(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_a_failed_upload_leaves_the_previous_one_and_no_staging(tmp_path: Path) -> None:
    fs = MemoryFileSystem()
    root = project(tmp_path / "v1", {"flows/etl.py": "v1", "flows/old.py": "old"})
    first = upload(fs, "/store/etl", root, files_to_upload(root))
    assert (first.files, fs.cat("/store/etl/flows/etl.py")) == (2, b"v1")
    assert json.loads(fs.cat(f"/store/etl/{MARKER}"))["files"] == 2

    failing = FailingFileSystem()  # memory filesystems share one store per process
    FailingFileSystem.calls = 0
    root2 = project(tmp_path / "v2", {"flows/etl.py": "v2", "flows/new.py": "new"})
    with pytest.raises(UploadError) as raised:
        upload(failing, "/store/etl", root2, files_to_upload(root2), hide=["hunter2-password"])
    message = str(raised.value)
    assert "after 1 of 2 files" in message and "nothing was replaced" in message
    assert "hunter2-password" not in message and "********" in message
    assert fs.cat("/store/etl/flows/etl.py") == b"v1"  # the previous upload, whole
    assert fs.exists("/store/etl/flows/old.py")
    assert [p for p in fs.ls("/store", detail=False) if "flowwiz" in p] == []

    second = upload(fs, "/store/etl", root2, files_to_upload(root2))
    assert second.files == 2 and fs.cat("/store/etl/flows/etl.py") == b"v2"
    assert not fs.exists("/store/etl/flows/old.py")  # stale files go with the old upload
    assert sorted(fs.ls("/store", detail=False)) == ["/store/etl"]
    fs.rm("/store", recursive=True)


def test_a_folder_flowwiz_did_not_fill_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "theirs"
    project(target, {"report.xlsx": "someone's"})
    root = project(tmp_path / "p", {"flows/etl.py": "x"})
    fs = fsspec.filesystem("file")
    with pytest.raises(UserError, match="did not upload"):
        upload(fs, str(target), root, files_to_upload(root))
    assert (target / "report.xlsx").read_text() == "someone's"
    with pytest.raises(UserError, match="root"):
        upload(fs, "/", root, files_to_upload(root))


def test_an_unreachable_push_target_is_one_clear_error(tmp_path: Path, monkeypatch) -> None:
    from flowwiz.writers.storage_push import push_to_remote_storage

    root = project(tmp_path / "p", {"flows/etl.py": "x"})
    monkeypatch.chdir(root)
    with pytest.raises(UploadError, match="cannot open ftp://127.0.0.1:9/x") as raised:
        push_to_remote_storage("ftp://127.0.0.1:9/x", username="u", password="s3cr3t-pw")
    assert "s3cr3t-pw" not in str(raised.value)
    assert remote_storage.check_url("file:///a/b") == "file:///a/b"
    with pytest.raises(UserError, match="password"):
        remote_storage.check_url("smb://me:pw@nas/share/x")
