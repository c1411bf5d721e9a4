"""The store's foundation: one SQLite connection per thread, WAL, transactions, error mapping.

``StoreBase`` opens one connection per thread (``threading.local``), checks integrity, enables
WAL and applies the migrations at open. The database file and its ``-wal``/``-shm`` companions
are readable by their owner only (0600): they hold every stored article. Writes run in
one ``BEGIN IMMEDIATE`` transaction (``_write``), which takes the write lock up front, so a
check and the write it guards cannot interleave with another writer. Operational sqlite errors
(locked, corrupt, unwritable, disk full) become ``StorageError`` with one sentence; programming
errors and integrity errors propagate (the domain mixins turn the expected ones into sentences).
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import sqlite_utils

from digests.errors import StorageError
from digests.store.schema import apply_migrations

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

#: the database and its -wal/-shm files: owner read/write only
FILE_MODE = 0o600
_COMPANIONS = ("", "-wal", "-shm", "-journal")


# --- value conversions ------------------------------------------------------------------------
def ts(when: datetime) -> str:
    """A sortable UTC timestamp string (fixed width, so string order is time order)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def ots(when: datetime | None) -> str | None:
    return None if when is None else ts(when)


def dt(value: object) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def req_dt(value: object) -> datetime:
    parsed = dt(value)
    if parsed is None:
        raise ValueError("missing timestamp")
    return parsed


def rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The rows of a query as dicts (column name -> value)."""
    cursor = conn.execute(sql, tuple(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --- errors -----------------------------------------------------------------------------------
def storage_errors(func: Callable[P, T]) -> Callable[P, T]:
    """Turn operational sqlite errors into StorageError; bugs (SQL, integrity) propagate."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise
        except sqlite3.DatabaseError as exc:
            raise StorageError(_describe(exc)) from exc

    return wrapper


def _describe(exc: sqlite3.DatabaseError) -> str:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "The database is locked by another process; try again in a moment."
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "The database file is corrupt or is not a newsdigest database."
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return "The database file cannot be opened for writing; check its path and permissions."
    if "disk" in text or "full" in text:
        return "The database could not be written: the disk is full or failing."
    return f"The database reported an error: {str(exc).rstrip('.')}."


# --- connections ------------------------------------------------------------------------------
class _Local(threading.local):
    """This thread's connection (None until the thread first touches the store)."""

    db: sqlite_utils.Database | None = None


class StoreBase:
    """Thread-safe access to one SQLite file: one connection per thread, WAL, migrated at open."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = str(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = _Local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._open()

    @storage_errors
    def _open(self) -> None:
        self._create_private()
        db = self._db()
        row = db.execute("PRAGMA integrity_check").fetchone()
        if row is None or row[0] != "ok":
            raise StorageError("The database file is corrupt (integrity check failed).")
        if self.path != ":memory:":
            db.enable_wal()
        apply_migrations(db)
        self._restrict_files()

    def _on_disk(self) -> bool:
        return self.path != ":memory:" and not self.path.startswith("file:")

    def _create_private(self) -> None:
        """Create the database file 0600 before SQLite opens it: SQLite gives the -wal and
        -shm files it creates the database file's permissions. An existing file, maybe
        created by an older version, is tightened too."""
        if not self._on_disk():
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError:
            return  # SQLite reports an unusable path in its own words (StorageError)
        os.close(fd)
        self._restrict_files()

    def _restrict_files(self) -> None:
        if not self._on_disk():
            return
        for suffix in _COMPANIONS:
            try:
                os.chmod(self.path + suffix, FILE_MODE)
            except FileNotFoundError:
                continue
            except OSError as exc:  # not ours to change (another owner, a read-only mount)
                log.warning("could not make %s private: %s", self.path + suffix, exc)

    def _db(self) -> sqlite_utils.Database:
        db = self._local.db
        if db is None:
            # check_same_thread=False only so close() may run from any thread; each
            # connection is used by the one thread that opened it
            conn = sqlite3.connect(
                self.path, timeout=self._busy_timeout_ms / 1000, check_same_thread=False
            )
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = NORMAL")
                db = sqlite_utils.Database(conn, execute_plugins=False)
            except BaseException:
                conn.close()
                raise
            with self._lock:
                self._connections.append(conn)
            self._local.db = db
        return db

    def _conn(self) -> sqlite3.Connection:
        return self._db().conn

    def close(self) -> None:
        """Close every connection this store opened (call once no thread uses it any more)."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            try:
                conn.close()
            except sqlite3.ProgrammingError:
                pass  # closed from its own thread already, or used by another thread

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: takes the write lock up front)."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return rows(self._conn(), sql, params)

    def _in_batches(self, sql: str, stamp: str, batch: int) -> int:
        """Run ``sql`` (parameters: the cut-off stamp, the batch size) until it changes no row."""
        total = 0
        while True:
            with self._write() as conn:
                changed = conn.execute(sql, (stamp, batch)).rowcount
            total += changed
            if changed < batch:
                return total
