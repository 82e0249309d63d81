"""Branch/tag names and commit SHAs a worker's clone can be pinned to (detectors.git_ref),
checked against git itself: `git check-ref-format --branch` over a corpus of names."""

from __future__ import annotations

import itertools
import subprocess

import pytest

from flowwiz.detectors.git_ref import branch_problem, commit_sha_problem, ref_from_ci_value

PIECES = (
    "main", "v1.0", "feat/x", "a", ".", "..", "/", "//", "-", "@", "@{", "~", "^", ":", "?",
    "*", "[", "\\", " ", "\t", "\x7f", ".lock", "é", "HEAD", "x.", "{", "}", "_", "+", "#",
)  # fmt: skip


def corpus() -> list[str]:
    names = set(PIECES)
    for a, b in itertools.product(PIECES, repeat=2):
        names.add(a + b)
    for a, b, c in itertools.product(("main", "v1", "a"), PIECES, ("main", "x", "")):
        names.add(a + b + c)
    # "@{-N}" means "the N-th branch checked out before" only inside one repository
    return sorted(n for n in names if n and "@{-" not in n)


def git_accepts(names: list[str]) -> dict[str, bool]:
    """One `git check-ref-format --branch` per name (outside any repository)."""
    verdicts = {}
    for name in names:
        done = subprocess.run(
            ["git", "check-ref-format", "--branch", name],
            capture_output=True,
            cwd="/",
            check=False,
        )
        verdicts[name] = done.returncode == 0
    return verdicts


def test_branch_names_agree_with_git_check_ref_format() -> None:
    names = corpus()
    assert len(names) > 1000
    verdicts = git_accepts(names)
    disagreements = [
        name
        for name in names
        # "@" alone: git expands it to HEAD; a clone cannot be pinned to it, so it is refused
        if name != "@" and (branch_problem(name) is None) != verdicts[name]
    ]
    assert disagreements == []
    assert branch_problem("@") is not None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("a..b~1^:", "cannot contain : ^ ~"),
        ("a\nb", "one line"),
        ("-x", "cannot start with -"),
        ("HEAD", "HEAD is not a branch name"),
        ("x.lock", ".lock"),
    ],
)
def test_branch_problems_say_why_in_one_line(name: str, why: str) -> None:
    problem = branch_problem(name)
    assert problem is not None and why in problem and "\n" not in problem


def test_commit_sha_follows_prefect_git_repository() -> None:
    # prefect.runner.storage.GitRepository: ^[0-9a-fA-F]{4,64}$
    assert commit_sha_problem("abcd") is None
    assert commit_sha_problem("A" * 64) is None
    for bad in ("abc", "a" * 65, "v1.0", "main", "abcg", " abcd"):
        assert commit_sha_problem(bad) is not None


@pytest.mark.parametrize(
    ("value", "ref"),
    [
        ("main", "main"),
        ("refs/heads/feat/x", "feat/x"),
        ("refs/tags/v1.2", "v1.2"),
        ("refs/pull/12/merge", None),
        ("refs/merge-requests/3/head", None),
        ("HEAD", None),
        ("  ", None),
        ("bad..name", None),
    ],
)
def test_ref_from_a_ci_variable(value: str, ref: str | None) -> None:
    assert ref_from_ci_value(value) == ref
