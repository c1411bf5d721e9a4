"""SQLite storage (sqlite-utils): feeds with their HTTP cache state, stories, quotes, the outbox.

``digests.store`` is the only package that imports sqlite3 and sqlite_utils. ``Store`` is
composed of one mixin per domain over ``StoreBase`` (as lemon24/reader's ``Storage``):

- ``base``: one connection per thread, WAL, integrity check and migrations at open,
  ``BEGIN IMMEDIATE`` write transactions, operational errors as ``StorageError``;
- ``schema``: the append-only migrations;
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

from digests.model import Pruned
from digests.store.base import StoreBase, storage_errors, ts
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
from digests.store.stories import StoriesMixin, StoryRef, StoryWrite, fts_query


class Store(FeedsMixin, FiltersMixin, StoriesMixin, OutboxMixin, SchedulesMixin, StoreBase):
    """Thread-safe access to one SQLite file: one connection per thread, WAL, migrated at open."""

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


__all__ = [
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
    "ts",
]
