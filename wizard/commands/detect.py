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
    settings: Any = None  # detectors.prefect_settings.PrefectSettings


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
    from flowwiz.detectors.prefect_settings import resolve_settings

    settings = resolve_settings(api_url=api_url)
    return Seen(root, git, problem, find_flows(root), detect_project(root), settings)


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
            for f in seen.scan.flows
        ],
        "skipped": [{"path": s.path, "reason": s.reason} for s in seen.scan.skipped],
        "files_seen": seen.scan.files_seen,
        "prefect_yaml": None
        if project.prefect_yaml is None
        else {
            "path": str(project.prefect_yaml.path),
            "deployments": list(project.prefect_yaml.deployment_names),
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
    from flowwiz.wizard.terminal import terminal
    from rich.table import Table

    out = terminal.out
    data = as_json(seen)
    out.print(f"[bold]Repository[/] {seen.root}")
    git = data["git"]
    if git is None:
        out.print(f"  [yellow]git:[/] {seen.git_problem}")
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
                remote["name"],
                remote["https_url"] or remote["url"],
                remote["provider"],
                note,
            )
        if git["remotes"]:
            out.print(table)
        branch = git["branch"] or f"(detached at {str(git['commit'])[:10]})"
        extra = (
            f", suggested: {git['suggested_branch']}"
            if git["detached"] and git["suggested_branch"]
            else ""
        )
        out.print(f"[bold]Branch[/] {branch}{extra}")
        for warning in git["warnings"]:
            out.print(f"  [yellow]![/] {warning}")
    flows = Table(title=f"Flows ({len(data['flows'])})", title_justify="left", show_edge=False)
    for column in ("name", "entrypoint", "parameters", "description"):
        flows.add_column(column)
    for flow in data["flows"]:
        params = ", ".join(p["name"] + ("*" if p["required"] else "") for p in flow["parameters"])
        flows.add_row(flow["name"], flow["entrypoint"], params, flow["description"] or "")
    out.print(flows)
    for skipped in data["skipped"]:
        out.print(f"  [yellow]skipped[/] {skipped['path']}: {skipped['reason']}")
    if data["prefect_yaml_error"]:
        out.print(f"[bold]prefect.yaml[/] [red]{data['prefect_yaml_error']}[/]")
    elif data["prefect_yaml"]:
        names = ", ".join(data["prefect_yaml"]["deployments"]) or "no deployments"
        out.print(f"[bold]prefect.yaml[/] {names}")
    else:
        out.print("[bold]prefect.yaml[/] none yet")
    dockerfile = data["dockerfile"]
    if dockerfile and data["dockerfile_code_dir"]:
        dockerfile += f" (code in {data['dockerfile_code_dir']})"
    files = [x for x in (dockerfile, *data["requirements"]) if x]
    if seen.settings is not None:
        from rich.markup import escape

        out.print(f"[bold]Prefect server[/] {escape(seen.settings.describe_server())}")
    out.print(
        f"[bold]Project[/] Python {data['python_version']}; "
        + (", ".join(files) or "no Dockerfile or requirements")
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
