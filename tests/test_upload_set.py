"""What `prefect deploy` would upload to a bucket, and which of it looks like a secret."""

from __future__ import annotations

from pathlib import Path

from flowwiz.detectors.upload_set import human_size, upload_set
from tests.gitutil import make_repo
from flowwiz.writers.ignore import prefectignore_text


def test_the_default_prefectignore_keeps_secrets_and_caches_out(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "flows/etl.py": "x = 1\n",
            ".env": "TOKEN=1\n",
            ".env.example": "TOKEN=\n",
            "keys/deploy.pem": "-----\n",
            "flows/__pycache__/etl.cpython-311.pyc": "\0",
            ".venv/pyvenv.cfg": "home = /usr\n",
        },
    )
    found = upload_set(repo, prefectignore_text())
    assert found.sensitive == ()
    assert found.files == 1  # flows/etl.py


def test_an_existing_prefectignore_that_lets_secrets_through(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "flows/etl.py": "x = 1\n",
            ".env.production": "TOKEN=1\n",
            ".env.example": "TOKEN=\n",
            "config/service-account-prod.json": "{}",
            "deploy/id_ed25519": "k",
            "README.md": "r" * 1500,
        },
    )
    found = upload_set(repo, "# only caches and git\n__pycache__/\n.git/\n")
    assert found.sensitive == (
        ".env.production",
        "config/service-account-prod.json",
        "deploy/id_ed25519",
    )
    assert found.files == 6  # .env.example is a template, not a secret
    assert found.size >= 1500


def test_git_internals_are_uploaded_unless_ignored(tmp_path: Path) -> None:
    # Prefect's push steps walk everything (Path.rglob): .git is not special to them
    repo = make_repo(tmp_path / "repo", {"a.py": "1\n"})
    assert upload_set(repo, None).files > 1
    assert upload_set(repo, "").files == upload_set(repo, None).files
    assert upload_set(repo, ".git/\n").files == 1


def test_human_size() -> None:
    assert human_size(999) == "999 B"
    assert human_size(1500) == "1.5 kB"
    assert human_size(2_500_000) == "2.5 MB"
    assert human_size(7_000_000_000) == "7.0 GB"
