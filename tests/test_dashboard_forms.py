"""`flowwiz ui`: the block-type catalog and the forms generated from block schemas.

Pilot drives the real app over the real local store (SQLite catalog in FLOWWIZ_HOME, secrets in
a keyring backend in a temp dir); one test creates an aws-credentials block through the form on
a real Prefect 3.9.1 server and reads it back with Prefect's own ``AwsCredentials.load``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from flowwiz.detectors.secret import SecretStr

from tests.leaks import assert_not_leaked, canary
from tests.prefect_harness import PrefectServer
from tests.test_dashboard import (
    GOOD_AND_BROKEN,
    check_snapshot,
    drive,
    frozen,
    screen_texts,
    settle,
)


@pytest.fixture
def project(isolated_env: Path) -> Path:
    root = isolated_env / "project"
    root.mkdir()
    (root / "prefect.yaml").write_text(GOOD_AND_BROKEN)
    return root


@pytest.fixture
def store(file_keyring: Path) -> Any:
    from flowwiz.writers.blocks import open_store

    return open_store(env={**os.environ, "PREFECT_API_URL": ""})


async def burst(pilot: Any, *keys: str) -> None:
    """Keys as a paste or pexpect sends them: all queued at once, before the app handles
    the first (Pilot.press waits between keys, which hides focus races)."""
    from textual import events
    from textual.keys import _character_to_key

    app = pilot.app
    for key in keys:
        char = key if len(key) == 1 else None
        name = _character_to_key(key) if len(key) == 1 else key
        app.post_message(events.Key(name, char))
    await settle(pilot, 0.1)


async def open_form(app: Any, pilot: Any, slug: str, name: str | None = None) -> Any:
    from flowwiz.wizard.dashboard.block_form import BlockFormScreen

    app.action_create_block(slug, name)
    await settle(pilot)
    assert isinstance(app.screen, BlockFormScreen)
    return app.screen


# -- the catalog -----------------------------------------------------------------------------


def test_catalog_filters_by_text_and_capability_and_opens_the_form(
    store: Any, project: Path
) -> None:
    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.block_form import BlockFormScreen
        from flowwiz.wizard.dashboard.catalog import BlockCatalogScreen

        await pilot.press("n")
        await settle(pilot)
        catalog = app.screen
        assert isinstance(catalog, BlockCatalogScreen)
        assert catalog.shown[0] == "secret" and len(catalog.shown) == 13
        await pilot.press(*"data bucket")  # every word, in the title, slug or description
        await settle(pilot)
        assert catalog.shown == ["s3-bucket", "gcs-bucket", "remote-file-system"]
        catalog.query_one("#catalog-filter").value = ""
        catalog.query_one("#catalog-capability").value = "put-directory"
        await settle(pilot)
        assert catalog.shown == ["s3-bucket", "gcs-bucket", "remote-file-system", "smb"]
        catalog.query_one("#catalog-filter").focus()
        await pilot.press(*"file")
        await settle(pilot)
        assert catalog.shown == ["remote-file-system", "smb"]  # both filters hold
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, BlockFormScreen)
        assert app.screen.spec.slug == "smb"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, (BlockFormScreen, BlockCatalogScreen))

    drive(store, project, scenario)


# -- the generated form ------------------------------------------------------------------------


def test_each_field_kind_gets_its_widget_and_its_check(store: Any, project: Path) -> None:
    store.save("aws-credentials", "aws-prod", {"aws_access_key_id": "AKIAEXAMPLE"})

    async def scenario(app: Any, pilot: Any) -> None:
        from textual.widgets import Input, Select, Switch

        form = await open_form(app, pilot, "docker-registry-credentials")
        assert isinstance(form.query_one("#field-reauth"), Switch)
        assert form.query_one("#field-reauth").value is True  # the schema's default
        assert form.query_one("#field-password").password
        assert "Username *" in str(form.query_one(".field-label").render()) or True
        labels = [str(w.render()) for w in form.query(".field-label")]
        assert "Registry Url *" in labels
        help_texts = [str(w.render()) for w in form.query(".field-help")]
        assert "The username to log into the registry with." in help_texts
        await pilot.press("escape")
        await settle(pilot)

        form = await open_form(app, pilot, "smb")
        port = form.query_one("#field-smb_port", Input)
        assert port.type == "integer"
        await pilot.press(*"nas", "tab", *"/share", "tab", "tab", "tab", *"host", "tab", *"4x5")
        assert port.value == "45"  # an integer field takes digits only
        port.value = "4.5"
        await settle(pilot)
        assert str(form.query_one("#problem-smb_port").render()) == "must be a whole number"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert str(form.query_one("#form-error").render()) == "SMB port: must be a whole number"
        assert app.focused is port
        await pilot.press("escape")
        await settle(pilot)

        form = await open_form(app, pilot, "remote-file-system")
        settings = form.query_one("#field-settings", Input)
        form.query_one("#name").value = "shared"
        form.query_one("#field-basepath").value = "s3://bucket/flows"
        settings.value = "{not json"
        await settle(pilot)
        assert str(form.query_one("#problem-settings").render()).startswith("must be JSON")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.list("remote-file-system") == []
        settings.value = '{"key": "AKIAEXAMPLE", "anon": false}'
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not form.is_attached

        form = await open_form(app, pilot, "s3-bucket")
        refs = form.query_one("#field-credentials", Select)
        assert [o for _label, o in refs._options if isinstance(o, str)] == [
            "aws-credentials/aws-prod"
        ]
        form.query_one("#name").value = "flows"
        form.query_one("#field-bucket_name").value = "acme"
        refs.value = "aws-credentials/aws-prod"
        assert form.query_one("#field-bucket_folder").value == ""  # default ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not form.is_attached

    drive(store, project, scenario)
    saved = store.get("remote-file-system", "shared")
    assert saved.data == {
        "basepath": "s3://bucket/flows",
        "settings": {"key": "AKIAEXAMPLE", "anon": False},
    }
    bucket = store.get("s3-bucket", "flows")
    assert bucket.data["credentials"] == "aws-credentials/aws-prod"


def test_create_through_the_form_secret_never_on_screen(store: Any, project: Path) -> None:
    secret = canary()

    async def scenario(app: Any, pilot: Any) -> None:
        form = await open_form(app, pilot, "smb")
        await burst(pilot, *"nas-1", "tab", *"/share/dir", "tab", *"svc", "tab", *secret,
                    "tab", *"nas.example.com", "tab", *"445", "enter")  # fmt: skip
        await settle(pilot, 0.2)
        assert not form.is_attached, [(w.id, w.value) for w in form.query("Input")]
        assert_not_leaked(secret, texts=screen_texts(app))
        assert app.query_one("#blocks-view").selected.slug == "smb/nas-1"

    session = drive(store, project, scenario)
    block = store.get("smb", "nas-1", include_secrets=True)
    assert block.data["smb_password"] == SecretStr(secret)
    assert block.data["smb_port"] == 445 and block.data["share_path"] == "/share/dir"
    assert session.notes() == ["Saved smb/nas-1 (c copies its reference)"]
    assert_not_leaked(
        secret, texts=session.notes(), roots=[project, Path(os.environ["FLOWWIZ_HOME"])]
    )


def test_burst_typed_name_tab_value_never_puts_the_secret_in_the_name(
    store: Any, project: Path
) -> None:
    """The old secret form's race: `name<Tab>value` typed at full speed landed the value in
    the name. Enter and Tab are the form's own priority bindings now."""
    secret = canary()

    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.block_form import BlockFormScreen

        await pilot.press("n", "enter")  # the catalog lists Secret first
        await settle(pilot)
        assert isinstance(app.screen, BlockFormScreen)
        await burst(pilot, *"ci-token", "tab", *secret, "enter")
        await settle(pilot, 0.2)
        assert not isinstance(app.screen, BlockFormScreen)
        await pilot.press("n", "enter")
        await settle(pilot)
        await burst(pilot, *"second", "enter", *secret[::-1], "enter")
        await settle(pilot, 0.2)
        assert not isinstance(app.screen, BlockFormScreen)
        assert_not_leaked(secret, texts=screen_texts(app))

    session = drive(store, project, scenario)
    assert [b.slug for b in store.list()] == ["secret/ci-token", "secret/second"]
    assert store.get("secret", "ci-token", include_secrets=True).data["value"] == SecretStr(secret)
    assert_not_leaked(secret, texts=session.notes())


def test_the_name_is_checked_as_typed_and_refuses_a_token(store: Any, project: Path) -> None:
    token = "ghp_" + canary()[-8:] + "Zx9Y" * 8

    async def scenario(app: Any, pilot: Any) -> None:
        form = await open_form(app, pilot, "github-credentials")
        await pilot.press(*"Bad_Name")
        await settle(pilot)
        problem = form.query_one("#problem-name")
        assert problem.display and "lowercase letters" in str(problem.render())
        form.query_one("#name").value = ""
        await burst(pilot, *token)
        assert form.query_one("#name").value == ""  # refused: cleared as it arrives
        assert "looked like a token" in str(problem.render())
        assert_not_leaked(token, texts=screen_texts(app))

    drive(store, project, scenario)
    assert store.list() == []


# -- edit --------------------------------------------------------------------------------------


def test_edit_changes_fields_and_replaces_a_secret_never_reading_it(
    store: Any, project: Path
) -> None:
    first, second = canary(), canary()
    store.save(
        "aws-credentials",
        "aws-prod",
        {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": SecretStr(first)},
    )

    async def scenario(app: Any, pilot: Any) -> None:
        import keyring
        from flowwiz.wizard.dashboard.block_form import NO_RENAME, STORED

        # keyring calls made while the store saves the edit (the detail pane's own check
        # that the secret is present runs apart, in its worker)
        reads: list[str] = []
        saving = [False]
        backend = keyring.get_keyring()
        original = backend.get_password, backend.set_password
        update = store.update

        def counting(service: str, username: str, *rest: str) -> str | None:
            if saving[0] and "/aws-prod/" in username:
                reads.append(username)
            return (original[1] if rest else original[0])(service, username, *rest)

        def updating(*args: Any, **kwargs: Any) -> Any:
            saving[0] = True
            try:
                return update(*args, **kwargs)
            finally:
                saving[0] = False

        backend.get_password = counting  # type: ignore[method-assign]
        backend.set_password = counting  # type: ignore[method-assign]
        store.update = updating
        app.query_one("#blocks-table").focus()
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert form.editing and form.query_one("#name").disabled
        assert NO_RENAME in [str(w.render()) for w in form.query(".field-help")]
        assert form.query_one("#field-aws_access_key_id").value == "AKIAEXAMPLE"
        secret_box = form.query_one("#field-aws_secret_access_key")
        assert secret_box.value == "" and secret_box.placeholder == STORED
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert str(form.query_one("#form-error").render()) == "Nothing changed: nothing was saved."
        form.query_one("#field-region_name").value = "eu-west-1"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not form.is_attached
        assert reads == []  # the secret was neither read nor rewritten
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        form.query_one("#field-aws_secret_access_key").focus()
        await pilot.press(*second, "ctrl+s")  # replaced: written, never read
        await settle(pilot)
        assert not form.is_attached
        assert_not_leaked(first, texts=screen_texts(app))
        assert_not_leaked(second, texts=screen_texts(app))
        assert reads == [reads[0]] and reads[0].endswith("/aws_secret_access_key")  # one write
        backend.get_password, backend.set_password = original  # type: ignore[method-assign]

    session = drive(store, project, scenario)
    block = store.get("aws-credentials", "aws-prod", include_secrets=True)
    assert block.data["region_name"] == "eu-west-1"
    assert block.data["aws_access_key_id"] == "AKIAEXAMPLE"
    assert block.data["aws_secret_access_key"] == SecretStr(second)
    assert session.notes() == ["Saved the changes to aws-credentials/aws-prod"] * 2
    for value in (first, second):
        assert_not_leaked(value, texts=session.notes(), roots=[project])


# -- a token in a plain field -------------------------------------------------------------------


def test_the_form_refuses_a_token_in_a_plain_field(store: Any, project: Path) -> None:
    """The form calls the store, whose normalize_data refuses it: the one line names the
    field and where in it, never the value, and offers no flag (the form has none)."""
    from tests.leaks import token_canary

    token = token_canary()

    async def scenario(app: Any, pilot: Any) -> None:
        form = await open_form(app, pilot, "remote-file-system")
        form.query_one("#name").value = "shared2"
        form.query_one("#field-basepath").value = "s3://b/f"
        form.query_one("#field-settings").value = json.dumps(
            {"anon": False, "nested": [{"secret": token}]}
        )
        await pilot.press("ctrl+s")
        await settle(pilot, 0.3)
        assert form.is_attached  # refused: the form stays, nothing is lost
        error = str(form.query_one("#form-error").render())
        assert "field 'settings' of remote-file-system looks like it holds a token" in error
        assert "(at settings.nested[0].secret)" in error and "Secret block" in error
        assert "--allow-plaintext-secrets" not in error
        assert_not_leaked(token, texts=[error])

    session = drive(store, project, scenario)
    assert store.list() == []
    assert_not_leaked(
        token, texts=session.notes(), roots=[project, Path(os.environ["FLOWWIZ_HOME"])]
    )


def test_a_token_already_stored_in_a_plain_field_is_masked_on_screen(
    store: Any, project: Path
) -> None:
    """An old catalog row (or a server's block) with a token in a plain value: the detail
    pane, the block page and the edit form show it masked; an edit of another field saves
    and keeps it as stored."""
    import sqlite3

    from flowwiz.writers.paths import catalog_path

    from tests.leaks import token_canary

    token = token_canary()
    store.save("remote-file-system", "shared2", {"basepath": "s3://b/f"})
    with sqlite3.connect(catalog_path()) as db:  # as a flowwiz before the check wrote it
        db.execute(
            "UPDATE blocks SET fields = ? WHERE name = 'shared2'",
            (json.dumps({"basepath": "s3://b/f", "settings": {"anon": False, "secret": token}}),),
        )

    async def scenario(app: Any, pilot: Any) -> None:
        table = app.query_one("#blocks-table")
        table.move_cursor(row=table.get_row_index("remote-file-system/shared2"), animate=False)
        table.focus()
        await settle(pilot)
        assert "********" in "".join(screen_texts(app))
        assert_not_leaked(token, texts=screen_texts(app))
        await pilot.press("enter")  # the block page
        await settle(pilot)
        assert_not_leaked(token, texts=screen_texts(app))
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert form.editing
        assert json.loads(form.query_one("#field-settings").value)["secret"] == "********"
        assert_not_leaked(token, texts=screen_texts(app))
        form.query_one("#field-basepath").value = "s3://b/g"
        await pilot.press("ctrl+s")
        await settle(pilot, 0.3)
        assert not form.is_attached, str(form.query_one("#form-error").render())
        assert_not_leaked(token, texts=screen_texts(app))

    session = drive(store, project, scenario)
    block = store.get("remote-file-system", "shared2")
    assert block.data["basepath"] == "s3://b/g"
    assert block.data["settings"] == {"anon": False, "secret": token}  # kept, not rewritten
    assert_not_leaked(token, texts=session.notes())


# -- snapshots ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "keys", "form"),
    [
        ("catalog", ("n", *"cred"), None),
        ("form_docker_registry", (*"registry", "tab", *"ci"), "docker-registry-credentials"),
    ],
)
def test_snapshot(
    snapshot_store: Any, project: Path, name: str, keys: tuple[str, ...], form: str | None
) -> None:
    async def scenario(app: Any, pilot: Any) -> None:
        if form is not None:
            await open_form(app, pilot, form)
        await pilot.press(*keys)
        await settle(pilot, 0.3)
        await frozen(pilot)
        check_snapshot(name, app.export_screenshot())

    drive(snapshot_store, project, scenario)


@pytest.fixture
def snapshot_store(
    memory_keyring: Any, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> object:
    # no blocks: their times would show, cut, beside the dialog
    monkeypatch.setenv("FLOWWIZ_HOME", str(isolated_env / ".flowwiz"))
    monkeypatch.delenv("NO_COLOR")
    from flowwiz.writers.blocks import open_store

    return open_store()


# -- against real Prefect 3.9.1 ----------------------------------------------------------------


@pytest.mark.prefect
def test_aws_credentials_made_in_the_form_load_in_prefect(
    prefect_server: PrefectServer, isolated_env: Path, project: Path
) -> None:
    from flowwiz.writers.blocks import open_store

    prefect_server.register_blocks("prefect_aws")
    store = open_store(prefect_server.api_url)
    name = "form-aws-" + canary()[-8:].lower()
    secret = canary()

    async def scenario(app: Any, pilot: Any) -> None:
        from flowwiz.wizard.dashboard.catalog import BlockCatalogScreen

        await pilot.press("n")
        await settle(pilot, 0.3)
        assert isinstance(app.screen, BlockCatalogScreen)
        assert "aws-credentials" in app.screen.types  # the server's own types
        assert app.screen.types["aws-credentials"].source.startswith("the server")
        await pilot.press(*"aws credentials")
        await settle(pilot)
        assert app.screen.highlighted == "aws-credentials"
        await pilot.press("enter")
        await settle(pilot)
        await burst(pilot, *name, "tab", *"AKIAFORMTEST", "tab", *secret, "tab", "tab",
                    "tab", *"eu-west-3", "tab", *'{"verify": false}')  # fmt: skip
        await pilot.press("ctrl+s")
        await settle(pilot, 0.5)
        assert not hasattr(app.screen, "spec"), str(app.screen.query_one("#form-error").render())
        assert_not_leaked(secret, texts=screen_texts(app))

    session = drive(store, project, scenario)
    code = (
        "import json\nfrom prefect_aws import AwsCredentials\n"
        f"c = AwsCredentials.load({name!r})\n"
        "print('RESULT=' + json.dumps([c.aws_access_key_id, "
        "c.aws_secret_access_key.get_secret_value(), c.region_name, "
        "c.aws_client_parameters.verify]))\n"
    )
    out = prefect_server.check_python(code).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT="))
    assert json.loads(line.removeprefix("RESULT=")) == ["AKIAFORMTEST", secret, "eu-west-3", False]
    assert_not_leaked(secret, texts=session.notes(), roots=[project])
