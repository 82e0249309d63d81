"""detect_git on real repositories in tmp_path: remotes, preferred remote, branch states."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from flowwiz.detectors.errors import DetectionError
from flowwiz.detectors.git import GitInfo, UnsafeRepositoryError, detect_git
from tests.gitutil import bare_remote, git, make_repo, push_to
from tests.leaks import assert_not_leaked, canary


def hosted(repo: Path, bare: Path, name: str, url: str, *, upstream: bool = True) -> None:
    """A remote that reads like a hosted one (url) while git really pushes to a bare repo:
    an insteadOf rule in the repo's own config maps that exact URL to the bare path."""
    git(repo, "config", f"url.{bare}.insteadOf", url)
    git(repo, "remote", "add", name, url)
    git(repo, "push", "-q", *(["-u"] if upstream else []), name, "main")


def commit(repo: Path, message: str) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


def every_text(info: GitInfo) -> list[str]:
    return [repr(info), str(info), *info.warnings] + [
        text
        for r in info.remotes
        for text in (r.name, r.configured_masked, r.url.raw_masked, r.url.https_url or "")
    ]


def test_pushed_branch_with_upstream(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work", {"a.py": "x = 1\n"})
    hosted(repo, bare_remote(tmp_path), "origin", "https://github.com/acme/flows.git")
    info = detect_git(repo)
    assert info.root == repo
    assert [r.name for r in info.remotes] == ["origin"]
    assert info.preferred is not None and info.preferred.name == "origin"
    assert info.preferred.url.https_url == "https://github.com/acme/flows.git"
    assert info.preferred.url.provider == "github"
    branch = info.branch
    assert (branch.name, branch.detached, branch.unborn) == ("main", False, False)
    assert branch.commit == git(repo, "rev-parse", "HEAD")
    assert branch.upstream == "origin/main"
    assert (branch.on_remote, branch.ahead, branch.suggestion) == (True, 0, None)
    assert info.shallow is False
    assert info.warnings == ()


def test_from_a_subdirectory_and_a_file(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work", {"pkg/flows/etl.py": "x = 1\n"})
    assert detect_git(repo / "pkg" / "flows").root == repo
    assert detect_git(repo / "pkg" / "flows" / "etl.py").root == repo


def test_upstream_on_a_non_origin_remote_is_preferred(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    origin, upstream, corp = (bare_remote(tmp_path, f"{n}.git") for n in ("o", "u", "c"))
    hosted(repo, origin, "origin", "git@github.com:me/flows.git", upstream=False)
    hosted(repo, upstream, "upstream", "https://github.com/acme/flows.git", upstream=False)
    hosted(repo, corp, "corp", "git@gitlab.corp.example:data/etl/flows.git")
    commit(repo, "one")
    commit(repo, "two")
    info = detect_git(repo)
    assert [r.name for r in info.remotes] == ["origin", "upstream", "corp"]
    assert info.preferred is not None and info.preferred.name == "corp"
    assert info.preferred.url.provider == "gitlab"
    assert info.preferred.url.https_url == "https://gitlab.corp.example/data/etl/flows.git"
    assert info.branch.upstream == "corp/main"
    assert (info.branch.on_remote, info.branch.ahead) == (True, 2)
    assert any("2 commits ahead of corp/main" in w for w in info.warnings)


def test_no_origin_and_one_remote_without_upstream(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    hosted(repo, bare_remote(tmp_path), "gitlab", "git@gitlab.com:team/flows.git", upstream=False)
    info = detect_git(repo)
    assert info.branch.upstream is None
    assert info.preferred is not None and info.preferred.name == "gitlab"
    assert info.branch.on_remote is True and info.branch.ahead == 0
    assert info.warnings == ()


def test_several_remotes_without_origin_or_upstream(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    git(repo, "remote", "add", "alpha", "https://github.com/a/r.git")
    git(repo, "remote", "add", "beta", "https://github.com/b/r.git")
    info = detect_git(repo)
    assert info.preferred is None
    assert info.branch.on_remote is None and info.branch.ahead is None
    assert any("choose one" in w and "alpha, beta" in w for w in info.warnings)


def test_detached_head_suggests_the_remote_branch_never_head(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    push_to(repo, bare_remote(tmp_path))
    git(repo, "checkout", "-q", "--detach")
    info = detect_git(repo)
    branch = info.branch
    assert (branch.name, branch.detached, branch.unborn) == (None, True, False)
    assert branch.commit == git(repo, "rev-parse", "HEAD")
    assert branch.suggestion == "origin/main"
    assert branch.upstream is None and branch.on_remote is None
    assert any("detached" in w and "origin/main" in w for w in info.warnings)


def test_detached_on_an_unpushed_commit_uses_ci_hints_then_the_default_branch(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "work")
    push_to(repo, bare_remote(tmp_path))
    commit(repo, "local only")
    git(repo, "checkout", "-q", "--detach")
    assert detect_git(repo).branch.suggestion is None
    ci = dict(os.environ, GITHUB_HEAD_REF="", GITHUB_REF_NAME="HEAD", CI_COMMIT_REF_NAME="feat/x")
    assert detect_git(repo, env=ci).branch.suggestion == "origin/feat/x"
    git(repo, "remote", "set-head", "origin", "main")  # local: writes refs/remotes/origin/HEAD
    assert detect_git(repo).branch.suggestion == "origin/main"


def test_unborn_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "fresh", commit=False)
    info = detect_git(repo)
    branch = info.branch
    assert (branch.name, branch.unborn, branch.detached) == ("main", True, False)
    assert branch.commit is None
    assert branch.suggestion is None
    assert any("commit and push first" in w for w in info.warnings)
    assert any("no git remote" in w for w in info.warnings)


def test_no_remotes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    info = detect_git(repo)
    assert info.remotes == () and info.preferred is None
    assert info.branch.on_remote is None and info.branch.upstream is None
    assert info.warnings == ("no git remote: push the code somewhere a worker can clone it first",)


def test_branch_not_pushed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    hosted(repo, bare_remote(tmp_path), "origin", "https://github.com/acme/flows.git")
    git(repo, "checkout", "-q", "-b", "feature")
    info = detect_git(repo)
    assert info.branch.name == "feature" and info.branch.upstream is None
    assert info.branch.on_remote is False and info.branch.ahead is None
    assert info.warnings == (
        "branch 'feature' is not on remote 'origin': push it first (git push -u origin feature)",
    )


def test_ahead_by_two(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    hosted(repo, bare_remote(tmp_path), "origin", "https://github.com/acme/flows.git")
    commit(repo, "one")
    commit(repo, "two")
    info = detect_git(repo)
    assert info.branch.on_remote is True and info.branch.ahead == 2
    assert info.warnings == (
        "branch 'main' is 2 commits ahead of origin/main: push first,"
        " a worker clones what is on the remote",
    )


def test_linked_worktree(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    hosted(repo, bare_remote(tmp_path), "origin", "https://github.com/acme/flows.git")
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(worktree), "-b", "feature")
    info = detect_git(worktree)
    assert info.root == worktree
    assert info.branch.name == "feature" and info.branch.upstream is None
    assert info.preferred is not None and info.preferred.name == "origin"
    assert info.branch.on_remote is False
    git(worktree, "push", "-q", "origin", "feature")
    again = detect_git(worktree)
    assert (again.branch.on_remote, again.branch.ahead) == (True, 0)


def test_shallow_clone(tmp_path: Path) -> None:
    source = make_repo(tmp_path / "src")
    bare = bare_remote(tmp_path)
    push_to(source, bare)
    commit(source, "two")
    commit(source, "three")
    git(source, "push", "-q")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{bare}", str(clone))
    info = detect_git(clone)
    assert info.shallow is True
    assert info.branch.upstream == "origin/main" and info.branch.ahead == 0
    assert info.preferred is not None and info.preferred.url.provider == "local"
    assert info.preferred.url.clonable is False
    assert any("shallow clone" in w for w in info.warnings)
    assert any("local path" in w for w in info.warnings)


def test_insteadof_rewrite_to_ssh_still_reports_https(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    git(repo, "remote", "add", "origin", "https://github.com/me/clean.git")
    git(repo, "config", "url.git@github.com:.insteadOf", "https://github.com/")
    assert git(repo, "remote", "get-url", "origin") == "git@github.com:me/clean.git"
    info = detect_git(repo)
    origin = info.remotes[0]
    assert origin.configured_masked == "https://github.com/me/clean.git"
    assert origin.url.https_url == "https://github.com/me/clean.git"
    assert origin.url.provider == "github"


def test_insteadof_alias_is_resolved_through_the_rewrite(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    git(repo, "config", "url.https://gitlab.com/.insteadOf", "gl:")
    git(repo, "remote", "add", "origin", "gl:team/sub/flows.git")
    origin = detect_git(repo).remotes[0]
    assert origin.configured_masked == "gl:team/sub/flows.git"
    assert origin.url.https_url == "https://gitlab.com/team/sub/flows.git"
    assert origin.url.provider == "gitlab"


def test_credential_in_remote_url_is_only_in_the_secret(tmp_path: Path) -> None:
    secret = canary()
    repo = make_repo(tmp_path / "work")
    git(repo, "remote", "add", "origin", f"https://user:{secret}@github.com/org/repo.git")
    info = detect_git(repo)
    url = info.remotes[0].url
    assert url.had_credentials is True
    assert url.credential is not None and url.credential.reveal() == secret
    assert url.credential_username == "user"
    assert url.https_url == "https://github.com/org/repo.git"
    assert info.remotes[0].configured_masked == "https://user:********@github.com/org/repo.git"
    assert any("credential" in w for w in info.warnings)
    assert_not_leaked(secret, texts=every_text(info))


def test_credential_added_by_an_insteadof_rule_is_found(tmp_path: Path) -> None:
    secret = "ghp_" + canary().replace("-", "")
    repo = make_repo(tmp_path / "work")
    git(repo, "config", f"url.https://{secret}@github.com/.insteadOf", "https://github.com/")
    git(repo, "remote", "add", "origin", "https://github.com/org/repo.git")
    info = detect_git(repo)
    url = info.remotes[0].url
    assert url.credential is not None and url.credential.reveal() == secret
    assert info.remotes[0].configured_masked == "https://github.com/org/repo.git"
    assert_not_leaked(secret, texts=every_text(info))


def test_not_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(DetectionError) as caught:
        detect_git(plain)
    message = str(caught.value)
    assert message == f"not inside a git repository: {plain}"
    assert "Traceback" not in message and "\n" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__ is False


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(DetectionError, match="no such directory"):
        detect_git(tmp_path / "nope")


def test_bare_repository_and_git_dir(tmp_path: Path) -> None:
    with pytest.raises(DetectionError, match="bare git repository"):
        detect_git(bare_remote(tmp_path))
    repo = make_repo(tmp_path / "work")
    with pytest.raises(DetectionError, match="not inside a git work tree"):
        detect_git(repo / ".git")


def test_git_dir_and_work_tree_from_env(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work", {"flows.py": "x = 1\n"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, GIT_DIR=str(repo / ".git"), GIT_WORK_TREE=str(repo))
    info = detect_git(elsewhere, env=env)
    assert info.root == repo
    assert info.branch.name == "main" and info.branch.commit == git(repo, "rev-parse", "HEAD")
    assert any("GIT_DIR is set" in w for w in info.warnings)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_dubious_ownership_is_a_clean_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "theirs")
    for path in (repo, repo / ".git"):
        os.chown(path, 65534, 65534)
    with pytest.raises(UnsafeRepositoryError) as caught:
        detect_git(repo)
    assert str(caught.value) == (
        f"git refuses the repository at {repo} (dubious ownership: it belongs to another user);"
        f" if you trust it, run: git config --global --add safe.directory {repo}"
    )
    assert isinstance(caught.value, DetectionError) and caught.value.hint is None


def test_git_missing_from_path_is_a_detection_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    with pytest.raises(DetectionError, match="git is not installed"):
        detect_git(repo, env={"PATH": str(tmp_path / "empty-bin")})


def test_local_and_grc_remotes_are_flagged(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    git(repo, "remote", "add", "origin", "codecommit::us-east-1://dev@flows")
    info = detect_git(repo)
    assert info.preferred is not None and info.preferred.url.clonable is False
    assert info.preferred.url.provider == "codecommit"
    assert any("git-remote-codecommit" in w for w in info.warnings)


def test_unexpected_library_failure_becomes_detection_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = canary()
    repo = make_repo(tmp_path / "work")

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(f"cannot run https://u:{secret}@github.com/x.git")

    monkeypatch.setattr(subprocess, "run", boom)
    with pytest.raises(DetectionError) as caught:
        detect_git(repo)
    assert secret not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__ is True


def test_never_contacts_a_remote(tmp_path: Path) -> None:
    # an ext:: remote runs a command whenever git talks to it: the trap proves no fetch,
    # ls-remote or other transport ran during detection
    marker = tmp_path / "contacted"
    repo = make_repo(tmp_path / "work")
    git(repo, "config", "protocol.ext.allow", "always")
    git(repo, "remote", "add", "origin", f"ext::sh -c touch% {marker}")
    git(repo, "remote", "add", "hosted", "https://unreachable.invalid/org/repo.git")
    info = detect_git(repo)
    assert not marker.exists()
    assert [r.name for r in info.remotes] == ["origin", "hosted"]
    assert info.branch.on_remote is False
    subprocess.run(["git", "ls-remote", "origin"], cwd=repo, capture_output=True, check=False)
    assert marker.exists(), "the trap works: talking to the remote trips it"


# --------------------------------------------------------------------------- issue 9: real repos


def test_detached_at_a_tag_suggests_the_tag(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    push_to(repo, bare_remote(tmp_path))
    git(repo, "tag", "v1.0")
    git(repo, "tag", "-a", "v1.1", "-m", "annotated release")  # annotated tags count too
    commit(repo, "after the release")
    git(repo, "push", "-q", "origin", "main", "--tags")
    git(repo, "checkout", "-q", "--detach", "v1.1")
    branch = detect_git(repo).branch
    assert branch.tags == ("v1.1", "v1.0")  # highest version first
    assert (branch.suggestion, branch.suggestion_source) == ("v1.1", "tag")
    info = detect_git(repo)
    assert any("(tag v1.1)" in w and "suggested: v1.1" in w for w in info.warnings)


def test_ci_variables_come_before_tags_and_remote_branches(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    push_to(repo, bare_remote(tmp_path))
    git(repo, "tag", "v2")
    git(repo, "checkout", "-q", "--detach")
    base = dict(os.environ)
    # GitHub pull request: GITHUB_HEAD_REF is the source branch
    pr = dict(
        base, GITHUB_HEAD_REF="feat/x", GITHUB_REF_NAME="7/merge", GITHUB_REF="refs/pull/7/merge"
    )
    branch = detect_git(repo, env=pr).branch
    assert (branch.suggestion, branch.suggestion_source, branch.ci_variable) == (
        "origin/feat/x", "ci", "GITHUB_HEAD_REF",
    )  # fmt: skip
    # GitHub pull request without the head ref: "<n>/merge" is not a branch
    only_ref = dict(base, GITHUB_REF_NAME="7/merge", GITHUB_REF="refs/pull/7/merge")
    assert detect_git(repo, env=only_ref).branch.suggestion_source == "tag"
    # a tag build names the tag: kept bare
    tag_build = dict(base, GITHUB_REF_NAME="v2", GITHUB_REF="refs/tags/v2")
    assert detect_git(repo, env=tag_build).branch.suggestion == "v2"
    # Azure: the full ref keeps a branch with slashes whole (BUILD_SOURCEBRANCHNAME is "y")
    azure = dict(base, BUILD_SOURCEBRANCH="refs/heads/team/y", BUILD_SOURCEBRANCHNAME="y")
    branch = detect_git(repo, env=azure).branch
    assert (branch.suggestion, branch.ci_variable) == ("origin/team/y", "BUILD_SOURCEBRANCH")
    gitlab = dict(base, CI_COMMIT_REF_NAME="release/3")
    assert detect_git(repo, env=gitlab).branch.suggestion == "origin/release/3"
    assert detect_git(repo, env=base).branch.suggestion_source == "tag"


def test_project_below_the_git_root_reports_its_folder(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work", {"projects/sales/flows/etl.py": "x = 1\n"})
    assert detect_git(repo).subdir == ""
    info = detect_git(repo / "projects" / "sales")
    assert info.root == repo and info.subdir == "projects/sales"
    link = tmp_path / "link"
    link.symlink_to(repo / "projects")
    assert detect_git(link / "sales").subdir == "projects/sales"  # git's own view of the path


def test_submodules_are_listed_and_unreachable_urls_warned(tmp_path: Path) -> None:
    lib = make_repo(tmp_path / "lib", {"shared/__init__.py": "VALUE = 1\n"})
    repo = make_repo(tmp_path / "work")
    git(repo, "submodule", "add", "-q", str(lib), "vendor/lib")
    git(repo, "config", "-f", ".gitmodules", "submodule.rel.path", "vendor/rel")
    git(repo, "config", "-f", ".gitmodules", "submodule.rel.url", "../rel.git")
    git(repo, "config", "-f", ".gitmodules", "submodule.ssh.path", "vendor/ssh")
    git(repo, "config", "-f", ".gitmodules", "submodule.ssh.url", "git@github.com:acme/ssh.git")
    info = detect_git(repo)
    assert info.submodules == ("vendor/lib", "vendor/rel", "vendor/ssh")
    about = [w for w in info.warnings if w.startswith("submodule ")]
    assert len(about) == 2  # the relative URL resolves against the https repository
    assert any("vendor/ssh" in w and "https://github.com/acme/ssh.git" in w for w in about)
    assert any(f"vendor/lib: a worker clones it from {lib}" in w for w in about)
