"""`flowwiz ui`: the Textual dashboard driven with Pilot over the real local block store.

Each test runs the app in process (`App.run_test`) against the real local store (SQLite
catalog in FLOWWIZ_HOME, secrets in the in-memory keyring) and a real prefect.yaml; the
"store unreachable" case uses the real Prefect backend pointed at a closed loopback port.
pytest-asyncio is not a dependency: each test runs its coroutine with asyncio.run.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from flowwiz.detectors.secret import MASK, SecretStr
from tests.conftest import FLOWWIZ
from tests.leaks import assert_not_leaked, canary

SIZE = (120, 36)
SNAPSHOTS = Path(__file__).parent / "snapshots"

GOOD_AND_BROKEN = """\
name: flows
pull:
- prefect.deployments.steps.git_clone:
    repository: https://github.com/acme/flows.git
    branch: main
    access_token: '{{ prefect.blocks.secret.github-token }}'
deployments:
- name: etl-nightly
  entrypoint: flows/etl.py:etl
  work_pool:
    name: prod
    work_queue_name: null
  schedules:
  - cron: 0 3 * * *
    timezone: UTC
- name: report
  entrypoint: flows/report.py:report
  work_pool:
    name: prod
    work_queue_name: reports
  schedules:
  - interval: 3600
  pull:
  - prefect.deployments.steps.git_clone:
      repository: https://github.com/acme/flows.git
      branch: dev
      access_token: '{{ prefect.blocks.secret.report-token }}'
"""


# ---------------------------------------------------------------------------------------------
# helpers


def run(coro: Awaitable[None]) -> None:
    asyncio.run(coro)


@pytest.fixture
def store(memory_keyring: Any) -> Any:
    from flowwiz.writers.blocks import open_store

    return open_store()


@pytest.fixture
def project(isolated_env: Path) -> Path:
    root = isolated_env / "project"  # under HOME: shown as ~/project/prefect.yaml
    root.mkdir()
    (root / "prefect.yaml").write_text(GOOD_AND_BROKEN)
    write_flows(root)
    return root


def write_flows(root: Path) -> None:
    """The flows GOOD_AND_BROKEN's entrypoints name (a gone one is flagged)."""
    (root / "flows").mkdir()
    for name in ("etl", "report"):
        (root / "flows" / f"{name}.py").write_text(
            f"from prefect import flow\n\n\n@flow\ndef {name}():\n    pass\n"
        )


def seed(store: Any, secret_value: str = "not-a-real-token-123") -> None:
    store.save("secret", "github-token", {"value": SecretStr(secret_value)})
    store.save(
        "gitlab-credentials",
        "gitlab-ci",
        {"token": SecretStr(secret_value + "-gl"), "url": "https://gitlab.example.com"},
    )
    store.save(
        "aws-credentials",
        "aws-prod",
        {
            "aws_access_key_id": "AKIAEXAMPLE",
            "aws_secret_access_key": SecretStr(secret_value + "-aws"),
        },
    )


class Session:
    """The running app, its pilot and every notification it raised."""

    def __init__(self) -> None:
        self.notifications: list[object] = []

    def hook(self, message: object) -> None:
        from textual.notifications import Notify

        if isinstance(message, Notify):
            self.notifications.append(message.notification)

    def notes(self, severity: str | None = None) -> list[str]:
        return [n.message for n in self.notifications if severity is None or n.severity == severity]


def drive(store: Any, project: Path, scenario: Callable[..., Awaitable[None]]) -> Session:
    from flowwiz.wizard.dashboard.app import FlowwizApp

    session = Session()

    async def main() -> None:
        app = FlowwizApp(store, project)
        async with app.run_test(size=SIZE, message_hook=session.hook) as pilot:
            await settle(pilot)
            await scenario(app, pilot)

    run(main())
    return session


async def settle(pilot: Any, delay: float = 0.0) -> None:
    """Let workers finish, debounce timers fire and the screen repaint."""
    app = pilot.app
    await pilot.pause(delay)
    await app.workers.wait_for_complete()
    await pilot.pause()


def screen_texts(app: Any) -> list[str]:
    """What a person could see: the SVG screenshot, and every line each widget of every
    screen on the stack renders."""
    from textual.geometry import Region

    texts = [app.export_screenshot()]
    for screen in app.screen_stack:
        for widget in [screen, *screen.query("*")]:
            width, height = widget.size
            if width and height:
                strips = widget.render_lines(Region(0, 0, width, height))
                texts.append("\n".join(strip.text for strip in strips))
    return texts


def table_rows(app: Any, selector: str = "#blocks-table") -> list[list[str]]:
    table = app.query_one(selector)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def text_of(app: Any, selector: str) -> str:
    widget = app.query_one(selector)
    return str(widget.render())


# ---------------------------------------------------------------------------------------------
# blocks: list, detail, filter


def test_blocks_listed_with_counts_and_masked_detail(store: Any, project: Path) -> None:
    secret = canary()
    seed(store, secret)

    async def scenario(app: Any, pilot: Any) -> None:
        assert table_rows(app) == [
            ["aws-credentials", "aws-prod", "aws_access_key_id=AKIAEXAMPLE", rows_time(app, 0)],
            [
                "gitlab-credentials",
                "gitlab-ci",
                "url=https://gitlab.example.com",
                rows_time(app, 1),
            ],
            ["secret", "github-token", f"value: {MASK}", rows_time(app, 2)],
        ]
        assert "All" in text_of(app, "#count-all") and "3" in text_of(app, "#count-all")
        assert re.search(r"Secret\s+1$", text_of(app, "#count-secret"))
        assert re.search(r"GitHub\s+0$", text_of(app, "#count-github-credentials"))
        assert app.query_one("#type-github-credentials").has_class("empty")
        # the first row is highlighted: its detail shows every field, the secret masked
        fields = text_of(app, "#block-fields")
        assert re.search(r"aws_access_key_id\s+AKIAEXAMPLE", fields)
        assert re.search(rf"aws_secret_access_key\s+{re.escape(MASK)}", fields)
        assert "{{ prefect.blocks.aws-credentials.aws-prod }}" in text_of(app, "#block-reference")
        await pilot.press("down")
        await pilot.pause()
        fields = text_of(app, "#block-fields")
        assert re.search(rf"token\s+{re.escape(MASK)}", fields)
        assert re.search(r"url\s+https://gitlab.example.com", fields)
        assert app.query_one("#block-detail").border_title.startswith(
            "gitlab-credentials/gitlab-ci"
        )
        assert_not_leaked(secret, texts=screen_texts(app))

    session = drive(store, project, scenario)
    assert session.notes("error") == []


def rows_time(app: Any, index: int) -> str:
    """The Updated cell, checked for shape (the store stamps the real time)."""
    value = table_rows(app)[index][3]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", value)
    return value


def test_block_with_a_problem_is_shown_in_red(
    store: Any, project: Path, memory_keyring: Any
) -> None:
    seed(store)
    memory_keyring.entries.clear()  # values lost from the keyring

    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.widgets import CHECK_DELAY

        await pilot.press("end")
        # the listing reads no secret: the pane checks the block once the cursor rests on it
        await settle(pilot, CHECK_DELAY + 0.2)
        problem = app.query_one("#block-problem")
        assert problem.display and problem.has_class("problem")
        assert "secret field 'value' missing from the keyring" in str(problem.render())
        from textual.color import Color

        error = Color.parse(app.get_css_variables()["text-error"])
        assert problem.styles.color.hex == error.hex

    drive(store, project, scenario)


def test_filter_as_you_type_and_by_type(store: Any, project: Path) -> None:
    seed(store)
    for name in ("team-a-token", "team-b-token", "deploy-key"):
        store.save("secret", name, {"value": SecretStr("v-" + name)})

    async def scenario(app: Any, pilot: Any) -> None:
        assert len(table_rows(app)) == 6
        await pilot.press("slash")
        assert app.focused is app.query_one("#filter")
        await pilot.press(*"team")
        await settle(pilot, 0.3)
        assert [r[1] for r in table_rows(app)] == ["team-a-token", "team-b-token"]
        assert "secret/team-a-token" in app.query_one("#block-detail").border_title
        await pilot.press("space", "b")  # every word must match
        await settle(pilot, 0.3)
        assert [r[1] for r in table_rows(app)] == ["team-b-token"]
        await pilot.press("escape")
        assert app.focused is app.query_one("#blocks-table")
        for _ in range(6):
            await pilot.press("backspace")
        # backspace went to the table, not the filter: the filter is unchanged
        assert app.query_one("#filter").value == "team b"
        await pilot.press("slash", "ctrl+u")  # clear the box
        app.query_one("#filter").value = ""
        await settle(pilot, 0.3)
        assert len(table_rows(app)) == 6
        # the field summary is searched too
        app.query_one("#filter").value = "gitlab.example"
        await settle(pilot, 0.3)
        assert [r[1] for r in table_rows(app)] == ["gitlab-ci"]
        app.query_one("#filter").value = "no-such-thing"
        await settle(pilot, 0.3)
        assert table_rows(app) == []
        assert "No block matches" in text_of(app, "#block-fields")
        app.query_one("#filter").value = ""
        await settle(pilot, 0.3)
        # a click on a type in the sidebar narrows the table to it
        await pilot.click("#type-aws-credentials")
        await settle(pilot)
        assert [r[:2] for r in table_rows(app)] == [["aws-credentials", "aws-prod"]]
        await pilot.click("#type-all")
        await settle(pilot)
        assert len(table_rows(app)) == 6

    drive(store, project, scenario)


def test_rows_stream_in_chunks(store: Any, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large lists go into the table a chunk at a time (here 2 rows, to see it with 9 blocks):
    every row arrives, a new filter drops the chunks still pending, and a block created at
    the end of the list is highlighted once its chunk is in."""
    from flowwiz.wizard.dashboard import widgets

    monkeypatch.setattr(widgets, "FIRST_ROWS", 2)
    monkeypatch.setattr(widgets, "CHUNK_ROWS", 2)
    seed(store)
    for i in range(6):
        store.save("secret", f"token-{i}", {"value": SecretStr(f"value-{i}-abcdef")})

    async def scenario(app: Any, pilot: Any) -> None:
        names = [r[1] for r in table_rows(app)]
        assert names == ["aws-prod", "gitlab-ci", "github-token", *(f"token-{i}" for i in range(6))]
        view = app.query_one("#blocks-view")
        table = app.query_one("#blocks-table")
        app.query_one("#filter").value = "token"
        await settle(pilot, 0.3)
        view.query_one("#filter").value = "token-"
        view.apply_filter()  # replaces a list still streaming: no row of the old one stays
        assert table.row_count == 2 and not table.complete
        await settle(pilot, 0.3)
        assert [r[1] for r in table_rows(app)] == [f"token-{i}" for i in range(6)]
        await pilot.press("n", "enter", *"zz-token-last", "enter", *"last-value-1", "enter")
        await settle(pilot, 0.3)
        assert table.complete
        assert view.selected.slug == "secret/zz-token-last"

    drive(store, project, scenario)


# ---------------------------------------------------------------------------------------------
# create


def test_create_secret_block_value_never_on_screen(store: Any, project: Path) -> None:
    seed(store)
    secret = canary()

    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.block_form import BlockFormScreen as CreateSecretScreen

        await pilot.press("n", "enter")  # the catalog lists Secret first
        await pilot.pause()
        assert isinstance(app.screen, CreateSecretScreen)
        await pilot.press(*"ci-token", "enter")
        value_input = app.screen.query_one("#field-value")
        assert app.focused is value_input and value_input.password
        await pilot.press(*secret)
        await pilot.pause()
        typed = screen_texts(app)
        assert "•" * len(secret) in typed[0].replace("&#160;", " ")
        assert_not_leaked(secret, texts=typed)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, CreateSecretScreen)
        # the new block is listed and highlighted
        assert app.query_one("#blocks-view").selected.slug == "secret/ci-token"
        assert_not_leaked(secret, texts=screen_texts(app))

    session = drive(store, project, scenario)
    saved = store.get("secret", "ci-token", include_secrets=True)
    assert saved.data["value"] == SecretStr(secret)
    assert session.notes() == ["Saved secret/ci-token (c copies its reference)"]
    assert_not_leaked(
        secret, texts=session.notes(), roots=[project, Path(os.environ["FLOWWIZ_HOME"])]
    )


def test_create_rejects_a_bad_name_and_cancel_saves_nothing(store: Any, project: Path) -> None:
    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.block_form import BlockFormScreen as CreateSecretScreen

        await pilot.press("n", "enter", *"Bad_Name", "enter", *"some-value-1", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CreateSecretScreen)
        error = app.screen.query_one("#form-error")
        assert error.display
        assert str(error.render()).startswith("Name: use lowercase letters, digits and dashes")
        assert app.focused is app.screen.query_one("#name")
        # an empty value is refused too
        app.screen.query_one("#name").value = "good-name"
        app.screen.query_one("#field-value").value = ""
        await pilot.click("#create")
        await settle(pilot)
        assert str(error.render()) == "Value: enter the secret value"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CreateSecretScreen)

    session = drive(store, project, scenario)
    assert store.list() == []
    assert session.notes() == []


def test_create_existing_name_keeps_the_form_open(store: Any, project: Path) -> None:
    seed(store, "first-value-0001")
    secret = "second-value-7c1f"

    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.block_form import BlockFormScreen as CreateSecretScreen

        await pilot.press("n", "enter", *"github-token", "enter", *secret, "enter")
        await settle(pilot)
        assert isinstance(app.screen, CreateSecretScreen)
        error = str(app.screen.query_one("#form-error").render())
        assert "block secret/github-token already exists" in error
        assert not app.screen.query_one("#create").disabled
        assert_not_leaked(secret, texts=screen_texts(app))

    drive(store, project, scenario)
    kept = store.get("secret", "github-token", include_secrets=True)
    assert kept.data["value"] == SecretStr("first-value-0001")


# ---------------------------------------------------------------------------------------------
# delete, copy


def test_delete_asks_and_cancel_keeps_the_block(store: Any, project: Path) -> None:
    seed(store)

    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.screens import ConfirmDeleteScreen

        await pilot.press("end", "d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDeleteScreen)
        assert app.screen.slug == "secret/github-token"
        # prefect.yaml uses it: the dialog says which deployment would break
        assert [u.deployment for u in app.screen.used_by] == ["etl-nightly"]
        assert app.focused is app.screen.query_one("#cancel")
        await pilot.press("enter")  # Enter alone is Cancel
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press("d", "escape")
        await settle(pilot)
        assert len(table_rows(app)) == 3

    session = drive(store, project, scenario)
    assert store.exists("secret", "github-token")
    assert session.notes() == []


def test_delete_confirmed_removes_the_block(store: Any, project: Path) -> None:
    seed(store)

    async def scenario(app: Any, pilot: Any) -> None:
        await pilot.press("end", "d")
        await pilot.pause()
        await pilot.click("#delete")
        await settle(pilot)
        assert [r[1] for r in table_rows(app)] == ["aws-prod", "gitlab-ci"]
        # the deployment that used it is now flagged
        assert "secret/github-token" in app.query_one("#deployments-view").missing(
            app.query_one("#deployments-view").project.deployments[0]
        )
        await pilot.press("home", "d", "y")  # y confirms too
        await settle(pilot)
        assert [r[1] for r in table_rows(app)] == ["gitlab-ci"]

    session = drive(store, project, scenario)
    assert [b.slug for b in store.list()] == ["gitlab-credentials/gitlab-ci"]
    assert session.notes() == ["Deleted secret/github-token", "Deleted aws-credentials/aws-prod"]


def test_copy_reference(store: Any, project: Path) -> None:
    seed(store)

    async def scenario(app: Any, pilot: Any) -> None:
        await pilot.press("end", "c")
        await pilot.pause()
        assert app.clipboard == "{{ prefect.blocks.secret.github-token }}"

    session = drive(store, project, scenario)
    assert session.notes() == ["Copied {{ prefect.blocks.secret.github-token }}"]


def test_actions_on_an_empty_store_say_so(store: Any, project: Path) -> None:
    async def scenario(app: Any, pilot: Any) -> None:
        assert table_rows(app) == []
        assert "No blocks yet" in text_of(app, "#block-fields")
        await pilot.press("c", "d")
        await pilot.pause()

    session = drive(store, project, scenario)
    assert session.notes("warning") == ["No block selected.", "No block selected."]


# ---------------------------------------------------------------------------------------------
# deployments


def test_broken_reference_flagged_in_red(store: Any, project: Path) -> None:
    seed(store)

    async def scenario(app: Any, pilot: Any) -> None:
        await pilot.press("2")
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "deployments"
        summary = app.query_one("#deployments-summary")
        assert str(summary.render()) == (
            "2 deployments in ~/project/prefect.yaml · 1 references a block that does not exist"
        )
        assert summary.has_class("problem")
        rows = table_rows(app, "#deployments-table")
        assert [row[:4] + row[5:6] for row in rows] == [
            ["etl-nightly", "ok", "flows/etl.py:etl", "prod / default", "secret/github-token"],
            [
                "report",
                "no block",
                "flows/report.py:report",
                "prod / reports",
                "secret/report-token",
            ],
        ]
        # schedule and storage give way first: cut to the screen, whole in the detail pane
        assert rows[0][4].startswith("cron 0 3 * * *") and rows[1][4] == "every 1h"
        # storage is the last column: cut to the screen's width, whole in the detail pane
        assert all(row[6].startswith("git git") for row in rows)
        error = app.get_css_variables()["text-error"]
        table = app.query_one("#deployments-table")
        assert str(table.get_row_at(1)[0].style) == error  # the broken one is red
        assert str(table.get_row_at(0)[0].style) == ""
        # the first (fine) deployment: its block exists
        assert not app.query_one("#deployment-missing").display
        assert (
            str(app.query_one("#deployment-ok").render())
            == "✓ secret/github-token exists in the store"
        )
        await pilot.press("down")
        await pilot.pause()
        missing = app.query_one("#deployment-missing")
        assert missing.display and missing.has_class("problem")
        assert str(missing.render()) == (
            "✗ secret/report-token does not exist: runs will fail on the worker (Block not found)"
            "\n  → create it: flowwiz blocks create secret report-token"
            "\n  (n opens the form for the first missing block)"
        )
        assert "storage     git https://github.com/acme/flows.git @ dev" in text_of(
            app, "#deployment-fields"
        )
        # creating the block fixes it, and the view follows
        await pilot.press("1", "n", "enter", *"report-token", "enter", *"a-token-value", "enter")
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause()
        assert not summary.has_class("problem")
        assert not app.query_one("#deployment-missing").display

    drive(store, project, scenario)


def test_deployments_tab_built_when_first_clicked(store: Any, project: Path) -> None:
    """The deployments table is mounted only once its tab is shown (it slowed the first
    paint): a click on the tab builds it, already filled and checked."""

    async def scenario(app: Any, pilot: Any) -> None:
        assert not app.query("#deployments-table")
        await pilot.click("#--content-tab-deployments")
        await settle(pilot)
        assert app.query_one("TabbedContent").active == "deployments"
        assert [r[0] for r in table_rows(app, "#deployments-table")] == ["etl-nightly", "report"]
        assert app.query_one("#deployment-detail").border_title == "etl-nightly"

    drive(store, project, scenario)


def test_no_prefect_yaml(store: Any, tmp_path: Path) -> None:
    empty = tmp_path / "elsewhere"
    empty.mkdir()

    async def scenario(app: Any, pilot: Any) -> None:
        assert str(app.query_one("#deployments-summary").render()).startswith("No prefect.yaml at ")
        await pilot.press("2")  # the table is built when the tab is first shown
        await pilot.pause()
        assert table_rows(app, "#deployments-table") == []

    session = drive(store, empty, scenario)
    assert session.notes() == []


def test_malformed_prefect_yaml_is_a_notification(store: Any, project: Path) -> None:
    (project / "prefect.yaml").write_text("deployments:\n- name: a\n  entrypoint: [unclosed\n")
    seed(store)

    async def scenario(app: Any, pilot: Any) -> None:
        summary = app.query_one("#deployments-summary")
        assert str(summary.render()).startswith("prefect.yaml could not be read: prefect.yaml line")
        assert summary.has_class("problem")
        assert len(table_rows(app)) == 3  # the blocks are still there
        await pilot.press("r")  # still broken: told again
        await settle(pilot)

    session = drive(store, project, scenario)
    errors = session.notes("error")
    assert len(errors) == 2 and all(e.startswith("prefect.yaml line") for e in errors)


# ---------------------------------------------------------------------------------------------
# store errors


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_prefect_server_is_a_notification(project: Path) -> None:
    from flowwiz.writers.blocks import open_store

    url = f"http://127.0.0.1:{closed_port()}/api"
    server = open_store(api_url=url)
    assert server.kind == "prefect"

    async def scenario(app: Any, pilot: Any) -> None:
        assert app.sub_title == f"Prefect server {url} (given by --api-url)"
        assert table_rows(app) == []
        assert "The block store could not be read" in text_of(app, "#block-fields")
        assert re.search(r"All\s+\?$", text_of(app, "#count-all"))
        assert "references not checked" in str(app.query_one("#deployments-summary").render())
        await pilot.press("2")
        await pilot.pause()
        assert "(not checked" in str(app.query_one("#deployment-ok").render())
        assert not app.query_one("#deployment-missing").display
        await pilot.press("1", "n")
        await settle(pilot)  # the server's types cannot be read: the shipped ones are listed
        await pilot.press("enter", *"x-token", "enter", *"some-value-2", "enter")
        await settle(pilot)
        # the form says why it could not save, and stays open
        assert "127.0.0.1" in str(app.screen.query_one("#form-error").render())

    session = drive(server, project, scenario)
    errors = session.notes("error")
    assert len(errors) == 1 and f"127.0.0.1:{url.split(':')[2].split('/')[0]}" in errors[0]


# ---------------------------------------------------------------------------------------------
# help, quit, the command


def test_help_screen_and_quit(store: Any, project: Path) -> None:
    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.screens import HelpScreen

        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "copy the block" in app.export_screenshot().replace("&#160;", " ")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.pause()
        assert app._exit  # quit requested

    drive(store, project, scenario)


def test_ui_refuses_without_a_terminal(tmp_path: Path) -> None:
    result = subprocess.run(
        [FLOWWIZ, "ui"], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: flowwiz ui needs a terminal")


def test_ui_in_a_real_terminal(file_keyring: Path, project: Path) -> None:
    """The real console script in a pseudo-terminal: it draws the store's blocks and quits."""
    import pexpect

    # saved by another process, as a user's earlier `flowwiz deploy` would have
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from flowwiz.detectors.secret import SecretStr; from flowwiz.writers.blocks import open_store; "
            "open_store(on_warning=print).save('secret', 'github-token', "
            "{'value': SecretStr('pty-token-value-1')})",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    child = pexpect.spawn(
        FLOWWIZ,
        ["ui"],
        cwd=str(project),
        env={**os.environ, "COLUMNS": "120", "LINES": "36"},
        dimensions=(36, 120),
        encoding="utf-8",
        timeout=30,
    )
    try:
        child.expect("github-token")
        child.send("2")
        child.expect("secret/report-token")  # the deployments tab, its broken reference
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert "pty-token-value-1" not in (child.before or "")


# ---------------------------------------------------------------------------------------------
# snapshots: an in-house compare of export_screenshot() (FLOWWIZ_UPDATE_SNAPSHOTS=1 rewrites)


def normalise(svg: str) -> str:
    """Blank what changes run to run: block timestamps, and the ids Rich derives from them."""
    svg = re.sub(r"\d{4}-\d\d-\d\d(&#160;| )\d\d:\d\d", "2000-01-01 00:00", svg)
    return re.sub(r"terminal-\d+", "terminal-0", svg)


def check_snapshot(name: str, svg: str) -> None:
    path = SNAPSHOTS / f"{name}.svg"
    svg = normalise(svg)
    if os.environ.get("FLOWWIZ_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(svg, encoding="utf-8")
        if os.environ.get("FLOWWIZ_UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"snapshot {path.name} was missing and has been written: check it")
        return
    expected = path.read_text(encoding="utf-8")
    assert svg == expected, f"{name} differs from {path} (FLOWWIZ_UPDATE_SNAPSHOTS=1 updates)"


@pytest.fixture
def snapshot_store(
    memory_keyring: Any, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> object:
    # under HOME, so the header reads ~/.flowwiz/catalog.sqlite3 on every machine
    monkeypatch.setenv("FLOWWIZ_HOME", str(isolated_env / ".flowwiz"))
    # in colour: the snapshots also pin what is red
    monkeypatch.delenv("NO_COLOR")
    from flowwiz.writers.blocks import open_store

    store = open_store()
    seed(store)
    return store


async def frozen(pilot: Any) -> None:
    app = pilot.app
    for widget in app.screen.query("Input"):
        widget.cursor_blink = False
    await settle(pilot)


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("blocks", ()),
        ("blocks_filtered", ("slash", *"git")),
        ("deployments_broken", ("2", "down")),
        ("create_form", ("n", "enter", *"ci-token", "enter", *"hidden-value-1")),
        ("delete_confirm", ("end", "d")),
    ],
)
def test_snapshot(snapshot_store: Any, project: Path, name: str, keys: tuple[str, ...]) -> None:
    async def scenario(app: Any, pilot: Any) -> None:
        await pilot.press(*keys)
        await settle(pilot, 0.3)
        await frozen(pilot)
        check_snapshot(name, app.export_screenshot())

    drive(snapshot_store, project, scenario)


# ---------------------------------------------------------------------------------------------
# the data shaping, without the UI


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({}, "none"),
        ({"schedules": []}, "none"),
        ({"schedules": [{"cron": "0 3 * * *", "timezone": "UTC"}]}, "cron 0 3 * * * (UTC)"),
        (
            {"schedules": [{"interval": 86400}, {"interval": 90, "active": False}]},
            "every 1d; every 90s paused",
        ),
        ({"schedules": [{"rrule": "FREQ=DAILY"}]}, "rrule FREQ=DAILY"),
        ({"schedule": {"interval": 600}}, "every 10m"),
    ],
)
def test_schedule_summary(entry: dict[str, object], expected: str) -> None:
    from flowwiz.wizard.dashboard.data import schedule_summary

    assert schedule_summary(entry) == expected


@pytest.mark.parametrize(
    ("pull", "expected"),
    [
        (None, "none"),
        (
            [
                {
                    "prefect.deployments.steps.git_clone": {
                        "repository": "https://h/r.git",
                        "branch": "dev",
                    }
                }
            ],
            "git https://h/r.git @ dev",
        ),
        (
            [{"prefect.deployments.steps.git_clone": {"repository": "https://h/r.git"}}],
            "git https://h/r.git @ default branch",
        ),
        (
            [{"prefect.deployments.steps.set_working_directory": {"directory": "/srv/flows"}}],
            "dir /srv/flows",
        ),
        (
            [{"prefect_aws.deployments.steps.pull_from_s3": {"bucket": "b", "folder": "f"}}],
            "s3 b/f",
        ),
    ],
)
def test_storage_summary(pull: object, expected: str) -> None:
    from flowwiz.wizard.dashboard.data import storage_summary

    assert storage_summary(pull) == expected


def test_a_deployment_that_builds_an_image_shows_it() -> None:
    from flowwiz.wizard.dashboard.data import deployment_row

    entry = {
        "name": "etl",
        "build": [
            {
                "prefect_docker.deployments.steps.build_docker_image": {
                    "image_name": "ghcr.io/acme/flows",
                    "tag": "v3",
                }
            }
        ],
    }
    pull = [{"prefect.deployments.steps.set_working_directory": {"directory": "/opt/prefect/x"}}]
    row = deployment_row(entry, pull, ())
    assert row.storage == "image ghcr.io/acme/flows:v3, dir /opt/prefect/x"


def test_fit_columns_gives_way_in_order() -> None:
    from flowwiz.wizard.dashboard.widgets import fit_columns

    assert fit_columns([10, 20, 30], [5, 5, 5], 100) == [10, 20, 30]
    assert fit_columns([10, 20, 30], [5, 5, 5], 50) == [10, 20, 20]  # the widest first
    assert fit_columns([10, 20, 30], [5, 5, 12], 40, first=(2,)) == [10, 18, 12]
    assert fit_columns([10, 20, 30], [10, 20, 30], 10) == [10, 20, 30]  # scrolls instead


def test_catalog_filter_and_summaries() -> None:
    from flowwiz.wizard.dashboard.data import catalog_of
    from flowwiz.writers.blocks.model import Block

    catalog = catalog_of(
        [
            Block("secret", "b-token", {"value": None}, frozenset({"value"})),
            Block(
                "gitlab-credentials",
                "gl",
                {"token": None, "url": "https://gitlab.example.com"},
                frozenset({"token"}),
            ),
            Block("secret", "a-token", {"value": None}, frozenset({"value"})),
        ]
    )
    assert [r.key for r in catalog.rows] == [
        "gitlab-credentials/gl",
        "secret/a-token",
        "secret/b-token",
    ]
    assert catalog.counts["secret"] == 2 and catalog.counts["github-credentials"] == 0
    assert [r.summary for r in catalog.rows] == [
        "url=https://gitlab.example.com",
        f"value: {MASK}",
        f"value: {MASK}",
    ]
    assert [r.key for r in catalog.matching("TOKEN a-")] == ["secret/a-token"]
    assert [r.key for r in catalog.matching("", "gitlab-credentials")] == ["gitlab-credentials/gl"]
    assert [r.key for r in catalog.matching("example")] == ["gitlab-credentials/gl"]


def test_ui_is_listed_and_has_help() -> None:
    listing = subprocess.run([FLOWWIZ, "--help"], capture_output=True, text=True, timeout=60)
    assert re.search(r"^\s+ui\s+Full-screen dashboard", listing.stdout, re.MULTILINE)
    result = subprocess.run([FLOWWIZ, "ui", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--project DIRECTORY" in result.stdout and "--api-url URL" in result.stdout
