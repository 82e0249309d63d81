"""`flowwiz ui`: the full-screen dashboard of blocks and deployments."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flowwiz.detectors.errors import UserError

EXAMPLES = """\b
Examples:
  flowwiz ui                      blocks of the local store, deployments of ./prefect.yaml
  flowwiz ui --project ../etl     deployments of another project's prefect.yaml
  PREFECT_API_URL=http://127.0.0.1:4200/api flowwiz ui
                                  blocks and deployments of a Prefect server too
  flowwiz ui --local              the local catalog although a server is configured:
                                  ctrl+p pushes a block there or switches to it

\b
Keys: / filter, n new block: choose a type, e edit the block, d delete, c copy reference,
Enter the block page (where it is used, how a flow loads it), ctrl+p every command by
name, r refresh, ? help, q quit.
"""


@click.command(epilog=EXAMPLES)
@click.option(
    "--project",
    "project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="Directory whose prefect.yaml is shown.",
)
@click.option(
    "--api-url",
    metavar="URL",
    default=None,
    help="Prefect API URL whose blocks and deployments to show (default: PREFECT_API_URL, "
    "then the active Prefect profile).",
)
@click.option(
    "--local",
    is_flag=True,
    help="Show the local catalog even when a Prefect server is configured (--api-url, "
    "PREFECT_API_URL or the profile); that server stays one command away (ctrl+p: push a "
    "block to it, switch store).",
)
def ui(project: Path, api_url: str | None, local: bool) -> None:
    """Browse blocks and deployments full-screen; see which references are broken.

    Blocks come from the active store (the local catalog and OS keyring, or a Prefect server
    when PREFECT_API_URL or --api-url is given); secret values are never shown. Deployments
    come from prefect.yaml, and from the server when one is configured; a deployment that
    references a block the store lacks is shown in red, because its runs would fail on the
    worker.
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("flowwiz ui needs a terminal: run it with stdin and stdout on a TTY")
    from flowwiz.wizard.dashboard.app import FlowwizApp
    from flowwiz.writers.blocks import open_store

    holder: list[FlowwizApp] = []

    def warn(message: str) -> None:  # the screen is Textual's: warnings become notifications
        if holder:
            holder[0].notify(message, severity="warning", markup=False)

    # nothing is contacted here: an unreachable store is reported inside the dashboard
    server_url: str | None = None
    if local:
        import os

        from flowwiz.detectors.prefect_settings import resolve_settings

        server_url = resolve_settings(api_url=api_url).api_url or None
        # empty: no server, even one in the active Prefect profile
        store = open_store(env={**os.environ, "PREFECT_API_URL": ""}, on_warning=warn)
    else:
        store = open_store(api_url, on_warning=warn)
    app = FlowwizApp(store, project.resolve(), server_url=server_url)
    holder.append(app)
    app.run()
