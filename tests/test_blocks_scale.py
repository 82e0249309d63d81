"""The block store at scale: listing reads no secret, `blocks check` says unknown (never
broken) when the keyring cannot answer, and a held catalog lock is waited for a bounded time.

Real parts: the real console script, keyrings.alt's file keyring subclassed only to count and
fail its reads (tests/counting_keyring.py), a second real process holding SQLite's lock.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import keyring
import pytest

from flowwiz.detectors.secret import MASK, SecretStr
from flowwiz.writers.blocks import keyring_backend
from flowwiz.writers.blocks.local import BUSY_TIMEOUT_MS, LocalStore, _lock_wait
from flowwiz.writers.paths import catalog_path
from tests import counting_keyring
from tests.clirun import flowwiz
from tests.leaks import canary

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def counting_env(isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The counting file keyring for subprocesses; returns the file its reads are logged in."""
    reads = tmp_path / "reads.log"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", counting_keyring.NAME)
    monkeypatch.setenv("FLOWWIZ_ALLOW_PLAINTEXT_KEYRING", "1")
    monkeypatch.setenv("FLOWWIZ_TEST_KEYRING_READS", str(reads))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    keyring_backend.reset_cache()
    return reads


def _reads(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def _fill(count: int) -> None:
    """count blocks through the real store (values in memory: this process only writes)."""
    from tests.memory_keyring import MemoryKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    keyring_backend.reset_cache()
    try:
        store = LocalStore(catalog_path(), env={})
        for i in range(count):
            if i % 10 == 9:
                store.save(
                    "aws-credentials",
                    f"aws-{i}",
                    {"aws_access_key_id": f"AKIA{i:012d}", "aws_secret_access_key": SecretStr("x")},
                )
            else:
                store.save("secret", f"token-{i:05d}", {"value": SecretStr(f"v{i}")})
    finally:
        keyring.set_keyring(previous)
        keyring_backend.reset_cache()


def test_listing_1000_blocks_reads_no_secret_and_a_failing_check_says_unknown(
    counting_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(1000)
    monkeypatch.setenv("FLOWWIZ_TEST_KEYRING_FAIL", "raise")

    listed = flowwiz("blocks", "ls", "--json")
    assert listed.returncode == 0, listed.stderr
    blocks = json.loads(listed.stdout)["blocks"]
    assert len(blocks) == 1000
    assert {(b["status"], b["secrets"], b["problem"]) for b in blocks} == {
        ("ok", "unchecked", None)
    }
    aws = next(b for b in blocks if b["slug"] == "aws-credentials/aws-9")
    assert aws["fields"]["aws_access_key_id"] == "AKIA000000000009"
    assert _reads(counting_env) == 0, "a listing must not read any secret"
    table = flowwiz("blocks", "ls", "--type", "aws-credentials")
    assert table.returncode == 0 and "aws-999" in table.stdout and "broken" not in table.stdout
    assert _reads(counting_env) == 0

    # the keyring refuses every read: every block unknown, none broken, exit 3
    checked = flowwiz("blocks", "check", "--json")
    assert checked.returncode == 3, checked.stderr
    blocks = json.loads(checked.stdout)["blocks"]
    assert len(blocks) == 1000
    assert {(b["status"], b["secrets"], b["problem"]) for b in blocks} == {
        ("unknown", "unknown", None)
    }
    assert "locked" in blocks[0]["unknown"]
    # it gave up after the first refusal instead of asking 1,000 times
    assert _reads(counting_env) == 1
    assert "0 broken, 1000 not checked" in checked.stderr

    inspected = flowwiz("blocks", "inspect", "secret/token-00001")
    assert inspected.returncode == 0
    assert "unknown:" in inspected.stdout and "broken" not in inspected.stdout


def test_a_hanging_keyring_check_is_bounded_and_unknown(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(300)
    monkeypatch.setenv("FLOWWIZ_TEST_KEYRING_FAIL", "hang")
    previous = keyring.get_keyring()
    keyring.set_keyring(counting_keyring.CountingPlaintextKeyring())
    keyring_backend.reset_cache()
    try:
        store = LocalStore(
            catalog_path(),
            env={"PYTHON_KEYRING_BACKEND": counting_keyring.NAME,
                 "FLOWWIZ_ALLOW_PLAINTEXT_KEYRING": "1"},
            keyring_timeout=0.3,
        )
        start = time.monotonic()
        listed = store.list()
        checked = store.check_secrets(listed)
        took = time.monotonic() - start
    finally:
        keyring.set_keyring(previous)
        keyring_backend.reset_cache()
    assert len(checked) == 300
    assert {b.status for b in listed} == {"ok"}
    assert {b.status for b in checked} == {"unknown"}
    assert "did not check its secrets within" in (checked[0].unknown or "")
    assert took < 10, "one chunk's timeout, then the rest unknown: not one timeout per block"


def test_check_exit_codes(file_keyring: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from keyrings.alt.file import PlaintextKeyring

    assert flowwiz("blocks", "check").returncode == 0  # no blocks: nothing is wrong
    for name in ("a", "b"):
        made = flowwiz("blocks", "create", "secret", name, "--stdin", stdin=canary())
        assert made.returncode == 0, made.stderr
    ok = flowwiz("blocks", "check", "--json")
    assert ok.returncode == 0, ok.stderr
    assert [b["status"] for b in json.loads(ok.stdout)["blocks"]] == ["ok", "ok"]
    assert [b["secrets"] for b in json.loads(ok.stdout)["blocks"]] == ["present", "present"]

    with sqlite3.connect(catalog_path()) as db:
        catalog_id = db.execute("SELECT value FROM meta WHERE key='catalog_id'").fetchone()[0]
    PlaintextKeyring().delete_password("flowwiz", f"{catalog_id}/secret/b/value")
    broken = flowwiz("blocks", "check")
    assert broken.returncode == 1
    assert "1 ok, 1 broken, 0 not checked" in broken.stderr
    only_a = flowwiz("blocks", "check", "secret/a", "--json")
    assert only_a.returncode == 0
    assert [b["slug"] for b in json.loads(only_a.stdout)["blocks"]] == ["secret/a"]
    missing = flowwiz("blocks", "check", "secret/nope")
    assert missing.returncode == 2 and "no block secret/nope" in missing.stderr

    # a keyring that cannot answer: unknown, exit 3, never broken
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", counting_keyring.NAME)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("FLOWWIZ_TEST_KEYRING_FAIL", "raise")
    unknown = flowwiz("blocks", "check", "secret/a")
    assert unknown.returncode == 3
    assert "unknown:" in unknown.stdout and "broken" not in unknown.stdout
    helped = flowwiz("blocks", "check", "--help")
    assert "Exit codes:" in helped.stdout and "3   none is broken" in helped.stdout


# -- the catalog lock ----------------------------------------------------------------------

HOLD = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


def test_a_catalog_locked_by_another_process_waits_the_set_time_then_names_it(
    file_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _lock_wait({}) == BUSY_TIMEOUT_MS / 1000 == 30  # the documented wait
    made = flowwiz("blocks", "create", "secret", "first", "--stdin", stdin=canary())
    assert made.returncode == 0, made.stderr
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(catalog_path())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("FLOWWIZ_CATALOG_LOCK_WAIT", "2")
        start = time.monotonic()
        blocked = flowwiz("blocks", "create", "secret", "second", "--stdin", stdin=canary())
        took = time.monotonic() - start
        assert blocked.returncode == 1
        lines = blocked.stderr.strip().splitlines()
        assert len(lines) == 1, blocked.stderr
        assert f"is locked by pid {holder.pid} (python" in lines[0]
        assert "gave up after 2 s" in lines[0]
        assert 2 <= took < 12, took
        # reading is not blocked by a writer (WAL)
        assert flowwiz("blocks", "ls").returncode == 0
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
    again = flowwiz("blocks", "create", "secret", "second", "--stdin", stdin=canary())
    assert again.returncode == 0, again.stderr


# -- the lean listing ----------------------------------------------------------------------

# rows no `blocks create` writes (a catalog edited by hand, another version, bad luck with the
# clock): each must come out of the lean listing exactly as the long way writes it.
# (type, name, fields, secret_fields); created and updated canonical
ODD_FIELDS = [
    ("gitlab-credentials", "not-json", "not json", '["token"]'),
    ("gitlab-credentials", "trailing", '{"url": "x"} x', '["token"]'),
    ("gitlab-credentials", "number", '{"url": 5}', '["token"]'),
    ("gitlab-credentials", "null", '{"url": null}', '["token"]'),
    ("gitlab-credentials", "a-list", '["url"]', '["token"]'),
    ("gitlab-credentials", "unknown-key", '{"nope": "x", "url": "u"}', '["token"]'),
    ("gitlab-credentials", "spaced", '{"url":"u"}', '["token"]'),
    ("gitlab-credentials", "markers",
     '{"url": "1111-11-11T11:11:11.111111+00:00 \\u0001 \\u0002A {0} %s"}', '["token"]'),
    ("aws-credentials", "reordered", '{"region_name": "r", "aws_access_key_id": "k"}',
     '["aws_secret_access_key"]'),
    ("aws-credentials", "no-secret", '{"aws_access_key_id": "k"}', "[]"),
    ("mystery-type", "unknown", '{"a": "b"}', '["s"]'),
    ("secret", "odd-secrets", "{}", '"value"'),
]
# (name, created, updated) of secret blocks
ODD_TIMES = [
    ("zero-micro", "2026-11-30T10:00:00.000000+00:00", None),
    ("leap-day", "2024-02-29T10:00:00.123456+00:00", None),
    ("no-such-day", "2026-02-30T10:00:00.123456+00:00", None),
    ("zulu", "2026-11-30T10:00:00.123456Z", None),
    ("india", "2026-11-30T10:00:00.123456+05:30", None),
    ("updated-odd", "2026-01-01T10:00:00.123456+00:00", "2026-12-31T23:59:59+00:00"),
    ('needs "escapes" \\ \u00e9 \t', "2026-11-30T10:00:00.123456+00:00", None),
    (b"a-blob", "2026-11-30T10:00:00.123456+00:00", None),
]


def test_the_lean_listing_writes_what_the_long_way_writes(
    isolated_env: Path, memory_keyring: object
) -> None:
    """`blocks ls --json` builds no Block per row (LocalStore.listing_json): every line must
    equal json.dumps of the block's JSON from store.list(), for every row the catalog can
    hold: rows as `blocks create` writes them, odd fields (the one-pass check of names and
    timestamps holds), then odd names and timestamps (every row checked on its own)."""
    from click.testing import CliRunner

    from flowwiz.wizard.cli import cli
    from flowwiz.wizard.commands.blocks import _block_line
    from flowwiz.writers.blocks.local import _plain_rows

    store = LocalStore(catalog_path(), env={})
    store.save("secret", "plain", {"value": SecretStr("v")})
    store.save("github-credentials", "gh", {"token": SecretStr("t")})
    store.save("gitlab-credentials", "gl", {"token": SecretStr("t"), "url": "https://\u00e9.x"})
    store.save("gitlab-credentials", "gl-bare", {"token": SecretStr("t")})
    store.save(
        "aws-credentials",
        "aws-full",
        {
            "aws_access_key_id": "AKIA0",
            "aws_secret_access_key": SecretStr("s"),
            "aws_session_token": SecretStr("s"),
            "profile_name": 'pro"file',
            "region_name": "eu-west-1",
        },
    )
    store.save("aws-credentials", "aws-some", {"aws_secret_access_key": SecretStr("s")})
    store.save(
        "docker-registry-credentials",
        "dr",
        {"username": "u", "password": SecretStr("p"), "registry_url": "r.example"},
    )
    store.save("gcp-credentials", "gcp", {"service_account_info": SecretStr("{}"), "project": "p"})
    store.save("secret", "plain", {"value": SecretStr("w")}, overwrite=True)  # updated later

    def same(one_pass: bool) -> int:
        assert _plain_rows(store._rows(None, lean=True)) is one_pass
        blocks = store.list()
        assert store.listing_json(_block_line) == [_block_line(b) for b in blocks]
        for kind in ("secret", "gitlab-credentials", "aws-credentials", "gcp-credentials"):
            assert store.listing_json(_block_line, kind) == [
                _block_line(b) for b in store.list(kind)
            ]
        listed = CliRunner().invoke(cli, ["blocks", "ls", "--json"], catch_exceptions=False)
        assert listed.exit_code == 0
        # the text as it was written before the lean listing: a block per line
        store_json = json.dumps({"kind": "local", "location": str(catalog_path())})
        lines = ",\n".join("  " + _block_line(b) for b in blocks)
        assert listed.stdout == f'{{"store": {store_json}, "blocks": [\n{lines}\n]}}\n'
        return len(blocks)

    assert same(one_pass=True) == 8
    now = "2026-11-30T10:00:00.123456+00:00"
    with sqlite3.connect(catalog_path()) as db:
        for kind, name, fields, secret_fields in ODD_FIELDS:
            db.execute(
                "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?)",
                (kind, name, fields, secret_fields, now, now),
            )
    assert same(one_pass=True) == 8 + len(ODD_FIELDS)
    with sqlite3.connect(catalog_path()) as db:
        for name, created, updated in ODD_TIMES:
            db.execute(
                "INSERT INTO blocks VALUES ('secret', ?, '{}', '[\"value\"]', ?, ?)",
                (name, created, updated or created),
            )
    assert same(one_pass=False) == 8 + len(ODD_FIELDS) + len(ODD_TIMES)
    lines = store.listing_json(_block_line)
    shown = {json.loads(line)["name"]: json.loads(line) for line in lines}
    assert shown["zero-micro"]["created"] == "2026-11-30T10:00:00+00:00"
    assert shown["no-such-day"]["created"] is None
    # the catalog keeps typed values (block schemas, issue 15): a number stays a number
    assert shown["number"]["fields"] == {"token": MASK, "url": 5}
    assert shown["not-json"]["status"] == "broken"
