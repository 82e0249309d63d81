"""Docker storage: secret-looking files the build context's .dockerignore lets into the image
are named, and a .dockerignore is offered (issue 10 §7)."""

from __future__ import annotations

from pathlib import Path

from flowwiz.detectors.docker_context import build_context
from tests.deployutil import github_like_repo, run_deploy


def files(root: Path, names: dict[str, str]) -> None:
    for name, text in names.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_dockerignore_patterns_are_anchored_at_the_context_root(tmp_path: Path) -> None:
    files(tmp_path, {
        ".env": "A=1", "sub/.env": "B=2", "keys/deploy.pem": "k", "keys/ok.pem": "k",
        ".env.example": "A=", "flows/etl.py": "",
        ".dockerignore": "# comment\n.env\nkeys/*.pem\n!keys/ok.pem\n",
    })
    # `.env` in .dockerignore is the root's only (unlike git); `!` re-includes
    assert build_context(tmp_path).sensitive == ("keys/ok.pem", "sub/.env")
    (tmp_path / ".dockerignore").write_text("**/.env\n/keys\n")
    assert build_context(tmp_path).sensitive == ()


def test_deploy_names_them_and_extends_the_dockerignore(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    files(repo, {".env": "TOKEN=1", "certs/client.key": "k", ".dockerignore": ".git\n"})
    args = ("--yes", "--param", "count=1", "--storage", "docker", "--image", "ghcr.io/acme/f")
    warned = run_deploy(repo, *args, "--dry-run")
    assert warned.returncode == 0, warned.stderr
    text = " ".join(warned.stderr.split())
    assert "2 file(s) that look like secrets would be copied into the image" in text
    assert ".env, certs/client.key" in text
    assert (repo / ".dockerignore").read_text() == ".git\n"  # --yes alone only warns
    done = run_deploy(repo, *args, "--dockerignore")
    assert done.returncode == 0, done.stderr
    assert "Updated .dockerignore" in done.stderr
    assert (repo / ".dockerignore").read_text().endswith("/.env\n/certs/client.key\n")
    assert build_context(repo).sensitive == ()
