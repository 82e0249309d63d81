"""detectors.ignore_rules against git itself: `git ls-files -o --exclude-standard` is the oracle."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from flowwiz.detectors.errors import DetectionError
from flowwiz.detectors.ignore_rules import load_ignore, rules_from_lines, rules_from_text, walk_files

TREE = [
    "a.py", "keep.log", "x.log", "build/keep.txt", "build/a.py", "build/keep.log", "d/keep.txt",
    "d/other.txt", "d/sub/keep.txt", "pkg/b.py", "flows/f.py", "flows/__pycache__/f.pyc",
    "flows/sub/g.py", "src/a/x.py", "src/b/x.py", "src/gen/y.py",
    "vendor/node_modules/.bin/x.txt", ".hidden/h.py", "a/b", "a/c/b", "a/c/d/b/z.txt",
    "tmp/q.py", "x/tmp", "venv/v.py", ".venv/w.py", "m.egg-info/PKG", "tests/t.py",
]  # fmt: skip
POOL = [
    "build/", "build", "!build/keep.txt", "d/**", "!d/keep.txt", "d/*", "*", "!*/", "!*.py",
    "/*", "!/flows/", ".*", "!**/node_modules/**", "*.log", "!keep.log", "__pycache__/",
    "tests/", "node_modules", "/src/gen/", "src/**/x.py", "!src/a/x.py", "*.py", "!flows/*.py",
    "a/**/b", "flows/", "!flows/", "**/tmp", "venv/", ".venv", "*.egg-info/", "!d/", "d/", "/a",
]  # fmt: skip


def git_kept(root: Path) -> set[str]:
    out = subprocess.run(
        ["git", "ls-files", "-o", "--exclude-standard", "-z"],
        cwd=root, capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    return {p for p in out.split("\0") if p}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for relpath in TREE:
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_text("x")
    return root


def assert_matches_git(root: Path, rules: list[str]) -> None:
    (root / ".gitignore").write_text("\n".join(rules) + "\n")
    loaded = load_ignore(root, names=(".gitignore",))
    git = git_kept(root)
    assert set(walk_files(loaded)) == git, rules
    assert {p for p in [*TREE, ".gitignore"] if not loaded.is_ignored(p)} == git, rules


@pytest.mark.parametrize(
    "rules",
    [
        ["build/", "!build/keep.txt"],  # cannot re-include under an excluded directory
        ["build", "!keep.log"],
        ["d/**", "!d/keep.txt"],  # pathspec #137: a pruning walk must still enter d/
        ["d/*", "!d/keep.txt"],
        ["*", "!*/", "!*.py"],
        ["*", "!src/**", "src/gen/"],
        ["/*", "!/flows/"],
        [".*", "!**/node_modules/**"],
        [".venv", "__pycache__/", "!/flows/", "*.egg-info/", "tests/", "node_modules"],
    ],
)
def test_known_hard_cases_match_git(tree: Path, rules: list[str]) -> None:
    assert_matches_git(tree, rules)


def test_random_rule_mixes_match_git(tree: Path) -> None:
    rng = random.Random(20260501)
    for _ in range(60):
        assert_matches_git(tree, rng.sample(POOL, rng.randint(2, 6)))


def test_later_file_wins_and_missing_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.log\n# comment\n\nsecret/\n")
    (tmp_path / ".prefectignore").write_text("!keep.log\n")
    rules = load_ignore(tmp_path, names=(".gitignore", ".nothing", ".prefectignore"))
    assert rules.sources == (tmp_path / ".gitignore", tmp_path / ".prefectignore")
    assert rules.patterns == ("*.log", "secret/", "!keep.log")
    assert rules.is_ignored("x.log")
    assert not rules.is_ignored("keep.log")
    assert rules.is_ignored("secret/")
    assert rules.may_prune("secret")
    assert rules.is_ignored("secret/a.py")
    assert not rules.is_ignored("secret")  # a directory-only rule needs the trailing slash
    assert not rules.may_prune("src")
    # the one-regex pre-check is in use (else the differential tests would not cover it)
    assert rules._any_file_rule is not None


def test_no_files_means_nothing_is_ignored(tmp_path: Path) -> None:
    rules = load_ignore(tmp_path)
    assert not rules
    assert rules.sources == ()
    assert not rules.is_ignored("anything.py")
    assert not rules.may_prune("dir")


def test_malformed_rules_are_reported_not_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # git skips an unterminated bracket expression too (reference 4.2: `[a-`)
    rules = rules_from_lines(tmp_path, ["*.pyc", "[a-", "build/"])
    assert rules.patterns == ("*.pyc", "build/")
    assert rules.malformed == ("[a-",)
    assert rules.is_ignored("a.pyc")
    assert capsys.readouterr() == ("", "")


def test_unreadable_ignore_file_is_a_detection_error(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").mkdir()  # a directory where a file should be
    with pytest.raises(DetectionError, match=r"^cannot read \.gitignore: "):
        load_ignore(tmp_path)


def test_walk_never_enters_git_dir_or_symlinked_dirs(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref")
    (root / "src").mkdir()
    (root / "src" / "a.py").write_text("x")
    (root / "loop").symlink_to(root, target_is_directory=True)
    assert list(walk_files(rules_from_lines(root, []))) == ["loop", "src/a.py"]
    # git treats the symlink as a file: a directory-only rule does not match it
    assert list(walk_files(rules_from_lines(root, ["loop/"]))) == ["loop", "src/a.py"]
    assert list(walk_files(rules_from_lines(root, ["loop"]))) == ["src/a.py"]


def test_rules_from_text_reads_it_as_git_reads_a_file(tmp_path: Path) -> None:
    rules = rules_from_text(tmp_path, "# comment\n\n*.log   \r\n!keep.log\nspace\\ \n")
    assert rules.patterns == ("*.log", "!keep.log", "space ")
    assert rules.is_ignored("a.log")
    assert not rules.is_ignored("keep.log")
    assert not rules.is_ignored("# comment")
    assert rules.is_ignored("space ")
