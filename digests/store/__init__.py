"""Storage on SQLite (the embedded default) or PostgreSQL: feeds with their HTTP cache state,
stories, quotes, the outbox.

``digests.store`` is the only package that imports sqlite3, sqlite_utils and psycopg.
``open_store(target)`` opens either: a ``postgresql://`` URL or an SQLite file path. ``Store`` is
composed of one mixin per domain over ``StoreBase`` (as lemon24/reader's ``Storage``):

- ``base``: the dialect layer (one spelling of each query), sessions, write transactions
  (SQLite's ``BEGIN IMMEDIATE``; PostgreSQL's ``BEGIN`` and row locks), the SQLite backend
  (one connection per thread, WAL, integrity check and migrations at open), operational errors
  as ``StorageError``;
- ``postgres``: the PostgreSQL backend (psycopg 3, a small pool, migrations under a lock);
- ``schema``: the append-only migrations, one list per backend;
- ``feeds``: feeds, what a poll stores, subscriptions;
- ``stories``: stories and quotes, FTS5 search, every read scoped by ``Scope``;
- ``filters``: subscriptions' filters and post options (style, ping);
- ``outbox``: deliveries, and applying a digest plan decided by the service;
- ``schedules``: digest schedules and the periods already run.

Rows become frozen dataclasses before they leave the package. The store applies decisions; it
never calls back into domain code.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from digests.model import Pruned, StoryWrite
from digests.store.base import StoreBase, is_database_url, storage_errors, ts
from digests.store.feeds import (
    FeedsMixin,
    FetchState,
    LiveRoutes,
    PollSave,
    SavedPoll,
    StoredFeed,
    SubscribeOutcome,
    Unchanged,
)
from digests.store.filters import FiltersMixin
from digests.store.outbox import OutboxMixin, StaleDigestError
from digests.store.schedules import SchedulesMixin
from digests.store.stories import EntryKey, StoriesMixin, StoryRef, fts_query


class Store(FeedsMixin, FiltersMixin, StoriesMixin, OutboxMixin, SchedulesMixin, StoreBase):
    """Thread-safe access to one database (an SQLite file, or PostgreSQL), migrated at open."""

    @storage_errors
    def prune(self, before: datetime, *, batch: int = 500) -> Pruned:
        """Drop what only recent stories need, for what was stored before ``before``.

        - The article text of stories first seen before then. Their title, summary, quotes and
          identity (feed and entry id, content hash) stay, so a feed that still lists them
          posts nothing again, and ``/story``, ``/quotes`` and ``/search`` (by title, summary
          and quotes) still find them.
        - Sent and dropped outbox rows created before then, except each channel's latest
          digest, which dates the next one (``last_digest_at``). Pending rows always stay.

        In transactions of at most ``batch`` rows, so a poll never waits long on the lock.
        """
        stamp = ts(before)
        return Pruned(
            stories=self._prune_story_texts(stamp, batch),
            deliveries=self._prune_deliveries(stamp, batch),
        )


def open_store(target: str | Path, *, busy_timeout_ms: int = 5000) -> Store:
    """The store at ``target``: PostgreSQL for a ``postgresql://`` URL, else the SQLite file at
    that path (created when missing). Migrated at open; raises StorageError with one sentence.
    ``busy_timeout_ms``: how long a call waits for a lock (SQLite) or a pooled connection."""
    return Store(target, busy_timeout_ms=busy_timeout_ms)


__all__ = [
    "EntryKey",
    "FetchState",
    "LiveRoutes",
    "PollSave",
    "SavedPoll",
    "StaleDigestError",
    "Store",
    "StoredFeed",
    "StoryRef",
    "StoryWrite",
    "SubscribeOutcome",
    "Unchanged",
    "fts_query",
    "is_database_url",
    "open_store",
    "ts",
]
