"""`flowwiz ui`: the block page (reference, code example, where it is used), the command
palette (ctrl+p) and the layout at 80x24, driven with Pilot over the real local store and a
real prefect.yaml (fixtures and helpers of tests/test_dashboard.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flowwiz.detectors.secret import SecretStr

from tests import test_dashboard as dashboard
from tests.leaks import assert_not_leaked, canary
from tests.test_dashboard import (
    check_snapshot,
    drive,
    frozen,
    screen_texts,
    seed,
    settle,
    table_rows,
    text_of,
)

# the fixtures of tests/test_dashboard.py: the real local store, a real prefect.yaml
store = dashboard.store
project = dashboard.project
snapshot_store = dashboard.snapshot_store


def screen_text(app: Any) -> str:
    """The screen as plain text, line by line (what a person reads)."""
    strips = app.screen._compositor.render_strips()  # noqa: SLF001
    return "\n".join(strip.text.rstrip() for strip in strips)


async def select(app: Any, pilot: Any, slug: str) -> None:
    table = app.query_one("#blocks-table")
    table.move_cursor(row=table.get_row_index(slug), animate=False)
    await settle(pilot)


# ---------------------------------------------------------------------------------------------
# the block page


def test_block_page_reference_example_and_where_used(store: Any, project: Path) -> None:
    secret = canary()
    seed(store, secret)

    async def scenario(app: Any, pilot: Any) -> None:
        await select(app, pilot, "secret/github-token")
        assert text_of(app, "#block-reference") == (
            "Reference {{ prefect.blocks.secret.github-token }}  c copies it"
        )
        # the file's top-level pull step names it: etl-nightly runs that step; report has its own
        assert text_of(app, "#block-usage") == (
            "Used by 1 deployment\n• etl-nightly (prefect.yaml)"
        )
        assert text_of(app, "#block-example") == (
            "Load it in a flow\n"
            "from prefect.blocks.system import Secret\n"
            'secret = Secret.load("github-token")\n'
            "secret.get()"
        )
        await select(app, pilot, "aws-credentials/aws-prod")
        assert text_of(app, "#block-usage") == "Used by no deployment"
        assert text_of(app, "#block-example").splitlines()[1:3] == [
            "from prefect_aws import AwsCredentials",
            'creds = AwsCredentials.load("aws-prod")',
        ]
        # prefect.yaml changes: r reads it again, and the page follows
        (project / "prefect.yaml").write_text(
            (project / "prefect.yaml")
            .read_text()
            .replace(
                "prefect.blocks.secret.report-token", "prefect.blocks.aws-credentials.aws-prod"
            )
        )
        await pilot.press("r")
        await settle(pilot)
        assert text_of(app, "#block-usage") == "Used by 1 deployment\n• report (prefect.yaml)"
        # Enter: the page gets the room (the example in full), Enter again gives it back
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("#blocks-view").has_class("-page")
        assert "creds.get_boto3_session()" in screen_text(app)
        await pilot.press("enter")  # the page has the keys now: Enter gives them back
        await settle(pilot)
        assert not app.query_one("#blocks-view").has_class("-page")
        assert_not_leaked(secret, texts=screen_texts(app))

    drive(store, project, scenario)


def test_delete_of_a_block_in_use_lists_its_deployments(store: Any, project: Path) -> None:
    seed(store)
    (project / "prefect.yaml").write_text(
        (project / "prefect.yaml").read_text().replace("report-token", "github-token")
    )

    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.screens import ConfirmDeleteScreen

        await select(app, pilot, "secret/github-token")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDeleteScreen)
        warning = str(app.screen.query_one("#delete-used").render())
        assert warning == (
            "Used by 2 deployments; their runs will fail without it:\n"
            "• etl-nightly (prefect.yaml)\n"
            "• report (prefect.yaml)"
        )
        await pilot.press("n")
        await settle(pilot)
        # a block no deployment uses: no list
        await select(app, pilot, "aws-credentials/aws-prod")
        await pilot.press("d")
        await settle(pilot)
        assert not app.screen.query("#delete-used")
        await pilot.press("y")
        await settle(pilot)

    drive(store, project, scenario)
    assert store.exists("secret", "github-token")
    assert not store.exists("aws-credentials", "aws-prod")


def test_code_example_for_every_kind_of_type() -> None:
    from flowwiz.wizard.dashboard.examples import code_example

    assert code_example("github-credentials", "gh") == (
        "from prefect_github import GitHubCredentials\n"
        'creds = GitHubCredentials.load("gh")\n'
        "creds.token.get_secret_value()"
    )
    assert code_example("s3-bucket", "data").splitlines()[:2] == [
        "from prefect_aws import S3Bucket",
        'bucket = S3Bucket.load("data")',
    ]
    # a type the table does not know: Prefect's base class loads "type/name"
    assert code_example("my-custom-block", 'odd"name') == (
        "from prefect.blocks.core import Block\n"
        'block = Block.load("my-custom-block/odd\\"name")'
    )


# ---------------------------------------------------------------------------------------------
# the command palette


async def palette(pilot: Any, query: str) -> list[str]:
    """Open ctrl+p, type query; the commands it lists (their titles)."""
    from textual.command import CommandList, CommandPalette

    app = pilot.app
    await pilot.press("ctrl+p")
    await settle(pilot)
    assert isinstance(app.screen, CommandPalette)
    await pilot.press(*query)
    await settle(pilot, 0.3)
    found = app.screen.query_one(CommandList)
    return [str(found.get_option_at_index(i).prompt).split("\n")[0]
            for i in range(found.option_count)]


def test_palette_runs_the_apps_commands(store: Any, project: Path) -> None:
    seed(store)

    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.commands import app_commands
        from textual.screen import ModalScreen

        titles = [c.title for c in app_commands(app)]
        assert titles == [
            "New block",
            "Edit block",
            "Copy reference",
            "Delete block",
            "Filter blocks",
            "Block page",
            "Refresh",
            "Show blocks",
            "Show deployments",
            "Help",
        ]  # no server: no push, no switch
        await select(app, pilot, "secret/github-token")
        assert (await palette(pilot, "copy ref"))[0] == "Copy reference"
        await pilot.press("enter")
        await settle(pilot)
        assert app.clipboard == "{{ prefect.blocks.secret.github-token }}"
        assert (await palette(pilot, "show dep"))[0] == "Show deployments"
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("TabbedContent").active == "deployments"
        await palette(pilot, "show blocks")
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("TabbedContent").active == "blocks"
        await palette(pilot, "new block")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ModalScreen)  # the create form
        await pilot.press("escape")
        await settle(pilot)
        assert (await palette(pilot, "edit block"))[0] == "Edit block"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.editing and app.screen.initial_name == "github-token"  # the edit form
        await pilot.press("escape")
        await settle(pilot)
        await palette(pilot, "help")
        await pilot.press("enter")
        await settle(pilot)
        from flowwiz.wizard.dashboard.screens import HelpScreen

        assert isinstance(app.screen, HelpScreen)

    session = drive(store, project, scenario)
    assert "Copied {{ prefect.blocks.secret.github-token }}" in session.notes()


def test_palette_offers_push_and_switch_with_a_server(store: Any, project: Path) -> None:
    """A server configured beside the local store: push and switch are offered (the server
    test runs them); nothing is contacted to list them."""
    from flowwiz.wizard.dashboard.app import FlowwizApp
    from flowwiz.wizard.dashboard.commands import app_commands

    app = FlowwizApp(store, project, server_url="http://127.0.0.1:9/api")
    titles = [c.title for c in app_commands(app)]
    assert titles[1] == "Push block to server"
    assert "Switch store: server" in titles


# ---------------------------------------------------------------------------------------------
# 80x24


def many(store: Any) -> None:
    seed(store)
    for i in range(9):
        store.save("secret", f"team-{i}-token", {"value": SecretStr(f"value-{i}-abcdef")})


def drive_at(store: Any, project: Path, size: tuple[int, int], scenario: Any) -> Any:
    from tests import test_dashboard

    previous = test_dashboard.SIZE
    test_dashboard.SIZE = size
    try:
        return drive(store, project, scenario)
    finally:
        test_dashboard.SIZE = previous


def test_usable_at_80x24(store: Any, project: Path) -> None:
    many(store)

    async def scenario(app: Any, pilot: Any) -> None:
        await select(app, pilot, "aws-credentials/aws-prod")
        text = screen_text(app)
        lines = text.splitlines()
        assert len(lines) == 24 and max(map(len, lines)) <= 80
        # several rows of the table
        names = [r[1] for r in table_rows(app)]
        shown = [name for name in names if re.search(rf"\s{name}\s", text)]
        assert len(shown) >= 6, text
        # the selected block's key facts: what it is, its reference, its first fields
        assert "aws-credentials/aws-prod · AWS Credentials" in text
        assert "Reference {{ prefect.blocks.aws-credentials.aws-prod }}" in text
        assert re.search(r"aws_access_key_id\s+AKIAEXAMPLE", text)
        # the footer: every key it lists is whole, the palette's too
        footer = lines[-1]
        for key in ("/ Filter", "d Delete", "c Copy ref", "q Quit", "? Help", "r Refresh"):
            assert key in footer, footer
        assert "^p palette" in footer
        # e (edit) is not in the footer: with it "r Refresh" is cut at 80 columns; the
        # palette, ? help and `flowwiz ui --help` list it
        assert "e Edit" not in footer
        # Enter: the block page, with where it is used and the code, a few rows still above
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is app.query_one("#block-detail")  # the arrows scroll the page
        await pilot.press("pagedown")
        await settle(pilot)
        text = screen_text(app)
        assert "Used by no deployment" in text and "creds.get_boto3_session()" in text
        assert "│ aws-credentials     aws-prod" in text  # the row stays in view above
        await pilot.press("escape")
        await settle(pilot)
        assert app.focused is app.query_one("#blocks-table")
        assert not app.query_one("#blocks-view").has_class("-page")

    drive_at(store, project, (80, 24), scenario)


# ---------------------------------------------------------------------------------------------
# snapshots


@pytest.mark.parametrize(
    ("name", "size", "keys"),
    [
        ("block_page", (120, 36), ("end",)),
        ("blocks_80x24", (80, 24), ("end",)),
    ],
)
def test_snapshot_block_page(
    snapshot_store: Any, project: Path, name: str, size: tuple[int, int], keys: tuple[str, ...]
) -> None:
    async def scenario(app: Any, pilot: Any) -> None:
        await pilot.press(*keys)
        await settle(pilot, 0.3)
        await frozen(pilot)
        check_snapshot(name, app.export_screenshot())

    drive_at(snapshot_store, project, size, scenario)


# ---------------------------------------------------------------------------------------------
# the data behind them, without the UI


def test_where_used_reads_every_source() -> None:
    from flowwiz.wizard.dashboard.data import BlockRef, DeploymentRow, Usage, where_used

    def row(name: str, source: Any, *refs: BlockRef) -> DeploymentRow:
        return DeploymentRow(name, "f.py:f", "pool", "default", "none", "none", refs, source)

    token, other = BlockRef("secret", "token"), BlockRef("secret", "other")
    rows = [
        row("a", "file", token),
        row("flow/b", "server", other, token),
        row("flow/c", "both", token),
        row("d", "file", other),
        row("e", "file", BlockRef("github-credentials", "token")),  # same name, other type
    ]
    assert where_used("secret", "token", rows) == (
        Usage("a", "file"),
        Usage("flow/b", "server"),
        Usage("flow/c", "both"),
    )
    assert [u.where for u in where_used("secret", "token", rows)] == [
        "prefect.yaml",
        "server",
        "prefect.yaml, server",
    ]
    assert where_used("secret", "nobody", rows) == ()


def test_matching_indices_agree_with_the_plain_filter() -> None:
    """The precomputed filter finds exactly what 'every word in type/name summary' finds."""
    from flowwiz.wizard.dashboard.data import catalog_of
    from flowwiz.writers.blocks.model import Block

    blocks = []
    for i in range(300):
        if i % 3 == 0:
            blocks.append(Block("secret", f"etl-{i}-token", {"value": SecretStr("x" * 9)}))
        elif i % 3 == 1:
            blocks.append(
                Block("gitlab-credentials", f"gl-{i}", {"url": f"https://gl{i % 7}.example.com"})
            )
        else:
            blocks.append(Block("aws-credentials", f"aws-{i}", {"aws_access_key_id": f"AK{i}"}))
    catalog = catalog_of(blocks)
    assert catalog.spans["aws-credentials"] == (0, 100)
    for query in ("", "e", "etl-1", "ETL 2", "gl3 example", "1 2", "nothing-like-it", "  "):
        for kind in (None, "secret", "gitlab-credentials", "github-credentials"):
            words = query.lower().split()
            expected = [
                row
                for row in catalog.rows
                if (kind is None or row.block.type == kind)
                and all(word in row.haystack for word in words)
            ]
            assert catalog.matching(query, kind) == expected, (query, kind)


def test_ui_local_with_a_server_configured_in_a_real_terminal(
    file_keyring: Path, project: Path, tmp_path: Path
) -> None:
    """`flowwiz ui --local` in a pty at 80x24 with PREFECT_API_URL set: the local catalog is
    shown (the server is not contacted to draw it), and ctrl+p offers to push to that server."""
    import os
    import subprocess
    import sys
    import time

    import pexpect

    from tests.conftest import FLOWWIZ
    from tests.test_dashboard import closed_port

    subprocess.run(
        [
            sys.executable,
            "-c",
            "from flowwiz.detectors.secret import SecretStr; "
            "from flowwiz.writers.blocks import open_store; "
            "open_store(on_warning=print).save('secret', 'github-token', "
            "{'value': SecretStr('pty-token-value-2')})",
        ],
        check=True,
        capture_output=True,
        timeout=60,
        env={**os.environ, "PREFECT_API_URL": ""},
    )
    url = f"http://127.0.0.1:{closed_port()}/api"
    child = pexpect.spawn(
        FLOWWIZ,
        ["ui", "--local"],
        cwd=str(project),
        env={**os.environ, "COLUMNS": "80", "LINES": "24", "PREFECT_API_URL": url},
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=30,
    )
    try:
        child.expect("github-token")
        child.send("\x10")  # ctrl+p
        child.send("push")
        child.expect("block to server")
        child.send("\x1b")
        time.sleep(0.5)  # apart from the escape, q would read as alt+q
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert "pty-token-value-2" not in (child.before or "")


def test_ui_help_lists_the_block_keys() -> None:
    import subprocess

    from tests.conftest import FLOWWIZ

    result = subprocess.run([FLOWWIZ, "ui", "--help"], capture_output=True, text=True, timeout=60)
    text = " ".join(result.stdout.split())
    assert "n new block: choose a type, e edit the block, d delete" in text
    assert "new secret" not in text
