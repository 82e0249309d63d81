"""The git side of a deployment: remotes, the remote to prefer, the branch and whether it is pushed.

Reads with plain ``git`` child processes (no GitPython): their output is captured, and nothing
git prints reaches the user except through a masking step, so a credential in a remote URL
cannot leak through an exception or a debug log. Measured against GitPython
(benchmarks/git_detect.py): importing it costs several times the whole detection, and its
config reader neither applies insteadOf nor refuses what ``safe.directory`` refuses. Never
touches the network: "is it pushed?"
is answered from remote-tracking refs, as of the last fetch or push.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from flowwiz.detectors.errors import DetectionError
from flowwiz.detectors.git_ref import branch_problem, ref_from_ci_value
from flowwiz.detectors.remote_url import ParsedRemote, Provider, looks_like_token, parse_remote_url
from flowwiz.detectors.secret import MASK

__all__ = [
    "BranchState",
    "GitInfo",
    "ParsedRemote",
    "Provider",
    "Remote",
    "UnsafeRepositoryError",
    "ci_branch",
    "detect_git",
    "resolve_commit",
    "FileInClone",
    "detect_git",
    "file_in_clone",
    "files_in_clone",
    "looks_like_token",
    "parse_remote_url",
]

# CI systems check out a detached HEAD; these name the branch (or tag) they built, checked in
# order before any guess: GitHub Actions (the PR's source branch, else the pushed branch or tag),
# GitLab CI, Azure Pipelines (the PR's source branch, else the full ref, else its last part)
CI_BRANCH_VARS = (
    "GITHUB_HEAD_REF",
    "GITHUB_REF_NAME",
    "CI_COMMIT_REF_NAME",
    "SYSTEM_PULLREQUEST_SOURCEBRANCH",
    "BUILD_SOURCEBRANCH",
    "BUILD_SOURCEBRANCHNAME",
)
_TIMEOUT = 60.0
_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]+@")


@dataclass(frozen=True, slots=True)
class Remote:
    name: str
    url: ParsedRemote  # the configured URL, or the insteadOf-rewritten one when only it is real
    configured_masked: str  # the URL as written in the config, credentials masked


@dataclass(frozen=True, slots=True)
class BranchState:
    name: str | None  # None when detached
    detached: bool
    unborn: bool  # no commit yet
    commit: str | None
    upstream: str | None  # e.g. "origin/main"
    on_remote: bool | None  # the preferred remote has a tracking ref for it; None if unknown
    ahead: int | None  # commits on HEAD that the remote-tracking branch lacks
    # detached only: what to deploy, never "HEAD": "<remote>/<branch>" for a remote branch,
    # a bare name for a tag or a CI variable's branch when no remote is preferred
    suggestion: str | None
    # detached only: where the suggestion came from: "ci" (a CI variable), "tag" (a tag at
    # HEAD), "remote-branch" (a remote branch holding HEAD), "remote-default"; None if none
    suggestion_source: str | None = None
    ci_variable: str | None = None  # the CI variable read, e.g. "GITHUB_REF_NAME"
    tags: tuple[str, ...] = ()  # detached only: tags pointing at HEAD (newest version first)


@dataclass(frozen=True, slots=True)
class GitInfo:
    root: Path
    remotes: tuple[Remote, ...]
    preferred: Remote | None
    branch: BranchState
    shallow: bool
    warnings: tuple[str, ...]
    # the detected path relative to the work tree's top, POSIX ("" at the top, else e.g.
    # "projects/sales"): a worker's clone must change into it before loading the entrypoint
    subdir: str = ""
    # submodule paths from .gitmodules (relative to the top, POSIX), in file order
    submodules: tuple[str, ...] = ()


class UnsafeRepositoryError(DetectionError):
    """git refuses the repository (``safe.directory``: it belongs to another user). Never a
    reason to fall back to other storage: the one-line message names the command that fixes it."""


def detect_git(path: Path, env: Mapping[str, str] | None = None) -> GitInfo:
    """Describe the git work tree holding ``path``. ``env`` is the environment for git (and
    for CI branch hints); default: this process's. Raises DetectionError, and only that."""
    try:
        return _detect(Path(path), env)
    except DetectionError:
        raise
    except Exception as exc:  # noqa: BLE001 - the edge: no library text (or URL) gets out
        raise DetectionError(
            f"could not read the git repository at {path} ({type(exc).__name__})"
        ) from None


@dataclass(frozen=True, slots=True)
class FileInClone:
    """Whether a fresh clone of the repository will hold one file.

    ``status``: ``tracked`` (it will), ``untracked`` (not added to git yet), ``ignored``
    (``.gitignore`` keeps it out), ``outside`` (a symlink, or a path through one, that leads
    out of the repository: the clone gets only the link), ``unknown`` (git could not tell).
    """

    path: str  # relative to the repository root, as git names it
    status: Literal["tracked", "untracked", "ignored", "outside", "unknown"]


def file_in_clone(
    repo_root: Path, file: Path, env: Mapping[str, str] | None = None
) -> FileInClone:
    """Will a worker's clone of ``repo_root`` have ``file`` (absolute, or relative to the
    repository)? Never raises; see :func:`files_in_clone`."""
    return files_in_clone(repo_root, [file], env)[0]


def files_in_clone(
    repo_root: Path, files: Sequence[Path], env: Mapping[str, str] | None = None
) -> list[FileInClone]:
    """For each file (absolute, or relative to the repository), whether a fresh clone holds
    it, in order. One ``git ls-files`` for all, ``git check-ignore`` only for the files it
    lacks. Never raises: when git cannot tell, the status is ``unknown``."""
    root = Path(repo_root)
    try:
        real_root = root.resolve()
        git = _Git(root, env)
        listed = git.run("ls-files", "-z")
        tracked = set(listed.stdout.split("\0")) if listed.returncode == 0 else None
    except (OSError, DetectionError):
        return [FileInClone(str(f), "unknown") for f in files]
    found = []
    for file in files:
        given = file if Path(file).is_absolute() else root / file
        try:
            rel = Path(os.path.relpath(given, root)).as_posix()
            target = given.resolve()
            if not target.is_relative_to(real_root):
                found.append(FileInClone(rel, "outside"))
                continue
            if tracked is None:
                found.append(FileInClone(rel, "unknown"))
                continue
            real_rel = target.relative_to(real_root).as_posix()
            if rel in tracked or real_rel in tracked:  # or reached through a tracked symlink
                found.append(FileInClone(rel, "tracked"))
                continue
            ignored = git.run("check-ignore", "-q", "--", rel).returncode == 0
            found.append(FileInClone(rel, "ignored" if ignored else "untracked"))
        except (OSError, ValueError, DetectionError):
            found.append(FileInClone(str(file), "unknown"))
    return found


# --- running git ----------------------------------------------------------------------------


class _Git:
    """git in one directory with a fixed environment; output captured, never shown raw."""

    def __init__(self, cwd: Path, env: Mapping[str, str] | None) -> None:
        child = dict(os.environ if env is None else env)
        for var in list(child):
            # trace output can hold URLs; it would go to our captured stderr or a file
            if var.startswith("GIT_TRACE") or var == "GIT_CURL_VERBOSE":
                del child[var]
        child.update(
            GIT_TERMINAL_PROMPT="0",  # never wait for a password
            GIT_OPTIONAL_LOCKS="0",  # a detector must not write the index
            LC_ALL="C",  # messages we match on are English
            LANGUAGE="C",
        )
        self.env = child
        self.cwd = cwd
        exe = shutil.which("git", path=child.get("PATH") or os.environ.get("PATH"))
        if exe is None:
            raise DetectionError("git is not installed (or not on PATH)")
        self.exe = exe

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                [self.exe, *args],
                cwd=self.cwd,
                env=self.env,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                stdin=subprocess.DEVNULL,
                timeout=_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise DetectionError(
                f"git did not answer within {_TIMEOUT:.0f} s in {self.cwd}"
            ) from None

    def out(self, *args: str) -> str | None:
        """stdout without its final newline, or None when git exits non-zero."""
        result = self.run(*args)
        return result.stdout.rstrip("\n") if result.returncode == 0 else None

    def ref_exists(self, ref: str) -> bool:
        return self.out("rev-parse", "-q", "--verify", f"{ref}^{{commit}}") is not None


def _masked_first_line(stderr: str) -> str:
    line = next((ln.strip() for ln in stderr.splitlines() if ln.strip()), "no message")
    line = line.removeprefix("fatal: ").removeprefix("error: ")
    return _URL_USERINFO.sub(lambda m: m.group(1) + MASK + "@", line)


# --- detection ------------------------------------------------------------------------------


def _detect(path: Path, env: Mapping[str, str] | None) -> GitInfo:
    path = path.expanduser().absolute()
    if not path.exists():
        raise DetectionError(f"no such directory: {path}")
    start = path if path.is_dir() else path.parent
    git = _Git(start, env)
    environ = os.environ if env is None else env

    probe = git.run(
        "rev-parse", "--is-bare-repository", "--is-inside-work-tree", "--absolute-git-dir",
        "--is-shallow-repository",
    )  # fmt: skip
    if probe.returncode != 0:
        raise _repo_error(path, probe.stderr)
    is_bare, in_work_tree, git_dir, shallow = (probe.stdout.splitlines() + [""] * 4)[:4]
    if is_bare == "true":
        raise DetectionError(f"this is a bare git repository (no work tree to deploy): {path}")
    # with GIT_WORK_TREE set git names the work tree even from outside it, as git itself would
    if in_work_tree != "true" and not environ.get("GIT_WORK_TREE"):
        raise DetectionError(f"not inside a git work tree (inside its .git directory?): {path}")
    top = git.run("rev-parse", "--show-toplevel", "--show-prefix")
    if top.returncode != 0:
        raise _repo_error(path, top.stderr)
    toplevel, prefix = (top.stdout.split("\n") + ["", ""])[:2]
    root = Path(toplevel)
    git.cwd = root

    warnings: list[str] = []
    if environ.get("GIT_DIR"):
        warnings.append(f"GIT_DIR is set in the environment: reading the repository at {git_dir}")

    remotes = _read_remotes(git)
    branch_name, commit = _head(git)
    upstream, upstream_remote, upstream_ref = _upstream(git, branch_name, commit)
    names = {r.name: r for r in remotes}
    preferred = _prefer(remotes, names.get(upstream_remote or ""))
    branch = _branch_state(
        git, environ, branch_name, commit, upstream, upstream_remote, upstream_ref, preferred
    )
    submodules = _submodules(git, root)
    warnings += _warnings(remotes, preferred, branch, shallow == "true")
    warnings += _submodule_warnings(submodules)
    return GitInfo(
        root=root,
        remotes=tuple(remotes),
        preferred=preferred,
        branch=branch,
        shallow=shallow == "true",
        warnings=tuple(warnings),
        subdir=prefix.rstrip("/") if in_work_tree == "true" else "",
        submodules=tuple(path for path, _ in submodules),
    )


def resolve_commit(path: Path, sha: str, env: Mapping[str, str] | None = None) -> str | None:
    """The full SHA of the commit ``sha`` (full or abbreviated) names in the repository
    holding ``path``, or None when it names none (or several). Reads only."""
    if not sha or sha.startswith("-"):
        return None
    try:
        git = _Git(Path(path), env)
        return git.out("rev-parse", "-q", "--verify", f"{sha}^{{commit}}") or None
    except DetectionError:
        return None


def ref_on_remote(
    path: Path, remote: str, ref: str, env: Mapping[str, str] | None = None
) -> bool | None:
    """Whether the remote ``remote`` has the branch or tag ``ref``, as this clone last saw it
    (``refs/remotes/<remote>/<ref>``, else ``refs/tags/<ref>``; nothing is fetched). None when
    git cannot tell (not a repository, a remote never fetched). Reads only."""
    if not ref or ref.startswith("-") or not remote:
        return None
    try:
        git = _Git(Path(path), env)
        if git.ref_exists(f"refs/remotes/{remote}/{ref}") or git.ref_exists(f"refs/tags/{ref}"):
            return True
        fetched = git.out(
            "for-each-ref", "--count=1", "--format=%(refname)", f"refs/remotes/{remote}/"
        )
        return False if fetched else None
    except DetectionError:
        return None


def _repo_error(path: Path, stderr: str) -> DetectionError:
    lowered = stderr.lower()
    if "dubious ownership" in lowered:
        found = re.search(r"repository at '([^']+)'", stderr)
        repo = found.group(1) if found else str(path)
        return UnsafeRepositoryError(
            f"git refuses the repository at {repo} (dubious ownership: it belongs to another "
            "user); if you trust it, run: "
            f"git config --global --add safe.directory {shlex.quote(repo)}"
        )
    if "not a git repository" in lowered:
        return DetectionError(f"not inside a git repository: {path}")
    return DetectionError(f"git cannot read the repository at {path}: {_masked_first_line(stderr)}")


def _read_remotes(git: _Git) -> list[Remote]:
    listing = git.out("config", "-z", "--get-regexp", r"^remote\..+\.url$")
    if not listing:
        return []
    configured: dict[str, str] = {}
    for entry in listing.split("\0"):
        key, _, value = entry.partition("\n")
        name = key[len("remote.") : -len(".url")]
        if name and value:
            configured.setdefault(name, value)  # git fetches from the first url
    remotes = []
    for name, url in configured.items():
        rewritten = git.out("remote", "get-url", name)  # applies url.<base>.insteadOf
        as_configured = parse_remote_url(url, resolve_alias=lambda h: _ssh_hostname(git, h))
        remotes.append(
            Remote(
                name=name,
                url=_choose_url(url, as_configured, rewritten, git),
                configured_masked=as_configured.raw_masked,
            )
        )
    return remotes


def _choose_url(
    configured: str, as_configured: ParsedRemote, rewritten: str | None, git: _Git
) -> ParsedRemote:
    """The configured URL when it is a real one; the insteadOf rewrite when only it is (an
    alias such as ``gh:org/repo``) or when the rewrite is where a token was added. A worker
    has none of the user's insteadOf rules, so what it gets must stand on its own."""
    if not rewritten or rewritten.strip() == configured.strip():
        return as_configured
    other = parse_remote_url(rewritten, resolve_alias=lambda h: _ssh_hostname(git, h))
    if as_configured.https_url is None and other.https_url is not None:
        return other
    if other.had_credentials and not as_configured.had_credentials and other.https_url:
        return other
    if as_configured.https_url is None and not as_configured.clonable and other.clonable:
        return other
    return as_configured


def _ssh_hostname(git: _Git, alias: str) -> str | None:
    """The HostName ssh would connect to for an alias (what gh does); reads config only."""
    ssh = shutil.which("ssh", path=git.env.get("PATH"))
    if ssh is None or alias.startswith("-"):
        return None
    try:
        result = subprocess.run(
            [ssh, "-G", alias],
            env=git.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key == "hostname" and value:
            return value.strip()
    return None


def _head(git: _Git) -> tuple[str | None, str | None]:
    """(current branch or None when detached, HEAD commit or None when unborn)."""
    symbolic = git.out("symbolic-ref", "-q", "HEAD")
    name = None
    if symbolic and symbolic.startswith("refs/heads/"):
        name = symbolic[len("refs/heads/") :]
    commit = git.out("rev-parse", "-q", "--verify", "HEAD^{commit}")
    return name, commit or None


def _upstream(
    git: _Git, branch: str | None, commit: str | None
) -> tuple[str | None, str | None, str | None]:
    """(upstream short name, its remote, its full ref) for the branch, as git maps it."""
    if branch is None:
        return None, None, None
    if commit is not None:
        line = git.out(
            "for-each-ref",
            "--format=%(upstream:short)%00%(upstream:remotename)%00%(upstream)",
            f"refs/heads/{branch}",
        )
        if line:
            short, remote, ref = (line.split("\0") + ["", ""])[:3]
            if short:
                return short, (remote if remote and remote != "." else None), ref or None
        return None, None, None
    # unborn: no ref to ask about, but the config may already name an upstream
    configured = git.out("config", "--get", f"branch.{branch}.remote")
    merge = git.out("config", "--get", f"branch.{branch}.merge")
    if configured and configured != "." and merge and merge.startswith("refs/heads/"):
        name = merge[len("refs/heads/") :]
        return f"{configured}/{name}", configured, f"refs/remotes/{configured}/{name}"
    return None, None, None


def _prefer(remotes: list[Remote], upstream_remote: Remote | None) -> Remote | None:
    if upstream_remote is not None:
        return upstream_remote
    for remote in remotes:
        if remote.name == "origin":
            return remote
    return remotes[0] if len(remotes) == 1 else None


def _branch_state(
    git: _Git,
    environ: Mapping[str, str],
    name: str | None,
    commit: str | None,
    upstream: str | None,
    upstream_remote: str | None,
    upstream_ref: str | None,
    preferred: Remote | None,
) -> BranchState:
    if name is None:
        tags = _tags_at_head(git) if commit is not None else ()
        suggestion, source, variable = _suggest_for_detached(git, environ, preferred, tags)
        return BranchState(
            name=None,
            detached=True,
            unborn=False,
            commit=commit,
            upstream=None,
            on_remote=None,
            ahead=None,
            suggestion=suggestion,
            suggestion_source=source,
            ci_variable=variable,
            tags=tags,
        )
    on_remote: bool | None = None
    ahead: int | None = None
    if preferred is not None:
        # the tracking ref when the upstream lives on the preferred remote, else same-name
        if upstream_ref and upstream_remote == preferred.name:
            tracking = upstream_ref
        else:
            tracking = f"refs/remotes/{preferred.name}/{name}"
        on_remote = git.ref_exists(tracking)
        if on_remote and commit is not None:
            count = git.out("rev-list", "--count", f"{tracking}..HEAD")
            ahead = int(count) if count and count.isdigit() else None
    return BranchState(
        name=name,
        detached=False,
        unborn=commit is None,
        commit=commit,
        upstream=upstream,
        on_remote=on_remote,
        ahead=ahead,
        suggestion=None,
    )


def _tags_at_head(git: _Git) -> tuple[str, ...]:
    """Tags (lightweight or annotated) that point at HEAD, the highest version first."""
    listing = git.out("tag", "--points-at", "HEAD", "--sort=-version:refname")
    return tuple(t for t in (listing or "").splitlines() if t and not branch_problem(t))


def ci_branch(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(branch or tag, variable) named by the first CI variable that names one, else None.
    GitHub's GITHUB_REF_NAME is ``<n>/merge`` on a pull request: skipped when GITHUB_REF says
    so (GITHUB_HEAD_REF, read first, is the PR's branch)."""
    for var in CI_BRANCH_VARS:
        value = environ.get(var, "")
        if var == "GITHUB_REF_NAME" and environ.get("GITHUB_REF", "").startswith("refs/pull/"):
            continue
        ref = ref_from_ci_value(value) if value.strip() != "HEAD" else None
        if ref:
            return ref, var
    return None


def _suggest_for_detached(
    git: _Git, environ: Mapping[str, str], preferred: Remote | None, tags: tuple[str, ...]
) -> tuple[str | None, str | None, str | None]:
    """(suggestion, its source, the CI variable read) for a detached HEAD. A CI variable says
    what was built, so it comes first; then a tag at HEAD (a release checkout: pinning the tag
    runs exactly this code); then a remote branch holding HEAD; then the remote's default.
    Branches read ``<remote>/<branch>`` (bare only when no remote is preferred); tags are bare.
    Never the literal "HEAD", which Prefect proposes."""
    from_ci = ci_branch(environ)
    if from_ci is not None:
        ref, var = from_ci
        if ref in tags:
            return ref, "ci", var
        return (f"{preferred.name}/{ref}" if preferred else ref), "ci", var
    if tags:
        return tags[0], "tag", None
    default = None
    if preferred is not None:
        target = git.out("symbolic-ref", "-q", f"refs/remotes/{preferred.name}/HEAD")
        if target and target.startswith("refs/remotes/"):
            default = target[len("refs/remotes/") :]
    listing = git.out(
        "for-each-ref", "--contains", "HEAD", "--format=%(refname)%00%(symref)", "refs/remotes"
    )
    containing = []
    for line in (listing or "").splitlines():
        ref, _, symref = line.partition("\0")
        if not symref and not ref.endswith("/HEAD"):
            containing.append(ref[len("refs/remotes/") :])
    if containing:
        prefix = f"{preferred.name}/" if preferred else None
        ranked = sorted(
            containing,
            key=lambda b: (b != default, not (prefix and b.startswith(prefix)), b),
        )
        return ranked[0], "remote-branch", None
    if default and not default.endswith("/HEAD"):
        return default, "remote-default", None
    return None, None, None


def _submodules(git: _Git, root: Path) -> tuple[tuple[str, str], ...]:
    """(path, url) of each submodule declared in the top-level .gitmodules: what ``git clone
    --recurse-submodules``, and so Prefect's ``include_submodules``, fetches."""
    if not (root / ".gitmodules").is_file():
        return ()
    listing = git.out(
        "config", "-z", "--file", ".gitmodules", "--get-regexp", r"^submodule\..*\.(path|url)$"
    )
    found: dict[str, dict[str, str]] = {}
    for entry in (listing or "").split("\0"):
        key, _, value = entry.partition("\n")
        name, _, field = key[len("submodule.") :].rpartition(".")
        if name and value.strip():
            found.setdefault(name, {}).setdefault(field, value.strip())
    return tuple(
        (fields["path"].strip("/"), fields.get("url", ""))
        for fields in found.values()
        if fields.get("path")
    )


def _submodule_warnings(submodules: tuple[tuple[str, str], ...]) -> list[str]:
    """A worker clones submodules from their .gitmodules URLs: https (or a relative URL, which
    git resolves against the https repository) works; ssh needs keys on the worker, and a path
    on this machine exists nowhere else."""
    out = []
    for path, url in submodules:
        if url.startswith(("./", "../", "https://")):
            continue
        parsed = parse_remote_url(url)
        hint = f" (use {parsed.https_url} in .gitmodules)" if parsed.https_url else ""
        out.append(
            f"submodule {path}: a worker clones it from {parsed.raw_masked}, which is not an "
            f"https URL{hint}"
        )
    return out


def _warnings(
    remotes: list[Remote], preferred: Remote | None, branch: BranchState, shallow: bool
) -> list[str]:
    out: list[str] = []
    if not remotes:
        out.append("no git remote: push the code somewhere a worker can clone it first")
    elif preferred is None:
        names = ", ".join(r.name for r in remotes)
        out.append(f"several remotes and none is origin or the upstream ({names}): choose one")
    for remote in remotes:
        if remote.url.had_credentials:
            out.append(
                f"remote {remote.name!r} has a credential in its URL; flowwiz never writes it"
                " anywhere but the secret store"
            )
    if preferred is not None and not preferred.url.clonable:
        out.append(f"remote {preferred.name!r}: {preferred.url.note or 'a worker cannot clone it'}")
    if branch.unborn:
        out.append(f"branch {branch.name!r} has no commit yet: commit and push first")
    elif branch.detached:
        short = (branch.commit or "")[:7]
        at = f" (tag {branch.tags[0]})" if branch.tags else ""
        tail = f" (suggested: {branch.suggestion})" if branch.suggestion else ""
        if branch.ci_variable:
            tail = f" (suggested: {branch.suggestion}, from {branch.ci_variable})"
        out.append(f"HEAD is detached at {short}{at}: choose a branch or tag to deploy{tail}")
    elif preferred is not None and branch.on_remote is False:
        out.append(
            f"branch {branch.name!r} is not on remote {preferred.name!r}: push it first "
            f"(git push -u {preferred.name} {branch.name})"
        )
    elif branch.ahead and preferred is not None:
        plural = "commit" if branch.ahead == 1 else "commits"
        on_upstream = (branch.upstream or "").startswith(f"{preferred.name}/")
        where = branch.upstream if on_upstream else f"{preferred.name}/{branch.name}"
        out.append(
            f"branch {branch.name!r} is {branch.ahead} {plural} ahead of {where}: push first,"
            " a worker clones what is on the remote"
        )
    if shallow:
        out.append("shallow clone: ahead counts and branch suggestions may be approximate")
    return out
