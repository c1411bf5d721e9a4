"""The database file as a whole, for operators: an online backup and an integrity check.

``backup`` copies a live database with SQLite's online backup API (one step, under one read
transaction, so the copy is consistent even while ``newsdigest run`` writes), checks the copy with
``PRAGMA integrity_check`` and only then moves it into place, readable by its owner alone like
the database itself. ``integrity_problems`` and ``enabled_feed_urls`` read a database through a
read-only connection: they never create, migrate or change it.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from digests.errors import StorageError

#: integrity_check rows reported at most (a badly damaged file yields thousands)
MAX_PROBLEMS = 5


#: the URLs of the feeds ``newsdigest run`` polls (enabled, subscribed somewhere)
ENABLED_FEEDS = """
    SELECT url FROM feeds f
    WHERE disabled = 0 AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.feed_id)
    ORDER BY feed_id
"""


@dataclass(frozen=True, slots=True)
class Backup:
    """A finished backup: where it went and its size in bytes."""

    source: Path
    target: Path
    size: int


def backup(source: str | Path, target: str | Path) -> Backup:
    """Copy the database ``source`` to ``target`` (a file, or a folder to hold a file of the same
    name), integrity-checked; an existing ``target`` file is replaced only by a good copy.
    Raises StorageError with one sentence."""
    src = _existing(source)
    dest = Path(target)
    if dest.is_dir():
        dest = dest / src.name
    if not dest.parent.is_dir():
        raise StorageError(f"The folder {dest.parent} does not exist.")
    if dest.exists() and dest.resolve() == src.resolve():
        raise StorageError("The backup must go to another file than the database itself.")
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    try:
        _create_private(partial)
        with closing(_connect_read_only(src)) as db, closing(sqlite3.connect(partial)) as copy:
            db.backup(copy)
            # a self-contained file: no -wal or -shm beside the copy
            copy.execute("PRAGMA journal_mode = DELETE")
        problems = integrity_problems(partial)
        if problems:
            raise StorageError(f"The copy failed its integrity check ({problems[0]}).")
        os.replace(partial, dest)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"The backup failed: {_reason(exc)}.") from exc
    except OSError as exc:
        raise StorageError(f"The backup could not be written to {dest}: {_reason(exc)}.") from exc
    finally:
        partial.unlink(missing_ok=True)
    return Backup(source=src, target=dest, size=dest.stat().st_size)


def integrity_problems(path: str | Path, *, quick: bool = False) -> list[str]:
    """What ``PRAGMA integrity_check`` (``quick_check`` when ``quick``: no index cross-checks,
    for frequent health checks) finds wrong with the database at ``path`` (at most
    ``MAX_PROBLEMS`` lines); an empty list when it is sound. Raises StorageError when there is
    no database there or it cannot be read at all."""
    src = _existing(path)
    pragma = "quick_check" if quick else "integrity_check"
    try:
        with closing(_connect_read_only(src)) as db:
            rows = db.execute(f"PRAGMA {pragma}({MAX_PROBLEMS})").fetchall()
    except sqlite3.DatabaseError as exc:
        return [_reason(exc)]
    found = [str(row[0]) for row in rows]
    return [] if found == ["ok"] else found


def enabled_feed_urls(path: str | Path) -> list[str]:
    """The URLs of the feeds ``newsdigest run`` polls (enabled, subscribed somewhere)."""
    src = _existing(path)
    try:
        with closing(_connect_read_only(src)) as db:
            rows = db.execute(ENABLED_FEEDS).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # an empty database: newsdigest run has not set it up yet
        raise StorageError(f"The database could not be read: {_reason(exc)}.") from exc
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"The database could not be read: {_reason(exc)}.") from exc
    return [str(row[0]) for row in rows]


def _existing(path: str | Path) -> Path:
    if str(path) == ":memory:":
        raise StorageError("An in-memory database cannot be backed up or checked.")
    found = Path(path)
    if not found.is_file():
        raise StorageError(f"There is no database at {found}.")
    return found


def _connect_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)


def _create_private(path: Path) -> None:
    """An empty file only its owner can read (the copy holds everything the database does)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return text.splitlines()[0]
