"""The local backend: a SQLite catalog of blocks, their secret values only in the OS keyring.

The catalog (``writers.paths.catalog_path()``) holds each block's type, name, non-secret
fields, the names of its stored secret fields and its timestamps; never a secret value. Each
secret field is one keyring entry: service ``flowwiz``, username
``<catalog id>/<type>/<name>/<field>``. The catalog id is random and stored in the catalog, so
a catalog made elsewhere (a test's FLOWWIZ_HOME) never reads or overwrites the user's entries.

Concurrency: WAL, a busy timeout, and every change inside one ``BEGIN IMMEDIATE`` transaction
that also covers its keyring writes, so concurrent flowwiz processes are serialised on the
catalog (which also keeps a file-backed keyring, not itself process-safe, consistent).

Order of effects, so a failure never loses a block silently:
- save: keyring entries first, then the catalog row. A failure in between leaves at most an
  orphaned keyring entry, which the next save of that name overwrites.
- delete: the row is deleted and the keyring entries removed inside the same transaction,
  then it commits. If the commit fails after the keyring was cleared, the row stays and is
  shown as broken ("secret field ... missing from the keyring"), not lost.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from flowwiz.detectors.secret import SecretStr
from flowwiz.writers.blocks.keyring_backend import DEFAULT_TIMEOUT, SecretKeyring
from flowwiz.writers.blocks.model import (
    BLOCK_TYPES,
    Block,
    BlockExists,
    BlockNotFound,
    BlockStoreError,
    NoKeyringError,
    PlaintextKeyringWarning,
    StoreKind,
    check_name,
    normalize_data,
)
from flowwiz.writers.blocks.model import block_type as lookup_type

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000

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
        self._warn = on_warning or _default_warn

    # -- the interface ------------------------------------------------------------------

    def check(self) -> None:
        """A readable catalog (when there is one) and a usable keyring, or the clear error."""
        with self._read():
            pass
        self.keyring.require("nothing was stored (no secret can be kept on this machine)")

    def list(self, block_type: str | None = None) -> list[Block]:
        if block_type is not None:
            lookup_type(block_type)
        with self._read() as conn:
            if conn is None:
                return []
            if block_type is None:
                rows = conn.execute(
                    "SELECT type, name, fields, secret_fields, created, updated FROM blocks "
                    "ORDER BY type, name"
                ).fetchall()
            else:
                rows = conn.execute(
                    "SELECT type, name, fields, secret_fields, created, updated FROM blocks "
                    "WHERE type = ? ORDER BY name",
                    (block_type,),
                ).fetchall()
            catalog_id = self._catalog_id(conn)
        checker = _SecretChecker(self.keyring, catalog_id)
        checker.prefetch(
            (str(row[0]), str(row[1]), field) for row in rows for field in _json_list(row[3])
        )
        return [self._block(row, checker, include_secrets=False) for row in rows]

    def get(self, block_type: str, name: str, *, include_secrets: bool = False) -> Block:
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
        checker = _SecretChecker(self.keyring, catalog_id)
        return self._block(row, checker, include_secrets=include_secrets)

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
    ) -> Block:
        kind, name = _checked(block_type, name)
        values = normalize_data(kind, data)
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

    # -- rows to blocks -----------------------------------------------------------------

    def _block(
        self, row: tuple[object, ...], checker: _SecretChecker, *, include_secrets: bool
    ) -> Block:
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
        spec = BLOCK_TYPES.get(kind)
        if spec is None:
            problems.append(f"unknown block type {kind!r}")
        data: dict[str, str | SecretStr | None] = {}
        order = [f.name for f in spec.fields] if spec else sorted({*plain, *secret_names})
        for field in order:
            if field in secret_names:
                value, problem = checker.read(kind, name, field)
                if problem:
                    problems.append(problem)
                data[field] = SecretStr(value) if include_secrets and value is not None else None
            elif field in plain:
                value = plain[field]
                data[field] = value if isinstance(value, str) or value is None else str(value)
        return Block(
            type=kind,
            name=name,
            data=data,
            secret_fields=frozenset(secret_names),
            created=_parse_time(str(created)),
            updated=_parse_time(str(updated)),
            problem="; ".join(problems) or None,
        )

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
        read 'absent' and then both insert."""
        conn = self._connect()
        try:
            _retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"))
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            _retry_locked(lambda: conn.execute("COMMIT"))
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fresh = not self.path.exists()
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            if fresh:
                self.path.chmod(0o600)  # names of the user's credentials are nobody else's
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            self._ensure_schema(conn)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        except OSError as exc:
            raise BlockStoreError(
                f"cannot open the block catalog {self.path}: {exc.strerror or exc}"
            ) from None
        return conn

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        version = _schema_version(conn)
        if version == SCHEMA_VERSION:
            return
        if version is None or version < SCHEMA_VERSION:
            _retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"))
            try:
                version = _schema_version(conn)  # another process may have won the race
                if version is None:
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
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
            return BlockStoreError(
                f"the block catalog {self.path} is not a SQLite database: move it aside "
                "and flowwiz starts a new one"
            )
        return BlockStoreError(f"the block catalog {self.path} failed: {text}")


class _SecretChecker:
    """Reads (or checks) secret fields of listed rows; after the keyring fails once it stops
    asking, so a list over a locked keyring is not one timeout per row."""

    def __init__(self, keyring: SecretKeyring, catalog_id: str) -> None:
        self.keyring = keyring
        self.catalog_id = catalog_id
        self.failure: str | None = None
        self.known: dict[str, str | None] = {}

    def prefetch(self, keys: Iterable[tuple[str, str, str]]) -> None:
        """Read every listed secret at once; read() then answers from memory."""
        usernames = [_username(self.catalog_id, kind, name, field) for kind, name, field in keys]
        if not usernames:
            return
        try:
            self.keyring.require("secrets cannot be read")
            self.known = self.keyring.get_many(usernames)
        except NoKeyringError:
            self.failure = "no usable keyring to read its secret from"
        except BlockStoreError as exc:
            self.failure = f"its secret cannot be read: {exc.message}"

    def read(self, kind: str, name: str, field: str) -> tuple[str | None, str | None]:
        username = _username(self.catalog_id, kind, name, field)
        if self.failure is None and username in self.known:
            value = self.known[username]
            if value is None:
                return None, f"secret field {field!r} missing from the keyring"
            return value, None
        if self.failure is None:
            try:
                self.keyring.require("secrets cannot be read")
                value = self.keyring.get(_username(self.catalog_id, kind, name, field))
            except NoKeyringError:
                self.failure = "no usable keyring to read its secret from"
            except BlockStoreError as exc:
                self.failure = f"its secret cannot be read: {exc.message}"
            else:
                if value is None:
                    return None, f"secret field {field!r} missing from the keyring"
                return value, None
        return None, self.failure


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


def _retry_locked(step: Callable[[], object], attempts: int = 50) -> None:
    """Run a statement that SQLite may refuse with 'locked' without calling the busy handler
    (switching to WAL, taking the write lock while another process is checkpointing)."""
    for attempt in range(attempts):
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 + 0.01 * attempt)
