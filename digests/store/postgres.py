"""The PostgreSQL backend (psycopg 3): a small connection pool, the dialect, error sentences.

Chosen by a ``postgresql://`` URL (``NEWSDIGEST_DATABASE_URL``). The store is synchronous and
runs in worker threads, so it uses psycopg's sync API: each store call checks one connection
out of a ``psycopg_pool.ConnectionPool`` (autocommit: a read is one statement's snapshot, as on
SQLite; a write is an explicit transaction). Migrations (``schema.PG_MIGRATIONS``) run at open
under an advisory lock, so several processes starting at once migrate once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg_pool
from psycopg import errors as pg_errors

from digests.errors import StorageError
from digests.store.base import Backend, Conn, Cursor
from digests.store.schema import apply_pg_migrations

#: connections per process: the default thread pool runs a handful of store calls at once
POOL_SIZE = 8
#: seconds to wait for a first connection at open
CONNECT_TIMEOUT = 10
#: seconds a store call waits for a pooled connection (all busy, or the server gone)
CHECKOUT_TIMEOUT = 10.0


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """A query in SQLite's spelling, for psycopg: ``?`` -> ``%s`` (a literal ``%`` doubled),
    ``INSERT OR IGNORE … -> INSERT … ON CONFLICT DO NOTHING``. Our queries hold no ``?``
    but placeholders."""
    out = sql.replace("%", "%%").replace("?", "%s")
    if "INSERT OR IGNORE" in out:
        out = out.replace("INSERT OR IGNORE", "INSERT", 1).rstrip() + " ON CONFLICT DO NOTHING"
    return out


class PostgresConn(Conn):
    like = "ILIKE"
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    postgres = True

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.raw.execute(translate(sql), tuple(params))

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        with self.raw.cursor() as cursor:
            cursor.executemany(translate(sql), [tuple(p) for p in params])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.raw.transaction():
            yield

    def lock(self, key: str) -> None:
        self.raw.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))

    @staticmethod
    def greatest(a: str, b: str) -> str:
        return f"GREATEST({a}, {b})"

    @staticmethod
    def first_story_id(column: str) -> str:
        return f"CAST(CAST({column} AS json) -> 'items' -> 0 ->> 'story_id' AS BIGINT)"


class PostgresBackend(Backend):
    """A PostgreSQL database: pooled connections, migrated at open."""

    def __init__(self, url: str, *, timeout_ms: int = 5000) -> None:
        self.url = url
        self._lock_timeout_ms = max(int(timeout_ms), 1000)
        self._pool: psycopg_pool.ConnectionPool[psycopg.Connection[Any]] | None = None

    def open(self) -> None:
        # a direct connection first: its failure names the cause (a pool only times out)
        with psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as raw:
            apply_pg_migrations(PostgresConn(raw))
        self._pool = psycopg_pool.ConnectionPool(
            self.url,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
            configure=self._configure,
            # a connection the server dropped (a restart, an idle timeout) is replaced at
            # checkout rather than failing the call that draws it
            check=psycopg_pool.ConnectionPool.check_connection,
            timeout=CHECKOUT_TIMEOUT,
            name="newsdigest",
            open=True,
        )

    def _configure(self, raw: psycopg.Connection[Any]) -> None:
        """A lock wait ends after the timeout (as SQLite's busy timeout): one sentence, not a
        call that hangs behind a stuck transaction."""
        raw.execute("SELECT set_config('lock_timeout', %s, false)", (f"{self._lock_timeout_ms}ms",))

    @contextmanager
    def session(self) -> Iterator[Conn]:
        if self._pool is None:
            raise psycopg.OperationalError("the store is closed")
        with self._pool.connection() as raw:
            yield PostgresConn(raw)

    def storage_message(self, exc: Exception) -> str | None:
        if isinstance(exc, psycopg_pool.PoolTimeout):
            return "No database connection could be had in time: PostgreSQL is down or overloaded."
        if isinstance(exc, pg_errors.InsufficientPrivilege):
            return "The database user lacks a permission newsdigest needs; check its grants."
        if isinstance(exc, pg_errors.LockNotAvailable | pg_errors.DeadlockDetected):
            return "The database is busy with another process; try again in a moment."
        if isinstance(exc, pg_errors.DiskFull | pg_errors.InsufficientResources):
            return "The database could not be written: the server is out of space or memory."
        if isinstance(exc, pg_errors.InvalidCatalogName):
            return "The database named in NEWSDIGEST_DATABASE_URL does not exist; create it."
        if isinstance(exc, psycopg.OperationalError):
            return f"The database server could not be reached: {_first_line(exc)}."
        return None

    def retryable(self, exc: BaseException | None) -> bool:
        """A deadlock broken by aborting this transaction, or a serialization failure."""
        return isinstance(exc, pg_errors.DeadlockDetected | pg_errors.SerializationFailure)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


def postgres_feed_urls(url: str) -> list[str]:
    """For ``newsdigest check``: connect (changing nothing) and read the URLs of the feeds
    ``newsdigest run`` polls; an empty list before it has set the database up. Raises
    StorageError with one sentence when the server cannot be reached or read."""
    from digests.store.backup import ENABLED_FEEDS

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as raw:
            found = raw.execute(
                "SELECT to_regclass('feeds') IS NOT NULL AND to_regclass('subscriptions')"
                " IS NOT NULL"
            ).fetchone()
            if not found or not found[0]:
                return []
            return [str(r[0]) for r in raw.execute(ENABLED_FEEDS).fetchall()]
    except psycopg.Error as exc:
        message = PostgresBackend(url).storage_message(exc)
        raise StorageError(
            message or f"The database could not be read: {_first_line(exc)}."
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__
