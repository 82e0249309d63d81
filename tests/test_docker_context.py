"""Docker storage: secret-looking files the build context's .dockerignore lets into the image
are named, and a .dockerignore is offered (issue 10 §7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flowwiz.detectors.docker_context import build_context

from tests.deployutil import github_like_repo, run_deploy


def files(root: Path, names: dict[str, str]) -> None:
    for name, text in names.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_dockerignore_patterns_are_anchored_at_the_context_root(tmp_path: Path) -> None:
    files(
        tmp_path,
        {
            ".env": "A=1",
            "sub/.env": "B=2",
            "keys/deploy.pem": "k",
            "keys/ok.pem": "k",
            ".env.example": "A=",
            "flows/etl.py": "",
            ".dockerignore": "# comment\n.env\nkeys/*.pem\n!keys/ok.pem\n",
        },
    )
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


def test_private_registry_credentials_become_a_block_the_push_step_references(
    tmp_path: Path, file_keyring: Path
) -> None:
    import yaml
    from flowwiz.writers.blocks import open_store

    from tests.leaks import assert_not_leaked, canary

    repo = github_like_repo(tmp_path)
    password = canary()
    args = ("--yes", "--param", "count=1", "--storage", "docker", "--image", "ghcr.io/acme/f")
    done = run_deploy(
        repo,
        *args,
        "--registry-credentials",
        "ghcr-push",
        "--registry-username",
        "bot",
        "--registry-password-env",
        "REG_PW",
        env={"REG_PW": password},
    )
    assert done.returncode == 0, done.stderr
    entry = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    push = entry["push"][0]["prefect_docker.deployments.steps.push_docker_image"]
    assert push["credentials"] == "{{ prefect.blocks.docker-registry-credentials.ghcr-push }}"
    block = open_store().get("docker-registry-credentials", "ghcr-push", include_secrets=True)
    assert block.data["username"] == "bot" and block.data["registry_url"] == "ghcr.io"
    assert block.data["password"].reveal() == password
    # re-running keeps the reference (read back from the file), asking nothing new
    again = run_deploy(repo, *args, "--name", "nightly-etl")
    assert again.returncode == 0, again.stderr
    entry = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    push = entry["push"][0]["prefect_docker.deployments.steps.push_docker_image"]
    assert push["credentials"] == "{{ prefect.blocks.docker-registry-credentials.ghcr-push }}"
    assert_not_leaked(password, texts=[done.stdout, done.stderr], roots=[repo])


@pytest.mark.prefect
def test_dockerignore_matching_agrees_with_docker_py(tmp_path: Path) -> None:
    """Differential: the files flowwiz says a build sends are the files docker-py's
    ``exclude_paths`` (Docker's .dockerignore rules in Python) sends."""
    import json
    import subprocess

    from flowwiz.detectors.docker_context import as_git_rules
    from flowwiz.detectors.ignore_rules import rules_from_text, walk_files

    from tests.prefect_harness import ensure_prefect

    files(tmp_path, {
        ".env": "", "sub/.env": "", "sub/deep/x.pem": "", "keys/a.pem": "", "keys/ok.pem": "",
        "flows/etl.py": "", "flows/__pycache__/etl.pyc": "", "docs/readme.md": "",
        "build/out.txt": "", "notes.txt": "", "a/b/notes.txt": "",
    })
    text = (
        "# comment\n.env\nkeys/*.pem\n!keys/ok.pem\n**/__pycache__\n/build\n*.txt\n"
        "sub/**/*.pem\ndocs/\n"
    )
    ours = sorted(walk_files(rules_from_text(tmp_path, as_git_rules(text))))
    python = ensure_prefect() / "bin" / "python"
    code = (
        "import json, os, sys\n"
        "from docker.utils.build import exclude_paths\n"
        "root, text = sys.argv[1], sys.argv[2]\n"
        "patterns = [l.strip() for l in text.splitlines() if l.strip() and not l.startswith('#')]\n"
        "kept = exclude_paths(root, patterns)\n"
        "print(json.dumps(sorted(p for p in kept if os.path.isfile(os.path.join(root, p)))))\n"
    )
    done = subprocess.run(
        [str(python), "-c", code, str(tmp_path), text], capture_output=True, text=True, check=True
    )
    assert ours == json.loads(done.stdout)
