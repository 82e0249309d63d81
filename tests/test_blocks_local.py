"""The local block store in process: SQLite catalog + a real keyring backend.

Secret values must reach the keyring and nowhere else: every test that stores one uses a
canary and searches the catalog directory for it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

from flowwiz.detectors.errors import UserError
from flowwiz.detectors.secret import MASK, SecretStr
from tests.conftest import read_file_keyring
from tests.leaks import assert_not_leaked, canary
from flowwiz.writers.blocks import (
    BlockExists,
    BlockNotFound,
    BlockStoreError,
    InvalidBlock,
    NoKeyringError,
    PlaintextKeyringWarning,
    keyring_backend,
    open_store,
)
from flowwiz.writers.blocks.keyring_backend import SERVICE, assess
from flowwiz.writers.blocks.local import SCHEMA_VERSION, LocalStore
from flowwiz.writers.paths import catalog_path, flowwiz_home


@pytest.fixture(autouse=True)
def _fresh_keyring_verdicts() -> None:
    # the availability verdict is cached per process; each test chooses its own backend
    keyring_backend.reset_cache()


def _home() -> Path:
    return flowwiz_home()


def _catalog_id(path: Path | None = None) -> str:
    with sqlite3.connect(path or catalog_path()) as db:
        return str(db.execute("SELECT value FROM meta WHERE key = 'catalog_id'").fetchone()[0])


def _rows(path: Path | None = None) -> list[tuple[str, str]]:
    path = path or catalog_path()
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return [tuple(r) for r in db.execute("SELECT type, name FROM blocks ORDER BY type, name")]


def _local() -> LocalStore:
    store = open_store(env={k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"})
    assert isinstance(store, LocalStore)
    return store


# -- the round trip ----------------------------------------------------------------------


def test_save_get_list_delete_round_trip(memory_keyring) -> None:
    token = canary()
    store = _local()
    assert store.kind == "local"
    assert store.location == str(catalog_path())
    assert store.list() == []
    assert not catalog_path().exists(), "reading must not create the catalog"

    saved = store.save("secret", "my-token", {"value": SecretStr(token)})
    assert saved.slug == "secret/my-token"
    assert saved.masked() == {"value": MASK}

    # the value is in the keyring under the catalog's own id, and nowhere else
    username = f"{_catalog_id()}/secret/my-token/value"
    assert memory_keyring.entries == {(SERVICE, username): token}
    assert_not_leaked(token, texts=[repr(saved), str(saved.masked())], roots=[_home()])

    listed = store.list()
    assert [b.slug for b in listed] == ["secret/my-token"]
    assert listed[0].data == {"value": None}  # not loaded by list
    assert listed[0].masked() == {"value": MASK}
    assert listed[0].problem is None
    assert listed[0].created is not None and listed[0].updated is not None

    got = store.get("secret", "my-token", include_secrets=True)
    value = got.data["value"]
    assert isinstance(value, SecretStr) and value.reveal() == token
    assert got.masked() == {"value": MASK}
    assert token not in repr(got)
    assert store.get("secret", "my-token").data == {"value": None}
    assert store.exists("secret", "my-token")
    assert not store.exists("secret", "other")

    store.delete("secret", "my-token")
    assert not store.exists("secret", "my-token")
    assert memory_keyring.entries == {}
    assert _rows() == []
    with pytest.raises(BlockNotFound, match="no block secret/my-token"):
        store.get("secret", "my-token")
    with pytest.raises(BlockNotFound):
        store.delete("secret", "my-token")


def test_catalog_layout_schema_wal_and_permissions(memory_keyring) -> None:
    token = canary()
    store = _local()
    store.save(
        "gitlab-credentials",
        "gl",
        {"token": SecretStr(token), "url": "https://gitlab.example.com"},
    )
    path = catalog_path()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        catalog_id = db.execute("SELECT value FROM meta WHERE key='catalog_id'").fetchone()[0]
        assert len(catalog_id) == 16
        row = db.execute("SELECT fields, secret_fields FROM blocks").fetchone()
    assert json.loads(row[0]) == {"url": "https://gitlab.example.com"}
    assert json.loads(row[1]) == ["token"]
    assert_not_leaked(token, roots=[_home()])


def test_two_catalogs_never_share_keyring_entries(memory_keyring, tmp_path: Path) -> None:
    first = canary()
    second = canary()
    a = LocalStore(tmp_path / "a" / "catalog.sqlite3")
    b = LocalStore(tmp_path / "b" / "catalog.sqlite3")
    a.save("secret", "same-name", {"value": first})
    b.save("secret", "same-name", {"value": second})
    assert len(memory_keyring.entries) == 2
    assert a.get("secret", "same-name", include_secrets=True).revealed() == {"value": first}
    assert b.get("secret", "same-name", include_secrets=True).revealed() == {"value": second}
    b.delete("secret", "same-name")
    assert a.get("secret", "same-name", include_secrets=True).revealed() == {"value": first}


def test_exists_needs_overwrite_and_overwrite_drops_stale_secrets(memory_keyring) -> None:
    key, session = canary(), canary()
    store = _local()
    store.save(
        "aws-credentials",
        "prod",
        {
            "aws_access_key_id": "AKIAEXAMPLE",
            "aws_secret_access_key": SecretStr(key),
            "aws_session_token": SecretStr(session),
        },
    )
    with pytest.raises(BlockExists, match="use --overwrite"):
        store.save("aws-credentials", "prod", {"aws_secret_access_key": SecretStr(key)})
    assert len(memory_keyring.entries) == 2

    newer = canary()
    store.save(
        "aws-credentials",
        "prod",
        {"aws_access_key_id": "AKIANEW", "aws_secret_access_key": SecretStr(newer)},
        overwrite=True,
    )
    got = store.get("aws-credentials", "prod", include_secrets=True)
    assert got.revealed() == {"aws_access_key_id": "AKIANEW", "aws_secret_access_key": newer}
    assert got.secret_fields == {"aws_secret_access_key"}
    # the session token of the old version is gone from the keyring, not orphaned
    assert sorted(u.rsplit("/", 1)[1] for _, u in memory_keyring.entries) == [
        "aws_secret_access_key"
    ]
    assert got.created is not None and got.updated is not None and got.created <= got.updated
    for secret in (key, session, newer):
        assert_not_leaked(secret, roots=[_home()])


@pytest.mark.parametrize(
    ("kind", "name", "data", "message"),
    [
        ("secret", "My_Token", {"value": "x"}, "lowercase letters, digits and dashes"),
        ("secret", "-lead", {"value": "x"}, "invalid block name"),
        ("no-such-type", "x", {"value": "x"}, "unknown block type 'no-such-type'"),
        ("secret", "x", {"valeu": "x"}, "secret has no field 'valeu'"),
        ("secret", "x", {}, "needs its secret field 'value'"),
        ("secret", "x", {"value": ""}, "needs its secret field 'value'"),
        ("github-credentials", "x", {"token": "qzx\nqzx"}, "contains a newline"),
        ("secret", "x", {"value": "qzx\x00qzx"}, "NUL"),
        ("gcp-credentials", "x", {"service_account_info": "{qzx"}, "must be JSON"),
    ],
)
def test_invalid_blocks_are_refused_before_anything_is_stored(
    memory_keyring, kind: str, name: str, data: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidBlock, match=message) as caught:
        _local().save(kind, name, data)
    assert caught.value.exit_code == 2
    assert "qzx" not in str(caught.value)  # the value is never quoted back
    assert memory_keyring.entries == {}
    assert _rows() == []


def test_plain_values_for_secret_fields_are_wrapped(memory_keyring) -> None:
    token = canary()
    saved = _local().save("github-credentials", "ci", {"token": token})
    assert isinstance(saved.data["token"], SecretStr)
    assert token not in repr(saved)


# -- broken rows ---------------------------------------------------------------------------


def test_row_without_its_keyring_entry_is_shown_broken(memory_keyring) -> None:
    token = canary()
    store = _local()
    store.save("secret", "gone", {"value": token})
    store.save("secret", "fine", {"value": canary()})
    memory_keyring.entries.pop((SERVICE, f"{_catalog_id()}/secret/gone/value"))

    # a listing reads no secret: it cannot know, and says so
    listed = {b.slug: b for b in store.list()}
    assert [(b.status, b.secrets) for b in listed.values()] == [("ok", "unchecked")] * 2
    checked = {b.slug: b for b in store.check_secrets(listed.values())}
    assert checked["secret/gone"].problem == "secret field 'value' missing from the keyring"
    assert (checked["secret/gone"].status, checked["secret/gone"].secrets) == ("broken", "missing")
    assert (checked["secret/fine"].status, checked["secret/fine"].secrets) == ("ok", "present")
    assert store.get("secret", "gone").status == "broken"
    got = store.get("secret", "gone", include_secrets=True)
    assert got.problem == "secret field 'value' missing from the keyring"
    assert got.data == {"value": None}
    # it can still be deleted (or overwritten) to repair it
    store.delete("secret", "gone")
    assert [b.slug for b in store.list()] == ["secret/fine"]


def test_unreadable_rows_are_reported_not_raised(memory_keyring) -> None:
    store = _local()
    store.save("secret", "ok", {"value": canary()})
    with sqlite3.connect(catalog_path()) as db:
        db.execute("INSERT INTO blocks VALUES ('future-type', 'x', '{}', '[]', 'then', 'then')")
        db.execute("INSERT INTO blocks VALUES ('secret', 'mangled', 'not json', '[]', '', '')")
    listed = {b.slug: b for b in store.list()}
    assert listed["future-type/x"].problem == "unknown block type 'future-type'"
    assert listed["secret/mangled"].problem == "its fields in the catalog are unreadable"
    assert listed["secret/ok"].problem is None


def test_list_over_an_unusable_keyring_lists_and_checks_say_unknown(memory_keyring) -> None:
    store = _local()
    store.save("secret", "a", {"value": canary()})
    store.save("secret", "b", {"value": canary()})
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    keyring_backend.reset_cache()
    listed = store.list()
    assert [b.status for b in listed] == ["ok", "ok"]
    checked = store.check_secrets(listed)
    assert [(b.status, b.problem) for b in checked] == [("unknown", None)] * 2
    assert checked[0].unknown == "no usable keyring to check its secret in"
    got = store.get("secret", "a", include_secrets=True)
    assert (got.status, got.unknown) == ("unknown", "no usable keyring to read its secret from")


# -- no usable keyring ---------------------------------------------------------------------


def _no_keyring_checks(error: NoKeyringError) -> None:
    text = str(error)
    assert "\n" not in text
    assert error.exit_code == 1
    assert "secret/tok was not saved" in text
    assert "dbus-run-session" in text
    assert "PREFECT_API_URL" in text
    assert "FLOWWIZ_ALLOW_PLAINTEXT_KEYRING=1" in text


@pytest.mark.parametrize("backend", ["fail", "null"])
def test_fail_and_null_backends_store_nothing(backend: str) -> None:
    from keyring.backends import fail, null

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring() if backend == "fail" else null.Keyring())
    try:
        token = canary()
        store = _local()
        with pytest.raises(NoKeyringError) as caught:
            store.save("secret", "tok", {"value": token})
        _no_keyring_checks(caught.value)
        with pytest.raises(NoKeyringError):
            store.check()
        assert _rows() == []
        assert_not_leaked(token, texts=[str(caught.value)], roots=[_home()])
    finally:
        keyring.set_keyring(previous)


def test_plaintext_backend_without_opt_in_stores_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from keyrings.alt.file import PlaintextKeyring

    # the backend is named, but the opt-in is missing: still refused
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    try:
        token = canary()
        with pytest.raises(NoKeyringError, match="stores secrets unencrypted") as caught:
            _local().save("secret", "tok", {"value": token})
        _no_keyring_checks(caught.value)
        assert _rows() == []
        assert not Path(backend.file_path).exists()
    finally:
        keyring.set_keyring(previous)


def test_plaintext_opt_in_needs_the_backend_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from keyrings.alt.file import PlaintextKeyring

    # picked silently by keyring (nothing named) with the opt-in set: still refused
    monkeypatch.setenv("FLOWWIZ_ALLOW_PLAINTEXT_KEYRING", "1")
    status = assess(PlaintextKeyring(), os.environ)
    assert not status.usable
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    assert assess(PlaintextKeyring(), os.environ).plaintext


def test_plaintext_opt_in_works_and_warns_on_every_write(file_keyring: Path) -> None:
    from keyrings.alt.file import PlaintextKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        tokens = [canary(), canary()]
        seen: list[str] = []
        store = open_store(on_warning=seen.append)
        store.save("secret", "one", {"value": tokens[0]})
        store.save("secret", "two", {"value": tokens[1]})
        assert len(seen) == 2
        assert all("UNENCRYPTED" in w and "keyrings.alt.file.PlaintextKeyring" in w for w in seen)
        assert "secret/one" in seen[0] and "secret/two" in seen[1]
        catalog_id = _catalog_id()
        assert read_file_keyring(SERVICE, f"{catalog_id}/secret/one/value") == tokens[0]
        # without a callback the warning is a PlaintextKeyringWarning, every time
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            quiet = open_store()
            quiet.save("secret", "three", {"value": canary()})
            quiet.save("secret", "four", {"value": canary()})
        assert [w.category for w in caught] == [PlaintextKeyringWarning] * 2
        for token in tokens:
            assert_not_leaked(token, texts=seen, roots=[_home()])
    finally:
        keyring.set_keyring(previous)


class ChainerBackend:  # same class name as keyring's: assess() looks at the chain
    def __init__(self, backends: list[object]) -> None:
        self.backends = backends


def test_chainer_counts_only_when_it_writes_to_an_acceptable_backend(memory_keyring) -> None:
    from keyring.backends import fail, null
    from keyrings.alt.file import PlaintextKeyring

    env: dict[str, str] = {}
    assert assess(ChainerBackend([memory_keyring, PlaintextKeyring()]), env).usable
    assert not assess(ChainerBackend([PlaintextKeyring(), memory_keyring]), env).usable
    assert not assess(ChainerBackend([null.Keyring()]), env).usable
    assert not assess(ChainerBackend([]), env).usable
    assert not assess(fail.Keyring(), env).usable


# -- keyring failures and the timeout ------------------------------------------------------


class _StuckKeyring(KeyringBackend):
    """Answers the availability probe, then hangs on writes (a locked Secret Service)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.release.wait(30)

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError(username)


def test_a_hanging_keyring_is_a_clear_error_and_nothing_is_stored(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    stuck = _StuckKeyring()
    keyring.set_keyring(stuck)
    try:
        store = LocalStore(catalog_path(), keyring_timeout=0.3)
        token = canary()
        with pytest.raises(BlockStoreError, match="did not store a secret within 0.3 s") as err:
            store.save("secret", "tok", {"value": token})
        assert "unlock" in str(err.value)
        assert _rows() == []
        assert token not in str(err.value)
    finally:
        stuck.release.set()
        keyring.set_keyring(previous)


class _LockedKeyring(_StuckKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked(f"cannot store {password}")  # a library message quoting input


def test_keyring_errors_become_one_line_without_the_library_text() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(_LockedKeyring())
    try:
        token = canary()
        with pytest.raises(BlockStoreError) as caught:
            _local().save("secret", "tok", {"value": token})
        assert str(caught.value) == (
            "the keyring (tests.test_blocks_local._LockedKeyring) could not store a secret: "
            "it is locked"
        )
        assert _rows() == []
    finally:
        keyring.set_keyring(previous)


def test_availability_is_probed_once_per_process(memory_keyring) -> None:
    calls: list[str] = []
    original = memory_keyring.get_password

    def counting(service: str, username: str) -> str | None:
        calls.append(username)
        return original(service, username)

    memory_keyring.get_password = counting
    store = _local()
    for i in range(3):
        store.check()
        store.save("secret", f"t{i}", {"value": canary()})
    assert calls.count("availability-probe") == 1


# -- the catalog file ----------------------------------------------------------------------


def test_a_catalog_from_a_newer_flowwiz_is_refused(memory_keyring) -> None:
    store = _local()
    store.save("secret", "a", {"value": canary()})
    with sqlite3.connect(catalog_path()) as db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(BlockStoreError, match="written by a newer flowwiz"):
        store.list()


def test_a_file_that_is_not_a_catalog_is_a_clear_error(memory_keyring) -> None:
    path = catalog_path()
    path.parent.mkdir(parents=True)
    path.write_text("this is not sqlite, and it is long enough to have a header" * 20)
    with pytest.raises(BlockStoreError, match="is not a SQLite database: move it aside"):
        _local().save("secret", "a", {"value": canary()})


# -- open_store ----------------------------------------------------------------------------


def test_open_store_picks_the_backend() -> None:
    local = open_store(env={"FLOWWIZ_HOME": "/tmp/x"})
    assert (local.kind, local.location) == ("local", "/tmp/x/catalog.sqlite3")
    remote = open_store(env={"PREFECT_API_URL": "http://127.0.0.1:4200/api/"})
    assert (remote.kind, remote.location) == ("prefect", "http://127.0.0.1:4200/api")
    given = open_store(
        "https://user:pw@api.example.com/api/accounts/a/workspaces/w/",
        env={"PREFECT_API_URL": "http://ignored/api"},
    )
    assert given.location == "https://api.example.com/api/accounts/a/workspaces/w"
    with pytest.raises(UserError, match="--api-url is not a URL flowwiz can use"):
        open_store("127.0.0.1:4200/api")


# -- many processes at once ----------------------------------------------------------------

_WORKER = r"""
import json, sys
from flowwiz.writers.blocks import open_store, BlockExists
index, count = int(sys.argv[1]), int(sys.argv[2])
store = open_store()
result = {"kept": {}, "shared": None}
for j in range(count):
    name = f"p{index}-b{j}"
    value = f"{sys.argv[3]}-{index}-{j}"
    store.save("secret", name, {"value": value})
    if j % 3 == 2:
        store.delete("secret", name)
    else:
        result["kept"][name] = value
try:
    store.save("secret", "shared", {"value": f"{sys.argv[3]}-shared-{index}"})
    result["shared"] = index
except BlockExists:
    pass
print(json.dumps(result))
"""


def test_eight_processes_creating_and_deleting_at_once(file_keyring: Path) -> None:
    """Real processes, real catalog, real (file) keyring: nothing lost, nothing corrupted.

    keyrings.alt's file backend rewrites one file per write and is not process-safe by
    itself; the local store makes every keyring write inside the catalog's write transaction,
    which serialises them. This test is the proof that no write is lost that way.
    """
    prefix = canary()
    count = 9
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(i), str(count), prefix],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert prefix not in err
        results.append(json.loads(out.strip().splitlines()[-1]))

    expected = {name: value for r in results for name, value in r["kept"].items()}
    winners = [r["shared"] for r in results if r["shared"] is not None]
    assert len(winners) == 1, "exactly one process may create the shared block"
    expected["shared"] = f"{prefix}-shared-{winners[0]}"
    assert len(expected) == 8 * 6 + 1

    from keyrings.alt.file import PlaintextKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        store = _local()
        listed = store.list("secret")
        assert {b.name for b in listed} == set(expected)
        assert [b for b in store.check_secrets(listed) if b.status != "ok"] == []
        catalog_id = _catalog_id()
        for name, value in expected.items():
            assert read_file_keyring(SERVICE, f"{catalog_id}/secret/{name}/value") == value
        deleted = [f"p{i}-b{j}" for i in range(8) for j in range(count) if j % 3 == 2]
        for name in deleted:
            assert read_file_keyring(SERVICE, f"{catalog_id}/secret/{name}/value") is None
    finally:
        keyring.set_keyring(previous)
    with sqlite3.connect(catalog_path()) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert_not_leaked(prefix, roots=[_home()])
