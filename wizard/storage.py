"""The code-storage questions: pull from git (URL, branch, private?), and the token: typed
hidden, from an env var or stdin, from the remote URL, an existing block, or a provider
credentials block. Local storage when there is no https remote or the user declines.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from flowwiz.detectors.errors import UserError
from flowwiz.detectors.git_ref import branch_problem
from flowwiz.detectors.secret import SecretStr, forbidden_character
from flowwiz.detectors.slug import repo_token_block_name, slugify
from flowwiz.wizard.prompts import UNSET, Choice, Question
from flowwiz.wizard.session import Session
from flowwiz.wizard.terminal import terminal
from flowwiz.writers.plan import GitStorage, LocalStorage, SecretToSave, Storage

# hosts where Prefect's git_clone formats a bare access_token correctly by itself
_TOKEN_HOSTS = {"github.com", "gitlab.com", "bitbucket.org"}
_PROVIDER_BLOCKS = ("github-credentials", "gitlab-credentials", "bitbucket-credentials")
_TEMPLATE = re.compile(r"\A\{\{[^{}]+\}\}\Z")  # a whole value Prefect fills in: '{{ $REPO_URL }}'


def ask_storage(
    session: Session, flow: Any, name: str, previous: Storage | None = None
) -> tuple[Storage, tuple[SecretToSave, ...]]:
    """``previous``: what the deployment being updated uses now; it seeds the defaults, so a
    re-run with no storage flags keeps a bucket or an image rather than switching to git."""
    opts, asker, det = session.options, session.asker, session.detected
    git = det.git
    remote = git.preferred if git is not None else None
    https = remote.url.https_url if remote is not None else None
    token_flags = (
        opts.token_env
        or opts.token_stdin
        or opts.token_block
        or opts.credentials_block
        or opts.token_from_remote
        or opts.token_worker_env
    )
    if opts.storage not in (None, "git"):
        if opts.git or opts.repository or opts.branch or opts.private or token_flags:
            raise UserError(
                f"--storage {opts.storage} does not pull from git: "
                "drop --git, --repository, --branch, --private and the token flags"
            )
        return ask_other_storage(session, flow, name, previous)
    if opts.git is False:
        return ask_other_storage(session, flow, name, previous)
    if remote is not None and remote.url.had_credentials:
        asker.note(
            f"The remote {remote.name!r} URL carries credentials; flowwiz never writes them. "
            f"To remove them from .git/config: git remote set-url {remote.name} {https or '<url>'}"
        )
    kept = previous if isinstance(previous, GitStorage) else None
    if not https and not opts.repository and kept is None:
        if opts.git or token_flags:
            raise UserError(
                "no remote with an https form to pull from"
                + (f" ({remote.url.note})" if remote is not None and remote.url.note else "")
                + ": pass --repository URL"
            )
        reason = (
            remote.url.note
            if remote is not None and remote.url.note
            else det.git_problem
            if git is None
            else "the repository has no remote"
        )
        if opts.storage == "git":
            raise UserError(f"--storage git: {reason}; pass --repository URL")
        asker.note(f"Git storage is not offered: {reason}.")
        return ask_other_storage(session, flow, name, previous)
    use_git = asker.ask(
        Question(
            "git",
            "Pull flow code from the remote repository at run time?",
            "confirm",
            "--git/--no-git",
            default=previous is None or isinstance(previous, GitStorage),
        ),
        True if (opts.git or opts.storage == "git" or opts.repository or token_flags) else UNSET,
    )
    if not use_git:
        return ask_other_storage(session, flow, name, previous)
    from flowwiz.detectors.git import parse_remote_url

    # a re-run starts from what the deployment has: its repository (a template such as
    # '{{ $REPO_URL }}' stays verbatim), branch or pinned commit, token reference
    repository = asker.ask(
        Question(
            "repository",
            "Repository URL",
            "text",
            "--repository",
            default=kept.repository if kept is not None else https,
            validate=_repository_problem,
            convert=str.strip,
            why_no_default="no remote with an https form was found",
        ),
        opts.repository if opts.repository else UNSET,
    )
    parsed = parse_remote_url(repository)
    if parsed.had_credentials:
        raise UserError(
            "the repository URL carries credentials: "
            "give the token with --token-env or --token-stdin instead"
        )
    if kept is not None and kept.commit_sha and not opts.branch and opts.commit_sha is None:
        branch: str | None = None  # the pinned commit stays pinned
        asker.note(f"!Keeping the pinned commit {kept.commit_sha[:12]}.")
    elif kept is not None and kept.branch and not opts.branch:
        branch = ask_branch(session, current=kept.branch)
    else:
        branch = ask_branch(session)
    reference = (kept.credentials or kept.access_token) if kept is not None else None
    had_token = bool(reference)
    # only a template is offered back (a literal token in the file is never shown)
    keepable = bool(reference and _TEMPLATE.match(reference))
    private_default: Any = UNSET
    if token_flags:
        private_default = True
    private = asker.ask(
        Question(
            "private",
            "Is this a private repository?",
            "confirm",
            "--private/--public",
            default=(
                had_token
                if kept is not None
                else False
                if not (remote is not None and remote.url.had_credentials)
                else UNSET
            ),
            suggestion=bool(had_token or (remote is not None and remote.url.had_credentials)),
            why_no_default="the remote URL carried credentials",
        ),
        opts.private if opts.private is not None else private_default,
    )
    if opts.private is False and token_flags:
        raise UserError(
            "--public does not take a token: drop --token-env/--token-stdin/--token-block/"
            "--credentials-block/--token-worker-env"
        )
    base = _carry(kept, branch)
    if not private:
        return replace(base, repository=repository, branch=branch), ()
    if keepable and not token_flags and kept is not None:
        keep = asker.ask(
            Question(
                "token_keep",
                f"Keep the token reference {reference}?",
                "confirm",
                "--token-env/--token-stdin/--token-block/--credentials-block/--token-worker-env",
                default=True,
            )
        )
        if keep:
            secret = re.fullmatch(
                r"\{\{\s*prefect\.blocks\.secret\.([a-z0-9-]+)\s*\}\}", reference or ""
            )
            asker.note(
                f"!Using the token stored as secret/{secret.group(1)}."
                if secret
                else f"!Keeping the token reference {reference}."
            )
            kept = replace(kept, repository=repository, branch=branch, commit_sha=base.commit_sha)
            return kept, ()
    storage, secrets = ask_token(session, flow, name, repository, parsed, branch, remote)
    if isinstance(storage, GitStorage):
        storage = replace(
            storage,
            commit_sha=base.commit_sha,
            include_submodules=storage.include_submodules or base.include_submodules,
            extra_inputs=base.extra_inputs,
        )
    return storage, secrets


def _carry(kept: GitStorage | None, branch: str | None) -> GitStorage:
    """What a re-run keeps of the deployment's git storage besides the questions' answers:
    the pinned commit (unless a branch was chosen), submodules, the step's other inputs."""
    if kept is None:
        return GitStorage(repository="", branch=branch)
    return GitStorage(
        repository=kept.repository,
        branch=branch,
        commit_sha=kept.commit_sha if branch is None else None,
        include_submodules=kept.include_submodules,
        extra_inputs=kept.extra_inputs,
    )


def _repository_problem(text: str) -> str | None:
    from flowwiz.detectors.git import parse_remote_url

    text = text.strip()
    if _TEMPLATE.match(text):  # resolved by Prefect where the step runs
        return None
    if parse_remote_url(text).had_credentials:  # never repeated: the message reaches CI logs
        return (
            "the URL carries credentials (user, password or a ?token= query): leave them out; "
            "flowwiz stores the token as a secret block (--token-env VAR or --token-stdin)"
        )
    if not text.startswith("https://"):
        return "use an https URL: a worker clones with a token over https (ssh would ignore it)"
    if "@" in text.split("/", 3)[2]:
        return "leave credentials out of the URL: flowwiz stores the token as a secret block"
    return None


def ask_branch(session: Session, current: str | None = None) -> str | None:
    """The branch or tag the worker clones (``git clone --branch`` takes either), or None
    when ``--commit-sha`` pins a commit instead. ``current``: what the deployment being
    updated pulls now (its default). Detached HEAD: a CI variable naming what was built, then
    a tag at HEAD, then a remote branch holding it (detectors.git). A whole-value template
    such as ``{{ $GIT_BRANCH }}`` is Prefect's to fill in and passes as it is."""
    opts, asker, git = session.options, session.asker, session.detected.git
    if opts.commit_sha is not None:
        if opts.branch:
            raise UserError("--branch and --commit-sha: give one (Prefect clones one or the other)")
        _commit_sha(session, opts.commit_sha)
        return None
    if opts.branch is not None:
        problem = branch_answer_problem(opts.branch)
        if problem:
            raise UserError(f"--branch {_shown(opts.branch)}: {problem}")
    state = git.branch if git is not None else None
    detected = state.name if state is not None and not state.detached else None
    if current:
        detected, state = current, None
    elif state is not None and state.detached:
        detected = _strip_remote(state.suggestion, git.remotes)
        if detected and not opts.branch:
            asker.note(_detached_note(state, detected))
    if state is not None and state.unborn and not opts.branch:
        asker.note(
            "This repository has no commit yet: commit and push before a worker can clone it."
        )
    branch = asker.ask(
        Question(
            "branch",
            "Branch to pull",
            "text",
            "--branch",
            default=detected if detected else UNSET,
            suggestion=detected or "main",
            validate=lambda t: branch_answer_problem(t.strip()),
            convert=str.strip,
            name_of="branch name",
            why_no_default="HEAD is detached and no CI variable, tag or remote branch names it",
        ),
        opts.branch if opts.branch else UNSET,
    )
    if state is not None and branch == state.name:
        if state.on_remote is False:
            asker.note(f"Branch {branch!r} is not on the remote yet: push it before the first run.")
        elif state.ahead:
            asker.note(
                f"{state.ahead} local commit(s) on {branch!r} are not pushed: "
                "a worker clones the remote."
            )
    elif state is not None and branch in state.tags:
        remote = git.preferred.name if git.preferred is not None else "origin"
        asker.note(f"!Make sure the tag is on the remote: git push {remote} {branch}")
    elif git is not None and git.preferred is not None and not _TEMPLATE.match(branch):
        from flowwiz.detectors.git import ref_on_remote

        if ref_on_remote(Path(git.root), git.preferred.name, branch) is False:
            asker.note(
                f"{git.preferred.name} has no branch or tag {_shown(branch)} (as this clone last "
                f"fetched it): a worker's clone would fail. Push it, or pick another --branch."
            )
    return branch




def branch_answer_problem(text: str) -> str | None:
    """git's rules for a branch or tag name (detectors.git_ref), or None for a template."""
    return None if _TEMPLATE.match(text) else branch_problem(text)


def _detached_note(state: Any, proposed: str) -> str:
    at = str(state.commit)[:10]
    if state.suggestion_source == "ci":
        return f"!HEAD is detached at {at}; {state.ci_variable} names {proposed!r}: proposing it."
    if state.suggestion_source == "tag":
        return (
            f"!HEAD is detached at tag {proposed!r} ({at}): proposing the tag, so workers run "
            "exactly this code."
        )
    return f"HEAD is detached at {at}; proposing branch {proposed!r}."


def _shown(text: str) -> str:
    """User text inside a one-line message: control characters escaped, kept short."""
    shown = text.encode("unicode_escape").decode("ascii")
    return "'" + shown[:80] + ("..." if len(shown) > 80 else "") + "'"


def _commit_sha(session: Session, sha: str) -> str:
    """Check ``--commit-sha`` as Prefect will, and say when this clone cannot vouch for it."""
    from flowwiz.detectors.git_ref import commit_sha_problem

    from dataclasses import replace

    from flowwiz.detectors.git import resolve_commit

    problem = commit_sha_problem(sha)
    if problem:
        raise UserError(f"--commit-sha {_shown(sha)}: {problem}")
    git = session.detected.git
    full = resolve_commit(git.root, sha) if git is not None else None
    if full is None and len(sha) not in (40, 64):
        # GitRepository.pull_code runs `git fetch origin <sha>`, which needs the full name
        raise UserError(
            f"--commit-sha {sha}: this repository has no such commit to complete it from; "
            "give the full SHA (Prefect's clone fetches a commit by its full SHA)"
        )
    if full is not None and full != sha:
        session.asker.note(f"!Pinning the full SHA {full}: Prefect fetches a commit by it.")
        session.options = replace(session.options, commit_sha=full)
    sha = full or sha
    if full is None:
        session.asker.note(f"!Commit {sha} is not in this clone: it must be on the remote.")
    elif git is not None and git.branch.commit and git.branch.commit != full:
        session.asker.note(
            f"!Pinned to commit {sha[:12]}: workers run that commit, not HEAD "
            f"({git.branch.commit[:10]}); it must be on the remote."
        )
    return sha


def ask_git_layout(session: Session, storage: Storage, flow: Any = None) -> Storage:
    """Where the project sits in the clone, submodules, a sparse checkout and a pinned commit:
    the git answers that do not depend on the token. Other storages pass through."""
    if not isinstance(storage, GitStorage):
        if session.options.commit_sha or session.options.include_submodules or (
            session.options.sparse_checkout
        ):
            raise UserError(
                "--commit-sha, --include-submodules and --sparse-checkout only apply to git storage"
            )
        return storage
    from dataclasses import replace

    opts, det = session.options, session.detected
    subdirectory = project_subdirectory(det)
    directories: tuple[str, ...] = storage.directories
    if opts.sparse_checkout:
        if not subdirectory:
            raise UserError(
                "--sparse-checkout: the project is the repository's root; there is nothing to "
                "leave out"
            )
        directories = (subdirectory,)
    return replace(
        storage,
        commit_sha=opts.commit_sha or storage.commit_sha,
        branch=None if opts.commit_sha else storage.branch,
        include_submodules=ask_submodules(session, storage.include_submodules, flow),
        subdirectory=subdirectory or None,
        directories=directories,
    )


def project_subdirectory(det: Any) -> str:
    """The project folder relative to the git work tree's top ("" at the top), POSIX."""
    git = det.git
    if git is None:
        return ""
    try:
        relative = Path(det.root).resolve().relative_to(Path(git.root).resolve())
    except ValueError:
        return ""
    return relative.as_posix() if relative.parts else ""


def ask_submodules(session: Session, previous: bool, flow: Any = None) -> bool:
    """Clone submodules too? Proposed when the repository declares any (.gitmodules):
    Prefect's ``include_submodules`` runs ``git clone --recurse-submodules``. When the flow
    imports from one, the question says so, and declining is warned about."""
    opts, git = session.options, session.detected.git
    submodules = git.submodules if git is not None else ()
    if not submodules:
        return bool(opts.include_submodules) if opts.include_submodules is not None else previous
    shown = ", ".join(submodules[:3]) + (" ..." if len(submodules) > 3 else "")
    used = ()
    if flow is not None:
        from flowwiz.detectors.submodules import submodule_imports

        used = submodule_imports(Path(session.detected.root), flow.path, Path(git.root), submodules)
    if used:
        shown = f"{flow.path} imports {used[0].module} from {used[0].submodule}"
    include = bool(
        session.asker.ask(
            Question(
                "include_submodules",
                f"The repository has git submodules ({shown}). Clone them on the worker too?",
                "confirm",
                "--include-submodules/--no-include-submodules",
                default=True,
            ),
            opts.include_submodules if opts.include_submodules is not None else UNSET,
        )
    )
    if include:
        for warning in git.warnings:
            if warning.startswith("submodule "):
                session.asker.note(warning[0].upper() + warning[1:] + ".")
    elif used:
        session.asker.note(
            f"{flow.path} imports {used[0].module} from the submodule {used[0].submodule}: "
            "without submodules the worker's run fails with ModuleNotFoundError."
        )
    return include


def _strip_remote(suggestion: str | None, remotes: Sequence[Any]) -> str | None:
    """'origin/feat/x' -> 'feat/x' (suggestions name the remote-tracking branch)."""
    if not suggestion:
        return None
    for remote in remotes:
        if suggestion.startswith(remote.name + "/"):
            return suggestion[len(remote.name) + 1 :]
    return suggestion


def ask_token(
    session: Session,
    flow: Any,
    name: str,
    repository: str,
    parsed: Any,
    branch: str,
    remote: Any,
) -> tuple[Storage, tuple[SecretToSave, ...]]:
    from flowwiz.writers.blocks import parse_slug, reference

    opts, asker = session.options, session.asker
    store = session.open_store()
    block_name = repo_token_block_name(name, flow.name)
    host = (parsed.host or "").lower()

    if opts.credentials_block:
        kind, block = parse_slug(opts.credentials_block)
        if kind not in _PROVIDER_BLOCKS:
            raise UserError(
                f"--credentials-block takes one of {', '.join(_PROVIDER_BLOCKS)} (got {kind})"
            )
        require_block(store, kind, block, "--credentials-block")
        return GitStorage(
            repository=repository, branch=branch, credentials=reference(kind, block)
        ), ()

    username = _ask_username(session, parsed) if host not in _TOKEN_HOSTS else None

    def storage_for(secret_name: str) -> GitStorage:
        return GitStorage(
            repository=repository,
            branch=branch,
            access_token=reference("secret", secret_name),
            username=username,
        )

    if opts.token_block:
        require_block(store, "secret", opts.token_block, "--token-block")
        return storage_for(opts.token_block), ()
    if opts.token_worker_env:
        return _worker_env_storage(session, repository, branch, username), ()

    from flowwiz.wizard.store_probe import SERVER, server_choice, store_usable, switch_to_server

    usable = store_usable(session)
    exists = _quietly(lambda: store.exists("secret", block_name), False, usable)
    from flowwiz.writers.token_origins import same_repository, stored_for

    owner = stored_for(store, block_name) if exists else None
    if owner is not None and not same_repository(owner, repository):
        # Prefect's name has only the deployment and the flow: another repository with the
        # same names stored its token there. Never offered as this one's; a new token for
        # this repository gets a name of its own.
        other = block_name
        block_name = f"{block_name}-{slugify(_repository_path(repository)) or 'repo'}"
        asker.note(
            f"!secret/{other} holds the token stored for {owner}, not for {repository}: "
            f"this repository's token is secret/{block_name}."
        )
        exists = _quietly(lambda: store.exists("secret", block_name), False, usable)
        owner = stored_for(store, block_name) if exists else None
    has_remote_token = remote is not None and remote.url.had_credentials and remote.url.credential
    source: Any = UNSET
    if opts.token_env:
        source = "env"
    elif opts.token_stdin:
        source = "stdin"
    elif opts.token_from_remote:
        if not has_remote_token:
            raise UserError("--token-from-remote: the remote URL carries no credentials")
        source = "remote"
    rows = []
    if exists:
        mine = f" (stored for {owner})" if owner else ""
        rows.append(
            Choice(f"Use the token already stored as secret/{block_name}{mine}", "existing")
        )
    if has_remote_token and usable:
        rows.append(Choice("Store the token found in the remote URL", "remote"))
    if usable:
        rows.append(Choice("Enter a token (hidden input)", "prompt"))
    else:
        rows += server_choice(session)
    other_secrets = [
        b for b in _quietly(lambda: _list_blocks(store, "secret"), [], usable)
        if b.name != block_name
    ]
    if other_secrets:
        rows.append(Choice("Use another secret block", "block"))
    provider_blocks = [
        b for t in _PROVIDER_BLOCKS for b in _quietly(lambda t=t: _list_blocks(store, t), [], usable)
    ]
    if provider_blocks:
        rows.append(Choice("Use a provider credentials block", "credentials"))
    rows.append(
        Choice("Read it from an environment variable on the workers (nothing stored)", "worker")
    )
    how = asker.ask(
        Question(
            "token_source",
            "Repository token",
            "select",
            "--token-env VAR/--token-stdin/--token-block NAME/--token-worker-env VAR",
            default="existing" if exists else UNSET,
            choices=tuple(rows),
            why_no_default="the repository is private and no token was given"
            + ("" if usable else f" ({session.store_problem}; --api-url URL keeps it on a server)"),
        ),
        source,
    )
    if how == SERVER:
        switch_to_server(session)
        return ask_token(session, flow, name, repository, parsed, branch, remote)
    if how == "worker":
        return _worker_env_storage(session, repository, branch, username), ()
    if how == "existing":
        asker.note(f"!Using the token stored as secret/{block_name}.")
        return storage_for(block_name), ()
    if how == "block":
        picked = asker.ask(
            Question(
                "token_block",
                "Secret block",
                "select",
                "--token-block",
                choices=tuple(
                    Choice(b.name + _stored_for_suffix(store, b.name), b.name)
                    for b in other_secrets
                ),
            )
        )
        return storage_for(picked), ()
    if how == "credentials":
        picked = asker.ask(
            Question(
                "credentials_block",
                "Credentials block",
                "select",
                "--credentials-block",
                choices=tuple(Choice(b.slug, b) for b in provider_blocks),
            )
        )
        return GitStorage(repository=repository, branch=branch, credentials=picked.reference), ()
    store.check()  # before anyone types a token that could not be kept
    token = _read_token(session, how, remote)
    _verify(session, repository, token, parsed, username)
    if exists:
        replace = asker.ask(
            Question(
                "overwrite",
                f"Replace the token stored as secret/{block_name}?",
                "confirm",
                "--token-env/--token-stdin (replaces it)",
                default=True,
            )
        )
        if not replace:
            return storage_for(block_name), ()
    secret = SecretToSave(
        block_type="secret",
        name=block_name,
        data={"value": token},
        overwrite=exists,
        repository=repository,
    )
    return storage_for(block_name), (secret,)


def _repository_path(url: str) -> str:
    """``https://github.com/acme/flows.git`` -> ``acme/flows`` (names a token block)."""
    rest = url.partition("://")[2] or url
    path = rest.partition("/")[2].rstrip("/")
    return path[:-4] if path.endswith(".git") else path


def _stored_for_suffix(store: Any, name: str) -> str:
    from flowwiz.writers.token_origins import stored_for

    owner = stored_for(store, name)
    return f" (stored for {owner})" if owner else ""


def _worker_env_storage(
    session: Session, repository: str, branch: str, username: str | None
) -> GitStorage:
    """The token stays in the workers' environment: prefect.yaml names the variable, and
    Prefect reads it where the pull step runs. flowwiz stores nothing."""
    variable = session.asker.ask(
        Question(
            "token_worker_env",
            "Environment variable that holds the token on the workers",
            "text",
            "--token-worker-env",
            suggestion="GIT_TOKEN",
            validate=_variable_problem,
            convert=str.strip,
            name_of="variable name",
            why_no_default="name the variable the workers have",
        ),
        session.options.token_worker_env or UNSET,
    )
    return GitStorage(
        repository=repository,
        branch=branch,
        access_token="{{ $" + variable + " }}",
        username=username,
    )


def _variable_problem(text: str) -> str | None:
    import re

    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text.strip()):
        return (
            "enter an environment variable name: letters, digits and _, not starting with a digit"
        )
    return None


def _quietly(read: Any, fallback: Any, usable: bool) -> Any:
    """A store read that may fail when the probe already found the store unusable."""
    if usable:
        return read()
    from flowwiz.writers.blocks import BlockStoreError

    try:
        return read()
    except BlockStoreError:
        return fallback


def _list_blocks(store: Any, kind: str) -> list[Any]:
    return [b for b in store.list(kind) if b.problem is None]


def require_block(store: Any, kind: str, name: str, flag: str) -> None:
    from flowwiz.writers.blocks import check_name

    check_name(name)
    if not store.exists(kind, name):
        raise UserError(
            f"{flag}: no block {kind}/{name} in the {store.kind} store ({store.location}); "
            f"create it with `flowwiz blocks create {kind} {name}`"
        )


def _ask_username(session: Session, parsed: Any) -> str:
    from flowwiz.detectors.git_access import username_for

    provider = parsed.provider
    default: Any = (
        UNSET if provider in ("bitbucket-server", "codecommit") else username_for(provider, None)
    )
    if provider == "azure":
        default = "pat"
    return session.asker.ask(
        Question(
            "username",
            f"Username to pair with the token on {parsed.host}",
            "text",
            "--username",
            default=default,
            validate=lambda t: (
                None if t.strip() and ":" not in t else "enter a username (no colon)"
            ),
            convert=str.strip,
            name_of="username",
            why_no_default=f"{parsed.host} needs your username with the token",
        ),
        session.options.username if session.options.username else UNSET,
    )


def _read_token(session: Session, how: str, remote: Any) -> SecretStr:
    opts = session.options
    if how == "env":
        raw = os.environ.get(opts.token_env or "")
        if not raw:
            raise UserError(
                f"--token-env: the environment variable {opts.token_env} is not set or empty"
            )
    elif how == "stdin":
        if sys.stdin.isatty():
            raise UserError(
                "--token-stdin: pipe the token in, "
                "e.g. `flowwiz deploy --yes --token-stdin < token.txt`"
            )
        raw = sys.stdin.read()
        if raw.endswith("\n"):
            raw = raw[:-1]
        if raw.endswith("\r"):
            raw = raw[:-1]
    elif how == "remote":
        raw = remote.url.credential.reveal()
    else:
        raw = session.asker.ask(
            Question(
                "token",
                "Access token (input hidden)",
                "password",
                "--token-env VAR/--token-stdin",
                validate=_token_problem,
            )
        )
    stripped = raw.strip()
    if stripped != raw:
        session.asker.note("!Removed white space around the token.")
    problem = _token_problem(stripped)
    if problem:
        raise UserError(f"the token was refused: {problem}")
    return SecretStr(stripped)


def _token_problem(text: str) -> str | None:
    bad = forbidden_character(text.strip())
    if bad:
        return f"a token cannot contain {bad}"
    if not text.strip():
        return "the token is empty"
    if len(text.strip().encode()) > 2560:
        return "the token is longer than 2560 bytes"
    return None


def _verify(
    session: Session, repository: str, token: SecretStr, parsed: Any, username: str | None
) -> None:
    from flowwiz.detectors.git_access import check_access, username_for

    if not ask_verify(session, "Check now that this token can read the repository?"):
        return
    result = check_access(repository, token, username=username_for(parsed.provider, username))
    report_check(
        session,
        result,
        failed=f"the token cannot read {repository}: {result.detail}",
        unchecked="Could not check the token",
        anyway="Store this token anyway?",
        stopped="stopped: the token was not stored",
        flag_hint="pass --no-verify to store it anyway",
    )


def ask_verify(session: Session, message: str) -> bool:
    """Whether to check access now: `--verify/--no-verify`; a person is offered yes."""
    opts = session.options
    return bool(
        session.asker.ask(
            Question(
                "verify",
                message,
                "confirm",
                "--verify/--no-verify",
                default=False,
                suggestion=True,
            ),
            opts.verify if opts.verify is not None else UNSET,
        )
    )


def report_check(
    session: Session,
    result: Any,
    *,
    failed: str,
    unchecked: str,
    anyway: str,
    stopped: str,
    flag_hint: str,
) -> None:
    """Say how an access check went; a failure stops `--yes` and asks a person to go on."""
    asker = session.asker
    if result.status == "ok":
        terminal.success(result.detail)
    elif result.status == "unreachable":
        asker.note(f"{unchecked} (network): {result.detail}")
    elif result.status == "unavailable":
        asker.note(f"{unchecked}: {result.detail}")
    else:
        if not asker.interactive:
            raise UserError(f"{failed} ({flag_hint})")
        asker.note(failed)
        keep = asker.ask(Question("keep", anyway, "confirm", "--no-verify", default=False))
        if not keep:
            raise UserError(stopped)


def ask_other_storage(
    session: Session, flow: Any, name: str, previous: Storage | None = None
) -> tuple[Storage, tuple[SecretToSave, ...]]:
    """Where the code comes from when it is not a git clone: this machine's directory, a
    bucket, or an image."""
    from flowwiz.wizard.cloud_storage import PROVIDERS, ask_cloud

    opts = session.options
    rows = [Choice("This machine's directory (only a worker here can run it)", "local")]
    rows += [
        Choice(f"{title}: `prefect deploy` uploads the code, workers download it", key)
        for key, (title, _, _) in PROVIDERS.items()
    ]
    rows.append(Choice("Inside a Docker image that `prefect deploy` builds", "docker"))
    rows += [  # wizard/block_storage.py
        Choice("A storage block (TYPE/NAME[/PATH]): `prefect deploy` uploads", "block"),
        Choice("Any fsspec URL (smb://, sftp://, file://...): `prefect deploy` uploads", "fsspec"),
    ]
    kind = session.asker.ask(
        Question(
            "storage",
            "Where should workers get the flow code?",
            "select",
            "--storage",
            default=_kind_of(previous) if _kind_of(previous) not in (None, "git") else "local",
            choices=tuple(rows),
        ),
        opts.storage if opts.storage not in (None, "git") else UNSET,
    )
    same = previous if _kind_of(previous) == kind else None
    if kind in PROVIDERS:
        return ask_cloud(session, kind, flow, name, same)
    if kind == "docker":
        from flowwiz.wizard.docker_storage import ask_docker_storage

        return ask_docker_storage(session, flow, name, same)
    if kind == "block":
        from flowwiz.wizard.block_storage import ask_block

        return ask_block(session, flow, name, same), ()  # type: ignore[arg-type]
    if kind == "fsspec":
        from flowwiz.wizard.block_storage import ask_fsspec

        return ask_fsspec(session, flow, name, same)  # type: ignore[arg-type]
    return _local_storage(session, same), ()


def _kind_of(storage: Storage | None) -> str | None:
    from flowwiz.writers.plan import CloudStorage, DockerStorage

    if isinstance(storage, CloudStorage):
        return storage.provider
    if isinstance(storage, DockerStorage):
        return "docker"
    if isinstance(storage, GitStorage):
        return "git"
    if isinstance(storage, LocalStorage):
        return "local"
    from flowwiz.writers.plan import BlockStorage, FsspecStorage

    if isinstance(storage, BlockStorage):
        return "block"
    if isinstance(storage, FsspecStorage):
        return "fsspec"
    return None


def _local_storage(session: Session, previous: Storage | None = None) -> LocalStorage:
    """A directory on the worker's machine: the one the deployment uses now (a re-run keeps
    it, e.g. ``/opt/prefect/flows`` baked into an image), else this project's folder."""
    if isinstance(previous, LocalStorage) and previous.directory:
        session.asker.note(f"!Keeping the working directory {previous.directory}.")
        return previous
    root = session.detected.root
    session.asker.note(
        f"Flow code will be read from {root} on the worker's machine: only a worker on this "
        "machine can run this deployment."
    )
    return LocalStorage(directory=str(root))
