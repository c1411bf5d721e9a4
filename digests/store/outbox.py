"""The outbox: posts waiting to be delivered (live stories, digest pages, notices) and their state.

A story is queued for a channel at most once: ``channel_stories`` has UNIQUE(story_id,
channel_id), claimed in the transaction that queues the post. Digests follow reader's
"decider" shape: the service reads the pending stories (``pending_digest``), decides the pages
with pure code (``digests.compose.plan_digest``) and hands the plan back to ``queue_digest``,
which applies it in one transaction. The store never calls back into domain code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from digests.model import (
    Coverage,
    Delivery,
    DeliveryKind,
    DeliveryProgress,
    DigestPlan,
    DigestRun,
    LivePost,
    Story,
    StoryDetail,
    Style,
    ThreadMode,
)
from digests.shards import SNOWFLAKE_SHIFT, ShardSet
from digests.store.base import Conn, StoreBase, dt, id_chunks, storage_errors, ts
from digests.store.stories import stories_by_id

#: every shard: one process delivers everything
EVERY_SHARD = ShardSet()


@dataclass(frozen=True, slots=True)
class PostOptions:
    """How a subscription's story posts are queued: their style, role ping, thread and
    whether its webhook sends them."""

    style: Style = "full"
    ping_role_id: int | None = None
    thread: ThreadMode = "none"
    webhook: bool = False


@dataclass(frozen=True, slots=True)
class DigestCandidates:
    """What a digest is decided from: the newest stories pending in a channel, read whole (by
    story number), and the ids of the older ones, which the digest skips unread."""

    stories: list[Story]
    older: list[int]


class StaleDigestError(Exception):
    """A digest plan no longer matches the database: some of its stories were claimed (another
    digest) or left the channel's subscriptions since they were read. Decide it again."""


#: the stories of a channel's digest-mode subscriptions not yet handled there (channel id twice)
_PENDING = """
    SELECT st.story_id FROM stories st
    JOIN subscriptions sub ON sub.feed_id = st.feed_id
    WHERE sub.channel_id = ? AND sub.mode = 'digest'
      AND st.first_seen >= sub.created_at
      AND NOT EXISTS (SELECT 1 FROM channel_stories cs
                      WHERE cs.story_id = st.story_id AND cs.channel_id = ?)
"""

#: newest first, as ``compose.plan_digest`` ranks them (ISO timestamps sort as times)
_NEWEST_FIRST = " ORDER BY st.published IS NULL, st.published DESC, st.story_id DESC"


class OutboxMixin(StoreBase):
    @storage_errors
    def pending_deliveries(self, limit: int, *, shards: ShardSet = EVERY_SHARD) -> list[Delivery]:
        """Undelivered posts, oldest first, to the channels of the servers ``shards`` own."""
        owned, params = shard_filter("guild_id", shards)
        found = self._read(
            f"""
            SELECT * FROM outbox WHERE delivered_at IS NULL AND dropped = 0 AND {owned}
            ORDER BY delivery_id LIMIT ?
            """,  # noqa: S608 - only placeholders are interpolated
            (*params, limit),
        )
        return self._deliveries(found)

    @storage_errors
    def pending_edits(self, limit: int, *, shards: ShardSet = EVERY_SHARD) -> list[Delivery]:
        """Posted live stories that now name more outlets than their message shows (in the
        servers ``shards`` own)."""
        owned, params = shard_filter("guild_id", shards)
        found = self._read(
            f"""
            SELECT * FROM outbox
            WHERE edits_wanted > edits_done AND delivered_at IS NOT NULL AND dropped = 0
              AND {owned}
            ORDER BY delivery_id LIMIT ?
            """,  # noqa: S608 - only placeholders are interpolated
            (*params, limit),
        )
        return self._deliveries(found)

    @storage_errors
    def mark_edited(self, delivery_id: int, version: int) -> None:
        """The message now shows the row as of ``version`` (its edit count when read)."""
        with self._write() as conn:
            edits = conn.greatest("edits_done", "?")
            sql = f"UPDATE outbox SET edits_done = {edits} WHERE delivery_id = ?"  # noqa: S608
            conn.execute(sql, (version, delivery_id))

    @storage_errors
    def recent_live_posts(self, channel_ids: Sequence[int], since: datetime) -> list[LivePost]:
        """The stories queued alone (live, backfill) in these channels since ``since``."""
        if not channel_ids:
            return []
        marks = ",".join("?" * len(channel_ids))
        found = self._read(
            f"""
            SELECT channel_id, {self._conn().first_story_id("payload")} AS story_id
            FROM outbox
            WHERE kind = 'story' AND dropped = 0 AND created_at >= ?
              AND channel_id IN ({marks})
            ORDER BY delivery_id
            """,  # noqa: S608 - only placeholders are interpolated
            (ts(since), *channel_ids),
        )
        stories = stories_by_id(self._conn(), [int(r["story_id"]) for r in found])
        return [
            LivePost(channel_id=int(r["channel_id"]), story=stories[int(r["story_id"])])
            for r in found
            if int(r["story_id"]) in stories
        ]

    def _deliveries(self, found: list[dict[str, Any]]) -> list[Delivery]:
        payloads = [json.loads(str(r["payload"])) for r in found]
        wanted = [int(item["story_id"]) for p in payloads for item in p.get("items", [])]
        stories = stories_by_id(self._conn(), wanted)
        firsts = _first_pages(self._conn(), payloads)
        out: list[Delivery] = []
        for r, payload in zip(found, payloads, strict=True):
            items = [
                StoryDetail(
                    story=stories[int(item["story_id"])],
                    also_covered_by=[Coverage(feed=c[0], url=c[1]) for c in item.get("also", [])],
                )
                for item in payload.get("items", [])
                if int(item["story_id"]) in stories
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
                    attempted_at=dt(r["attempted_at"]),
                    message_id=_opt_int(r["message_id"]),
                    edit_version=int(r["edits_wanted"]),
                    style=cast(Style, payload.get("style", "full")),
                    pings=tuple(int(p) for p in payload.get("pings", [])),
                    thread=cast(ThreadMode, payload.get("thread", "none")),
                    webhook=bool(payload.get("webhook", False)),
                    progress=DeliveryProgress(
                        message_channel_id=_opt_int(r.get("message_channel_id")),
                        thread_id=_opt_int(r.get("thread_id")),
                        published=bool(r.get("published")),
                        webhook_id=_opt_int(r.get("webhook_id")),
                    ),
                    first_page_thread=firsts.get(int(payload.get("follows", 0))),
                    follows=_opt_int(payload.get("follows")),
                )
            )
        return out

    @storage_errors
    def mark_attempt(self, delivery_id: int, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                """
                UPDATE outbox SET attempts = attempts + 1, attempted_at = COALESCE(attempted_at, ?)
                WHERE delivery_id = ?
                """,
                (ts(now), delivery_id),
            )

    @storage_errors
    def mark_delivered(
        self, delivery_id: int, message_id: int, now: datetime, *, version: int = 0
    ) -> None:
        """Sent as message ``message_id``, showing the row as of edit count ``version``."""
        with self._write() as conn:
            conn.execute(
                f"""
                UPDATE outbox SET delivered_at = ?, message_id = ?,
                    edits_done = {conn.greatest("edits_done", "?")}
                WHERE delivery_id = ?
                """,  # noqa: S608 - the dialect's own spelling
                (ts(now), message_id, version, delivery_id),
            )

    @storage_errors
    def mark_posted(
        self,
        delivery_id: int,
        message_id: int,
        *,
        where: int,
        thread_id: int | None = None,
        webhook_id: int | None = None,
    ) -> None:
        """The delivery's message exists (as ``message_id`` in channel or thread ``where``,
        opening ``thread_id`` when it is a forum post, sent by ``webhook_id``); the steps
        after it (thread, publication) are still to come."""
        with self._write() as conn:
            conn.execute(
                """
                UPDATE outbox SET message_id = ?, message_channel_id = ?,
                    thread_id = COALESCE(?, thread_id), webhook_id = ?
                WHERE delivery_id = ?
                """,
                (message_id, where, thread_id, webhook_id, delivery_id),
            )

    @storage_errors
    def mark_thread(self, delivery_id: int, thread_id: int) -> None:
        """The thread the delivery's message opened (a story's, or a digest's pages)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE outbox SET thread_id = ? WHERE delivery_id = ?", (thread_id, delivery_id)
            )

    @storage_errors
    def mark_published(self, delivery_id: int) -> None:
        """The delivery's message was published to the announcement channel's followers (or
        could not be: it is not tried again)."""
        with self._write() as conn:
            conn.execute("UPDATE outbox SET published = 1 WHERE delivery_id = ?", (delivery_id,))

    @storage_errors
    def webhook_fell_back(self, channel_id: int, reason: str, notice: str, now: datetime) -> bool:
        """The channel's webhook posts fall back to normal posts: queue ``notice`` there, once
        (until ``webhook_restored``). True when the notice was queued now."""
        stamp = ts(now)
        with self._write() as conn:
            inserted = conn.execute(
                "INSERT OR IGNORE INTO webhook_fallbacks(channel_id, reason, at) VALUES (?, ?, ?)",
                (channel_id, reason, stamp),
            ).rowcount
            if inserted:
                insert_outbox(conn, channel_id, "notice", {"notice": notice}, stamp)
        return bool(inserted)

    @storage_errors
    def webhook_restored(self, channel_id: int) -> None:
        """The channel's webhook works again: a later loss is noticed again."""
        with self._write() as conn:
            conn.execute("DELETE FROM webhook_fallbacks WHERE channel_id = ?", (channel_id,))

    @storage_errors
    def mark_failed(self, delivery_id: int, error: str, *, permanent: bool) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE outbox SET last_error = ?, dropped = ? WHERE delivery_id = ?",
                (error, int(permanent), delivery_id),
            )

    # --- digests ------------------------------------------------------------------------------
    @storage_errors
    def last_digest_at(self, channel_id: int) -> datetime | None:
        found = self._read(
            "SELECT MAX(created_at) AS at FROM outbox WHERE channel_id = ? AND kind = 'digest'",
            (channel_id,),
        )
        return dt(found[0]["at"]) if found else None

    @storage_errors
    def pending_digest(self, channel_id: int) -> list[Story]:
        """The stories a digest of the channel would consider (digest-mode subscriptions,
        not yet sent, skipped or seen there), by story number."""
        return _candidates(self._conn(), channel_id, None).stories

    @storage_errors
    def digest_candidates(self, channel_id: int, lookback: int) -> DigestCandidates:
        """The ``lookback`` newest stories pending in the channel (as ``pending_digest``) and
        the ids of the older ones. A channel whose digest has not run for months holds tens of
        thousands of pending stories: read whole, 100,000 of them took ~450 MB."""
        return _candidates(self._conn(), channel_id, max(0, lookback))

    @storage_errors
    def queue_digest(
        self, channel_id: int, plan: DigestPlan, now: datetime, *, run: DigestRun | None = None
    ) -> int | None:
        """Apply a digest plan in one transaction: (record the scheduled ``run``, returning None
        when that period already ran), claim each story (UNIQUE(story_id, channel_id)), queue
        the pages and mark the plan's other stories skipped. Returns the stories queued.

        Raises StaleDigestError (nothing written) when a story of the plan is no longer pending
        there; stories that arrived since the plan was read are left for the next digest."""
        stamp = ts(now)
        with self._write() as conn:
            conn.lock(f"channel:{channel_id}")  # what is pending there holds until commit
            if run is not None and not _record_run(conn, run, stamp):
                return None
            if not plan.story_ids() <= _pending_ids(conn, channel_id):
                raise StaleDigestError(f"digest plan for channel {channel_id} is stale")
            queued = 0
            first: int | None = None
            threaded = _digest_thread(conn, channel_id)
            for page in plan.pages:
                for story_id, _ in page.items:
                    queued += _claim(conn, channel_id, story_id, "queued", stamp)
                payload: dict[str, Any] = {
                    "header": page.header,
                    "items": [
                        {"story_id": sid, "also": [[c.feed, c.url] for c in cov]}
                        for sid, cov in page.items
                    ],
                }
                if page.pings:
                    payload["pings"] = list(page.pings)
                if first is None and threaded:
                    payload["thread"] = "per-digest"
                if first is not None:
                    payload["follows"] = first  # into the thread the first page opens, if any
                delivery_id = insert_outbox(conn, channel_id, "digest", payload, stamp)
                first = delivery_id if first is None else first
            for story_id in plan.skipped:
                _claim(conn, channel_id, story_id, "skipped", stamp)
            if run is not None:
                conn.execute(
                    "UPDATE digest_runs SET queued = ? WHERE schedule_id = ? AND period_start = ?",
                    (queued, run.schedule_id, ts(run.start)),
                )
        return queued

    def _prune_deliveries(self, stamp: str, batch: int) -> int:
        """Drop sent and dropped outbox rows created before ``stamp``, except each channel's
        latest digest (it dates the next one). Pending rows always stay."""
        return self._in_batches(
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


# --- row helpers (inside a write transaction) --------------------------------------------------
def _digest_thread(conn: Conn, channel_id: int) -> bool:
    """Whether the channel's digests go in a thread of their own (a digest subscription there
    asks for ``per-digest``)."""
    row = conn.execute(
        """
        SELECT 1 FROM subscriptions
        WHERE channel_id = ? AND mode = 'digest' AND thread = 'per-digest' LIMIT 1
        """,
        (channel_id,),
    ).fetchone()
    return row is not None


def _first_pages(conn: Conn, payloads: Sequence[dict[str, Any]]) -> dict[int, int]:
    """The threads opened by the first pages that later digest pages follow (first page's
    delivery id -> its thread), for first pages that opened one."""
    wanted = sorted({int(p["follows"]) for p in payloads if p.get("follows")})
    threads: dict[int, int] = {}
    for chunk, marks in id_chunks(wanted):
        found = conn.execute(
            f"SELECT delivery_id, thread_id FROM outbox "  # noqa: S608 - placeholders only
            f"WHERE delivery_id IN ({marks}) AND thread_id IS NOT NULL",
            chunk,
        ).fetchall()
        threads.update((int(r[0]), int(r[1])) for r in found)
    return threads


def _candidates(conn: Conn, channel_id: int, lookback: int | None) -> DigestCandidates:
    """The channel's pending stories: the ``lookback`` newest (all when None) read whole, the
    ids of the others. Newest as a digest ranks them: by publication, undated ones last."""
    found = conn.execute(_PENDING + _NEWEST_FIRST, (channel_id, channel_id)).fetchall()
    ordered = list(dict.fromkeys(int(r[0]) for r in found))
    if lookback is None:
        lookback = len(ordered)
    newest, older = ordered[:lookback], ordered[lookback:]
    loaded = stories_by_id(conn, newest)
    return DigestCandidates([loaded[sid] for sid in sorted(loaded)], older)


def _pending_ids(conn: Conn, channel_id: int) -> set[int]:
    return {int(r[0]) for r in conn.execute(_PENDING, (channel_id, channel_id)).fetchall()}


def _record_run(conn: Conn, run: DigestRun, stamp: str) -> bool:
    """Record a scheduled digest period; False when it was recorded already (it ran)."""
    inserted = conn.execute(
        """
        INSERT OR IGNORE INTO digest_runs(schedule_id, period_start, period_end, queued,
            created_at) VALUES (?, ?, ?, 0, ?)
        """,
        (run.schedule_id, ts(run.start), ts(run.end), stamp),
    ).rowcount
    return inserted == 1


def _claim(conn: Conn, channel_id: int, story_id: int, status: str, stamp: str) -> int:
    """Mark the story handled in the channel with ``status``; 1 if it was not already."""
    return conn.execute(
        """
        INSERT OR IGNORE INTO channel_stories(story_id, channel_id, status, at)
        VALUES (?, ?, ?, ?)
        """,
        (story_id, channel_id, status, stamp),
    ).rowcount


def merge_story(
    conn: Conn,
    channel_id: int,
    story_id: int,
    into: int,
    coverage: Coverage,
    stamp: str,
) -> bool:
    """Another outlet's version (``story_id``) of a story already posted alone in the channel
    (``into``): the new one is never posted there; the first post's row names the outlet and
    counts one more edit wanted (its message is edited, or it is sent with the name). False
    (nothing written) when that post is no longer in the outbox."""
    row = conn.execute(
        f"""
        SELECT delivery_id, payload FROM outbox
        WHERE channel_id = ? AND kind = 'story' AND dropped = 0
          AND {conn.first_story_id("payload")} = ?
        ORDER BY delivery_id DESC LIMIT 1{conn.for_update}
        """,  # noqa: S608 - only our own dialect's spellings are interpolated
        (channel_id, into),
    ).fetchone()
    if row is None:
        return False
    if _claim(conn, channel_id, story_id, "skipped", stamp) != 1:
        return True  # handled there already
    payload = json.loads(str(row[1]))
    also: list[list[str | None]] = payload["items"][0].setdefault("also", [])
    if all(name != coverage.feed for name, _ in also):
        also.append([coverage.feed, coverage.url])
        conn.execute(
            """
            UPDATE outbox SET payload = ?, edits_wanted = edits_wanted + 1
            WHERE delivery_id = ?
            """,
            (json.dumps(payload, ensure_ascii=False), int(row[0])),
        )
    return True


def _opt_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def queue_story(
    conn: Conn,
    channel_id: int,
    story_id: int,
    stamp: str,
    options: PostOptions = PostOptions(),
    pings: tuple[int, ...] = (),
) -> int:
    """Queue one story delivery (in the subscription's style, thread and webhook options,
    mentioning ``pings``) unless the story was already sent/seen there; 1 if queued."""
    if _claim(conn, channel_id, story_id, "queued", stamp) != 1:
        return 0
    payload: dict[str, Any] = {"items": [{"story_id": story_id, "also": []}]}
    if options.style != "full":
        payload["style"] = options.style
    if pings:
        payload["pings"] = list(pings)
    if options.thread == "per-story":
        payload["thread"] = "per-story"
    if options.webhook:
        payload["webhook"] = True
    insert_outbox(conn, channel_id, "story", payload, stamp)
    return 1


def mark_skipped(conn: Conn, channel_id: int, story_id: int, stamp: str) -> None:
    """A story the channel's filters leave out: never posted there."""
    _claim(conn, channel_id, story_id, "skipped", stamp)


def mark_seen(conn: Conn, channel_id: int, story_ids: list[int], stamp: str) -> None:
    """Stories the channel will never be sent (they predate its subscription)."""
    conn.executemany(
        """
        INSERT OR IGNORE INTO channel_stories(story_id, channel_id, status, at)
        VALUES (?, ?, 'seen', ?)
        """,
        [(story_id, channel_id, stamp) for story_id in story_ids],
    )


def insert_outbox(
    conn: Conn,
    channel_id: int,
    kind: DeliveryKind,
    payload: dict[str, Any],
    stamp: str,
) -> int:
    delivery_id = int(
        conn.execute(
            f"""
            INSERT INTO outbox(channel_id, guild_id, kind, nonce, payload, created_at)
            VALUES (?, {_CHANNEL_GUILD}, ?, '', ?, ?) RETURNING delivery_id
            """,  # noqa: S608 - a constant subquery
            (
                channel_id,
                channel_id,
                channel_id,
                kind,
                json.dumps(payload, ensure_ascii=False),
                stamp,
            ),
        ).fetchone()[0]
    )
    conn.execute(
        "UPDATE outbox SET nonce = ? WHERE delivery_id = ?", (_nonce(delivery_id), delivery_id)
    )
    return delivery_id


#: the server of a channel (parameters: the channel id twice), as its subscriptions or its
#: schedule recorded it: the owner of that server's shard delivers the channel's posts
_CHANNEL_GUILD = """COALESCE(
    (SELECT MAX(s.guild_id) FROM subscriptions s WHERE s.channel_id = ?),
    (SELECT sc.guild_id FROM schedules sc WHERE sc.channel_id = ?))"""


def shard_filter(column: str, shards: ShardSet) -> tuple[str, tuple[int, ...]]:
    """An SQL condition (and its parameters) true for rows whose server ``column`` is on one
    of ``shards``: Discord's ``(guild_id >> 22) % shard_count``, NULL counting as shard 0.
    Plain integer arithmetic, the same on SQLite and on PostgreSQL's bigint."""
    if shards.owns_all or shards.count is None:
        return "1 = 1", ()
    ids = shards.sorted_ids()
    marks = ", ".join("?" * len(ids))
    shift = SNOWFLAKE_SHIFT
    return f"((COALESCE({column}, 0) >> {shift}) % ?) IN ({marks})", (shards.count, *ids)


def _nonce(delivery_id: int) -> str:
    """Stable per outbox row and at most 25 characters (Discord's nonce limit)."""
    return f"nd-{delivery_id}"[:25]
