"""`flowwiz ui` with the Prefect backend: the server's deployments beside prefect.yaml's.

The real test deploys to the harness's Prefect server with real `prefect --no-prompt deploy`
from a temp git repo, deletes a block one deployment's pull step references (Prefect refuses
to deploy a deployment whose own pull names a missing block, so the block exists at deploy
time and is removed over REST after), then opens the dashboard on that server (App.run_test).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.deployutil import github_like_repo
from tests.prefect_harness import PrefectServer
from tests.test_dashboard import Session, closed_port, drive, settle, table_rows, text_of

POOL = "dash-server-pool"
FLOW_NAME = "nightly-etl"  # tests.deployutil.FLOW
PRESENT = "dash-server-present-token"
GONE = "dash-server-gone-token"


def deployment(name: str, token_block: str) -> str:
    return f"""\
- name: {name}
  entrypoint: flows/etl.py:etl
  work_pool:
    name: {POOL}
  schedules:
  - cron: 0 4 * * *
    timezone: UTC
  pull:
  - prefect.deployments.steps.git_clone:
      repository: https://github.com/acme/flows.git
      branch: main
      access_token: '{{{{ prefect.blocks.secret.{token_block} }}}}'
"""


FILE_ONLY = """\
- name: dash-file-only
  entrypoint: flows/etl.py:etl
  work_pool:
    name: dash-server-pool
  pull:
  - prefect.deployments.steps.set_working_directory:
      directory: /srv/flows
"""


def columns(row: list[str]) -> dict[str, str]:
    """A deployments table row by column (the Source column is second with a server)."""
    titles = [
        "name", "problems", "last_run", "source", "entrypoint", "pool", "schedule", "blocks",
        "storage",
    ]
    return dict(zip(titles, row, strict=True))


@pytest.mark.prefect
def test_server_deployments_beside_the_file(prefect_server: PrefectServer, tmp_path: Path) -> None:
    from flowwiz.writers.blocks import open_store

    repo = github_like_repo(tmp_path)
    prefect_server.create_work_pool(POOL)
    prefect_server.save_secret(PRESENT, "present-token-value-1")
    gone_id = prefect_server.save_secret(GONE, "gone-token-value-1")
    (repo / "prefect.yaml").write_text(
        "name: flows\ndeployments:\n"
        + deployment("dash-both", PRESENT)
        + deployment("dash-server-only", GONE)
    )
    prefect_server.check_prefect("--no-prompt", "deploy", "--all", cwd=repo)
    deleted = prefect_server.api("DELETE", f"/block_documents/{gone_id}")
    assert deleted.status_code == 204
    # the file now holds one deployed deployment and one that never was
    (repo / "prefect.yaml").write_text(
        "name: flows\ndeployments:\n" + deployment("dash-both", PRESENT) + FILE_ONLY
    )
    store = open_store(prefect_server.api_url)

    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.data import BlockRef

        await pilot.press("2")
        await settle(pilot)
        view = app.query_one("#deployments-view")
        shown = {d.name: (i, d) for i, d in enumerate(view.rows)}
        both_at, both = shown[f"{FLOW_NAME}/dash-both"]
        assert (both.source, both.entrypoint, both.work_pool, both.work_queue) == (
            "both",
            "flows/etl.py:etl",
            POOL,
            "default",
        )
        assert both.schedule == "cron 0 4 * * * (UTC)"
        assert both.storage == "git https://github.com/acme/flows.git @ main"
        assert both.references == (BlockRef("secret", PRESENT),)
        server_at, server_only = shown[f"{FLOW_NAME}/dash-server-only"]
        assert (server_only.source, server_only.entrypoint, server_only.work_pool) == (
            "server",
            "flows/etl.py:etl",
            POOL,
        )
        assert server_only.schedule == "cron 0 4 * * * (UTC)"
        assert server_only.storage == "git https://github.com/acme/flows.git @ main"
        assert server_only.references == (BlockRef("secret", GONE),)
        file_at, file_only = shown["dash-file-only"]
        assert (file_only.source, file_only.storage, file_only.references) == (
            "file",
            "dir /srv/flows",
            (),
        )
        # the table: one row each, the Source column second, the broken name in red
        rows = table_rows(app, "#deployments-table")
        assert len(rows) == len(view.rows)
        by_name = {row[0]: row for row in rows}
        assert [by_name[view.rows[i].name][3] for i in (both_at, server_at, file_at)] == [
            "both",
            "server",
            "file",
        ]
        table = app.query_one("#deployments-table")
        error = app.get_css_variables()["text-error"]
        assert str(table.get_row(str(server_at))[0].style) == error
        assert str(table.get_row(str(both_at))[0].style) == ""
        assert str(table.get_row(str(file_at))[0].style) == ""
        # its detail: where it comes from, the whole storage, and the missing block in red
        table.move_cursor(row=table.get_row_index(str(server_at)), animate=False)
        await pilot.pause()
        fields = text_of(app, "#deployment-fields")
        assert "source      the server only (not in prefect.yaml)" in fields
        assert "storage     git https://github.com/acme/flows.git @ main" in fields
        missing = app.query_one("#deployment-missing")
        assert missing.display and missing.has_class("problem")
        assert str(missing.render()).startswith(
            f"✗ secret/{GONE} does not exist: runs will fail on the worker (Block not found)"
        )
        summary = str(app.query_one("#deployments-summary").render())
        # other modules share the server: its counts may be larger than this test's
        assert re.fullmatch(
            rf"2 deployments in {re.escape(str(repo))}/prefect.yaml · \d+ on the server"
            r" · (1 references a block that does not exist|\d+ reference blocks that do not exist)",
            summary,
        ), summary

    session = drive(store, repo, scenario)
    assert session.notes("error") == [] and session.notes("warning") == []


def test_unreachable_server_warns_and_file_deployments_still_show(tmp_path: Path) -> None:
    """Blocks and server deployments both fail (a closed loopback port): two notifications,
    and the deployments of prefect.yaml are still listed (marked as file only)."""
    from flowwiz.writers.blocks import open_store

    project = tmp_path / "project"
    project.mkdir()
    (project / "prefect.yaml").write_text("name: flows\ndeployments:\n" + FILE_ONLY)
    url = f"http://127.0.0.1:{closed_port()}/api"

    async def scenario(app: Any, pilot: Any) -> None:
        await pilot.press("2")
        await settle(pilot)
        rows = [columns(r) for r in table_rows(app, "#deployments-table")]
        assert [(r["name"], r["source"], r["last_run"]) for r in rows] == [
            ("dash-file-only", "file", "—")
        ]
        view = app.query_one("#deployments-view")
        assert view.rows[0].storage == "dir /srv/flows"  # the column is cut at 120
        summary = str(app.query_one("#deployments-summary").render())
        assert "1 deployment in " in summary and "server deployments not read" in summary

    session: Session = drive(open_store(url), project, scenario)
    warnings = session.notes("warning")
    assert len(warnings) == 1
    assert warnings[0] == (
        f"cannot reach the Prefect server at {url} (connection refused): is it running, "
        "and is the --api-url right?"
    )
    assert len(session.notes("error")) == 1  # the block store's own


PAGE_BLOCK = "dash-page-used-token"
PAGE_LOCAL = "dash-page-local-token"


@pytest.mark.prefect
def test_block_page_where_used_switch_and_push(
    prefect_server: PrefectServer, tmp_path: Path, isolated_env: Path, memory_keyring: Any
) -> None:
    """The block page lists the server's deployment that uses a block beside prefect.yaml's;
    deleting it asks with both in front; the palette switches to the local store and pushes a
    local block to the server, where Prefect reads it back."""
    import os

    from flowwiz.detectors.secret import SecretStr
    from flowwiz.writers.blocks import open_store

    from tests.leaks import assert_not_leaked, canary
    from tests.test_dashboard import screen_texts

    secret = canary()
    prefect_server.save_secret(PAGE_BLOCK, "page-used-value-1")
    flow = prefect_server.api("POST", "/flows/", json={"name": "dash-page-flow"})
    assert flow.status_code in (200, 201), flow.status_code
    pull = [
        {
            "prefect.deployments.steps.git_clone": {
                "repository": "https://github.com/acme/flows.git",
                "access_token": f"{{{{ prefect.blocks.secret.{PAGE_BLOCK} }}}}",
            }
        }
    ]
    created = prefect_server.api(
        "POST",
        "/deployments/",
        json={
            "name": "dash-page-deploy",
            "flow_id": flow.json()["id"],
            "entrypoint": "flows/etl.py:etl",
            "pull_steps": pull,
        },
    )
    assert created.status_code in (200, 201), created.status_code
    project = tmp_path / "project"
    project.mkdir()
    (project / "prefect.yaml").write_text(
        "name: flows\ndeployments:\n"
        "- name: dash-page-file\n  entrypoint: flows/etl.py:etl\n  pull:\n"
        "  - prefect.deployments.steps.git_clone:\n"
        "      repository: https://github.com/acme/flows.git\n"
        f"      access_token: '{{{{ prefect.blocks.secret.{PAGE_BLOCK} }}}}'\n"
    )
    local = open_store(env={**os.environ, "PREFECT_API_URL": ""})
    local.save("secret", PAGE_LOCAL, {"value": SecretStr(secret)})
    store = open_store(prefect_server.api_url)

    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.commands import app_commands
        from flowwiz.wizard.dashboard.screens import ConfirmDeleteScreen

        from tests.test_dashboard_page import palette, select

        await select(app, pilot, f"secret/{PAGE_BLOCK}")
        assert text_of(app, "#block-usage") == (
            "Used by 2 deployments\n"
            "• dash-page-file (prefect.yaml)\n"
            "• dash-page-flow/dash-page-deploy (server)"
        )
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDeleteScreen)
        assert "• dash-page-flow/dash-page-deploy (server)" in str(
            app.screen.query_one("#delete-used").render()
        )
        await pilot.press("n")
        await settle(pilot)
        titles = [c.title for c in app_commands(app)]
        assert "Switch store: local" in titles and "Push block to server" not in titles
        assert (await palette(pilot, "switch"))[0] == "Switch store: local"
        await pilot.press("enter")
        await settle(pilot)
        assert app.store.kind == "local"
        assert [r[1] for r in table_rows(app)] == [PAGE_LOCAL]
        assert (await palette(pilot, "push"))[0] == "Push block to server"
        await pilot.press("enter")
        await settle(pilot)
        assert_not_leaked(secret, texts=screen_texts(app))

    session = drive(store, project, scenario)
    assert f"Pushed secret/{PAGE_LOCAL} to {prefect_server.api_url}" in session.notes()
    assert session.notes("error") == []
    # Prefect reads the pushed block back with its value
    pushed = prefect_server.read_block_document("secret", PAGE_LOCAL)
    assert pushed is not None and pushed["data"]["value"] == secret
    assert_not_leaked(secret, texts=session.notes())
