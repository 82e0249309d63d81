"""The local backend: a SQLite catalog of blocks, their secret values only in the OS keyring.

The catalog (``writers.paths.catalog_path()``) holds each block's type, name, non-secret
fields, the names of its stored secret fields and its timestamps; never a secret value. Each
secret field is one keyring entry: service ``flowwiz``, username
``<catalog id>/<type>/<name>/<field>``. The catalog id is random and stored in the catalog, so
a catalog made elsewhere (a test's FLOWWIZ_HOME) never reads or overwrites the user's entries.

Concurrency: WAL, a busy timeout, and every change inside one ``BEGIN IMMEDIATE`` transaction
that also covers its keyring writes, so concurrent flowwiz processes are serialised on the
catalog (which also keeps a file-backed keyring, not itself process-safe, consistent). A
change waits for another process's write lock at most 30 s in all (``FLOWWIZ_CATALOG_LOCK_WAIT``
seconds, for tests, may shorten it), then fails with one line naming the holder (its pid and
process name, from /proc/locks on Linux).

Reading: ``list()`` and ``pages()`` read the catalog only, never the keyring (a keyring call
costs milliseconds on a real OS keyring and a whole-file read on a file-backed one); secrets
are looked for per block by ``get()`` and in bulk by ``check_secrets()``, and a look that cannot
finish makes a block "unknown", never broken.

Order of effects, so a failure never loses a block silently:
- save: keyring entries first, then the catalog row. A failure in between leaves at most an
  orphaned keyring entry, which the next save of that name overwrites.
- delete: the row is deleted and the keyring entries removed inside the same transaction,
  then it commits. If the commit fails after the keyring was cleared, the row stays and is
  shown as broken ("secret field ... missing from the keyring"), not lost.
"""

from __future__ import annotations

import gc
import json
import operator
import os
import re
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from flowwiz.detectors.secret import SecretStr, json_may_hold_token
from flowwiz.writers.blocks.keyring_backend import DEFAULT_TIMEOUT, SecretKeyring
from flowwiz.writers.blocks.model import (
    SEEN_TYPES,
    SHIPPED_TYPES,
    Block,
    BlockExists,
    BlockNotFound,
    BlockStoreError,
    BlockType,
    NoKeyringError,
    PlaintextKeyringWarning,
    StoreKind,
    check_name,
    known_type,
    normalize_data,
    refuse_tokens,
    token_text,
)
from flowwiz.writers.blocks.model import block_type as lookup_type
from flowwiz.writers.blocks.schemas import load_seen, seen_path

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000
# seconds to wait for another process's write lock (at most BUSY_TIMEOUT_MS), for tests
LOCK_WAIT_ENV = "FLOWWIZ_CATALOG_LOCK_WAIT"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS blocks (
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        fields TEXT NOT NULL,          -- JSON object: the non-secret fields
        secret_fields TEXT NOT NULL,   -- JSON list: secret fields whose value is in the keyring
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        PRIMARY KEY (type, name)
    )""",
)

Warn = Callable[[str], None]


def _default_warn(message: str) -> None:
    warnings.warn(message, PlaintextKeyringWarning, stacklevel=4)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


# what check() says did not happen: a store that cannot keep a secret stores nothing
NOT_STORED = "nothing was stored (no secret can be kept on this machine)"


class LocalStore:
    """Blocks in the local catalog, secret values in the OS keyring.

    ``on_warning`` receives the one-line warning printed for every write to a plain-text
    keyring accepted through the opt-in (the CLI passes its terminal's ``warn``); without it
    the warning is a :class:`PlaintextKeyringWarning` through :mod:`warnings`.
    """

    kind: StoreKind = "local"

    def __init__(
        self,
        path: Path,
        *,
        env: Mapping[str, str] | None = None,
        on_warning: Warn | None = None,
        keyring_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.keyring = SecretKeyring(env, timeout=keyring_timeout)
        self.lock_wait = _lock_wait(os.environ if env is None else env)
        self._warn = on_warning or _default_warn
        _register_seen(self.path)

    # -- the interface ------------------------------------------------------------------

    def check(self) -> None:
        """A readable catalog (when there is one) and a usable keyring, or the clear error."""
        with self._read():
            pass
        self.keyring.require(NOT_STORED)

    def list(self, block_type: str | None = None) -> list[Block]:
        """Every block (of one type) from the catalog alone, ordered by type and name.

        No keyring call: secret fields read None and ``secrets`` is "unchecked" ("none" for a
        block without secret fields); ``check_secrets`` looks for them when it matters.
        """
        return [_block(row) for row in self._rows(block_type)]

    def listing_json(
        self, encode: Callable[[Block], str], block_type: str | None = None
    ) -> list[str]:
        """``encode(block)`` for every block ``list(block_type)`` returns, in the same order,
        without building a Block per row (that was most of a listing's cost at 10,000
        blocks). No keyring call.

        ``encode`` must turn a Block into JSON text (``json.dumps`` of a dict) and depend on
        nothing but the block. It is called on probe blocks, twice per distinct shape of row
        (type, secret fields, names of the plain fields): once with markers for the name, the
        timestamps and the plain values, whose text around the markers becomes a template,
        and once with other values to confirm the template gives what ``encode`` gives. Each
        row then fills its template with its name, its plain values (JSON-escaped) and its
        timestamps as stored. A row goes the long way (``encode`` on its Block) when its
        fields are not a JSON object of strings, when a timestamp is not in the form the
        catalog writes (``_now()``: ``isoformat`` with microseconds, UTC, which ``isoformat()``
        gives back unchanged unless the microseconds are 0), when a plain value looks like
        it holds a token (``token_text``: ``Block.masked`` masks it), or when its template
        did not pass the check. So each string equals ``encode(block)``. Names and
        timestamps are checked in one regex pass per column (``_plain_rows``) and row by row
        only if that fails.
        """
        # no cycle is made here: the collector's passes over the growing lists are waste
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._listing_json(encode, block_type)
        finally:
            if collecting:
                gc.enable()

    def _listing_json(self, encode: Callable[[Block], str], block_type: str | None) -> list[str]:
        rows = self._rows(block_type, lean=True)
        # one search over every row's plain values first: most catalogs hold no token, and
        # then no row is looked at one by one (``_tokenish``)
        check = _any_tokenish(rows)
        templates: dict[tuple[object, ...], _Template | None] = {}

        def template_of(
            kind: object, secret_json: object, keys: tuple[str, ...]
        ) -> _Template | None:
            shape = (kind, secret_json, keys)
            if shape not in templates:
                templates[shape] = _template(encode, kind, secret_json, keys)
            return templates[shape]

        def line(row: tuple[object, ...], checked: bool = False) -> str:
            """A row's line the careful way (name and timestamps ``checked`` already, or
            checked here): its template filled, or ``encode`` of its Block."""
            kind, name, fields_json, secret_json, created, updated = row
            if updated is None:  # the lean query's NULLs: see _rows
                updated = created
            whole = (kind, name, "{}" if fields_json is None else fields_json, secret_json)
            if not checked and not (
                type(name) is str
                and type(created) is str
                and canonical(created)
                and (updated == created or (type(updated) is str and canonical(updated)))
            ):
                return encode(_block((*whole, created, updated)))
            values: tuple[str, ...] = ()
            keys: tuple[str, ...] = ()
            if fields_json is not None:
                try:
                    plain, end = _scan_json(fields_json, 0)
                    if type(plain) is not dict or end != len(fields_json):  # type: ignore[arg-type]
                        raise ValueError
                    keys = tuple(plain)
                    values = tuple(map(_json_string, plain.values()))  # TypeError if not text
                    if check and _tokenish(fields_json, plain):  # masked: encode's way
                        raise ValueError
                except (StopIteration, TypeError, ValueError):
                    return encode(_block((*whole, created, updated)))
            template = template_of(kind, secret_json, keys)
            if template is None:
                return encode(_block((*whole, created, updated)))
            pieces, pick = template
            escaped = name if checked else _json_string(name)[1:-1]
            return "".join(pick(pieces + (escaped, created, updated) + values))

        canonical = re.compile(_CANONICAL_TIME).fullmatch
        lines: list[str] = []
        append = lines.append
        if not _plain_rows(rows):
            return [line(row) for row in rows]
        # every name needs no escape and every timestamp is canonical: rows without plain
        # fields (most) fill the template of the rows before them, without a check
        last_kind: object = None
        last_secret: object = None
        template: _Template | None = None
        pieces: tuple[str, ...] = ()
        pick: Callable[[tuple[str, ...]], tuple[str, ...]] = operator.itemgetter(0)
        scan, escape = _scan_json, _json_string
        for row in rows:
            kind, name, fields_json, secret_json, created, updated = row
            if fields_json is None:
                if kind != last_kind or secret_json != last_secret:
                    last_kind, last_secret = kind, secret_json
                    template = template_of(kind, secret_json, ())
                    if template is not None:
                        pieces, pick = template
                if template is not None:
                    stamp = created if updated is None else updated
                    append("".join(pick(pieces + (name, created, stamp))))
                    continue
            else:  # line() inlined: a fifth of the rows at most, each a call less
                try:
                    plain, end = scan(fields_json, 0)
                    if type(plain) is dict and end == len(fields_json):  # type: ignore[arg-type]
                        values = tuple(map(escape, plain.values()))  # TypeError if not text
                        if check and _tokenish(fields_json, plain):  # masked: the long way
                            raise ValueError
                        shaped = template_of(kind, secret_json, tuple(plain))
                        if shaped is not None:
                            stamp = created if updated is None else updated
                            whole = shaped[0] + (name, created, stamp) + values
                            append("".join(shaped[1](whole)))
                            continue
                except (StopIteration, TypeError, ValueError):
                    pass
            append(line(row, checked=True))
        return lines

    def _rows(self, block_type: str | None, *, lean: bool = False) -> list[tuple[object, ...]]:
        """The catalog rows (type, name, fields, secret_fields, created, updated) of every
        block (of one type), ordered by type and name. ``lean``: fields ``{}`` and an
        ``updated`` equal to ``created`` come back as None (fewer strings to make: the
        columns are NOT NULL, so None means only that)."""
        if block_type is not None:
            lookup_type(block_type)
        columns = (
            "type, name, NULLIF(fields, '{}'), secret_fields, created, NULLIF(updated, created)"
            if lean
            else "type, name, fields, secret_fields, created, updated"
        )
        with self._read() as conn:
            if conn is None:
                return []
            if block_type is None:
                return conn.execute(
                    f"SELECT {columns} FROM blocks ORDER BY type, name"  # noqa: S608
                ).fetchall()
            return conn.execute(
                f"SELECT {columns} FROM blocks WHERE type = ? ORDER BY name",  # noqa: S608
                (block_type,),
            ).fetchall()

    def pages(self, size: int = 500) -> Iterator[list[Block]]:
        """The same blocks as ``list()``, ``size`` at a time as SQLite returns them, so a
        screen can show the first page before the rest is read. No keyring call."""
        with self._read() as conn:
            if conn is None:
                return
            cursor = conn.execute(
                "SELECT type, name, fields, secret_fields, created, updated FROM blocks "
                "ORDER BY type, name"
            )
            while rows := cursor.fetchmany(size):
                yield [_block(row) for row in rows]

    def get(self, block_type: str, name: str, *, include_secrets: bool = False) -> Block:
        """One block, its secrets looked for (``secrets`` "present", "missing" or "unknown")
        and, with ``include_secrets``, their values as SecretStr."""
        kind, name = _checked(block_type, name)
        row, catalog_id = None, ""
        with self._read() as conn:
            if conn is not None:
                row = conn.execute(
                    "SELECT type, name, fields, secret_fields, created, updated FROM blocks "
                    "WHERE type = ? AND name = ?",
                    (kind, name),
                ).fetchone()
                catalog_id = self._catalog_id(conn)
        if row is None:
            raise BlockNotFound(f"no block {kind}/{name} in the local catalog {self.path}")
        block = _block(row)
        if include_secrets:
            return self._with_values(block, catalog_id)
        return self._check(catalog_id, [block])[0]

    def check_secrets(self, blocks: Iterable[Block]) -> list[Block]:
        """See :class:`~flowwiz.writers.blocks.model.SecretChecking`: one keyring read per
        secret field (the keyring API has no "exists" call; values stay in the keyring
        module), all in one worker thread that gives up when a read takes longer than the
        keyring timeout; blocks not looked at by then are "unknown" (not one timeout each)."""
        blocks = list(blocks)
        if not any(b.secret_fields for b in blocks):
            return [_judged(b, {}, None, "") for b in blocks]
        catalog_id = ""
        with self._read() as conn:
            if conn is not None:
                catalog_id = self._catalog_id(conn)
        return self._check(catalog_id, blocks)

    def _check(self, catalog_id: str, blocks: list[Block]) -> list[Block]:
        usernames = [
            _username(catalog_id, b.type, b.name, f)
            for b in blocks
            for f in sorted(b.secret_fields)
        ]
        found: dict[str, bool] = {}
        failure: str | None = None
        if usernames:
            try:
                self.keyring.require("secrets cannot be checked")
            except NoKeyringError:
                failure = "no usable keyring to check its secret in"
            except BlockStoreError as exc:
                failure = f"its secret could not be checked: {exc.message}"
        if usernames and failure is None:
            try:
                found, stalled = self.keyring.present(usernames)
            except BlockStoreError as exc:  # its backend did not even load
                found, stalled = {}, exc.message
            if stalled is not None:
                failure = f"its secret could not be checked: {stalled}"
        return [_judged(b, found, failure, catalog_id) for b in blocks]

    def _with_values(self, block: Block, catalog_id: str) -> Block:
        """The block with its secret values read (for inspect --show-secrets and push)."""
        if not block.secret_fields:
            return _judged(block, {}, None, catalog_id)
        data = dict(block.data)
        missing: list[str] = []
        try:
            self.keyring.require("secrets cannot be read")
            for field in sorted(block.secret_fields):
                value = self.keyring.get(_username(catalog_id, block.type, block.name, field))
                if value is None:
                    missing.append(field)
                elif field in data:
                    data[field] = SecretStr(value)
        except NoKeyringError:
            why = "no usable keyring to read its secret from"
            return replace(block, secrets="unknown", unknown=why)
        except BlockStoreError as exc:
            why = f"its secret cannot be read: {exc.message}"
            return replace(block, secrets="unknown", unknown=why)
        if missing:
            return replace(block, data=data, secrets="missing", problem=_missing(block, missing))
        return replace(block, data=data, secrets="present")

    def exists(self, block_type: str, name: str) -> bool:
        kind, name = _checked(block_type, name)
        with self._read() as conn:
            if conn is None:
                return False
            row = conn.execute(
                "SELECT 1 FROM blocks WHERE type = ? AND name = ?", (kind, name)
            ).fetchone()
        return row is not None

    def save(
        self,
        block_type: str,
        name: str,
        data: Mapping[str, str | SecretStr | None],
        *,
        overwrite: bool = False,
        allow_plaintext: bool = False,
    ) -> Block:
        kind, name = _checked(block_type, name)
        values = normalize_data(kind, data, allow_plaintext=allow_plaintext)
        secret_values = {k: v for k, v in values.items() if isinstance(v, SecretStr)}
        plain = {k: v for k, v in values.items() if not isinstance(v, SecretStr)}
        status = None
        if secret_values:
            fields = ", ".join(repr(f) for f in secret_values)
            status = self.keyring.require(f"{kind}/{name} was not saved (secret {fields})")
        now = _now()
        with self._write() as conn:
            catalog_id = self._catalog_id(conn)
            row = conn.execute(
                "SELECT secret_fields, created FROM blocks WHERE type = ? AND name = ?",
                (kind, name),
            ).fetchone()
            if row is not None and not overwrite:
                raise BlockExists(
                    f"block {kind}/{name} already exists in the local catalog: "
                    "use --overwrite to replace it"
                )
            for field, value in secret_values.items():
                self.keyring.set(_username(catalog_id, kind, name, field), value.reveal())
            created = row[1] if row is not None else now
            conn.execute(
                "INSERT OR REPLACE INTO blocks (type, name, fields, secret_fields, created, "
                "updated) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, name, json.dumps(plain), json.dumps(sorted(secret_values)), created, now),
            )
            # secret fields the old version had and this one does not: drop their entries
            stale = set(_json_list(row[0]) if row is not None else []) - set(secret_values)
            for field in sorted(stale):
                self.keyring.delete(_username(catalog_id, kind, name, field))
        if status is not None and status.plaintext:
            where = f" in {status.location}" if status.location else ""
            self._warn(
                f"{kind}/{name}: the secret is stored UNENCRYPTED by {status.backend}{where}, "
                "because FLOWWIZ_ALLOW_PLAINTEXT_KEYRING=1"
            )
        return Block(
            type=kind,
            name=name,
            data=dict(values),
            secret_fields=frozenset(secret_values),
            created=_parse_time(created),
            updated=_parse_time(now),
        )

    def update(
        self,
        block_type: str,
        name: str,
        changes: Mapping[str, object | None],
        *,
        allow_plaintext: bool = False,
    ) -> Block:
        """Change only the fields named in ``changes`` (None or "" clears one): non-secret
        ones in the catalog row, each changed secret in its own keyring entry. A secret not
        in ``changes`` is neither read nor written; a cleared one's entry is removed. A
        token-looking text is refused in the changed fields only (``refuse_tokens``), unless
        ``allow_plaintext``: one stored before stays (masked wherever it is shown)."""
        kind, name = _checked(block_type, name)
        spec = lookup_type(kind)
        with self._read() as conn:
            row = None
            if conn is not None:
                row = conn.execute(
                    "SELECT type, name, fields, secret_fields, created, updated FROM blocks "
                    "WHERE type = ? AND name = ?",
                    (kind, name),
                ).fetchone()
        if row is None:
            raise BlockNotFound(f"no block {kind}/{name} in the local catalog {self.path}")
        old = _block(row)
        plain_old = {k: v for k, v in old.data.items() if k not in old.secret_fields}
        merged = {**plain_old, **{k: v for k, v in changes.items() if k not in spec.secret_fields}}
        changed_secrets = {k: v for k, v in changes.items() if k in spec.secret_fields}
        kept = old.secret_fields - set(changed_secrets)
        values = normalize_data(
            kind, {**merged, **changed_secrets}, present=kept, allow_plaintext=True
        )
        if not allow_plaintext:
            refuse_tokens(kind, spec, {k: v for k, v in values.items() if k in changes})
        to_write = {k: v for k, v in values.items() if isinstance(v, SecretStr)}
        to_clear = sorted(
            k for k in changed_secrets if k not in to_write and k in old.secret_fields
        )
        plain = {k: v for k, v in values.items() if not isinstance(v, SecretStr)}
        status = None
        if to_write or to_clear:
            status = self.keyring.require(f"{kind}/{name} was not changed")
        now = _now()
        with self._write() as conn:
            catalog_id = self._catalog_id(conn)
            current = conn.execute(
                "SELECT secret_fields, created FROM blocks WHERE type = ? AND name = ?",
                (kind, name),
            ).fetchone()
            if current is None:
                raise BlockNotFound(f"no block {kind}/{name} in the local catalog {self.path}")
            secret_names = (set(_json_list(current[0])) | set(to_write)) - set(to_clear)
            for field, value in to_write.items():
                self.keyring.set(_username(catalog_id, kind, name, field), value.reveal())
            conn.execute(
                "UPDATE blocks SET fields = ?, secret_fields = ?, updated = ? "
                "WHERE type = ? AND name = ?",
                (json.dumps(plain), json.dumps(sorted(secret_names)), now, kind, name),
            )
            for field in to_clear:
                self.keyring.delete(_username(catalog_id, kind, name, field))
            created = current[1]
        if status is not None and status.plaintext and to_write:
            where = f" in {status.location}" if status.location else ""
            self._warn(
                f"{kind}/{name}: the secret is stored UNENCRYPTED by {status.backend}{where}, "
                "because FLOWWIZ_ALLOW_PLAINTEXT_KEYRING=1"
            )
        data: dict[str, object | None] = dict(plain)
        data.update({k: to_write.get(k) for k in sorted(secret_names)})
        return Block(
            type=kind,
            name=name,
            data=data,
            secret_fields=frozenset(secret_names),
            created=_parse_time(created),
            updated=_parse_time(now),
            secrets="unchecked" if secret_names else "none",
        )

    def block_types(self) -> dict[str, BlockType]:
        """The shipped block types (writers/blocks/block_schemas.json), then those last
        seen on a Prefect server (``schemas.seen_path``, written by ``PrefectStore``)."""
        return {**SHIPPED_TYPES, **SEEN_TYPES}

    def delete(self, block_type: str, name: str) -> None:
        kind, name = _checked(block_type, name)
        if not self.path.exists():
            raise BlockNotFound(f"no block {kind}/{name} in the local catalog {self.path}")
        with self._write() as conn:
            row = conn.execute(
                "SELECT secret_fields FROM blocks WHERE type = ? AND name = ?", (kind, name)
            ).fetchone()
            if row is None:
                raise BlockNotFound(f"no block {kind}/{name} in the local catalog {self.path}")
            fields = _json_list(row[0])
            if fields:
                self.keyring.require(f"{kind}/{name} was not deleted")
            catalog_id = self._catalog_id(conn)
            conn.execute("DELETE FROM blocks WHERE type = ? AND name = ?", (kind, name))
            for field in fields:
                self.keyring.delete(_username(catalog_id, kind, name, field))

    # -- SQLite -------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection | None]:
        """A connection to an existing catalog, or None when there is none yet (reads never
        create it)."""
        if not self.path.exists():
            yield None
            return
        conn = self._connect()
        try:
            yield conn
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so two processes never both
        read 'absent' and then both insert.

        Waits for another process's write lock at most ``lock_wait`` seconds in all (opening,
        taking the lock and committing share one deadline), then fails naming the holder."""
        deadline = time.monotonic() + self.lock_wait
        conn = self._connect(deadline)
        try:
            _retry_locked(conn, "BEGIN IMMEDIATE", deadline)
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            # its own wait: the keyring calls above may have used up the first one
            _retry_locked(conn, "COMMIT", time.monotonic() + self.lock_wait)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        finally:
            conn.close()

    def _connect(self, deadline: float | None = None) -> sqlite3.Connection:
        if deadline is None:
            deadline = time.monotonic() + self.lock_wait
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fresh = not self.path.exists()
            conn = sqlite3.connect(self.path, timeout=self.lock_wait, isolation_level=None)
            if fresh:
                self.path.chmod(0o600)  # names of the user's credentials are nobody else's
            _retry_locked(conn, "PRAGMA journal_mode = WAL", deadline)
            self._ensure_schema(conn, deadline)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        except OSError as exc:
            raise BlockStoreError(
                f"cannot open the block catalog {self.path}: {exc.strerror or exc}"
            ) from None
        return conn

    def _ensure_schema(self, conn: sqlite3.Connection, deadline: float) -> None:
        version = _schema_version(conn)
        if version == SCHEMA_VERSION:
            return
        if version is None or version < SCHEMA_VERSION:
            _retry_locked(conn, "BEGIN IMMEDIATE", deadline)
            try:
                version = _schema_version(conn)  # another process may have won the race
                if version is None:
                    import secrets  # here only: hmac and hashlib cost every listing ~5 ms

                    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
                    for statement in _SCHEMA:
                        conn.execute(statement)
                    conn.execute(
                        "INSERT OR IGNORE INTO meta (key, value) VALUES ('catalog_id', ?)",
                        (secrets.token_hex(8),),
                    )
                    conn.execute("DELETE FROM schema_version")
                    conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
                    version = SCHEMA_VERSION
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        if version is not None and version > SCHEMA_VERSION:
            conn.close()
            raise BlockStoreError(
                f"the block catalog {self.path} was written by a newer flowwiz (schema "
                f"{version}, this one reads {SCHEMA_VERSION}): upgrade flowwiz"
            )

    @staticmethod
    def _catalog_id(conn: sqlite3.Connection) -> str:
        row = conn.execute("SELECT value FROM meta WHERE key = 'catalog_id'").fetchone()
        if row is None:
            raise BlockStoreError("the block catalog has no catalog id: it is damaged")
        return str(row[0])

    def _error(self, exc: sqlite3.Error) -> BlockStoreError:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, sqlite3.OperationalError) and _is_locked(exc):
            holders = ", ".join(lock_holders(self.path)) or "another process"
            return BlockStoreError(
                f"the block catalog {self.path} is locked by {holders}: gave up after "
                f"{self.lock_wait:g} s; nothing was changed, try again when it has finished"
            )
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
            return BlockStoreError(
                f"the block catalog {self.path} is not a SQLite database: move it aside "
                "and flowwiz starts a new one"
            )
        return BlockStoreError(f"the block catalog {self.path} failed: {text}")


def _block(row: tuple[object, ...]) -> Block:
    """A catalog row as a Block, from the catalog alone (secrets "unchecked" or "none")."""
    kind, name, fields_json, secret_json, created, updated = row
    kind, name = str(kind), str(name)
    problems: list[str] = []
    try:
        plain = json.loads(str(fields_json))
        if not isinstance(plain, dict):
            raise ValueError
    except ValueError:
        plain, problems = {}, ["its fields in the catalog are unreadable"]
    secret_names = _json_list(secret_json)
    spec = known_type(kind)
    if spec is None:
        problems.append(f"unknown block type {kind!r}")
    data: dict[str, str | SecretStr | None] = {}
    order = [f.name for f in spec.fields] if spec else sorted({*plain, *secret_names})
    for field in order:
        if field in secret_names:
            data[field] = None
        elif field in plain:
            data[field] = plain[field]  # typed as stored (text, numbers, booleans, JSON)
    return Block(
        type=kind,
        name=name,
        data=data,
        secret_fields=frozenset(secret_names),
        created=_parse_time(str(created)),
        updated=_parse_time(str(updated)),
        problem="; ".join(problems) or None,
        secrets="unchecked" if secret_names else "none",
    )


# A timestamp as ``_now()`` writes it whose ``isoformat()`` is itself: a valid date (29
# February is left to the long way), microseconds not 0 (isoformat() drops ".000000"), UTC.
# (patterns as text: re compiles and caches them on first use, not at every import)
_CANONICAL_TIME = (
    r"(?!0000)[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.(?!000000)[0-9]{6}\+00:00"
)
_CANONICAL_TIMES = f"(?:{_CANONICAL_TIME})(?:\n(?:{_CANONICAL_TIME}))*"
# names json.dumps writes as they are (printable ASCII but " and \), one per line
_PLAIN_NAMES = r"[ !#-\[\]-~]*(?:\n[ !#-\[\]-~]*)*"


def _any_tokenish(rows: Sequence[tuple[object, ...]]) -> bool:
    """False when no row's plain values can hold a token: one ``json_may_hold_token`` look
    at their JSON texts joined by newlines (a separator, so no piece spans two rows)."""
    try:
        joined = "\n".join([row[2] for row in rows if row[2] is not None])  # type: ignore[misc]
    except TypeError:  # a value that is not text: each row is looked at
        return True
    return json_may_hold_token(joined)


def _tokenish(fields_json: object, plain: Mapping[str, object]) -> bool:
    """Whether a row's plain values hold a token-looking text (``token_text``), which
    ``Block.masked`` masks: then the row goes the long way. One regex search over the
    row's JSON text answers most rows (``json_may_hold_token``)."""
    if not json_may_hold_token(str(fields_json)):
        return False
    # an identifier field (``*_id``) is shown as it is (``mask_field``): no need to go long
    return any(
        token_text(v) for k, v in plain.items() if isinstance(v, str) and not k.endswith("_id")
    )


def _plain_rows(rows: Sequence[tuple[object, ...]]) -> bool:
    """Whether every row's name needs no JSON escape and its timestamps are canonical
    (``_CANONICAL_TIME``): one regex pass over each column, not a call per row."""
    if not rows:
        return True
    later = [row[5] for row in rows if row[5] is not None and row[5] != row[4]]
    try:
        names_text = "\n".join([row[1] for row in rows])  # type: ignore[misc]
        times = "\n".join([row[4] for row in rows] + later)  # type: ignore[misc]
    except TypeError:  # a value that is not text
        return False
    return bool(re.fullmatch(_PLAIN_NAMES, names_text) and re.fullmatch(_CANONICAL_TIMES, times))


# the probe's markers: a name json.dumps writes as \u0001, two canonical timestamps, and
# plain values it writes as "\u0002A", "\u0002B"...
_NAME_MARK = "\x01"
_TIME_MARKS = ("1111-11-11T11:11:11.111111+00:00", "1222-12-12T12:12:12.121212+00:00")
_MARKS = r"\\u0001|" + "|".join(map(re.escape, _TIME_MARKS)) + r'|"\\u0002[A-Z]"'
_scan_json = json.JSONDecoder().scan_once  # (value, end), no check for trailing text
_json_string = json.encoder.encode_basestring_ascii  # a str as json.dumps writes it
# (the literal text of a row's line, picks of it and of the row's name, timestamps, values)
_Template = tuple[tuple[str, ...], Callable[[tuple[str, ...]], tuple[str, ...]]]


def _template(
    encode: Callable[[Block], str], kind: object, secret_json: object, keys: tuple[str, ...]
) -> _Template | None:
    """The template of the rows of one shape (see ``LocalStore.listing_json``), or None
    when it does not reproduce ``encode`` on a second probe (or the shape has too many
    fields to mark)."""
    if len(keys) > 26:
        return None
    marks = {k: "\x02" + chr(ord("A") + i) for i, k in enumerate(keys)}
    probe = (kind, _NAME_MARK, json.dumps(marks), secret_json, *_TIME_MARKS)
    text = encode(_block(probe))
    slots = {"\\u0001": 0, _TIME_MARKS[0]: 1, _TIME_MARKS[1]: 2}
    slots.update((json.dumps(m), 3 + i) for i, m in enumerate(marks.values()))
    literal = re.split(_MARKS, text)
    found = re.findall(_MARKS, text)
    if any(m not in slots for m in found):
        return None
    # pieces are the literals, then the row's values: 0 name, 1 created, 2 updated, 3... plain
    order: list[int] = []
    for i in range(len(literal)):
        order.append(i)
        if i < len(found):
            order.append(len(literal) + slots[found[i]])
    template: _Template = (tuple(literal), operator.itemgetter(*order))
    name = "probe-\u00e9\"{0}"
    times = ("2001-02-03T04:05:06.000007+00:00", "2002-03-04T05:06:07.000008+00:00")
    values = {k: f"v\u00e9\"{i}}}" for i, k in enumerate(keys)}
    expected = encode(_block((kind, name, json.dumps(values), secret_json, *times)))
    pieces, pick = template
    row = (_json_string(name)[1:-1], *times, *map(_json_string, values.values()))
    if "".join(pick(pieces + row)) != expected:
        return None
    return template
def _register_seen(catalog: Path) -> None:
    """Make the types last seen on a server (kept next to this catalog) known to this
    process, so blocks of those types can be kept and listed locally."""
    SEEN_TYPES.update(load_seen(seen_path(catalog)))


def _missing(block: Block, fields: list[str]) -> str:
    text = "; ".join(f"secret field {f!r} missing from the keyring" for f in fields)
    return f"{block.problem}; {text}" if block.problem else text


def _judged(block: Block, found: Mapping[str, bool], failure: str | None, catalog_id: str) -> Block:
    """The block with what the keyring said about its secret fields."""
    if not block.secret_fields:
        return replace(block, secrets="none")
    names = {
        f: _username(catalog_id, block.type, block.name, f) for f in sorted(block.secret_fields)
    }
    if not all(u in found for u in names.values()):
        return replace(block, secrets="unknown", unknown=failure or "its secret was not checked")
    missing = [f for f, u in names.items() if not found[u]]
    if missing:
        return replace(block, secrets="missing", problem=_missing(block, missing))
    return replace(block, secrets="present")


def _checked(kind: str, name: str) -> tuple[str, str]:
    lookup_type(kind)
    return kind, check_name(name)


def _username(catalog_id: str, kind: str, name: str, field: str) -> str:
    return f"{catalog_id}/{kind}/{name}/{field}"


def _json_list(text: object) -> list[str]:
    try:
        value = json.loads(str(text))
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _schema_version(conn: sqlite3.Connection) -> int | None:
    try:
        row = conn.execute("SELECT version FROM schema_version").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    return int(row[0]) if row is not None else None


def _lock_wait(env: Mapping[str, str]) -> float:
    """Seconds to wait for another process's write lock: LOCK_WAIT_ENV, else BUSY_TIMEOUT_MS."""
    try:
        seconds = float(env.get(LOCK_WAIT_ENV, ""))
    except ValueError:
        return BUSY_TIMEOUT_MS / 1000
    return seconds if 0 <= seconds <= BUSY_TIMEOUT_MS / 1000 else BUSY_TIMEOUT_MS / 1000


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _retry_locked(conn: sqlite3.Connection, statement: str, deadline: float) -> None:
    """Run a statement another process's lock may refuse, until ``deadline`` (monotonic).

    SQLite's busy handler waits ``busy_timeout`` per statement, and some refusals (switching
    to WAL, taking the write lock while another process checkpoints) skip it; so the handler
    gets only the time left each try, and the whole wait is bounded by the deadline.
    """
    while True:
        left = deadline - time.monotonic()
        conn.execute(f"PRAGMA busy_timeout = {max(int(left * 1000), 0)}")
        try:
            conn.execute(statement)
            return
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(min(0.05, max(deadline - time.monotonic(), 0)))


def lock_holders(path: Path) -> list[str]:
    """"pid N (name)" of the processes holding a write lock on the catalog or its WAL index,
    read from Linux's /proc/locks; [] elsewhere or when none is found. Only the process name
    (/proc/N/comm) is shown: another program's command line may hold anything."""
    inodes: set[tuple[int, int, int]] = set()
    for candidate in (path, path.with_name(path.name + "-shm")):
        try:
            st = candidate.stat()
        except OSError:
            continue
        inodes.add((os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    found: list[str] = []
    for line in lines:
        parts = line.split()
        if "->" in parts or len(parts) < 6 or parts[3] != "WRITE":
            continue
        try:
            pid = int(parts[4])
            major, minor, inode = parts[5].split(":")
            key = (int(major, 16), int(minor, 16), int(inode))
        except ValueError:
            continue
        if key not in inodes or pid in (os.getpid(), -1):
            continue
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            name = "?"
        label = f"pid {pid} ({name})"
        if label not in found:
            found.append(label)
    return found
