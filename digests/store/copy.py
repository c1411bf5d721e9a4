"""Copy a whole database into an empty one: SQLite to PostgreSQL (or back, or SQLite to SQLite).

``newsdigest copy-db TARGET`` moves an instance to another database without losing what it
stored: feeds with their HTTP state, stories and quotes, subscriptions with their options and
filters, what each channel has seen, the outbox (so nothing already posted is posted again),
schedules and the periods they ran.

- Both stores are opened by ``open_store``, so both are at this version's schema; a database
  with steps this version does not know is refused, as is a target that holds any row.
- The source is read in one read transaction (a snapshot: a running bot's later writes are not
  half-copied), table by table in ``TABLES`` order (parents before children, as the foreign keys
  need), in batches by key. The columns are the ones both sides store (PostgreSQL's generated
  ``search`` columns excluded), so an added column needs no change here; an added table does.
- The target is written in one transaction: a failed copy leaves it empty. Ids are kept; on
  PostgreSQL the identity sequences are then moved past them. The search index follows the rows:
  SQLite's FTS5 tables through their insert triggers, PostgreSQL's generated ``tsvector``
  columns by themselves.
- Before the commit the target's row counts are checked against the source's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from digests.errors import StorageError
from digests.store.base import Conn, StoreBase

#: rows read and written at once
BATCH = 2000


@dataclass(frozen=True, slots=True)
class Table:
    """A table to copy: its key (unique, orders the batches) and the id PostgreSQL generates."""

    name: str
    key: tuple[str, ...]
    identity: str | None = None


#: every table of the schema but ``_migrations``, parents before the tables referring to them
TABLES: tuple[Table, ...] = (
    Table("feeds", ("feed_id",), "feed_id"),
    Table("stories", ("story_id",), "story_id"),
    Table("quotes", ("quote_id",), "quote_id"),
    Table("subscriptions", ("subscription_id",), "subscription_id"),
    Table("filters", ("filter_id",), "filter_id"),
    Table("channel_stories", ("story_id", "channel_id")),
    Table("outbox", ("delivery_id",), "delivery_id"),
    Table("schedules", ("schedule_id",), "schedule_id"),
    Table("digest_runs", ("run_id",), "run_id"),
    Table("webhook_fallbacks", ("channel_id",)),
)
#: tables that belong to the database itself, not to its content
_BOOKKEEPING = frozenset({"_migrations"})


@dataclass(frozen=True, slots=True)
class TableCopied:
    """One table copied: its rows in the source (the snapshot) and in the target now."""

    table: str
    rows: int
    target_rows: int


@dataclass(frozen=True, slots=True)
class CopyReport:
    tables: tuple[TableCopied, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


class CopyRefused(StorageError):
    """The copy did not start: the target holds data, or the two schemas differ."""


def copy_database(
    source: StoreBase,
    target: StoreBase,
    *,
    batch: int = BATCH,
    progress: Callable[[TableCopied], None] | None = None,
) -> CopyReport:
    """Copy every row of ``source`` into the empty ``target``, in one target transaction.

    ``progress`` hears of each table once it is copied (before the final commit). Raises
    ``CopyRefused`` before writing anything when the target holds rows or the schemas differ,
    StorageError (with one sentence) when a database fails; the target is then left as it was.
    """
    if source.path == target.path:
        raise CopyRefused("The target is the database being copied; name another one.")
    with _session(source) as src, _session(target) as dst:
        _check_schemas(src, dst)
        with _snapshot(src), dst.transaction():
            dst.lock("newsdigest copy-db")
            _check_empty(dst)
            copied = tuple(_copy_table(src, dst, table, batch, progress) for table in TABLES)
            if dst.postgres:
                _move_sequences(dst)
            _check_counts(copied)
    return CopyReport(copied)


# --- sessions -----------------------------------------------------------------------------------
@contextmanager
def _session(store: StoreBase) -> Iterator[Conn]:
    """One connection of ``store`` for the whole copy, its operational errors as StorageError."""
    with store._errors(), store._session() as conn:
        yield conn


@contextmanager
def _snapshot(conn: Conn) -> Iterator[None]:
    """A read-only transaction: every read sees the database as it was at the first one."""
    if conn.postgres:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    else:
        conn.execute("BEGIN")  # deferred: WAL gives the transaction one snapshot
    try:
        yield
    finally:
        conn.execute("ROLLBACK")  # nothing was written; ends the snapshot either way


# --- checks -------------------------------------------------------------------------------------
def _check_schemas(src: Conn, dst: Conn) -> None:
    """Both databases at the same migration steps; the source holding no table but ``TABLES``."""
    mine, theirs = _migrations(src), _migrations(dst)
    if mine != theirs:
        unknown = sorted(mine ^ theirs)
        raise CopyRefused(
            "The two databases are at different schema versions (steps "
            f"{', '.join(unknown)} differ); open both with the same newsdigest first."
        )
    # rows of a table this version does not know would be left behind: refuse instead (the
    # target's other tables, such as another application's, are none of the copy's business)
    extra = _tables(src) - {t.name for t in TABLES} - _BOOKKEEPING
    if extra:
        names = ", ".join(sorted(extra))
        raise CopyRefused(f"This newsdigest does not know how to copy the table(s) {names}.")


def _migrations(conn: Conn) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT name FROM _migrations").fetchall()}


def _tables(conn: Conn) -> set[str]:
    """The ordinary tables of the database (not SQLite's FTS5 tables and their shadows)."""
    if conn.postgres:
        sql = (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    else:
        sql = (
            "SELECT name FROM pragma_table_list"
            " WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
    return {str(r[0]) for r in conn.execute(sql).fetchall()}


def _check_empty(dst: Conn) -> None:
    held = [(t.name, n) for t in TABLES if (n := _count(dst, t.name))]
    if held:
        listed = ", ".join(f"{n} row(s) in {name}" for name, n in held)
        raise CopyRefused(
            f"The target database is not empty ({listed}); copy-db only fills a new, empty one."
        )


def _check_counts(copied: Sequence[TableCopied]) -> None:
    wrong = [t for t in copied if t.rows != t.target_rows]
    if wrong:
        listed = ", ".join(f"{t.table} {t.rows} copied but {t.target_rows} stored" for t in wrong)
        raise StorageError(f"The copy does not match the source ({listed}); nothing was kept.")


def _count(conn: Conn, table: str) -> int:
    row = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()  # noqa: S608 - our own names
    return int(row[0])


# --- copying ------------------------------------------------------------------------------------
def _copy_table(
    src: Conn,
    dst: Conn,
    table: Table,
    batch: int,
    progress: Callable[[TableCopied], None] | None,
) -> TableCopied:
    columns = _columns(src, table.name)
    missing = columns - _columns(dst, table.name)
    if missing:
        raise CopyRefused(
            f"The target's {table.name} table lacks the column(s) {', '.join(sorted(missing))}."
        )
    names = [*table.key, *sorted(columns - set(table.key))]
    insert = (
        f"INSERT INTO {table.name} ({', '.join(names)})"  # noqa: S608 - our own names
        f" VALUES ({', '.join('?' for _ in names)})"
    )
    for rows in _batches(src, table, names, batch):
        dst.executemany(insert, rows)
    done = TableCopied(table.name, _count(src, table.name), _count(dst, table.name))
    if progress is not None:
        progress(done)
    return done


def _batches(
    src: Conn, table: Table, names: Sequence[str], batch: int
) -> Iterator[list[tuple[Any, ...]]]:
    """The table's rows in key order, ``batch`` at a time (keyset pagination: each batch starts
    after the last key of the one before, so no batch re-reads what came before)."""
    key = ", ".join(table.key)
    select = f"SELECT {', '.join(names)} FROM {table.name}"  # noqa: S608 - our own names
    after = f"({key}) > ({', '.join('?' for _ in table.key)})"
    last: tuple[Any, ...] | None = None
    while True:
        where = "" if last is None else f" WHERE {after}"
        found = src.execute(f"{select}{where} ORDER BY {key} LIMIT ?", (*(last or ()), batch))
        rows = [tuple(r) for r in found.fetchall()]
        if rows:
            yield rows
        if len(rows) < batch:
            return
        last = rows[-1][: len(table.key)]


def _columns(conn: Conn, table: str) -> set[str]:
    """The columns of ``table`` that take a value (not PostgreSQL's generated ones)."""
    if conn.postgres:
        sql = (
            "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = ? AND is_generated = 'NEVER'"
        )
    else:
        sql = "SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0"
    return {str(r[0]) for r in conn.execute(sql, (table,)).fetchall()}


def _move_sequences(dst: Conn) -> None:
    """Set each identity sequence past the largest copied id, so new rows get fresh ones."""
    for table in TABLES:
        if table.identity is None:
            continue
        dst.execute(
            f"SELECT setval(pg_get_serial_sequence(?, ?),"  # noqa: S608 - our own names
            f" COALESCE(MAX({table.identity}), 0) + 1, false) FROM {table.name}",
            (table.name, table.identity),
        )
