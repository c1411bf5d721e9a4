"""SQLite storage (sqlite-utils): feeds with their HTTP cache state, stories, quotes, the outbox.

The only module (with ``migrations.py``) that imports sqlite_utils. ``Store`` opens one
``Database`` per thread (``threading.local``), enables WAL, checks integrity and applies the
migrations at open. Multi-table writes run in one ``BEGIN IMMEDIATE`` transaction. Rows become
frozen dataclasses before they leave this module. Operational sqlite errors (locked, corrupt,
unwritable, disk full) become ``StorageError`` with one sentence; programming errors propagate.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import sqlite_utils

from digests.errors import StorageError
from digests.model import (
    Condensed,
    Coverage,
    Delivery,
    DeliveryKind,
    Entry,
    FeedHealth,
    FeedStatus,
    Mode,
    Pruned,
    Quote,
    Schedule,
    SearchHit,
    SpeakerQuote,
    Story,
    StoryDetail,
    Subscription,
)
from digests.store.schema import apply_migrations

P = ParamSpec("P")
T = TypeVar("T")

_TOKEN = re.compile(r"\w+", re.UNICODE)


# --- records handed to the service ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StoredFeed:
    """A feed row: identity, what it says about itself, HTTP cache state and polling health."""

    feed_id: int
    url: str
    title: str | None
    link: str | None
    image: str | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    last_fetched: datetime | None
    next_fetch: datetime | None
    failures: int
    failing_since: datetime | None
    last_error: str | None
    disabled: bool
    created_at: datetime
    #: hashes of the raw items of the last document (None: unknown, parse in full)
    item_hashes: frozenset[str] | None = None

    @property
    def health(self) -> FeedHealth:
        if self.disabled:
            return "disabled"
        return "failing" if self.failures else "ok"

    def status(self) -> FeedStatus:
        return FeedStatus(
            feed_id=self.feed_id,
            url=self.url,
            title=self.title,
            health=self.health,
            last_fetched=self.last_fetched,
            next_fetch=None if self.disabled else self.next_fetch,
            failing_since=self.failing_since,
            failures=self.failures,
            last_error=self.last_error,
        )


@dataclass(frozen=True, slots=True)
class StoryRef:
    """What the service needs to know about an already stored entry to spot changes."""

    story_id: int
    entry_id: str
    url: str | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class StoryWrite:
    """A new or changed entry, condensed, ready to store (``story_id`` set for an update)."""

    entry: Entry
    content_hash: str
    text: str
    image: str | None
    condensed: Condensed
    story_id: int | None = None


@dataclass(frozen=True, slots=True)
class FetchState:
    """HTTP cache state to keep after a successful fetch (None keeps nothing)."""

    etag: str | None
    last_modified: str | None
    body_hash: str | None
    item_hashes: list[str] | None = None


@dataclass(frozen=True, slots=True)
class SavedPoll:
    new_story_ids: list[int]
    updated_story_ids: list[int]


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A feed whose poll found nothing new (304, or the same body as last time)."""

    feed_id: int
    next_fetch: datetime
    etag: str | None = None
    last_modified: str | None = None
    #: False for a 304: the validators stay as they are
    update_validators: bool = False
    #: for a 200 that brought nothing new: the new body and item hashes
    body_hash: str | None = None
    item_hashes: list[str] | None = None


@dataclass(frozen=True, slots=True)
class DigestPage:
    """One digest delivery to queue: a header and its items (story id + other coverage)."""

    header: str
    items: list[tuple[int, list[Coverage]]]


#: Builds the pages of a digest from the stories pending for a channel (pure, runs in the txn).
DigestBuilder = Callable[[list[Story]], tuple[list[DigestPage], list[int]]]


@dataclass(frozen=True, slots=True)
class SubscribeOutcome:
    subscription: Subscription
    backfilled: int
    reenabled: bool


class _Local(threading.local):
    """This thread's connection (None until the thread first touches the store)."""

    db: sqlite_utils.Database | None = None


# --- helpers ----------------------------------------------------------------------------------
def ts(when: datetime) -> str:
    """A sortable UTC timestamp string (fixed width, so string order is time order)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _ots(when: datetime | None) -> str | None:
    return None if when is None else ts(when)


def _dt(value: object) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _req_dt(value: object) -> datetime:
    parsed = _dt(value)
    if parsed is None:
        raise ValueError("missing timestamp")
    return parsed


def fts_query(text: str, *, any_word: bool = False) -> str | None:
    """Quote every word of user text for FTS5 (so any input is a valid query); None if empty.

    All words must match, or any of them with ``any_word``."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    joiner = " OR " if any_word else " "
    return joiner.join('"' + token.replace('"', '""') + '"' for token in tokens[:32])


#: A story's feed is subscribed by the server (``guild_id`` bound as the one parameter).
_VISIBLE = "s.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?)"


def _visible_to(guild_id: int | None, where: str, params: list[Any]) -> tuple[str, list[Any]]:
    """``where`` limited to the stories one server may read (its subscribed feeds' stories);
    unchanged without a server (the command line, the service's own lookups)."""
    if guild_id is None:
        return where, params
    return f"({where}) AND {_VISIBLE}", [*params, guild_id]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _storage_errors(func: Callable[P, T]) -> Callable[P, T]:
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


# --- the store --------------------------------------------------------------------------------
class Store:
    """Thread-safe access to one SQLite file: one connection per thread, WAL, migrated at open."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = str(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = _Local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._open()

    @_storage_errors
    def _open(self) -> None:
        db = self._db()
        row = db.execute("PRAGMA integrity_check").fetchone()
        if row is None or row[0] != "ok":
            raise StorageError("The database file is corrupt (integrity check failed).")
        if self.path != ":memory:":
            db.enable_wal()
        apply_migrations(db)

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
        conn = self._db().conn
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
        conn = self._db().conn
        cursor = conn.execute(sql, tuple(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # --- feeds ----------------------------------------------------------------------------
    @_storage_errors
    def feed_by_url(self, url: str) -> StoredFeed | None:
        rows = self._read("SELECT * FROM feeds WHERE url = ?", (url,))
        return _feed(rows[0]) if rows else None

    @_storage_errors
    def feed(self, feed_id: int) -> StoredFeed | None:
        rows = self._read("SELECT * FROM feeds WHERE feed_id = ?", (feed_id,))
        return _feed(rows[0]) if rows else None

    @_storage_errors
    def ensure_feed(self, url: str, now: datetime) -> StoredFeed:
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO feeds(url, created_at) VALUES (?, ?)", (url, ts(now))
            )
        feed = self.feed_by_url(url)
        if feed is None:  # pragma: no cover - deleted between the two statements
            raise StorageError("The feed could not be stored; try again.")
        return feed

    @_storage_errors
    def ensure_feeds(self, urls: Sequence[str], now: datetime) -> None:
        """Store many feed URLs at once (bulk import); existing ones are left alone."""
        with self._write() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO feeds(url, created_at) VALUES (?, ?)",
                [(url, ts(now)) for url in urls],
            )

    @_storage_errors
    def due_feeds(self, now: datetime) -> list[StoredFeed]:
        """Enabled feeds with at least one subscription whose next poll time has come."""
        rows = self._read(
            """
            SELECT * FROM feeds f
            WHERE disabled = 0 AND (next_fetch IS NULL OR next_fetch <= ?)
              AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.feed_id)
            ORDER BY next_fetch, feed_id
            """,
            (ts(now),),
        )
        return [_feed(row) for row in rows]

    @_storage_errors
    def polled_feed_count(self) -> int:
        """How many feeds are polled: enabled and subscribed somewhere."""
        rows = self._read(
            """
            SELECT COUNT(*) AS n FROM feeds f
            WHERE disabled = 0
              AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.feed_id)
            """
        )
        return int(rows[0]["n"]) if rows else 0

    @_storage_errors
    def next_due(self) -> datetime | None:
        rows = self._read(
            """
            SELECT MIN(COALESCE(next_fetch, created_at)) AS due FROM feeds f
            WHERE disabled = 0
              AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.feed_id)
            """
        )
        return _dt(rows[0]["due"]) if rows else None

    @_storage_errors
    def story_refs(self, feed_id: int) -> list[StoryRef]:
        rows = self._read(
            "SELECT story_id, entry_id, url, content_hash FROM stories WHERE feed_id = ?",
            (feed_id,),
        )
        return [
            StoryRef(
                story_id=int(r["story_id"]),
                entry_id=str(r["entry_id"]),
                url=r["url"],
                content_hash=str(r["content_hash"]),
            )
            for r in rows
        ]

    @_storage_errors
    def record_unchanged(self, batch: Sequence[Unchanged], now: datetime) -> None:
        """Many feeds answered 304 / the same body: one transaction for all of them."""
        if not batch:
            return
        stamp = ts(now)
        with self._write() as conn:
            conn.executemany(
                """
                UPDATE feeds SET last_fetched = ?, next_fetch = ?, failures = 0,
                    failing_since = NULL, last_error = NULL
                WHERE feed_id = ?
                """,
                [(stamp, ts(u.next_fetch), u.feed_id) for u in batch],
            )
            conn.executemany(
                """
                UPDATE feeds SET etag = ?, last_modified = ?,
                    body_hash = COALESCE(?, body_hash), item_hashes = COALESCE(?, item_hashes)
                WHERE feed_id = ?
                """,
                [
                    (u.etag, u.last_modified, u.body_hash, _hashes(u.item_hashes), u.feed_id)
                    for u in batch
                    if u.update_validators
                ],
            )

    @_storage_errors
    def save_poll(
        self,
        feed_id: int,
        *,
        title: str | None,
        link: str | None,
        image: str | None,
        state: FetchState,
        writes: Sequence[StoryWrite],
        now: datetime,
        next_fetch: datetime,
    ) -> SavedPoll:
        """Store a successful poll atomically: the feed's cache state, new and changed stories
        (with their quotes) and a "story" delivery per new story for each live subscription."""
        stamp = ts(now)
        new_ids: list[int] = []
        updated_ids: list[int] = []
        with self._write() as conn:
            conn.execute(
                """
                UPDATE feeds SET title = COALESCE(?, title), link = COALESCE(?, link),
                    image = COALESCE(?, image), etag = ?, last_modified = ?, body_hash = ?,
                    item_hashes = ?, last_fetched = ?, next_fetch = ?, failures = 0,
                    failing_since = NULL, last_error = NULL
                WHERE feed_id = ?
                """,
                (
                    title,
                    link,
                    image,
                    state.etag,
                    state.last_modified,
                    state.body_hash,
                    _hashes(state.item_hashes),
                    stamp,
                    ts(next_fetch),
                    feed_id,
                ),
            )
            for write in writes:
                story_id, is_new = _upsert_story(conn, feed_id, write, stamp)
                (new_ids if is_new else updated_ids).append(story_id)
            if new_ids:
                live = conn.execute(
                    "SELECT channel_id FROM subscriptions WHERE feed_id = ? AND mode = 'live'",
                    (feed_id,),
                ).fetchall()
                for (channel_id,) in live:
                    # ``writes`` come newest first: a channel reads them in the order they appeared
                    for story_id in reversed(new_ids):
                        _queue_story(conn, int(channel_id), story_id, stamp)
        return SavedPoll(new_story_ids=new_ids, updated_story_ids=updated_ids)

    @_storage_errors
    def record_failure(
        self,
        feed_id: int,
        *,
        error: str,
        now: datetime,
        next_fetch: datetime,
        disable: bool,
        notice: str,
    ) -> tuple[int, bool]:
        """Count a failed poll; when ``disable`` and the feed was enabled, disable it and queue
        ``notice`` once per subscribed channel. Returns (failures, disabled now)."""
        stamp = ts(now)
        with self._write() as conn:
            row = conn.execute(
                "SELECT failures, disabled FROM feeds WHERE feed_id = ?", (feed_id,)
            ).fetchone()
            if row is None:
                return 0, False
            failures = int(row[0]) + 1
            was_disabled = bool(row[1])
            conn.execute(
                """
                UPDATE feeds SET failures = ?, failing_since = COALESCE(failing_since, ?),
                    last_error = ?, last_fetched = ?, next_fetch = ?, disabled = ?
                WHERE feed_id = ?
                """,
                (failures, stamp, error, stamp, ts(next_fetch), int(disable), feed_id),
            )
            disabled_now = disable and not was_disabled
            if disabled_now:
                channels = conn.execute(
                    "SELECT DISTINCT channel_id FROM subscriptions WHERE feed_id = ?", (feed_id,)
                ).fetchall()
                for (channel_id,) in channels:
                    _insert_outbox(conn, int(channel_id), "notice", {"notice": notice}, stamp)
        return failures, disabled_now

    # --- subscriptions --------------------------------------------------------------------
    @_storage_errors
    def guild_feed_count(self, guild_id: int) -> int:
        rows = self._read(
            "SELECT COUNT(DISTINCT feed_id) AS n FROM subscriptions WHERE guild_id = ?",
            (guild_id,),
        )
        return int(rows[0]["n"])

    @_storage_errors
    def guild_has_feed(self, guild_id: int, feed_id: int) -> bool:
        rows = self._read(
            "SELECT 1 AS one FROM subscriptions WHERE guild_id = ? AND feed_id = ? LIMIT 1",
            (guild_id, feed_id),
        )
        return bool(rows)

    @_storage_errors
    def subscription_for(self, channel_id: int, feed_id: int) -> Subscription | None:
        found = self._subscriptions("s.channel_id = ? AND s.feed_id = ?", (channel_id, feed_id))
        return found[0] if found else None

    @_storage_errors
    def subscribe(
        self,
        *,
        guild_id: int,
        channel_id: int,
        feed_id: int,
        mode: Mode,
        backfill: int,
        now: datetime,
        next_fetch: datetime,
    ) -> SubscribeOutcome:
        """Subscribe the channel; stories already stored are marked seen there except the
        newest ``backfill``, queued as story deliveries (oldest first). Re-enables the feed."""
        stamp = ts(now)
        with self._write() as conn:
            disabled = conn.execute(
                "SELECT disabled FROM feeds WHERE feed_id = ?", (feed_id,)
            ).fetchone()
            reenabled = bool(disabled and disabled[0])
            if reenabled:
                conn.execute(
                    """
                    UPDATE feeds SET disabled = 0, failures = 0, failing_since = NULL,
                        last_error = NULL, next_fetch = ? WHERE feed_id = ?
                    """,
                    (ts(next_fetch), feed_id),
                )
            if reenabled and _subscribed(conn, channel_id, feed_id):
                backfilled = 0  # re-added where it is still subscribed: re-enabling is all
            else:
                backfilled = _insert_subscription(
                    conn, guild_id, channel_id, feed_id, mode, backfill, stamp
                )
        found = self.subscription_for(channel_id, feed_id)
        if found is None:  # pragma: no cover - removed between the two statements
            raise StorageError("The subscription could not be stored; try again.")
        return SubscribeOutcome(subscription=found, backfilled=backfilled, reenabled=reenabled)

    @_storage_errors
    def unsubscribe(self, guild_id: int, subscription_id: int) -> Subscription | None:
        found = self._subscriptions(
            "s.guild_id = ? AND s.subscription_id = ?", (guild_id, subscription_id)
        )
        if not found:
            return None
        with self._write() as conn:
            conn.execute("DELETE FROM subscriptions WHERE subscription_id = ?", (subscription_id,))
        return found[0]

    @_storage_errors
    def subscriptions(self, guild_id: int, channel_id: int | None = None) -> list[Subscription]:
        if channel_id is None:
            return self._subscriptions("s.guild_id = ?", (guild_id,))
        return self._subscriptions("s.guild_id = ? AND s.channel_id = ?", (guild_id, channel_id))

    def _subscriptions(self, where: str, params: Sequence[Any]) -> list[Subscription]:
        rows = self._read(
            f"""
            SELECT s.subscription_id AS s_id, s.guild_id AS s_guild, s.channel_id AS s_channel,
                   s.mode AS s_mode, f.*
            FROM subscriptions s JOIN feeds f ON f.feed_id = s.feed_id
            WHERE {where}
            ORDER BY s.channel_id, COALESCE(f.title, f.url), s.subscription_id
            """,  # noqa: S608 - ``where`` is one of our own constant clauses
            params,
        )
        return [
            Subscription(
                subscription_id=int(r["s_id"]),
                guild_id=int(r["s_guild"]),
                channel_id=int(r["s_channel"]),
                mode=cast(Mode, r["s_mode"]),
                feed=_feed(r).status(),
            )
            for r in rows
        ]

    @_storage_errors
    def guild_feeds(self, guild_id: int) -> list[StoredFeed]:
        rows = self._read(
            """
            SELECT * FROM feeds WHERE feed_id IN
                (SELECT feed_id FROM subscriptions WHERE guild_id = ?)
            ORDER BY COALESCE(title, url), feed_id
            """,
            (guild_id,),
        )
        return [_feed(r) for r in rows]

    # --- stories --------------------------------------------------------------------------
    @_storage_errors
    def story(self, story_id: int, *, guild_id: int | None = None) -> Story | None:
        """The story, if it exists (and, given ``guild_id``, that server subscribes its feed)."""
        where, params = _visible_to(guild_id, "s.story_id = ?", [story_id])
        found = self._stories(where, params)
        return found[0] if found else None

    @_storage_errors
    def stories(self, story_ids: Sequence[int]) -> dict[int, Story]:
        out: dict[int, Story] = {}
        ids = list(dict.fromkeys(story_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for story in self._stories(f"s.story_id IN ({marks})", chunk):
                out[story.story_id] = story
        return out

    @_storage_errors
    def newest_story(self, feed_id: int) -> Story | None:
        found = self._stories(
            "s.feed_id = ?",
            (feed_id,),
            order="COALESCE(s.published, s.first_seen) DESC, s.story_id DESC",
            limit=1,
        )
        return found[0] if found else None

    @_storage_errors
    def newest_stories(self, feed_id: int, limit: int) -> list[Story]:
        return self._stories(
            "s.feed_id = ?",
            (feed_id,),
            order="COALESCE(s.published, s.first_seen) DESC, s.story_id DESC",
            limit=limit,
        )

    @_storage_errors
    def stories_between(
        self,
        start: datetime,
        end: datetime,
        *,
        guild_id: int | None = None,
    ) -> list[Story]:
        """Stories published (or first seen) in [start, end], for same-story lookups."""
        where, params = _visible_to(
            guild_id, "COALESCE(s.published, s.first_seen) BETWEEN ? AND ?", [ts(start), ts(end)]
        )
        return self._stories(where, params, limit=500)

    @_storage_errors
    def story_choices(
        self, text: str, limit: int, *, guild_id: int | None = None
    ) -> list[tuple[int, str]]:
        pattern = f"%{_like_escape(text.strip())}%"
        where, params = _visible_to(
            guild_id,
            "(s.title LIKE ? ESCAPE '\\' OR CAST(s.story_id AS TEXT) = ?)",
            [pattern, text.strip().lstrip("#")],
        )
        rows = self._read(
            f"""
            SELECT s.story_id, COALESCE(s.title, s.url, '') AS title FROM stories s
            WHERE {where}
            ORDER BY COALESCE(s.published, s.first_seen) DESC, s.story_id DESC LIMIT ?
            """,  # noqa: S608 - ``where`` is built from our own constant clauses
            (*params, limit),
        )
        return [(int(r["story_id"]), str(r["title"])) for r in rows]

    @_storage_errors
    def speaker_choices(self, text: str, limit: int, *, guild_id: int | None = None) -> list[str]:
        """Speakers whose name contains ``text``, the most recently quoted first."""
        where, params = _visible_to(
            guild_id,
            "q.speaker IS NOT NULL AND q.speaker LIKE ? ESCAPE '\\'",
            [f"%{_like_escape(' '.join(text.split()))}%"],
        )
        rows = self._read(
            f"""
            SELECT q.speaker AS speaker FROM quotes q JOIN stories s ON s.story_id = q.story_id
            WHERE {where} GROUP BY q.speaker
            ORDER BY MAX(COALESCE(s.published, s.first_seen)) DESC, q.speaker LIMIT ?
            """,  # noqa: S608 - ``where`` is built from our own constant clauses
            (*params, limit),
        )
        return [str(r["speaker"]) for r in rows]

    @_storage_errors
    def speaker_quotes(
        self, speaker: str, limit: int, *, guild_id: int | None = None
    ) -> list[SpeakerQuote]:
        name = " ".join(speaker.split())
        if not name:
            return []
        where, params = _visible_to(
            guild_id,
            """q.speaker IS NOT NULL
              AND (lower(q.speaker) = lower(?)
                   OR lower(q.speaker) LIKE '% ' || lower(?) ESCAPE '\\')""",
            [name, _like_escape(name)],
        )
        rows = self._read(
            f"""
            SELECT q.text, q.speaker, q.score, s.story_id, s.title, s.url, s.published
            FROM quotes q JOIN stories s ON s.story_id = q.story_id
            WHERE {where}
            ORDER BY COALESCE(s.published, s.first_seen) DESC, s.story_id DESC, q.position
            LIMIT ?
            """,  # noqa: S608 - ``where`` is built from our own constant clauses
            (*params, limit),
        )
        return [
            SpeakerQuote(
                story_id=int(r["story_id"]),
                story_title=r["title"],
                story_url=r["url"],
                published=_dt(r["published"]),
                quote=Quote(text=str(r["text"]), speaker=r["speaker"], score=float(r["score"])),
            )
            for r in rows
        ]

    @_storage_errors
    def search(self, query: str, limit: int, *, guild_id: int | None = None) -> list[SearchHit]:
        """Stories matching every word of ``query`` (else any word), best first; given
        ``guild_id``, only stories of feeds that server subscribes."""
        hits = self._search(fts_query(query), limit, guild_id)
        if not hits:
            hits = self._search(fts_query(query, any_word=True), limit, guild_id)
        return hits

    def _search(self, match: str | None, limit: int, guild_id: int | None) -> list[SearchHit]:
        if match is None:
            return []
        where, params = _visible_to(guild_id, "stories_fts MATCH ?", [match])
        story_rows = self._read(
            f"""
            SELECT s.story_id AS story_id,
                   snippet(stories_fts, -1, '**', '**', '…', 24) AS snip
            FROM stories_fts JOIN stories s ON s.story_id = stories_fts.rowid
            WHERE {where} ORDER BY bm25(stories_fts) LIMIT ?
            """,  # noqa: S608 - ``where`` is built from our own constant clauses
            (*params, limit),
        )
        where, params = _visible_to(guild_id, "quotes_fts MATCH ?", [match])
        quote_rows = self._read(
            f"""
            SELECT q.story_id AS story_id, q.text AS text, q.speaker AS speaker
            FROM quotes_fts JOIN quotes q ON q.quote_id = quotes_fts.rowid
                 JOIN stories s ON s.story_id = q.story_id
            WHERE {where} ORDER BY bm25(quotes_fts) LIMIT ?
            """,  # noqa: S608 - ``where`` is built from our own constant clauses
            (*params, limit),
        )
        snippets: dict[int, str] = {}
        for r in story_rows:
            snippets.setdefault(int(r["story_id"]), str(r["snip"]))
        for r in quote_rows:
            who = f" — {r['speaker']}" if r["speaker"] else ""
            snippets.setdefault(int(r["story_id"]), f"“{r['text']}”{who}")
        found = self.stories(list(snippets)[:limit])
        return [
            SearchHit(
                story_id=sid,
                title=found[sid].title,
                url=found[sid].url,
                feed_title=found[sid].feed_title,
                published=found[sid].published,
                snippet=snippet,
            )
            for sid, snippet in list(snippets.items())[:limit]
            if sid in found
        ]

    def _stories(
        self,
        where: str,
        params: Sequence[Any],
        *,
        order: str = "s.story_id",
        limit: int | None = None,
    ) -> list[Story]:
        sql = f"""
            SELECT s.*, f.url AS feed_url, f.title AS feed_title
            FROM stories s JOIN feeds f ON f.feed_id = s.feed_id
            WHERE {where} ORDER BY {order}
        """  # noqa: S608 - ``where``/``order`` are our own constant clauses
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._read(sql, params)
        if not rows:
            return []
        ids = [int(r["story_id"]) for r in rows]
        quotes: dict[int, list[Quote]] = {sid: [] for sid in ids}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for q in self._read(
                f"SELECT story_id, text, speaker, score FROM quotes "  # noqa: S608
                f"WHERE story_id IN ({marks}) ORDER BY story_id, position",
                chunk,
            ):
                quotes[int(q["story_id"])].append(
                    Quote(text=str(q["text"]), speaker=q["speaker"], score=float(q["score"]))
                )
        return [_story(r, quotes[int(r["story_id"])]) for r in rows]

    # --- outbox ---------------------------------------------------------------------------
    @_storage_errors
    def pending_deliveries(self, limit: int) -> list[Delivery]:
        rows = self._read(
            """
            SELECT * FROM outbox WHERE delivered_at IS NULL AND dropped = 0
            ORDER BY delivery_id LIMIT ?
            """,
            (limit,),
        )
        payloads = [json.loads(str(r["payload"])) for r in rows]
        wanted = [int(item["story_id"]) for p in payloads for item in p.get("items", [])]
        found = self.stories(wanted)
        out: list[Delivery] = []
        for r, payload in zip(rows, payloads, strict=True):
            items = [
                StoryDetail(
                    story=found[int(item["story_id"])],
                    also_covered_by=[Coverage(feed=c[0], url=c[1]) for c in item.get("also", [])],
                )
                for item in payload.get("items", [])
                if int(item["story_id"]) in found
            ]
            kind = cast(DeliveryKind, r["kind"])
            if kind != "notice" and not items:
                continue  # its stories were deleted with their feed: nothing left to post
            out.append(
                Delivery(
                    delivery_id=int(r["delivery_id"]),
                    channel_id=int(r["channel_id"]),
                    kind=kind,
                    nonce=str(r["nonce"]),
                    items=items,
                    header=payload.get("header"),
                    notice=payload.get("notice"),
                    attempts=int(r["attempts"]),
                    attempted_at=_dt(r["attempted_at"]),
                )
            )
        return out

    @_storage_errors
    def mark_attempt(self, delivery_id: int, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                """
                UPDATE outbox SET attempts = attempts + 1, attempted_at = COALESCE(attempted_at, ?)
                WHERE delivery_id = ?
                """,
                (ts(now), delivery_id),
            )

    @_storage_errors
    def mark_delivered(self, delivery_id: int, message_id: int, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE outbox SET delivered_at = ?, message_id = ? WHERE delivery_id = ?",
                (ts(now), message_id, delivery_id),
            )

    @_storage_errors
    def mark_failed(self, delivery_id: int, error: str, *, permanent: bool) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE outbox SET last_error = ?, dropped = ? WHERE delivery_id = ?",
                (error, int(permanent), delivery_id),
            )

    # --- housekeeping ---------------------------------------------------------------------
    @_storage_errors
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
        stories = self._in_batches(
            """
            UPDATE stories SET text = '' WHERE story_id IN (
                SELECT story_id FROM stories WHERE first_seen < ? AND text != '' LIMIT ?)
            """,
            stamp,
            batch,
        )
        deliveries = self._in_batches(
            """
            DELETE FROM outbox WHERE delivery_id IN (
                SELECT delivery_id FROM outbox
                WHERE created_at < ? AND (delivered_at IS NOT NULL OR dropped = 1)
                  AND delivery_id NOT IN (
                      SELECT MAX(delivery_id) FROM outbox WHERE kind = 'digest'
                      GROUP BY channel_id)
                LIMIT ?)
            """,
            stamp,
            batch,
        )
        return Pruned(stories=stories, deliveries=deliveries)

    def _in_batches(self, sql: str, stamp: str, batch: int) -> int:
        """Run ``sql`` (parameters: the cut-off stamp, the batch size) until it changes no row."""
        total = 0
        while True:
            with self._write() as conn:
                changed = conn.execute(sql, (stamp, batch)).rowcount
            total += changed
            if changed < batch:
                return total

    # --- digests --------------------------------------------------------------------------
    @_storage_errors
    def queue_digest(
        self,
        channel_id: int,
        build: DigestBuilder,
        now: datetime,
        *,
        run: tuple[int, datetime, datetime] | None = None,
    ) -> int | None:
        """In one transaction: (record the scheduled ``run`` = (schedule id, period start, end),
        returning None when that period already ran), pick the stories of the channel's
        digest-mode subscriptions not yet sent there, let ``build`` make the pages, claim the
        stories (UNIQUE(story_id, channel_id)) and queue the pages. Returns stories queued."""
        stamp = ts(now)
        with self._write() as conn:
            if run is not None:
                schedule_id, start, end = run
                inserted = conn.execute(
                    """
                    INSERT OR IGNORE INTO digest_runs(schedule_id, period_start, period_end,
                        queued, created_at) VALUES (?, ?, ?, 0, ?)
                    """,
                    (schedule_id, ts(start), ts(end), stamp),
                ).rowcount
                if inserted != 1:
                    return None
            ids = [
                int(r[0])
                for r in conn.execute(
                    """
                    SELECT st.story_id FROM stories st
                    JOIN subscriptions sub ON sub.feed_id = st.feed_id
                    WHERE sub.channel_id = ? AND sub.mode = 'digest'
                      AND st.first_seen >= sub.created_at
                      AND NOT EXISTS (SELECT 1 FROM channel_stories cs
                                      WHERE cs.story_id = st.story_id AND cs.channel_id = ?)
                    """,
                    (channel_id, channel_id),
                ).fetchall()
            ]
            stories = self._stories_in_txn(ids)
            pages, skipped = build(stories)
            queued = 0
            for page in pages:
                for story_id, _ in page.items:
                    conn.execute(
                        """
                        INSERT OR IGNORE INTO channel_stories(story_id, channel_id, status, at)
                        VALUES (?, ?, 'queued', ?)
                        """,
                        (story_id, channel_id, stamp),
                    )
                    queued += 1
                payload = {
                    "header": page.header,
                    "items": [
                        {"story_id": sid, "also": [[c.feed, c.url] for c in cov]}
                        for sid, cov in page.items
                    ],
                }
                _insert_outbox(conn, channel_id, "digest", payload, stamp)
            conn.executemany(
                """
                INSERT OR IGNORE INTO channel_stories(story_id, channel_id, status, at)
                VALUES (?, ?, 'skipped', ?)
                """,
                [(sid, channel_id, stamp) for sid in skipped],
            )
            if run is not None:
                conn.execute(
                    "UPDATE digest_runs SET queued = ? WHERE schedule_id = ? AND period_start = ?",
                    (queued, run[0], ts(run[1])),
                )
        return queued

    def _stories_in_txn(self, ids: list[int]) -> list[Story]:
        found = self.stories(ids)
        return [found[i] for i in ids if i in found]

    @_storage_errors
    def last_digest_at(self, channel_id: int) -> datetime | None:
        rows = self._read(
            "SELECT MAX(created_at) AS at FROM outbox WHERE channel_id = ? AND kind = 'digest'",
            (channel_id,),
        )
        return _dt(rows[0]["at"]) if rows else None

    # --- schedules ------------------------------------------------------------------------
    @_storage_errors
    def set_schedule(
        self,
        *,
        guild_id: int,
        channel_id: int,
        hour: int,
        minute: int,
        timezone: str,
        now: datetime,
    ) -> Schedule:
        with self._write() as conn:
            conn.execute(
                """
                INSERT INTO schedules(guild_id, channel_id, hour, minute, timezone, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(channel_id) DO UPDATE SET guild_id = excluded.guild_id,
                    hour = excluded.hour, minute = excluded.minute, timezone = excluded.timezone
                """,
                (guild_id, channel_id, hour, minute, timezone, ts(now)),
            )
        found = self._schedules("channel_id = ?", (channel_id,))
        return found[0]

    @_storage_errors
    def remove_schedule(self, channel_id: int) -> Schedule | None:
        found = self._schedules("channel_id = ?", (channel_id,))
        if not found:
            return None
        with self._write() as conn:
            conn.execute("DELETE FROM schedules WHERE channel_id = ?", (channel_id,))
        return found[0]

    @_storage_errors
    def schedules(self) -> list[Schedule]:
        return self._schedules("1 = 1", ())

    @_storage_errors
    def schedule(self, schedule_id: int) -> Schedule | None:
        found = self._schedules("schedule_id = ?", (schedule_id,))
        return found[0] if found else None

    @_storage_errors
    def last_run(self, schedule_id: int) -> datetime | None:
        rows = self._read(
            "SELECT MAX(period_end) AS at FROM digest_runs WHERE schedule_id = ?", (schedule_id,)
        )
        return _dt(rows[0]["at"]) if rows else None

    def _schedules(self, where: str, params: Sequence[Any]) -> list[Schedule]:
        rows = self._read(
            f"SELECT * FROM schedules WHERE {where} ORDER BY schedule_id",  # noqa: S608
            params,
        )
        return [
            Schedule(
                schedule_id=int(r["schedule_id"]),
                guild_id=int(r["guild_id"]),
                channel_id=int(r["channel_id"]),
                hour=int(r["hour"]),
                minute=int(r["minute"]),
                timezone=str(r["timezone"]),
                created_at=_req_dt(r["created_at"]),
            )
            for r in rows
        ]


# --- row helpers (inside a write transaction) --------------------------------------------------
def _upsert_story(
    conn: sqlite3.Connection, feed_id: int, write: StoryWrite, stamp: str
) -> tuple[int, bool]:
    entry = write.entry
    condensed = write.condensed
    values = (
        entry.url,
        entry.title,
        _ots(entry.published or entry.updated),
        write.content_hash,
        write.text,
        condensed.summary,
        json.dumps(condensed.sentences, ensure_ascii=False),
        write.image,
        entry.author,
    )
    story_id = write.story_id
    if story_id is None:
        row = conn.execute(
            "SELECT story_id FROM stories WHERE feed_id = ? AND entry_id = ?",
            (feed_id, entry.entry_id),
        ).fetchone()
        story_id = int(row[0]) if row else None
    if story_id is None:
        cursor = conn.execute(
            """
            INSERT INTO stories(feed_id, entry_id, url, title, published, content_hash, text,
                summary, sentences, image, author, first_seen, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (feed_id, entry.entry_id, *values, stamp, stamp),
        )
        story_id = int(cast(int, cursor.lastrowid))
        is_new = True
    else:
        conn.execute(
            """
            UPDATE stories SET entry_id = ?, url = ?, title = ?, published = ?, content_hash = ?,
                text = ?, summary = ?, sentences = ?, image = ?, author = ?, updated_at = ?
            WHERE story_id = ?
            """,
            (entry.entry_id, *values, stamp, story_id),
        )
        conn.execute("DELETE FROM quotes WHERE story_id = ?", (story_id,))
        is_new = False
    conn.executemany(
        "INSERT INTO quotes(story_id, position, text, speaker, score) VALUES (?, ?, ?, ?, ?)",
        [(story_id, i, q.text, q.speaker, q.score) for i, q in enumerate(condensed.quotes)],
    )
    return story_id, is_new


def _subscribed(conn: sqlite3.Connection, channel_id: int, feed_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM subscriptions WHERE channel_id = ? AND feed_id = ?", (channel_id, feed_id)
    ).fetchone()
    return row is not None


def _insert_subscription(
    conn: sqlite3.Connection,
    guild_id: int,
    channel_id: int,
    feed_id: int,
    mode: Mode,
    backfill: int,
    stamp: str,
) -> int:
    """Insert the subscription, queue the newest ``backfill`` stories, mark the rest seen."""
    conn.execute(
        """
        INSERT INTO subscriptions(guild_id, channel_id, feed_id, mode, created_at)
        VALUES (?, ?, ?, ?, ?)
        """,
        (guild_id, channel_id, feed_id, mode, stamp),
    )
    ids = [
        int(r[0])
        for r in conn.execute(
            """
            SELECT story_id FROM stories WHERE feed_id = ?
            ORDER BY COALESCE(published, first_seen) DESC, story_id DESC
            """,
            (feed_id,),
        ).fetchall()
    ]
    chosen = ids[: max(0, backfill)]
    backfilled = 0
    for story_id in reversed(chosen):
        backfilled += _queue_story(conn, channel_id, story_id, stamp)
    conn.executemany(
        """
        INSERT OR IGNORE INTO channel_stories(story_id, channel_id, status, at)
        VALUES (?, ?, 'seen', ?)
        """,
        [(story_id, channel_id, stamp) for story_id in ids[len(chosen) :]],
    )
    return backfilled


def _queue_story(conn: sqlite3.Connection, channel_id: int, story_id: int, stamp: str) -> int:
    """Queue one story delivery unless the story was already sent/seen there; 1 if queued."""
    claimed = conn.execute(
        """
        INSERT OR IGNORE INTO channel_stories(story_id, channel_id, status, at)
        VALUES (?, ?, 'queued', ?)
        """,
        (story_id, channel_id, stamp),
    ).rowcount
    if claimed != 1:
        return 0
    _insert_outbox(
        conn, channel_id, "story", {"items": [{"story_id": story_id, "also": []}]}, stamp
    )
    return 1


def _insert_outbox(
    conn: sqlite3.Connection,
    channel_id: int,
    kind: DeliveryKind,
    payload: dict[str, Any],
    stamp: str,
) -> int:
    cursor = conn.execute(
        """
        INSERT INTO outbox(channel_id, kind, nonce, payload, created_at)
        VALUES (?, ?, '', ?, ?)
        """,
        (channel_id, kind, json.dumps(payload, ensure_ascii=False), stamp),
    )
    delivery_id = int(cast(int, cursor.lastrowid))
    conn.execute(
        "UPDATE outbox SET nonce = ? WHERE delivery_id = ?", (_nonce(delivery_id), delivery_id)
    )
    return delivery_id


def _nonce(delivery_id: int) -> str:
    """Stable per outbox row and at most 25 characters (Discord's nonce limit)."""
    return f"nd-{delivery_id}"[:25]


def _hashes(hashes: list[str] | None) -> str | None:
    return None if hashes is None else json.dumps(hashes)


def _feed(r: Any) -> StoredFeed:
    return StoredFeed(
        feed_id=int(r["feed_id"]),
        url=str(r["url"]),
        title=r["title"],
        link=r["link"],
        image=r["image"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        body_hash=r["body_hash"],
        last_fetched=_dt(r["last_fetched"]),
        next_fetch=_dt(r["next_fetch"]),
        failures=int(r["failures"]),
        failing_since=_dt(r["failing_since"]),
        last_error=r["last_error"],
        disabled=bool(r["disabled"]),
        created_at=_req_dt(r["created_at"]),
        item_hashes=(
            frozenset(json.loads(str(r["item_hashes"]))) if r.get("item_hashes") else None
        ),
    )


def _story(r: Any, quotes: list[Quote]) -> Story:
    return Story(
        story_id=int(r["story_id"]),
        feed_url=str(r["feed_url"]),
        feed_title=r["feed_title"],
        entry_id=str(r["entry_id"]),
        url=r["url"],
        title=r["title"],
        published=_dt(r["published"]) or _dt(r["first_seen"]),
        summary=str(r["summary"]),
        sentences=[str(s) for s in json.loads(str(r["sentences"]))],
        quotes=quotes,
        image=r["image"],
        text=str(r["text"]),
    )
