"""writers.ignore: the default .prefectignore, matching as Prefect's push steps match, writing.

The oracle for ``is_ignored`` is Prefect itself (tests/test_prefect_ignore.py); git is still the
oracle for the default file, where the two agree.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from flowwiz.detectors.prefect_ignore import PrefectIgnoreError
from flowwiz.writers.ignore import (
    DEFAULT_PREFECTIGNORE,
    is_ignored,
    prefectignore_text,
    write_prefectignore,
)

TREE = (
    "a.py",
    "README.md",
    "keep.log",
    "debug.log",
    "foo ",
    "a b.txt",
    "Makefile.PY",
    ".env",
    ".env.local",
    ".envrc",
    "secrets.pem",
    "certs/server.key",
    "build/lib/x.py",
    "build/keep.txt",
    "build/keep.log",
    "d/keep.txt",
    "d/other.txt",
    "d/sub/deep.txt",
    "src/a.py",
    "src/generated/x.py",
    "src/generated/keep.py",
    "flows/f.py",
    "flows/etl.py",
    "flows/__pycache__/etl.cpython-311.pyc",
    "flows/env/x.py",
    "flows/build/y.py",
    "pkg/venv/y.py",
    "pkg/b.py",
    "pkg/node_modules/m.js",
    ".venv/lib/site.py",
    "venv/bin/python",
    "env/bin/activate",
    "tests/test_a.py",
    "tests/data/sample.csv",
    "vendor/deps/node_modules/.bin/x.txt",
    "docs/a.md",
    "docs/.hidden/b.md",
)


def _make_tree(root: Path) -> None:
    for rel in TREE:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)


def _git_kept(tree: Path, git_dir: Path, rules_file: Path) -> set[str]:
    """What git itself keeps: untracked files not excluded by the rules (never reads
    check-ignore, which can be circular for the excluded-parent case)."""
    out = subprocess.run(
        [
            "git",
            f"--git-dir={git_dir}",
            f"--work-tree={tree}",
            "-c",
            "core.ignorecase=false",
            "-c",
            "core.quotepath=off",
            "ls-files",
            "-o",
            "-z",
            f"--exclude-from={rules_file}",
        ],
        check=True,
        capture_output=True,
    ).stdout
    return {os.fsdecode(p) for p in out.split(b"\0") if p}


def _our_kept(tree: Path, rules: str) -> set[str]:
    return {rel for rel in TREE if not is_ignored(tree, rel, rules)}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    _make_tree(root)
    return root


@pytest.fixture
def git_dir(tmp_path: Path) -> Path:
    path = tmp_path / "throwaway.git"
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    return path


@pytest.mark.parametrize(
    ("rules", "kept_of_interest"),
    [
        # Prefect matches each file on its own: a negation reaches into an excluded directory
        ("build/\n!build/keep.txt\n", {"build/keep.txt": True, "build/keep.log": False}),
        ("build\n!keep.log\n", {"keep.log": True, "build/keep.log": True}),
        ("*.log\r\n!keep.log\r\nbuild/\r\n", {"debug.log": False, "build/keep.log": True}),
        ("secrets/\n!*.json\n", {"secrets/service-account.json": True}),
        ("d/**\n!d/keep.txt\n", {"d/keep.txt": True, "d/other.txt": False}),
        ("*\n!*/\n!*.py\n", {"a.py": True, "pkg/b.py": True, "README.md": False}),
        ("/*\n!/flows/\n", {"flows/f.py": True, "a.py": False}),
        # Prefect strips every line: "foo " is the rule "foo", which the file "foo " is not
        ("foo \n", {"foo ": True}),
        ("*.PY\n", {"a.py": True, "Makefile.PY": False}),
    ],
)
def test_known_hard_cases_as_prefect_decides(
    tree: Path, rules: str, kept_of_interest: dict[str, bool]
) -> None:
    (tree / "secrets").mkdir()
    (tree / "secrets" / "service-account.json").write_text("{}")
    for rel, kept in kept_of_interest.items():
        assert is_ignored(tree, rel, rules) is not kept, rel


def test_an_escaped_trailing_space_is_a_line_prefect_cannot_read(tree: Path) -> None:
    with pytest.raises(PrefectIgnoreError, match="line 1"):
        is_ignored(tree, "foo ", "foo\\ \n")


def test_default_file_agrees_with_git(tree: Path, git_dir: Path, tmp_path: Path) -> None:
    rules_file = tmp_path / "rules"
    rules_file.write_text(DEFAULT_PREFECTIGNORE)
    expected = _git_kept(tree, git_dir, rules_file)
    assert _our_kept(tree, DEFAULT_PREFECTIGNORE) == expected


def test_default_keeps_package_dirs_named_env_and_venv(tree: Path) -> None:
    kept = _our_kept(tree, DEFAULT_PREFECTIGNORE)
    for rel in ("flows/env/x.py", "pkg/venv/y.py", "flows/etl.py", "a.py", "pkg/b.py"):
        assert rel in kept, rel
    ignored = set(TREE) - kept
    for rel in (
        ".venv/lib/site.py",
        "venv/bin/python",
        "env/bin/activate",
        ".env",
        ".env.local",
        ".envrc",
        "secrets.pem",
        "certs/server.key",
        "flows/__pycache__/etl.cpython-311.pyc",
        "pkg/node_modules/m.js",
    ):
        assert rel in ignored, rel


@pytest.mark.parametrize(
    "rel",
    [".venv/bin/python", "sub/project/.venv/lib/x.py", ".git/config", ".prefectignore", "x.pyc"],
)
def test_default_ignores(tmp_path: Path, rel: str) -> None:
    assert is_ignored(tmp_path, rel, DEFAULT_PREFECTIGNORE) is True


def test_directories_are_asked_as_a_whole(tree: Path) -> None:
    assert is_ignored(tree, "venv", DEFAULT_PREFECTIGNORE) is True  # exists: a directory
    assert is_ignored(tree, "pkg/venv/", DEFAULT_PREFECTIGNORE) is False
    assert is_ignored(tree, "not-there/", "not-there/\n") is True
    # d/* excludes what d holds, not d itself: a walker must still enter it
    assert is_ignored(tree, "d", "d/*\n!d/keep.txt\n") is False
    assert is_ignored(tree, "d/other.txt", "d/*\n!d/keep.txt\n") is True
    assert is_ignored(tree, "d/keep.txt", "d/*\n!d/keep.txt\n") is False


def test_paths_are_normalised(tree: Path) -> None:
    rules = "build/\n"
    assert is_ignored(tree, "./build/lib/x.py", rules) is True
    assert is_ignored(tree, str(tree / "build" / "lib" / "x.py"), rules) is True
    assert is_ignored(tree, "../outside.py", "*.py\n") is False
    assert is_ignored(tree, str(tree.parent / "elsewhere.py"), "*.py\n") is False


def test_reads_the_projects_prefectignore(tree: Path) -> None:
    assert is_ignored(tree, "debug.log") is False  # no file: nothing is ignored
    (tree / ".prefectignore").write_text("*.log\n!keep.log\n")
    assert is_ignored(tree, "debug.log") is True
    assert is_ignored(tree, "keep.log") is False
    assert is_ignored(tree, "flows/etl.py") is False


def test_write_creates_only_when_absent(tmp_path: Path) -> None:
    tmp_path = tmp_path / "project"
    tmp_path.mkdir()
    assert write_prefectignore(tmp_path, DEFAULT_PREFECTIGNORE) is True
    assert (tmp_path / ".prefectignore").read_text() == DEFAULT_PREFECTIGNORE
    (tmp_path / ".prefectignore").write_text("mine\n")
    assert write_prefectignore(tmp_path, DEFAULT_PREFECTIGNORE) is False
    assert (tmp_path / ".prefectignore").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".prefectignore"]  # no temp file


def test_gitignore_rules_are_appended_in_a_marked_section(tree: Path) -> None:
    text = prefectignore_text("*.log\r\n!keep.log")
    assert text.startswith(DEFAULT_PREFECTIGNORE)
    tail = text[len(DEFAULT_PREFECTIGNORE) :]
    assert tail == (
        "\n# --- copied from .gitignore by flowwiz ---\n"
        "*.log\n!keep.log\n"
        "# --- end of the .gitignore rules ---\n"
    )
    assert is_ignored(tree, "debug.log", text) is True
    assert is_ignored(tree, "keep.log", text) is False
    assert prefectignore_text(None) == DEFAULT_PREFECTIGNORE
    assert prefectignore_text("  \n") == DEFAULT_PREFECTIGNORE
