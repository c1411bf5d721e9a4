"""The store's foundation: the two backends, their one dialect layer, sessions and error mapping.

A ``Store`` sits on SQLite (a file path: the embedded default) or on PostgreSQL (a
``postgresql://`` URL, ``digests.store.postgres``). Queries are written once, in SQLite's
spelling; ``Conn`` is one connection of either backend and owns what differs between them:

- placeholders and ``INSERT OR IGNORE``: a PostgreSQL connection rewrites ``?`` to ``%s`` and
  ``INSERT OR IGNORE …`` to ``INSERT … ON CONFLICT DO NOTHING`` (``RETURNING`` is common to both);
- a few spellings the mixins splice in: ``like`` (ASCII case-insensitive), ``greatest``,
  ``first_story_id`` (a JSON path), ``for_update`` / ``skip_locked`` (row locks);
- the write transaction (``transaction``): SQLite's ``BEGIN IMMEDIATE`` takes the database's one
  write lock up front, so a check and the write it guards cannot interleave with another writer;
  PostgreSQL's plain ``BEGIN`` takes row locks (``for_update``) and, where a check spans rows
  (a server's feed count, a channel's pending digest), ``lock(key)``: a transaction-scoped
  advisory lock, a no-op on SQLite;
- errors (``Backend.storage_message``): operational ones (locked, corrupt, unwritable, the server
  gone) become ``StorageError`` with one sentence; programming and integrity errors propagate.

Flags stay 0/1 integers and timestamps fixed-width UTC text on both, so comparisons and ordering
are identical. Every public store method runs in one session (``storage_errors``): one connection
for the whole call, this thread's own on SQLite, one from a small pool on PostgreSQL. The SQLite
file and its ``-wal``/``-shm`` companions are readable by their owner only (0600): they hold
every stored article.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Concatenate, ParamSpec, Protocol, TypeVar

import sqlite_utils

from digests.errors import StorageError
from digests.store.schema import apply_migrations

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
S = TypeVar("S", bound="StoreBase")

#: the database and its -wal/-shm files: owner read/write only
FILE_MODE = 0o600
_COMPANIONS = ("", "-wal", "-shm", "-journal")
#: seconds between tries of the switch to WAL while another connection holds the file (doubling)
WAL_RETRY_FIRST = 0.005
WAL_RETRY_MAX = 0.1
#: what a database URL (rather than an SQLite file path) starts with
DATABASE_URL_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(target: str | Path) -> bool:
    """Whether ``target`` names a PostgreSQL server (a URL) rather than an SQLite file."""
    return str(target).startswith(DATABASE_URL_SCHEMES)


# --- value conversions ------------------------------------------------------------------------
def ts(when: datetime) -> str:
    """A sortable UTC timestamp string (fixed width, so string order is time order)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    # (isoformat, not strftime: four times faster, and a cycle writes one or two per feed)
    return when.astimezone(UTC).isoformat(timespec="microseconds")


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


# --- the dialect layer ------------------------------------------------------------------------
class Cursor(Protocol):
    """What both drivers' cursors offer and the mixins use."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Conn(ABC):
    """One connection of either backend, and the dialect its SQL is spoken in."""

    #: ``LIKE`` that ignores ASCII case (SQLite's LIKE does; PostgreSQL's is ILIKE)
    like: ClassVar[str]
    #: appended to a read that guards a write in the same transaction: lock its rows
    for_update: ClassVar[str]
    #: appended to a claim: lock the rows, passing over those another transaction holds
    skip_locked: ClassVar[str]
    #: whether this is PostgreSQL (for the few queries written twice, side by side)
    postgres: ClassVar[bool]

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    @abstractmethod
    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction: committed when the block ends, rolled back if it raises."""

    @abstractmethod
    def lock(self, key: str) -> None:
        """Inside a transaction: wait until no other transaction holds ``key`` (released at
        commit). For checks spanning several rows, e.g. a server's feed count."""

    @staticmethod
    @abstractmethod
    def greatest(a: str, b: str) -> str:
        """The SQL for the larger of two values."""

    @staticmethod
    @abstractmethod
    def first_story_id(column: str) -> str:
        """The SQL for the integer ``items[0].story_id`` of a JSON text column."""


#: ids per ``IN (…)`` list (well under SQLite's bound-parameter limit)
ID_CHUNK = 500


def placeholders(count: int) -> str:
    """The placeholders of an ``IN (…)`` list of ``count`` values."""
    return ",".join("?" * count)


def id_chunks(ids: Iterable[int]) -> Iterator[tuple[list[int], str]]:
    """``ids`` without repeats, in lists of at most ``ID_CHUNK``, each with the placeholders
    of its ``IN (…)`` list."""
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), ID_CHUNK):
        chunk = unique[start : start + ID_CHUNK]
        yield chunk, placeholders(len(chunk))


def rows(conn: Conn, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The rows of a query as dicts (column name -> value)."""
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class SqliteConn(Conn):
    like = "LIKE"
    for_update = ""  # BEGIN IMMEDIATE holds the database's only write lock already
    skip_locked = ""
    postgres = False

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.raw.execute(sql, tuple(params))

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        self.raw.executemany(sql, (tuple(p) for p in params))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE: takes the write lock up front."""
        self.raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.raw.in_transaction:
                self.raw.execute("ROLLBACK")
            raise
        else:
            self.raw.execute("COMMIT")

    def lock(self, key: str) -> None:
        """Nothing to do: the transaction holds the whole database's write lock."""

    @staticmethod
    def greatest(a: str, b: str) -> str:
        return f"MAX({a}, {b})"

    @staticmethod
    def first_story_id(column: str) -> str:
        return f"json_extract({column}, '$.items[0].story_id')"


# --- backends ---------------------------------------------------------------------------------
class Backend(ABC):
    """Where a store's connections come from, and how its driver's errors read."""

    @abstractmethod
    def open(self) -> None:
        """Check the database and apply the pending migrations."""

    @abstractmethod
    def session(self) -> AbstractContextManager[Conn]:
        """A connection for one store call, this thread's alone while the block runs."""

    @abstractmethod
    def storage_message(self, exc: Exception) -> str | None:
        """The one sentence for an operational error; None for a bug or an integrity error
        (it propagates: the mixins map the expected ones)."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection (call once no thread uses the store any more)."""

    def retryable(self, exc: BaseException | None) -> bool:
        """Whether ``exc`` rolled a transaction back to let another go on (run it again)."""
        return False


class _SqliteLocal(threading.local):
    """This thread's connection (None until the thread first touches the store)."""

    db: sqlite_utils.Database | None = None


class SqliteBackend(Backend):
    """One SQLite file: one connection per thread, WAL, integrity-checked and migrated at open."""

    def __init__(
        self,
        path: str,
        *,
        busy_timeout_ms: int = 5000,
        clock: Callable[[], float] = time.monotonic,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._clock = clock
        self._pause = pause
        self._local = _SqliteLocal()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []

    def open(self) -> None:
        self._create_private()
        db = self._db()
        row = db.execute("PRAGMA integrity_check").fetchone()
        if row is None or row[0] != "ok":
            raise StorageError("The database file is corrupt (integrity check failed).")
        if self.path != ":memory:":
            self._enable_wal(db)
        apply_migrations(db)
        self._restrict_files()

    def _enable_wal(self, db: sqlite_utils.Database) -> None:
        """Switch the file to WAL, waiting for other connections as the busy timeout would.

        While another connection is writing to the file (a second opener migrating it), SQLite
        answers the switch with "locked" at once, without calling its busy handler: processes
        (or threads) opening a new database together failed now and then. So wait here, up to
        the same timeout."""
        deadline = self._clock() + self._busy_timeout_ms / 1000
        delay = WAL_RETRY_FIRST
        while True:
            try:
                db.enable_wal()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc).lower() or self._clock() >= deadline:
                    raise
            self._pause(delay)
            delay = min(delay * 2, WAL_RETRY_MAX)

    @contextmanager
    def session(self) -> Iterator[Conn]:
        yield SqliteConn(self._db().conn)

    def storage_message(self, exc: Exception) -> str | None:
        if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
            return None
        if isinstance(exc, sqlite3.InterfaceError) or not isinstance(exc, sqlite3.DatabaseError):
            return None
        return _describe(exc)

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            try:
                conn.close()
            except sqlite3.ProgrammingError:
                pass  # closed from its own thread already, or used by another thread

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


def open_backend(target: str, *, busy_timeout_ms: int) -> Backend:
    """PostgreSQL for a ``postgresql://`` URL, else the SQLite file at ``target``."""
    if is_database_url(target):
        from digests.store.postgres import PostgresBackend  # only deployments that use it

        return PostgresBackend(target, timeout_ms=busy_timeout_ms)
    return SqliteBackend(target, busy_timeout_ms=busy_timeout_ms)


# --- sessions and errors ----------------------------------------------------------------------
#: runs of a store call whose transaction the database aborted to break a deadlock
ATTEMPTS = 3


def storage_errors(func: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
    """Run a store method in one session (nested calls share it); operational errors become
    StorageError, bugs (SQL, integrity) propagate. A call the database rolled back to break a
    deadlock (PostgreSQL) runs again, up to ``ATTEMPTS`` times: every store call is a unit
    that may be repeated (its transactions either committed whole or not at all, and a
    repeat of one that committed finds its work done)."""

    @functools.wraps(func)
    def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        attempts = 1 if self._session_local.conn is not None else ATTEMPTS  # nested: once
        for attempt in range(1, attempts + 1):
            try:
                with self._errors(), self._session():
                    return func(self, *args, **kwargs)
            except StorageError as exc:
                if attempt == attempts or not self._backend.retryable(exc.__cause__):
                    raise
                log.info("%s was rolled back (%s); running it again", func.__name__, exc)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


class _Session(threading.local):
    """The connection of the store call running on this thread (None between calls)."""

    conn: Conn | None = None


class StoreBase:
    """Thread-safe access to one database: SQLite (a file path) or PostgreSQL (a URL)."""

    def __init__(self, target: str | Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = str(target)
        self._backend = open_backend(self.path, busy_timeout_ms=busy_timeout_ms)
        self._session_local = _Session()
        self._open()

    def _open(self) -> None:
        with self._errors():
            self._backend.open()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except Exception as exc:
            message = self._backend.storage_message(exc)
            if message is None:
                raise
            raise StorageError(message) from exc

    @contextmanager
    def _session(self) -> Iterator[Conn]:
        current = self._session_local.conn
        if current is not None:
            yield current
            return
        with self._backend.session() as conn:
            self._session_local.conn = conn
            try:
                yield conn
            finally:
                self._session_local.conn = None

    def _conn(self) -> Conn:
        """The connection of the running store call (methods run under ``storage_errors``)."""
        conn = self._session_local.conn
        if conn is None:
            raise RuntimeError("store used outside a @storage_errors method")
        return conn

    def close(self) -> None:
        """Close every connection this store opened (call once no thread uses it any more)."""
        self._backend.close()

    @contextmanager
    def _write(self) -> Iterator[Conn]:
        """One write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN + row locks)."""
        conn = self._conn()
        with conn.transaction():
            yield conn

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
