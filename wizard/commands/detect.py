"""`flowwiz detect`: what flowwiz sees in a repository, as a table or as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from flowwiz.detectors.errors import DetectionError, UserError

EXAMPLES = """\b
Examples:
  flowwiz detect                 this repository, as tables
  flowwiz detect ../etl --json   another repository, as JSON for scripts
"""


@dataclass(frozen=True, slots=True)
class Seen:
    root: Path
    git: Any
    git_problem: str | None
    scan: Any
    project: Any
    in_clone: tuple[str, ...] | None = None  # per flow: tracked/untracked/ignored/outside...
    settings: Any = None  # detectors.prefect_settings.PrefectSettings
    # what will break prefect.yaml's deployments: (deployment name, DeploymentProblem)
    problems: tuple[tuple[str, Any], ...] = ()
    # what the block references (and work pools) were checked against, or why they were not
    checked: str | None = None


def gather(path: Path, api_url: str | None = None) -> Seen:
    from flowwiz.detectors.flows import find_flows
    from flowwiz.detectors.git import detect_git
    from flowwiz.detectors.project import detect_project

    if not path.is_dir():
        raise UserError(f"not a directory: {path}")
    root = path.resolve()
    try:
        git, problem = detect_git(root), None
    except DetectionError as exc:
        git, problem = None, exc.message
    scan = find_flows(root)
    in_clone = None
    if git is not None:
        from flowwiz.detectors.git import files_in_clone

        files = [root / f.entrypoint.rsplit(":", 1)[0] for f in scan.flows]
        in_clone = tuple(c.status for c in files_in_clone(Path(git.root), files))
    from flowwiz.detectors.prefect_settings import resolve_settings

    settings = resolve_settings(api_url=api_url)
    project = detect_project(root)
    problems, checked = deployment_problems(root, project, settings)
    return Seen(root, git, problem, scan, project, in_clone, settings, problems, checked)


def deployment_problems(
    root: Path, project: Any, settings: Any
) -> tuple[tuple[tuple[str, Any], ...], str | None]:
    """What will break each prefect.yaml deployment's runs (detectors.deployment_checks, as
    the dashboard's Deployments tab says it): entrypoints always; block references against
    the active store, and work pools when that store is a Prefect server (read only when a
    deployment names a block or a pool). Returns the problems by deployment name, and what
    they were checked against (or why blocks were not checked)."""
    from flowwiz.detectors.deployment_checks import (
        EntrypointChecker,
        block_problems,
        pool_problem,
    )
    from flowwiz.detectors.project import block_references

    document = project.prefect_yaml
    if document is None:
        return (), None
    top_pull = document.data.get("pull")
    entries = []
    for entry in document.deployments:
        pool = entry.get("work_pool")
        pool_name = pool.get("name") if isinstance(pool, dict) else None
        refs = block_references(dict(entry, pull=entry.get("pull", top_pull)))
        name = entry.get("name")
        entries.append((str(name) if name else "(unnamed)", entry, refs, pool_name))
    wanted = any(refs for _n, _e, refs, _p in entries) or (
        settings is not None and settings.api_url and any(p for *_, p in entries)
    )
    existing, local_only, pools, checked = (
        _store_facts(settings) if wanted else (None, (), None, None)
    )
    checker = EntrypointChecker(root)
    found: list[tuple[str, Any]] = []
    for name, entry, refs, pool_name in entries:
        entrypoint = entry.get("entrypoint")
        if isinstance(entrypoint, str) and entrypoint.strip():
            problem = checker.check(entrypoint)
            if problem is not None:
                found.append((name, problem))
        found += [(name, p) for p in block_problems(refs, existing, local_only)]
        problem = pool_problem(pool_name if isinstance(pool_name, str) else None, pools)
        if problem is not None:
            found.append((name, problem))
    return tuple(found), checked


def _store_facts(settings: Any) -> tuple[Any, Any, Any, str]:
    """(blocks of the active store or None, blocks only the local catalog holds, the
    server's work pools or None, what was checked / why not)."""
    from flowwiz.detectors.errors import FlowwizError
    from flowwiz.writers.blocks import open_store

    try:
        store = open_store(settings=settings)
        existing = frozenset((b.type, b.name) for b in store.list())
    except FlowwizError as exc:
        return None, (), None, f"block references not checked: {exc.message}"
    if store.kind != "prefect":
        return existing, (), None, "block references checked in the local store"
    from flowwiz.wizard.dashboard.server import server_context

    pools, local = server_context(store.location, settings=settings)
    where = settings.describe_server()
    return existing, local, pools, f"blocks and work pools checked on the Prefect server {where}"


def as_json(seen: Seen) -> dict[str, Any]:
    git = seen.git
    project = seen.project
    remotes = []
    if git is not None:
        for remote in git.remotes:
            remotes.append(
                {
                    "name": remote.name,
                    "url": remote.url.raw_masked,
                    "https_url": remote.url.https_url,
                    "provider": remote.url.provider,
                    "host": remote.url.host,
                    "had_credentials": remote.url.had_credentials,
                    "clonable": remote.url.clonable,
                    "note": remote.url.note,
                    "preferred": git.preferred is not None and remote.name == git.preferred.name,
                }
            )
    branch = git.branch if git is not None else None
    return {
        "root": str(seen.root),
        "git": None
        if git is None
        else {
            "root": str(git.root),
            "remotes": remotes,
            "preferred_remote": git.preferred.name if git.preferred else None,
            "branch": branch.name,
            "detached": branch.detached,
            "unborn": branch.unborn,
            "commit": branch.commit,
            "upstream": branch.upstream,
            "on_remote": branch.on_remote,
            "ahead": branch.ahead,
            "suggested_branch": branch.suggestion,
            # where the suggestion came from: ci, tag, remote-branch, remote-default
            "suggested_from": branch.suggestion_source,
            "ci_variable": branch.ci_variable,
            "tags_at_head": list(branch.tags),
            # the project below the git root: a worker's clone changes into this folder
            "project_subdir": git.subdir,
            "submodules": list(git.submodules),
            "shallow": git.shallow,
            "warnings": list(git.warnings),
        },
        "git_problem": seen.git_problem,
        "flows": [
            {
                "entrypoint": f.entrypoint,
                "name": f.name,
                "description": f.description,
                "line": f.line,
                "async": f.is_async,
                # will a worker's git clone have the file: tracked, untracked, ignored,
                # outside (a symlink out of the repository), unknown; null without git
                "in_clone": None if seen.in_clone is None else seen.in_clone[i],
                "parameters": [
                    {
                        "name": p.name,
                        "annotation": p.annotation,
                        "default": p.default,
                        "required": p.required,
                    }
                    for p in f.parameters
                ],
            }
            for i, f in enumerate(seen.scan.flows)
        ],
        "skipped": [{"path": s.path, "reason": s.reason} for s in seen.scan.skipped],
        "files_seen": seen.scan.files_seen,
        "prefect_yaml": None
        if project.prefect_yaml is None
        else {
            "path": str(project.prefect_yaml.path),
            "deployments": list(project.prefect_yaml.deployment_names),
            # what will break a deployment's runs (detectors.deployment_checks)
            "problems": [
                {
                    "deployment": name,
                    "kind": problem.kind,
                    "subject": problem.subject,
                    "message": problem.message,
                    "fix": problem.fix,
                }
                for name, problem in seen.problems
            ],
            "checked": seen.checked,
        },
        "prefect_yaml_error": project.prefect_yaml_error,
        "dockerfile": str(project.dockerfile) if project.dockerfile else None,
        # where `COPY . <dir>` puts the project in the image (for --storage docker)
        "dockerfile_code_dir": _code_dir(project.dockerfile),
        "requirements": list(project.requirements),
        "python_version": project.python_version,
        "prefectignore": str(project.prefectignore) if project.prefectignore else None,
        "prefect_server": _server_json(seen.settings),
    }


def _server_json(settings: Any) -> dict[str, Any] | None:
    """Where flowwiz (and the Prefect CLI) will send blocks and deployments; no secrets."""
    if settings is None:
        return None
    from flowwiz.detectors.prefect_settings import API_URL, _shown_url

    url = settings.api_url
    return {
        "api_url": _shown_url(url) if url else None,
        "source": settings.source_of(API_URL) or None,
        "profile": settings.profile,
        "profiles_path": str(settings.profiles_path) if settings.profiles_path else None,
        "auth": "auth string" if settings.auth_string else "api key" if settings.api_key else None,
        "tls_insecure_skip_verify": settings.tls_insecure,
        "ssl_cert_file": settings.ssl_cert_file,
    }


def _code_dir(dockerfile: Path | None) -> str | None:
    from flowwiz.detectors.docker_image import code_directory

    return code_directory(dockerfile) if dockerfile is not None else None


def show(seen: Seen) -> None:
    from rich.table import Table

    from flowwiz.wizard.terminal import styled, terminal

    out = terminal.out
    data = as_json(seen)

    def say(*parts: object) -> None:
        out.print(styled(*parts))

    def cell(value: object) -> Any:
        return styled(value)

    say(("Repository", "bold"), f" {seen.root}")
    git = data["git"]
    if git is None:
        say("  ", ("git:", "yellow"), f" {seen.git_problem}")
    else:
        table = Table(title="Git remotes", title_justify="left", show_edge=False)
        for column in ("", "name", "https clone URL", "provider", "note"):
            table.add_column(column)
        for remote in git["remotes"]:
            note = remote["note"] or ""
            if remote["had_credentials"]:
                note = ("credentials in the URL (masked; never written) " + note).strip()
            table.add_row(
                "★" if remote["preferred"] else "",
                cell(remote["name"]),
                cell(remote["https_url"] or remote["url"]),
                cell(remote["provider"]),
                cell(note),
            )
        if git["remotes"]:
            out.print(table)
        branch = git["branch"] or f"(detached at {str(git['commit'])[:10]})"
        extra = (
            f", suggested: {git['suggested_branch']}"
            if git["detached"] and git["suggested_branch"]
            else ""
        )
        if git["detached"] and git["tags_at_head"]:
            extra = f", tag {git['tags_at_head'][0]}{extra}"
        if git["ci_variable"]:
            extra += f" (from {git['ci_variable']})"
        say(("Branch", "bold"), f" {branch}{extra}")
        if git["project_subdir"]:
            say(
                ("Project folder", "bold"),
                f" {git['project_subdir']} (below the git root {git['root']})",
            )
        if git["submodules"]:
            say(("Submodules", "bold"), " " + ", ".join(git["submodules"]))
        for warning in git["warnings"]:
            say("  ", ("!", "yellow"), f" {warning}")
    flows = Table(title=f"Flows ({len(data['flows'])})", title_justify="left", show_edge=False)
    for column in ("name", "entrypoint", "parameters", "description"):
        flows.add_column(column)
    for flow in data["flows"]:
        params = ", ".join(p["name"] + ("*" if p["required"] else "") for p in flow["parameters"])
        flows.add_row(
            cell(flow["name"]),
            cell(flow["entrypoint"]),
            cell(params),
            styled(flow["description"] or "", multiline=True),
        )
    out.print(flows)
    why = {
        "untracked": "is not tracked by git",
        "ignored": "is ignored by .gitignore",
        "outside": "is a symlink to a file outside the repository",
    }
    shown_files: set[str] = set()
    for flow in data["flows"]:
        file = flow["entrypoint"].rsplit(":", 1)[0]
        if flow["in_clone"] in why and file not in shown_files:
            shown_files.add(file)
            reason = why[flow["in_clone"]]
            say("  ", ("!", "yellow"), f" {file} {reason}: a worker's clone will not have it")
    for skipped in data["skipped"]:
        say("  ", ("skipped", "yellow"), f" {skipped['path']}: {skipped['reason']}")
    if data["prefect_yaml_error"]:
        say(("prefect.yaml", "bold"), " ", (data["prefect_yaml_error"], "red"))
    elif data["prefect_yaml"]:
        names = ", ".join(data["prefect_yaml"]["deployments"]) or "no deployments"
        say(("prefect.yaml", "bold"), f" {names}")
        for problem in data["prefect_yaml"]["problems"]:
            say("  ", ("✗", "red"), f" {problem['deployment']}: {problem['message']}")
            if problem["fix"]:
                say(f"      → {problem['fix']}")
        if data["prefect_yaml"]["checked"]:
            say(("  ", ""), (data["prefect_yaml"]["checked"], "dim"))
    else:
        say(("prefect.yaml", "bold"), " none yet")
    dockerfile = data["dockerfile"]
    if dockerfile and data["dockerfile_code_dir"]:
        dockerfile += f" (code in {data['dockerfile_code_dir']})"
    files = [x for x in (dockerfile, *data["requirements"]) if x]
    if seen.settings is not None:
        say(("Prefect server", "bold"), f" {seen.settings.describe_server()}")
    say(
        ("Project", "bold"),
        f" Python {data['python_version']}; "
        + (", ".join(files) or "no Dockerfile or requirements"),
    )


@click.command(epilog=EXAMPLES)
@click.argument("path", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--json", "as_json_flag", is_flag=True, help="Print JSON for scripts.")
@click.option(
    "--api-url",
    metavar="URL",
    help="The Prefect server to report (default: PREFECT_API_URL, then the active profile).",
)
def detect(path: Path, as_json_flag: bool, api_url: str | None) -> None:
    """Show what flowwiz sees: git remotes (credentials masked), branch, flows, prefect.yaml,
    and which Prefect server blocks and deployments go to (and where that came from)."""
    seen = gather(path, api_url)
    if as_json_flag:
        from flowwiz.wizard.terminal import terminal

        terminal.data(json.dumps(as_json(seen), indent=2))
    else:
        show(seen)
