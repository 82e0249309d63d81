"""The upload preview against Prefect 3.9.1 itself: what `push_to_s3` really uploads is the oracle.

Prefect's real ``prefect_aws.deployments.steps.push_to_s3`` runs in ONE subprocess of the
harness venv over the whole corpus (only its S3 client is replaced, by a recorder of
``upload_file`` calls: the walk, the ``.prefectignore`` reading and ``filter_files`` are
Prefect's). flowwiz's ``upload_set`` and ``is_ignored`` must agree on every file of every mix.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from flowwiz.detectors.errors import DetectionError
from flowwiz.detectors.prefect_ignore import (
    PrefectIgnoreError,
    read_prefectignore,
    uploaded_files,
)
from flowwiz.detectors.upload_set import upload_set
from flowwiz.writers.ignore import DEFAULT_PREFECTIGNORE, is_ignored
from tests.prefect_harness import _bin, _clean_env, ensure_prefect

TREE = (
    "a.py", "README.md", "Makefile.PY", "keep.log", "debug.log", "a b.txt", "foo ", "#notes",
    "!important", "[x].txt", "abc.py", "bcd.py", "key.txt", ".env", ".env.local", ".envrc",
    "secrets/service-account.json", "secrets/token.txt", "secrets/deep/db.json",
    "build/lib/x.py", "build/keep.txt", "build/keep.log", "d/keep.txt", "d/other.txt",
    "d/sub/deep.txt", "src/a.py", "src/generated/x.py", "src/generated/keep.py",
    "flows/etl.py", "flows/__pycache__/etl.cpython-311.pyc", "flows/env/x.py",
    "flows/build/y.py", "pkg/venv/y.py", "pkg/b.py", "pkg/node_modules/m.js",
    ".venv/lib/site.py", "venv/bin/python", "env/bin/activate", "tests/test_a.py",
    "tests/data/sample.csv", "vendor/deps/node_modules/.bin/x.txt", "docs/a.md",
    "docs/.hidden/b.md", "a/b", "a/c/b", "a/x/y/b/z.txt", ".git/config", ".git/objects/ab/cd",
    "certs/server.key", "certs/server.pem",
)  # fmt: skip
LINKS = {"link-to-file.py": "a.py", "link-to-dir": "src", "dangling": "nowhere"}

# realistic whole lines, some tricky: negations, anchors, dir-only, **, classes, comments
LINES = (
    "build/", "build", "/build", "/build/", "!build/keep.txt", "!keep.log", "*.log", "d/**",
    "d/*", "!d/keep.txt", "d/sub/", "*", "!*/", "!*.py", "!src/**", "src/generated/",
    "!src/generated/keep.py", "/*", "!/flows/", ".*", "!**/node_modules/**", "node_modules",
    "**/node_modules", "*.PY", "[a-", "*.py[cod]", "__pycache__/", ".venv", "/.venv/", "venv/",
    "/venv/", "env/", "/env/", ".env", ".env.*", "*.pem", "*.key", "tests/", "/tests",
    "tests/**/*.csv", "**/data", "docs/**/*.md", "!docs/a.md", "a/**/b", "flows/**",
    "!flows/etl.py", "\\#notes", "# a comment", "#notes", "", "!a b.txt", "a?b.txt",
    "[!a]*.py", "README.*", "secrets/", "!*.json", "secrets/*", "!secrets/deep/", "secrets",
    "\\!important", "[[]x].txt", "[a-c]*.py", "[!b-z]bc.py", ".git/", ".git", "link-to-dir",
    "link-to-file.py", "/link-to-dir/", "**", "**/", "a/**", "**/b", "/a/**/b", "*.json",
    "!secrets/service-account.json", "foo ", "  *.md", "*.txt  ", "!/secrets/",
)  # fmt: skip
SEGMENTS = ("*", "**", "a", "b", "d", "src", "secrets", "*.py", "?ey.txt", "[a-c]*", "[!.]*",
            "build", "flows", "[[:alpha:]]*", "generated", "node_modules", ".*")  # fmt: skip
RARE = ("foo\\ ", "!", "a\\")  # lines pathspec rejects after Prefect strips them


def _random_rule(rng: random.Random) -> str:
    """A generated rule: optional negation and anchor, 1-3 segments, optional dir-only slash,
    optional trailing or leading blanks."""
    rule = "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.3:
        rule = "/" + rule
    if rng.random() < 0.3:
        rule += "/"
    if rng.random() < 0.3:
        rule = "!" + rule
    if rng.random() < 0.1:
        rule = rng.choice((" ", "\t", "  ")) + rule
    if rng.random() < 0.1:
        rule += rng.choice((" ", "  ", "\t"))
    return rule


def corpus(count: int = 320, seed: int = 20261130) -> list[str]:
    rng = random.Random(seed)
    mixes = [
        "secrets/\n!*.json\n",  # the issue's case: Prefect uploads secrets/service-account.json
        DEFAULT_PREFECTIGNORE,
        "build/\n!build/keep.txt\n",
        "d/**\n!d/keep.txt\n",
        "*\n!*/\n!*.py\n",
        "foo\\ \n",
        "",
    ]
    while len(mixes) < count:
        lines = [
            rng.choice(LINES) if rng.random() < 0.6 else _random_rule(rng)
            for _ in range(rng.randint(1, 7))
        ]
        if rng.random() < 0.03:
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(RARE))
        newline = "\r\n" if rng.random() < 0.1 else "\n"
        mixes.append(newline.join(lines) + (newline if rng.random() < 0.9 else ""))
    return mixes


# Prefect's own push step, with only the S3 client replaced by a recorder
PREFECT_SIDE = r"""
import json, os, sys
from pathlib import Path
import prefect_aws.deployments.steps as steps

class Recorder:
    def __init__(self):
        self.keys = []
    def upload_file(self, local, bucket, key):
        self.keys.append(key)

job = json.loads(Path(sys.argv[1]).read_text())
root = Path(job["root"])
os.chdir(root)
results = []
for text in job["mixes"]:
    (root / ".prefectignore").write_bytes(text.encode())
    recorder = Recorder()
    steps.get_s3_client = lambda **kwargs: recorder
    try:
        steps.push_to_s3(bucket="b", folder="f")
    except Exception as exc:
        results.append("error: " + type(exc).__name__)
        continue
    results.append(sorted(k[len("f/"):] for k in recorder.keys))
Path(sys.argv[2]).write_text(json.dumps(results))
"""


def _make_tree(root: Path) -> None:
    for rel in TREE:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    for name, target in LINKS.items():
        (root / name).symlink_to(target)


def _prefect_uploads(root: Path, mixes: list[str], tmp_path: Path) -> list[list[str] | str]:
    python = _bin(ensure_prefect(), "python")
    job, out = tmp_path / "job.json", tmp_path / "out.json"
    job.write_text(json.dumps({"root": str(root), "mixes": mixes}))
    env = _clean_env(os.environ)
    result = subprocess.run(
        [str(python), "-c", PREFECT_SIDE, str(job), str(out)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(out.read_text())


def _ours(root: Path, text: str) -> list[str] | str:
    (root / ".prefectignore").write_bytes(text.encode())
    try:
        rules = read_prefectignore((root / ".prefectignore").read_text())
    except PrefectIgnoreError:
        return "error: GitIgnorePatternError"
    found = sorted(uploaded_files(root, rules))
    # the one-regex pre-check changes nothing: without it every file asks pathspec
    assert rules._any_rule is not None
    assert sorted(uploaded_files(root, dataclasses.replace(rules, _any_rule=None))) == found
    return found


@pytest.mark.prefect
def test_the_preview_predicts_what_prefect_uploads(tmp_path: Path) -> None:
    root = tmp_path / "project"
    _make_tree(root)
    mixes = corpus()
    assert len(mixes) >= 300
    theirs = _prefect_uploads(root, mixes, tmp_path)
    assert len(theirs) == len(mixes)
    # the issue's case, as Prefect decides it
    assert "secrets/service-account.json" in theirs[0]
    assert theirs[5] == "error: GitIgnorePatternError"  # `foo\ ` stripped to `foo\`
    assert sum(isinstance(t, list) for t in theirs) >= 300

    disagreements = []
    files = [*TREE, "link-to-file.py", ".prefectignore"]
    for text, expected in zip(mixes, theirs, strict=True):
        actual = _ours(root, text)
        if actual != expected:
            disagreements.append((text, expected, actual))
            continue
        if isinstance(expected, str):
            with pytest.raises(PrefectIgnoreError):
                upload_set(root, text)
            continue
        found = upload_set(root, text)
        assert found.files == len(expected)
        kept = {rel for rel in files if not is_ignored(root, rel, text)}
        if kept != set(expected):
            disagreements.append((text, expected, sorted(kept)))
    assert disagreements == []


def test_the_issues_case_uploads_the_json(tmp_path: Path) -> None:
    _make_tree(tmp_path)
    text = "secrets/\n!*.json\n"
    found = upload_set(tmp_path, text)
    assert "secrets/service-account.json" in found.sensitive
    assert is_ignored(tmp_path, "secrets/service-account.json", text) is False
    assert is_ignored(tmp_path, "secrets/token.txt", text) is True


def test_no_prefectignore_uploads_everything_git_too(tmp_path: Path) -> None:
    _make_tree(tmp_path)
    uploaded = list(uploaded_files(tmp_path, read_prefectignore(None)))
    assert ".git/config" in uploaded and "link-to-file.py" in uploaded
    assert not any(p.startswith("link-to-dir") for p in uploaded) and "dangling" not in uploaded
    assert upload_set(tmp_path, None).files == len(uploaded)


def test_a_line_prefect_cannot_read_is_named(tmp_path: Path) -> None:
    with pytest.raises(PrefectIgnoreError, match=r"line 2 \('foo\\\\'\)") as info:
        read_prefectignore("*.log\nfoo\\ \n")
    assert isinstance(info.value, DetectionError) and info.value.exit_code == 2
