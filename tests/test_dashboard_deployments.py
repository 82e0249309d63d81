"""`flowwiz ui`, the Deployments tab on repositories as people have them: many deployments,
names that differ only at the end, entrypoints whose file or flow is gone, blocks missing,
kept only on this machine, work pools the server lacks, and the last run of each.

Pilot over the real local store (SQLite catalog, in-memory keyring) and real git
repositories; the server flags and the last run with the real Prefect 3.9.1 server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.gitutil import flow_repo, git, make_repo
from tests.prefect_harness import PrefectServer
from tests.leaks import assert_not_leaked, canary
from tests.test_dashboard import (
    Session,
    check_snapshot,
    frozen,
    run,
    screen_texts,
    settle,
    table_rows,
    text_of,
)

PLAIN_FLOW = "from prefect import flow\n\n\n@flow\ndef {name}():\n    pass\n"


def drive_at(store: Any, project: Path, scenario: Any, size: tuple[int, int]) -> Session:
    from flowwiz.wizard.dashboard.app import FlowwizApp

    session = Session()

    async def main() -> None:
        app = FlowwizApp(store, project)
        async with app.run_test(size=size, message_hook=session.hook) as pilot:
            await settle(pilot)
            await pilot.press("2")
            await settle(pilot)
            await scenario(app, pilot)

    run(main())
    return session


@pytest.fixture
def store(memory_keyring: Any, isolated_env: Path) -> Any:
    from flowwiz.writers.blocks import open_store

    return open_store()


def deployment(
    name: str, entrypoint: str, pool: str = "prod", block: str | None = None, cron: str = ""
) -> str:
    text = f"- name: {name}\n  entrypoint: {entrypoint}\n  work_pool:\n    name: {pool}\n"
    if cron:
        text += f"  schedules:\n  - cron: '{cron}'\n"
    if block:
        text += (
            "  pull:\n  - prefect.deployments.steps.git_clone:\n"
            "      repository: https://github.com/acme/flows.git\n"
            f"      access_token: '{{{{ prefect.blocks.secret.{block} }}}}'\n"
        )
    return text


def broken_repo(root: Path) -> Path:
    """A real git repository whose prefect.yaml names one good deployment and one per way an
    entrypoint breaks (its file deleted in a later commit, a function renamed, a helper that
    is no flow) and one whose block is missing."""
    repo = make_repo(
        root,
        {
            "flows/etl.py": PLAIN_FLOW.format(name="etl") + "\n\ndef helper():\n    pass\n",
            "flows/old.py": PLAIN_FLOW.format(name="old"),
        },
    )
    git(repo, "rm", "-q", "flows/old.py")
    git(repo, "commit", "-q", "-m", "old flow removed")
    (repo / "prefect.yaml").write_text(
        "deployments:\n"
        + deployment("good", "flows/etl.py:etl", block="present-token")
        + deployment("file-gone", "flows/old.py:old")
        + deployment("renamed", "flows/etl.py:extract")
        + deployment("not-a-flow", "flows/etl.py:helper")
        + deployment("block-gone", "flows/etl.py:etl", block="absent-token")
    )
    return repo


def widget_lines(app: Any, selector: str) -> list[str]:
    """A widget's lines as a person sees them."""
    from textual.geometry import Region

    widget = app.query_one(selector)
    width, height = widget.size
    return [strip.text for strip in widget.render_lines(Region(0, 0, width, height))]


def row_map(app: Any) -> dict[str, list[str]]:
    return {row[0]: row for row in table_rows(app, "#deployments-table")}


def test_each_flag_short_in_the_table_and_explained_in_the_detail(
    store: Any, tmp_path: Path
) -> None:
    from flowwiz.detectors.secret import SecretStr

    repo = broken_repo(tmp_path / "repo")
    store.save("secret", "present-token", {"value": SecretStr("present-value-1")})

    async def scenario(app: Any, pilot: Any) -> None:
        rows = row_map(app)
        assert {name: row[1] for name, row in rows.items()} == {
            "good": "ok",
            "file-gone": "no file",
            "renamed": "no flow",
            "not-a-flow": "no flow",
            "block-gone": "no block",
        }
        error = app.get_css_variables()["text-error"]
        table = app.query_one("#deployments-table")
        for i in range(table.row_count):
            name_cell = table.get_row_at(i)[0]
            assert (str(name_cell.style) == error) == (name_cell.plain != "good")
        summary = str(app.query_one("#deployments-summary").render())
        assert summary.endswith(
            "5 deployments in " + str(repo / "prefect.yaml")
            + " · 1 references a block that does not exist · 3 entrypoints are broken"
        ) or "1 references a block that does not exist · 3 entrypoints are broken" in summary
        view = app.query_one("#deployments-view")
        expected = {
            "file-gone": "✗ flows/old.py does not exist (moved or deleted?): runs will fail to "
            "load the flow\n  → fix the entrypoint, or restore flows/old.py",
            "renamed": "✗ flows/etl.py has no function extract (its flows: etl)"
            "\n  → fix the entrypoint's function name",
            "not-a-flow": "✗ helper in flows/etl.py is not a flow (no @flow decorator)"
            "\n  → fix the entrypoint's function name",
            "block-gone": "✗ secret/absent-token does not exist: runs will fail on the worker "
            "(Block not found)\n  → create it: flowwiz blocks create secret absent-token"
            "\n  (n opens the form for the first missing block)",
        }
        for name, text in expected.items():
            index = [d.name for d in view.rows].index(name)
            table.move_cursor(row=table.get_row_index(str(index)), animate=False)
            await pilot.pause()
            assert str(app.query_one("#deployment-detail").border_title) == name
            assert text_of(app, "#deployment-missing") == text, name
        table.move_cursor(row=table.get_row_index("0"), animate=False)
        await pilot.pause()
        assert not app.query_one("#deployment-missing").display
        assert text_of(app, "#deployment-ok") == "✓ secret/present-token exists in the store"

    drive_at(store, repo, scenario, (120, 36))


NAMES = [
    "customer-ingestion-pipeline/ingest-customers-daily--staging",
    "customer-ingestion-pipeline/ingest-customers-daily--prod",
    "customer-ingestion-pipeline/ingest-customers-hourly--staging",
    "customer-ingestion-pipeline/ingest-customers-hourly--prod",
]


def test_filter_sort_and_whole_names_at_80_columns(store: Any, tmp_path: Path) -> None:
    repo = flow_repo(tmp_path / "repo", {"flows/etl.py": ("etl", "etl")})
    entries = [
        deployment(name, "flows/etl.py:etl", pool=f"pool-{i % 2}", cron=f"{i} 3 * * *")
        for i, name in enumerate(NAMES)
    ]
    entries.append(deployment("zz-broken", "flows/gone.py:etl", pool="pool-x"))
    (repo / "prefect.yaml").write_text("deployments:\n" + "".join(entries))

    async def scenario(app: Any, pilot: Any) -> None:
        table = app.query_one("#deployments-table")
        names = [row[0] for row in table_rows(app, "#deployments-table")]
        # sorted by flow/name; every name whole, however narrow the screen
        assert names == sorted([*NAMES, "zz-broken"])
        assert table.columns[table.ordered_columns[0].key].width == len(NAMES[2])
        lines = widget_lines(app, "#deployments-table")
        # the rows on screen read whole: --prod and --staging do not look alike
        assert sum(any(name in line for line in lines) for name in NAMES) >= 3, lines
        assert any(f"│ {NAMES[1]}  " in line for line in lines), lines
        # filter as you type: only the prod ones
        await pilot.press("slash", *"prod")
        await settle(pilot, 0.3)
        assert [row[0] for row in table_rows(app, "#deployments-table")] == sorted(
            n for n in NAMES if n.endswith("--prod")
        )
        summary = str(app.query_one("#deployments-summary").render())
        assert "· 2 shown" in summary
        # the filter reads problems and pools too
        await pilot.press(*["backspace"] * 4, *"no file", "enter")
        await settle(pilot, 0.3)
        assert [row[0] for row in table_rows(app, "#deployments-table")] == ["zz-broken"]
        assert app.focused is table
        await pilot.press("slash", *["backspace"] * 7, "escape")
        await settle(pilot, 0.3)
        assert table.row_count == 5
        # a click on a header sorts by it (problems: the broken one on top); again reverses
        problems_x = 1 + len(NAMES[2]) + 2 + 2
        await pilot.click("#deployments-table", offset=(problems_x, 1))
        await pilot.pause()
        view = app.query_one("#deployments-view")
        assert (view.sort_key, view.sort_reverse) == ("problems", False)
        assert table_rows(app, "#deployments-table")[0][0] == "zz-broken"
        assert "sorted by problems" in str(app.query_one("#deployments-summary").render())
        assert table.ordered_columns[1].label.plain == "Problems ▲"
        await pilot.click("#deployments-table", offset=(problems_x, 1))
        await pilot.pause()
        assert (view.sort_key, view.sort_reverse) == ("problems", True)
        assert table_rows(app, "#deployments-table")[-1][0] == "zz-broken"
        # s cycles on (without a server: no last run or source to sort by)
        await pilot.press("s")
        await pilot.pause()
        assert (view.sort_key, view.sort_reverse) == ("schedule", False)
        assert [row[0] for row in table_rows(app, "#deployments-table")] == [*NAMES, "zz-broken"]
        await pilot.press("s", "s")
        await pilot.pause()
        assert view.sort_key == "entrypoint"
        await pilot.press("s")
        await pilot.pause()
        assert view.sort_key == "name"

    drive_at(store, repo, scenario, (80, 24))


def test_n_on_a_missing_reference_opens_its_form_prefilled(store: Any, tmp_path: Path) -> None:
    repo = broken_repo(tmp_path / "repo")

    async def scenario(app: Any, pilot: Any) -> None:
        view = app.query_one("#deployments-view")
        table = app.query_one("#deployments-table")
        # on a deployment without a missing block: a note, no form
        table.move_cursor(row=table.get_row_index("1"), animate=False)
        await pilot.press("n")
        await pilot.pause()
        assert type(app.screen).__name__ != "BlockFormScreen"
        index = [d.name for d in view.rows].index("block-gone")
        table.move_cursor(row=table.get_row_index(str(index)), animate=False)
        await pilot.press("n")
        await pilot.pause()
        assert type(app.screen).__name__ == "BlockFormScreen"
        assert app.screen.spec.slug == "secret"
        assert app.screen.query_one("#name").value == "absent-token"
        assert app.screen.focused is app.screen.query_one("#field-value")
        await pilot.press(*secret)
        texts.extend(screen_texts(app))  # the form, the value typed in
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert row_map(app)["block-gone"][1] == "ok"
        texts.extend(screen_texts(app))

    secret = canary()
    texts: list[str] = []
    session = drive_at(store, repo, scenario, (120, 36))
    saved = store.get("secret", "absent-token", include_secrets=True)
    assert saved.data["value"].reveal() == secret
    assert "This deployment references no missing block." in session.notes()
    assert_not_leaked(secret, texts=[*texts, *map(str, session.notes())])


def test_many_deployments(store: Any, tmp_path: Path) -> None:
    """A repository the size of the largest public one (170 deployments over 131 flow
    files, some broken): every row listed with its flag; the load time is measured by
    benchmarks/dashboard_deployments.py."""
    from tests.deployment_repo import synthetic_repo

    from flowwiz.detectors.secret import SecretStr

    repo = synthetic_repo(tmp_path / "big", deployments=170, files=131)
    store.save("secret", "github-token", {"value": SecretStr("github-value-1")})

    async def scenario(app: Any, pilot: Any) -> None:
        rows = table_rows(app, "#deployments-table")
        assert len(rows) == 170
        broken = [row for row in rows if row[1] != "ok"]
        assert len(broken) == 170 // 17
        assert {row[1] for row in broken} == {"no file"}

    drive_at(store, repo, scenario, (120, 36))


def test_snapshot_of_the_flags(
    memory_keyring: Any, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowwiz.detectors.secret import SecretStr
    from flowwiz.writers.blocks import open_store

    monkeypatch.setenv("FLOWWIZ_HOME", str(isolated_env / ".flowwiz"))
    monkeypatch.delenv("NO_COLOR")
    store = open_store()
    store.save("secret", "present-token", {"value": SecretStr("present-value-1")})
    repo = broken_repo(isolated_env / "repo")

    async def scenario(app: Any, pilot: Any) -> None:
        await pilot.press("s", "down")
        await settle(pilot, 0.3)
        await frozen(pilot)
        check_snapshot("deployments_flags", app.export_screenshot())

    drive_at(store, repo, scenario, (100, 30))


# ---------------------------------------------------------------------------------------------
# with the real Prefect 3.9.1 server

POOL = "deps-tab-pool"


@pytest.mark.prefect
def test_server_flags_and_last_run(
    prefect_server: PrefectServer, memory_keyring: Any, isolated_env: Path
) -> None:
    """One file deployment uses a pool the server lacks, one a block kept only in this
    machine's local catalog, one is on the server and ran twice (the latest run failed)."""
    from flowwiz.detectors.secret import SecretStr
    from flowwiz.writers.blocks import open_store

    repo = flow_repo(isolated_env / "repo", {"flows/etl.py": ("etl", "deps-tab-flow")})
    (repo / "prefect.yaml").write_text(
        "deployments:\n"
        + deployment("deps-ran", "flows/etl.py:etl", pool=POOL)
        + deployment("deps-no-pool", "flows/etl.py:etl", pool="deps-never-created")
        + deployment("deps-local", "flows/etl.py:etl", pool=POOL, block="deps-local-token")
    )
    open_store(env={**os.environ, "PREFECT_API_URL": ""}).save(
        "secret", "deps-local-token", {"value": SecretStr("local-value-1")}
    )
    created = prefect_server.api("POST", "/work_pools/", json={"name": POOL, "type": "process"})
    assert created.status_code in (201, 409), created.text
    flow_id = prefect_server.api("POST", "/flows/", json={"name": "deps-tab-flow"}).json()["id"]
    made = prefect_server.api(
        "POST",
        "/deployments/",
        json={
            "name": "deps-ran",
            "flow_id": flow_id,
            "entrypoint": "flows/etl.py:etl",
            "work_pool_name": POOL,
        },
    )
    assert made.status_code in (200, 201), made.text
    deployment_id = made.json()["id"]
    for state in ("COMPLETED", "FAILED", "SCHEDULED"):  # the scheduled one is not a run yet
        run_made = prefect_server.api(
            "POST",
            f"/deployments/{deployment_id}/create_flow_run",
            json={"state": {"type": state, "name": state.title()}},
        )
        assert run_made.status_code in (200, 201), run_made.text
    store = open_store(prefect_server.api_url)

    async def scenario(app: Any, pilot: Any) -> None:
        rows = row_map(app)
        titles = [c.label.plain for c in app.query_one("#deployments-table").ordered_columns]
        assert titles[:4] == ["Deployment ▲", "Problems", "Last run", "Source"]
        ran = rows["deps-tab-flow/deps-ran"]
        assert ran[1] == "ok" and ran[2].startswith("Failed ") and ran[3] == "both"
        assert rows["deps-no-pool"][1] == "no pool" and rows["deps-no-pool"][2] == "—"
        assert rows["deps-local"][1] == "local block"
        view = app.query_one("#deployments-view")
        table = app.query_one("#deployments-table")
        index = [d.name for d in view.rows].index("deps-local")
        table.move_cursor(row=table.get_row_index(str(index)), animate=False)
        await pilot.pause()
        assert text_of(app, "#deployment-missing") == (
            "✗ secret/deps-local-token is only in this machine's local catalog: runs read the"
            " server, where it is missing\n  → flowwiz blocks push secret/deps-local-token"
            "\n  (n opens the form for the first missing block)"
        )
        index = [d.name for d in view.rows].index("deps-no-pool")
        table.move_cursor(row=table.get_row_index(str(index)), animate=False)
        await pilot.pause()
        assert text_of(app, "#deployment-missing") == (
            "✗ work pool deps-never-created is missing on the server: no worker will pick the"
            " runs up\n  → prefect work-pool create deps-never-created --type process"
        )
        index = [d.name for d in view.rows].index("deps-tab-flow/deps-ran")
        table.move_cursor(row=table.get_row_index(str(index)), animate=False)
        await pilot.pause()
        assert "last run    Failed " in text_of(app, "#deployment-fields")
        assert " (UTC)" in text_of(app, "#deployment-fields")

    session = drive_at(store, repo, scenario, (160, 40))
    assert session.notes("error") == [] and session.notes("warning") == []


def test_prefect_yaml_of_every_pipeline_folder(store: Any, tmp_path: Path) -> None:
    """A repository of examples keeps a prefect.yaml per pipeline folder (deployed from that
    folder, entrypoints relative to it): all are listed, marked by folder; a virtualenv's, an
    ignored folder's and a hidden folder's are not; a malformed one is said."""
    pipeline = "deployments:\n" + deployment("daily", "flow.py:etl", pool="pool-x")
    repo = make_repo(
        tmp_path / "repo",
        {
            ".gitignore": "build/\n",
            "pipelines/alpha/flow.py": PLAIN_FLOW.format(name="etl"),
            "pipelines/alpha/prefect.yaml": pipeline,
            "pipelines/beta/prefect.yaml": pipeline,  # its flow.py is missing
            "pipelines/gamma/prefect.yaml": "deployments: [unclosed\n",
            "build/prefect.yaml": pipeline,
            ".hidden/prefect.yaml": pipeline,
            "venv/pyvenv.cfg": "home = /usr\n",
            "venv/lib/prefect.yaml": pipeline,
        },
    )

    async def scenario(app: Any, pilot: Any) -> None:
        # the name alone in its column (long folder names took every column's width); the
        # folder is in the entrypoint's path from the project root
        rows = table_rows(app, "#deployments-table")
        assert sorted((row[0], row[1], row[2]) for row in rows) == [
            ("daily", "no file", "pipelines/beta/flow.py:etl"),
            ("daily", "ok", "pipelines/alpha/flow.py:etl"),
        ]
        summary = str(app.query_one("#deployments-summary").render())
        assert summary.startswith(
            f"No prefect.yaml at {repo / 'prefect.yaml'} · 2 deployments in 2 prefect.yaml"
            " files of folders below · pipelines/gamma/prefect.yaml could not be read: "
        ), summary
        table = app.query_one("#deployments-table")
        view = app.query_one("#deployments-view")
        index = [d.shown_name for d in view.rows].index("pipelines/beta: daily")
        table.move_cursor(row=table.get_row_index(str(index)), animate=False)
        await pilot.pause()
        assert "file        pipelines/beta/prefect.yaml" in text_of(app, "#deployment-fields")
        assert text_of(app, "#deployment-missing").startswith("✗ flow.py does not exist")

    drive_at(store, repo, scenario, (120, 36))


# ---------------------------------------------------------------------------------------------
# the entrypoint checks, judged by Prefect

JOBS = '''\
from prefect import flow


class Jobs:
    @staticmethod
    @flow
    def run():
        pass

    def helper(self):
        pass


def plain():
    pass


assigned = flow(plain)

if True:
    @flow
    def conditional():
        pass
'''

# entrypoint -> what the checker says (None: fine or not known, else the problem's kind)
VERDICTS: dict[str, str | None] = {
    "flows/etl.py:etl": None,
    "flows/etl.py:extract": "entrypoint-flow",  # renamed
    "flows/etl.py:helper": "entrypoint-flow",  # a plain function
    "flows/old.py:old": "entrypoint-file",  # deleted
    "flows/broken.py:etl": "entrypoint-parse",  # a syntax error
    "flows/jobs.py:Jobs.run": None,  # a static method flow
    "flows/jobs.py:Jobs.gone": "entrypoint-flow",
    "flows/jobs.py:assigned": None,  # flow(fn)
    "flows/jobs.py:conditional": None,  # defined under an if
    "flows/jobs.py:plain": "entrypoint-flow",
    "flows/etl.py": "entrypoint-invalid",
}


def entrypoint_repo(root: Path) -> Path:
    repo = broken_repo(root)
    (repo / "flows" / "jobs.py").write_text(JOBS)
    (repo / "flows" / "broken.py").write_text("from prefect import flow\n\n@flow\ndef etl(:\n")
    return repo


def test_entrypoint_checks_without_the_ui(tmp_path: Path) -> None:
    from flowwiz.detectors.deployment_checks import EntrypointChecker

    checker = EntrypointChecker(entrypoint_repo(tmp_path / "repo"))
    found = {}
    for entrypoint in VERDICTS:
        problem = checker.check(entrypoint)
        found[entrypoint] = problem.kind if problem else None
    assert found == VERDICTS


@pytest.mark.prefect
def test_prefect_fails_to_load_every_entrypoint_flagged(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    """Prefect's own loader, as a worker's run calls it (flow_engine: use_placeholder_flow
    False), fails on each entrypoint the checker flags and loads each it passes."""
    import json

    repo = entrypoint_repo(tmp_path / "repo")
    code = (
        "import json, sys\n"
        "from prefect.flows import load_flow_from_entrypoint\n"
        "out = {}\n"
        f"for ep in {list(VERDICTS)!r}:\n"
        "    try:\n"
        "        load_flow_from_entrypoint(ep, use_placeholder_flow=False)\n"
        "        out[ep] = 'ok'\n"
        "    except BaseException as exc:\n"
        "        out[ep] = type(exc).__name__\n"
        "print(json.dumps(out))\n"
    )
    result = prefect_server.check_python(code, cwd=repo)
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert {ep: outcome == "ok" for ep, outcome in loaded.items()} == {
        ep: kind is None for ep, kind in VERDICTS.items()
    }, loaded
