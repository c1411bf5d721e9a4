"""Feeds (identity, HTTP cache state, polling health), what a poll stores, and subscriptions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from digests.errors import FeedExistsError, FeedLimitError, StorageError
from digests.model import (
    Coverage,
    FeedHealth,
    FeedStatus,
    Mode,
    StoryWrite,
    Style,
    Subscription,
    SubscriptionOptions,
    ThreadMode,
)
from digests.store.base import (
    Conn,
    StoreBase,
    dt,
    id_chunks,
    req_dt,
    rows,
    storage_errors,
    ts,
)
from digests.store.outbox import (
    PostOptions,
    insert_outbox,
    mark_seen,
    mark_skipped,
    merge_story,
    queue_story,
)
from digests.store.stories import upsert_story


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
    #: the hashes of the raw items of the last document as stored (JSON), see ``item_hashes``
    item_hashes_json: str | None = None

    @property
    def item_hashes(self) -> frozenset[str] | None:
        """Hashes of the raw items of the last document (None: unknown, parse in full). Decoded
        on use: only a poll that brings a changed body needs them."""
        if not self.item_hashes_json:
            return None
        return frozenset(json.loads(self.item_hashes_json))

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


#: a live post decided by the subscription's filters, by (channel id, entry id): the roles it
#: mentions, or None when the filters leave the story out
LiveRoutes = Mapping[tuple[int, str], tuple[int, ...] | None]


@dataclass(frozen=True, slots=True)
class PollSave:
    """What a successful poll stores (see ``FeedsMixin.save_polls``)."""

    feed_id: int
    title: str | None
    link: str | None
    image: str | None
    state: FetchState
    writes: Sequence[StoryWrite]
    now: datetime
    next_fetch: datetime
    routes: LiveRoutes | None = None
    merges: Mapping[str, Mapping[int, int]] | None = None


@dataclass(frozen=True, slots=True)
class SubscribeOutcome:
    subscription: Subscription
    backfilled: int
    reenabled: bool


#: enabled feeds with a subscription whose next poll time has come (the time bound once)
_DUE = """
    SELECT * FROM feeds f
    WHERE disabled = 0 AND (next_fetch IS NULL OR next_fetch <= ?)
      AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.feed_id)
    ORDER BY next_fetch NULLS FIRST, feed_id
"""


class FeedsMixin(StoreBase):
    # --- feeds --------------------------------------------------------------------------------
    @storage_errors
    def feed_by_url(self, url: str) -> StoredFeed | None:
        found = self._read("SELECT * FROM feeds WHERE url = ?", (url,))
        return _feed(found[0]) if found else None

    @storage_errors
    def feed(self, feed_id: int) -> StoredFeed | None:
        found = self._read("SELECT * FROM feeds WHERE feed_id = ?", (feed_id,))
        return _feed(found[0]) if found else None

    @storage_errors
    def ensure_feed(self, url: str, now: datetime) -> StoredFeed:
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO feeds(url, created_at) VALUES (?, ?)", (url, ts(now))
            )
        feed = self.feed_by_url(url)
        if feed is None:  # pragma: no cover - deleted between the two statements
            raise StorageError("The feed could not be stored; try again.")
        return feed

    @storage_errors
    def ensure_feeds(self, urls: Sequence[str], now: datetime) -> None:
        """Store many feed URLs at once (bulk import); existing ones are left alone."""
        with self._write() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO feeds(url, created_at) VALUES (?, ?)",
                [(url, ts(now)) for url in urls],
            )

    @storage_errors
    def due_feeds(self, now: datetime) -> list[StoredFeed]:
        """Enabled feeds with at least one subscription whose next poll time has come."""
        return [_feed(row) for row in self._read(_DUE, (ts(now),))]

    @storage_errors
    def claim_due_feeds(
        self, now: datetime, *, lease: timedelta, limit: int | None = None
    ) -> list[StoredFeed]:
        """The feeds ``due_feeds`` would give (the ``limit`` most overdue of them, when given),
        taken for this poll: in the same write transaction their ``next_fetch`` moves to
        ``now + lease``, so another process (or the next cycle, or the next claim of this one)
        does not take them meanwhile; recording the poll's outcome sets the real one. A process
        that dies mid-poll leaves its feeds due again once the lease ends.

        PostgreSQL locks the rows it takes and passes over those another claim holds
        (``FOR UPDATE SKIP LOCKED``); SQLite's BEGIN IMMEDIATE serialises the claims."""
        bounded = "" if limit is None else f" LIMIT {max(0, int(limit))}"
        with self._write() as conn:
            found = rows(conn, _DUE + bounded + conn.skip_locked, (ts(now),))
            ids = [int(row["feed_id"]) for row in found]
            for chunk, marks in id_chunks(ids):
                conn.execute(
                    f"UPDATE feeds SET next_fetch = ? WHERE feed_id IN ({marks})",  # noqa: S608
                    (ts(now + lease), *chunk),
                )
        return [_feed(row) for row in found]

    @storage_errors
    def live_channels(self, feed_id: int) -> list[int]:
        """The channels that get this feed's stories live."""
        found = self._read(
            "SELECT channel_id FROM subscriptions WHERE feed_id = ? AND mode = 'live'",
            (feed_id,),
        )
        return [int(r["channel_id"]) for r in found]

    @storage_errors
    def live_feeds(self, feed_ids: Sequence[int]) -> set[int]:
        """Those of these feeds that some channel gets live."""
        live: set[int] = set()
        for chunk, marks in id_chunks(feed_ids):
            found = self._read(
                "SELECT DISTINCT feed_id FROM subscriptions "  # noqa: S608
                f"WHERE mode = 'live' AND feed_id IN ({marks})",
                tuple(chunk),
            )
            live.update(int(r["feed_id"]) for r in found)
        return live

    @storage_errors
    def channel_feeds(self, channel_id: int) -> list[StoredFeed]:
        """The enabled feeds a channel subscribes (refreshed before its digest)."""
        found = self._read(
            """
            SELECT * FROM feeds f
            WHERE disabled = 0
              AND EXISTS (SELECT 1 FROM subscriptions s
                          WHERE s.feed_id = f.feed_id AND s.channel_id = ?)
            ORDER BY feed_id
            """,
            (channel_id,),
        )
        return [_feed(row) for row in found]

    @storage_errors
    def polled_feed_count(self) -> int:
        """How many feeds are polled: enabled and subscribed somewhere."""
        found = self._read(
            """
            SELECT COUNT(*) AS n FROM feeds f
            WHERE disabled = 0
              AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.feed_id)
            """
        )
        return int(found[0]["n"]) if found else 0

    @storage_errors
    def next_due(self) -> datetime | None:
        found = self._read(
            """
            SELECT MIN(COALESCE(next_fetch, created_at)) AS due FROM feeds f
            WHERE disabled = 0
              AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.feed_id)
            """
        )
        return dt(found[0]["due"]) if found else None

    @storage_errors
    def record_unchanged(self, batch: Sequence[Unchanged], now: datetime) -> None:
        """Many feeds answered 304 / the same body: one transaction for all of them."""
        if not batch:
            return
        stamp = ts(now)
        with self._write() as conn:
            # (one statement run per feed: an UPDATE ... FROM (VALUES ...) per batch is a new
            # statement for every batch size, and the driver's statement cache kept ~9 MB of
            # them after a cycle of 10,000 feeds, for no faster cycle)
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

    @storage_errors
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
        routes: LiveRoutes | None = None,
        merges: Mapping[str, Mapping[int, int]] | None = None,
    ) -> SavedPoll:
        """Store a successful poll atomically: the feed's cache state, new and changed stories
        (with their quotes) and a "story" delivery per new story for each live subscription.

        ``routes`` (decided by the subscriptions' filters) leaves stories out of channels and
        names the roles a post mentions; a channel it does not name (subscribed meanwhile)
        gets every new story, mentioning the subscription's own role.

        ``merges`` (entry id -> channel id -> story id) are the service's same-story decisions:
        a new story another outlet already brought to that live channel is not posted there;
        the earlier post names this feed under "Also covered by" instead (``merge_story``)."""
        poll = PollSave(feed_id, title, link, image, state, writes, now, next_fetch, routes, merges)
        return self.save_polls([poll])[0]

    @storage_errors
    def save_polls(self, polls: Sequence[PollSave]) -> list[SavedPoll]:
        """Store several polls (as ``save_poll`` each) in one transaction: a cycle of thousands
        of new feeds writes in batches, not one transaction per feed."""
        with self._write() as conn:
            return [_save_poll(conn, poll) for poll in polls]

    @storage_errors
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
                f"SELECT failures, disabled FROM feeds WHERE feed_id = ?{conn.for_update}",  # noqa: S608 - the dialect's own spelling
                (feed_id,),
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
                    insert_outbox(conn, int(channel_id), "notice", {"notice": notice}, stamp)
        return failures, disabled_now

    # --- subscriptions ------------------------------------------------------------------------
    @storage_errors
    def check_subscribe(self, *, guild_id: int, channel_id: int, url: str, feed_limit: int) -> None:
        """The checks ``subscribe`` makes, ahead of it (so a refused add fetches nothing):
        raises FeedExistsError or FeedLimitError. Only ``subscribe``'s own are authoritative."""
        _check_subscribe(self._conn(), guild_id, channel_id, url, feed_limit)

    @storage_errors
    def subscription_for(self, channel_id: int, feed_id: int) -> Subscription | None:
        found = self._subscriptions("s.channel_id = ? AND s.feed_id = ?", (channel_id, feed_id))
        return found[0] if found else None

    @storage_errors
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
        feed_limit: int,
        style: Style = "full",
        ping_role_id: int | None = None,
        thread: ThreadMode = "none",
        webhook: bool = False,
    ) -> SubscribeOutcome:
        """Subscribe the channel; stories already stored are marked seen there except the
        newest ``backfill``, queued as story deliveries (oldest first). Re-enables the feed.

        Raises FeedExistsError when the channel has the feed already (and it is not disabled:
        adding a disabled feed again re-enables it), FeedLimitError when the server would have
        more than ``feed_limit`` feeds. Checked and written in one transaction, so concurrent
        adds cannot pass the limit or subscribe a channel twice."""
        stamp = ts(now)
        with self._write() as conn:
            conn.lock(f"guild:{guild_id}")  # the server's feed count holds until commit
            feed = conn.execute(
                f"SELECT url, disabled FROM feeds WHERE feed_id = ?{conn.for_update}",  # noqa: S608 - the dialect's own spelling
                (feed_id,),
            ).fetchone()
            if feed is None:  # pragma: no cover - the feed was stored before subscribing
                raise StorageError("The feed could not be stored; try again.")
            _check_subscribe(conn, guild_id, channel_id, str(feed[0]), feed_limit)
            reenabled = bool(feed[1])
            if reenabled:
                conn.execute(
                    """
                    UPDATE feeds SET disabled = 0, failures = 0, failing_since = NULL,
                        last_error = NULL, next_fetch = ? WHERE feed_id = ?
                    """,
                    (ts(next_fetch), feed_id),
                )
            if reenabled and _subscribed(conn, channel_id, feed_id):
                backfilled = 0  # re-added where it is still subscribed: re-enable, new options
                conn.execute(
                    "UPDATE subscriptions SET style = ?, ping_role_id = ?, thread = ?, "
                    "webhook = ? WHERE channel_id = ? AND feed_id = ?",
                    (style, ping_role_id, thread, int(webhook), channel_id, feed_id),
                )
            else:
                backfilled = _insert_subscription(
                    conn,
                    guild_id,
                    channel_id,
                    feed_id,
                    mode,
                    backfill,
                    stamp,
                    PostOptions(style, ping_role_id, thread, webhook),
                )
        found = self.subscription_for(channel_id, feed_id)
        if found is None:  # pragma: no cover - removed between the two statements
            raise StorageError("The subscription could not be stored; try again.")
        return SubscribeOutcome(subscription=found, backfilled=backfilled, reenabled=reenabled)

    @storage_errors
    def update_subscription(
        self, guild_id: int, subscription_id: int, options: SubscriptionOptions
    ) -> Subscription | None:
        """Change how one of the server's subscriptions posts (from its next post on); None
        when the server has no such subscription."""
        changes: dict[str, Any] = {}
        if options.style is not None:
            changes["style"] = options.style
        if options.thread is not None:
            changes["thread"] = options.thread
        if options.webhook is not None:
            changes["webhook"] = int(options.webhook)
        if options.clear_ping:
            changes["ping_role_id"] = None
        elif options.ping_role_id is not None:
            changes["ping_role_id"] = options.ping_role_id
        with self._write() as conn:
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                conn.execute(
                    f"UPDATE subscriptions SET {assignments} "  # noqa: S608 - our own columns
                    "WHERE subscription_id = ? AND guild_id = ?",
                    (*changes.values(), subscription_id, guild_id),
                )
        found = self._subscriptions(
            "s.guild_id = ? AND s.subscription_id = ?", (guild_id, subscription_id)
        )
        return found[0] if found else None

    @storage_errors
    def unsubscribe(self, guild_id: int, subscription_id: int) -> Subscription | None:
        found = self._subscriptions(
            "s.guild_id = ? AND s.subscription_id = ?", (guild_id, subscription_id)
        )
        if not found:
            return None
        with self._write() as conn:
            conn.execute("DELETE FROM subscriptions WHERE subscription_id = ?", (subscription_id,))
        return found[0]

    @storage_errors
    def all_subscriptions(self) -> list[Subscription]:
        """Every server's subscriptions (the operator's command line)."""
        return self._subscriptions("1 = 1", ())

    @storage_errors
    def channel_guild(self, channel_id: int) -> int | None:
        """The server a channel belongs to, as its subscriptions or schedule recorded it."""
        found = self._read(
            """
            SELECT guild_id FROM subscriptions WHERE channel_id = ?
            UNION ALL SELECT guild_id FROM schedules WHERE channel_id = ? LIMIT 1
            """,
            (channel_id, channel_id),
        )
        return int(found[0]["guild_id"]) if found else None

    @storage_errors
    def subscriptions(self, guild_id: int, channel_id: int | None = None) -> list[Subscription]:
        if channel_id is None:
            return self._subscriptions("s.guild_id = ?", (guild_id,))
        return self._subscriptions("s.guild_id = ? AND s.channel_id = ?", (guild_id, channel_id))

    def _subscriptions(self, where: str, params: Sequence[Any]) -> list[Subscription]:
        found = self._read(
            f"""
            SELECT s.subscription_id AS s_id, s.guild_id AS s_guild, s.channel_id AS s_channel,
                   s.mode AS s_mode, s.style AS s_style, s.ping_role_id AS s_ping,
                   s.thread AS s_thread, s.webhook AS s_webhook, f.*
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
                style=cast(Style, r["s_style"]),
                ping_role_id=int(r["s_ping"]) if r["s_ping"] is not None else None,
                thread=cast(ThreadMode, r["s_thread"]),
                webhook=bool(r["s_webhook"]),
            )
            for r in found
        ]

    @storage_errors
    def guild_feeds(self, guild_id: int) -> list[StoredFeed]:
        found = self._read(
            """
            SELECT * FROM feeds WHERE feed_id IN
                (SELECT feed_id FROM subscriptions WHERE guild_id = ?)
            ORDER BY COALESCE(title, url), feed_id
            """,
            (guild_id,),
        )
        return [_feed(r) for r in found]


# --- row helpers (inside a write transaction) --------------------------------------------------
def _save_poll(conn: Conn, poll: PollSave) -> SavedPoll:
    stamp = ts(poll.now)
    state = poll.state
    conn.execute(
        """
        UPDATE feeds SET title = COALESCE(?, title), link = COALESCE(?, link),
            image = COALESCE(?, image), etag = ?, last_modified = ?, body_hash = ?,
            item_hashes = ?, last_fetched = ?, next_fetch = ?, failures = 0,
            failing_since = NULL, last_error = NULL
        WHERE feed_id = ?
        """,
        (
            poll.title,
            poll.link,
            poll.image,
            state.etag,
            state.last_modified,
            state.body_hash,
            _hashes(state.item_hashes),
            stamp,
            ts(poll.next_fetch),
            poll.feed_id,
        ),
    )
    new_ids: list[int] = []
    updated_ids: list[int] = []
    new_entries: list[tuple[int, StoryWrite]] = []
    for write in poll.writes:
        story_id, is_new = upsert_story(conn, poll.feed_id, write, stamp)
        (new_ids if is_new else updated_ids).append(story_id)
        if is_new:
            new_entries.append((story_id, write))
    if new_entries:
        _queue_live(conn, poll.feed_id, new_entries, poll.routes or {}, poll.merges or {}, stamp)
    return SavedPoll(new_story_ids=new_ids, updated_story_ids=updated_ids)


def _check_subscribe(conn: Conn, guild_id: int, channel_id: int, url: str, feed_limit: int) -> None:
    row = conn.execute(
        """
        SELECT f.feed_id, f.disabled,
               EXISTS (SELECT 1 FROM subscriptions s
                       WHERE s.feed_id = f.feed_id AND s.channel_id = ?),
               EXISTS (SELECT 1 FROM subscriptions s
                       WHERE s.feed_id = f.feed_id AND s.guild_id = ?)
        FROM feeds f WHERE f.url = ?
        """,
        (channel_id, guild_id, url),
    ).fetchone()
    if row is not None:
        _, disabled, in_channel, in_guild = row
        if in_channel and not disabled:  # a disabled one is re-enabled by adding it
            raise FeedExistsError(url, "That feed is already posted in that channel.")
        if in_guild:
            return  # another channel of this server has it: no new feed counted
    count = conn.execute(
        "SELECT COUNT(DISTINCT feed_id) FROM subscriptions WHERE guild_id = ?", (guild_id,)
    ).fetchone()[0]
    if int(count) >= feed_limit:
        raise FeedLimitError(
            f"This server already has {feed_limit} feeds, the most allowed; remove one first."
        )


def _queue_live(
    conn: Conn,
    feed_id: int,
    new_entries: list[tuple[int, StoryWrite]],
    routes: LiveRoutes,
    merges: Mapping[str, Mapping[int, int]],
    stamp: str,
) -> None:
    """Queue each new story for each live subscription its filters let it through to, unless
    another outlet's version of it was posted there (``merges``: that post names this feed)."""
    live = conn.execute(
        "SELECT channel_id, style, ping_role_id, thread, webhook FROM subscriptions "
        "WHERE feed_id = ? AND mode = 'live'",
        (feed_id,),
    ).fetchall()
    name = conn.execute(
        "SELECT COALESCE(title, url) FROM feeds WHERE feed_id = ?", (feed_id,)
    ).fetchone()[0]
    for channel, style, ping, thread, webhook in live:
        channel_id = int(channel)
        own = (int(ping),) if ping is not None else ()
        options = PostOptions(style, None, thread, bool(webhook))
        # ``writes`` come newest first: a channel reads them in the order they appeared
        for story_id, write in reversed(new_entries):
            entry_id = write.entry.entry_id
            pings = routes.get((channel_id, entry_id), own)
            if pings is None:
                mark_skipped(conn, channel_id, story_id, stamp)
                continue
            into = merges.get(entry_id, {}).get(channel_id)
            cover = Coverage(feed=str(name), url=write.entry.url)
            if into is not None and merge_story(conn, channel_id, story_id, into, cover, stamp):
                continue
            queue_story(conn, channel_id, story_id, stamp, options, pings)


def _subscribed(conn: Conn, channel_id: int, feed_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM subscriptions WHERE channel_id = ? AND feed_id = ?", (channel_id, feed_id)
    ).fetchone()
    return row is not None


def _insert_subscription(
    conn: Conn,
    guild_id: int,
    channel_id: int,
    feed_id: int,
    mode: Mode,
    backfill: int,
    stamp: str,
    options: PostOptions,
) -> int:
    """Insert the subscription, queue the newest ``backfill`` stories (in its style, mentioning
    its role, where its options say), mark the rest seen."""
    conn.execute(
        """
        INSERT INTO subscriptions(guild_id, channel_id, feed_id, mode, created_at, style,
            ping_role_id, thread, webhook)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            guild_id,
            channel_id,
            feed_id,
            mode,
            stamp,
            options.style,
            options.ping_role_id,
            options.thread,
            int(options.webhook),
        ),
    )
    pings = (options.ping_role_id,) if options.ping_role_id is not None else ()
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
        backfilled += queue_story(conn, channel_id, story_id, stamp, options, pings)
    mark_seen(conn, channel_id, ids[len(chosen) :], stamp)
    return backfilled


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
        last_fetched=dt(r["last_fetched"]),
        next_fetch=dt(r["next_fetch"]),
        failures=int(r["failures"]),
        failing_since=dt(r["failing_since"]),
        last_error=r["last_error"],
        disabled=bool(r["disabled"]),
        created_at=req_dt(r["created_at"]),
        item_hashes_json=r["item_hashes"],
    )
