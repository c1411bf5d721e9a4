"""Several processes on one database: each due feed claimed by one of them, each channel's outbox
read by the owner of its server's shard, each scheduled digest period queued once.

Two ``Store`` objects on one real SQLite file (WAL) stand for two processes: each has its own
connections, so SQLite's locking between them is the same as between processes (the acceptance
run with three real ``newsdigest run`` processes is tests/faults/test_shards.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
import sqlite_utils

from digests.clock import FakeClock
from digests.feeds.fetch import Fetcher, FetchLimits
from digests.model import Condensed, DigestPage, DigestPlan, Entry, Mode
from digests.service import DigestService
from digests.shards import ShardSet, shard_of
from digests.store import FetchState, Store, StoryWrite, Unchanged
from digests.store.schema import MIGRATIONS
from tests.builders import Item, rss
from tests.feedserver import FeedServer

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
T = TypeVar("T")


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two stores ("processes") on one database file."""
    first = Store(tmp_path / "shared.db")
    second = Store(tmp_path / "shared.db")
    yield first, second
    first.close()
    second.close()


def subscribe_feeds(store: Store, count: int, *, guild_id: int = 1) -> list[int]:
    """``count`` feeds, each subscribed by one channel, all due at NOW."""
    ids = []
    for n in range(count):
        feed = store.ensure_feed(f"https://feeds.example/{n}.xml", NOW)
        store.subscribe(
            guild_id=guild_id,
            channel_id=1000 + n,
            feed_id=feed.feed_id,
            mode="live",
            backfill=0,
            now=NOW,
            next_fetch=NOW,
            feed_limit=1000,
        )
        ids.append(feed.feed_id)
    return ids


def at_once(first: Callable[[], T], second: Callable[[], T]) -> tuple[T, T]:
    """Run both in their own threads, released together."""
    gate = threading.Barrier(2)

    def released(fn: Callable[[], T]) -> T:
        gate.wait()
        return fn()

    with ThreadPoolExecutor(2) as pool:
        a, b = pool.submit(released, first), pool.submit(released, second)
        return a.result(), b.result()


# --- claiming due feeds -------------------------------------------------------------------------
def test_two_stores_claiming_at_once_get_disjoint_feeds(two: tuple[Store, Store]) -> None:
    first, second = two
    feeds = set(subscribe_feeds(first, 30))
    for cycle in range(5):  # every cycle the feeds are due again (their polls are recorded)
        now = NOW + cycle * timedelta(minutes=15)
        a, b = at_once(
            lambda now=now: first.claim_due_feeds(now, lease=LEASE),  # type: ignore[misc]
            lambda now=now: second.claim_due_feeds(now, lease=LEASE),  # type: ignore[misc]
        )
        got_a, got_b = {f.feed_id for f in a}, {f.feed_id for f in b}
        assert not got_a & got_b, f"cycle {cycle}: both processes claimed {got_a & got_b}"
        assert got_a | got_b == feeds
        polled = [Unchanged(f.feed_id, now + timedelta(minutes=15)) for f in (*a, *b)]
        (first if cycle % 2 else second).record_unchanged(polled, now)


def test_a_claim_is_not_due_for_others_until_its_lease_ends(two: tuple[Store, Store]) -> None:
    """A process killed mid-poll records nothing: its feeds are due again once the lease ends."""
    first, second = two
    feeds = set(subscribe_feeds(first, 3))
    claimed = first.claim_due_feeds(NOW, lease=LEASE)
    assert {f.feed_id for f in claimed} == feeds
    # the feeds come back as they were (the poll uses them), not with the lease's next_fetch
    assert all(f.next_fetch is None for f in claimed)  # never polled yet
    first.close()  # "killed": the claim's poll is never recorded
    almost = NOW + LEASE - timedelta(seconds=1)
    assert second.claim_due_feeds(almost, lease=LEASE) == []
    assert second.due_feeds(almost) == []
    again = second.claim_due_feeds(NOW + LEASE, lease=LEASE)
    assert {f.feed_id for f in again} == feeds


def test_the_recorded_poll_sets_the_real_next_fetch(two: tuple[Store, Store]) -> None:
    first, second = two
    feed_id, other = subscribe_feeds(first, 2)
    first.claim_due_feeds(NOW, lease=LEASE)
    later = NOW + timedelta(minutes=30)
    first.record_unchanged([Unchanged(feed_id, later)], NOW)
    # the unrecorded one comes back after the lease, the recorded one at its own time
    hour = timedelta(hours=1)
    assert [f.feed_id for f in second.claim_due_feeds(NOW + LEASE, lease=hour)] == [other]
    assert second.claim_due_feeds(later - timedelta(seconds=1), lease=LEASE) == []
    assert [f.feed_id for f in second.claim_due_feeds(later, lease=LEASE)] == [feed_id]


def quick(text: str, *, title: str | None = None) -> Condensed:
    return Condensed(title=title, summary=text[:100], sentences=[text[:100]], quotes=[])


async def test_two_services_polling_at_once_fetch_each_url_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """Two services ("processes") on one file run their poll cycle at the same moment: every
    due URL is requested once in all."""
    paths = [f"/feed{n}.xml" for n in range(12)]
    for n, path in enumerate(paths):
        feed_server.add(path, rss(f"Feed {n}", [Item(guid=f"{n}-1", title=f"Story {n}")]))
    clock = FakeClock(NOW)
    async with Fetcher(
        user_agent="newsdigest-test/1.0", allow_private=True, limits=FetchLimits(page_interval=0)
    ) as fetcher:
        stores = [Store(tmp_path / "shared.db"), Store(tmp_path / "shared.db")]
        try:
            services = [
                DigestService(s, fetcher, clock=clock, condense=quick, poll_lease=LEASE)
                for s in stores
            ]
            for n, path in enumerate(paths):
                await services[n % 2].add_feed(
                    guild_id=1, channel_id=100 + n, url=feed_server.url(path), mode="live"
                )
            added = {path: feed_server.hits(path) for path in paths}
            for cycle in range(3):
                clock.advance(timedelta(minutes=16))
                first, second = await _gather(services[0], services[1])
                assert len(first) + len(second) == len(paths), f"cycle {cycle}"
                assert {p: feed_server.hits(p) - added[p] for p in paths} == dict.fromkeys(
                    paths, cycle + 1
                )
        finally:
            for store in stores:
                store.close()


async def _gather(a: DigestService, b: DigestService) -> tuple[list[object], list[object]]:
    first, second = await asyncio.gather(a.update_due_feeds(), b.update_due_feeds())
    return list(first), list(second)


# --- each channel's outbox delivered by the owner of its server's shard ---------------------------
COUNT = 4
HALVES = (ShardSet.of([0, 1], COUNT), ShardSet.of([2, 3], COUNT))


def guild_on(shard: int, n: int = 1) -> int:
    """A realistic guild id (a snowflake) on ``shard`` of ``COUNT``."""
    return ((1_000 * COUNT + n * COUNT + shard) << 22) | 4242


def story_write(feed: int, n: int) -> StoryWrite:
    entry = Entry(
        entry_id=f"f{feed}-{n}",
        url=f"https://news.example/{feed}/{n}",
        title=f"Story {n} of feed {feed}",
        text="Body text.",
        published=NOW,
    )
    return StoryWrite(
        entry=entry,
        content_hash=f"h{feed}-{n}",
        text="Body text.",
        image=None,
        condensed=Condensed(title=entry.title, summary="Body.", sentences=["Body."], quotes=[]),
    )


def one_feed_per_shard(store: Store, mode: Mode = "live") -> dict[int, int]:
    """One feed and one channel in a guild on each shard; channel id -> guild id."""
    channels: dict[int, int] = {}
    for shard in range(COUNT):
        feed = store.ensure_feed(f"https://feeds.example/s{shard}.xml", NOW)
        channel, guild = 500 + shard, guild_on(shard)
        store.subscribe(
            guild_id=guild,
            channel_id=channel,
            feed_id=feed.feed_id,
            mode=mode,
            backfill=0,
            now=NOW,
            next_fetch=NOW,
            feed_limit=50,
        )
        store.save_poll(
            feed.feed_id,
            title=f"Shard {shard} News",
            link=None,
            image=None,
            state=FetchState(None, None, "b"),
            writes=[story_write(shard, n) for n in range(3)],
            now=NOW,
            next_fetch=NOW + timedelta(minutes=15),
        )
        channels[channel] = guild
    return channels


def owned_channels(shards: ShardSet, channels: dict[int, int]) -> set[int]:
    return {c for c, g in channels.items() if shard_of(g, COUNT) in shards.sorted_ids()}


def test_each_process_reads_only_its_shards_outbox(two: tuple[Store, Store]) -> None:
    first, second = two
    channels = one_feed_per_shard(first)
    everything = first.pending_deliveries(100)
    assert {d.channel_id for d in everything} == set(channels) and len(everything) == 12
    mine, theirs = (
        first.pending_deliveries(100, shards=HALVES[0]),
        second.pending_deliveries(100, shards=HALVES[1]),
    )
    assert {d.channel_id for d in mine} == owned_channels(HALVES[0], channels) == {500, 501}
    assert {d.channel_id for d in theirs} == owned_channels(HALVES[1], channels) == {502, 503}
    assert sorted(d.delivery_id for d in (*mine, *theirs)) == [d.delivery_id for d in everything]


def test_digests_and_notices_go_to_the_owner_too(two: tuple[Store, Store]) -> None:
    first, second = two
    channels = one_feed_per_shard(first, mode="digest")
    assert first.pending_deliveries(100) == []  # digest mode: nothing until a digest
    for channel in channels:
        plan = DigestPlan(
            pages=[
                DigestPage(
                    header="Digest", items=[(s.story_id, []) for s in first.pending_digest(channel)]
                )
            ],
            skipped=[],
        )
        first.queue_digest(channel, plan, NOW)
    feed = first.feed_by_url("https://feeds.example/s3.xml")
    assert feed is not None
    first.record_failure(
        feed.feed_id, error="gone", now=NOW, next_fetch=NOW, disable=True, notice="Disabled."
    )
    theirs = second.pending_deliveries(100, shards=HALVES[1])
    assert sorted((d.channel_id, d.kind) for d in theirs) == [
        (502, "digest"),
        (503, "digest"),
        (503, "notice"),
    ]
    mine = first.pending_deliveries(100, shards=HALVES[0])
    assert sorted((d.channel_id, d.kind) for d in mine) == [(500, "digest"), (501, "digest")]


def test_live_merge_edits_go_to_the_owner(two: tuple[Store, Store]) -> None:
    first, second = two
    one_feed_per_shard(first)
    for delivery in first.pending_deliveries(100):
        first.mark_delivered(delivery.delivery_id, 9000 + delivery.delivery_id, NOW)
    with sqlite3.connect(first.path) as conn:  # another outlet named in every post
        conn.execute("UPDATE outbox SET edits_wanted = edits_wanted + 1")
    conn.close()
    assert len(first.pending_edits(100)) == 12
    assert {d.channel_id for d in first.pending_edits(100, shards=HALVES[0])} == {500, 501}
    assert {d.channel_id for d in second.pending_edits(100, shards=HALVES[1])} == {502, 503}


def test_the_migration_gives_existing_rows_their_guild(tmp_path: Path) -> None:
    """A database from before 0007 (posts pending there) gets each row's guild from the
    channel's subscriptions or schedule; a row of an unknown channel stays NULL (shard 0)."""
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, statements in MIGRATIONS:
        if name == "0007_outbox_guild":
            break
        for statement in statements:
            db.execute(statement)
        db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, NOW.isoformat()))
    stamp = NOW.isoformat()
    db.execute("INSERT INTO feeds(feed_id, url, created_at) VALUES (1, 'https://f/1', ?)", [stamp])
    db.execute(
        "INSERT INTO subscriptions(guild_id, channel_id, feed_id, mode, created_at) "
        "VALUES (?, 500, 1, 'live', ?)",
        [guild_on(2), stamp],
    )
    db.execute(
        "INSERT INTO schedules(guild_id, channel_id, hour, minute, timezone, created_at) "
        "VALUES (?, 600, 8, 0, 'UTC', ?)",
        [guild_on(3), stamp],
    )
    for channel in (500, 600, 700):
        db.execute(
            "INSERT INTO outbox(channel_id, kind, nonce, payload, created_at) "
            "VALUES (?, 'notice', 'n', '{\"notice\": \"hi\"}', ?)",
            [channel, stamp],
        )
    db.conn.commit()
    db.close()
    store = Store(path)
    try:
        guilds = {
            int(r[0]): r[1]
            for r in sqlite3.connect(path).execute("SELECT channel_id, guild_id FROM outbox")
        }
        assert guilds == {500: guild_on(2), 600: guild_on(3), 700: None}
        assert {d.channel_id for d in store.pending_deliveries(10, shards=HALVES[1])} == {500, 600}
        assert {d.channel_id for d in store.pending_deliveries(10, shards=HALVES[0])} == {700}
    finally:
        store.close()


# --- a scheduled digest fires once ---------------------------------------------------------------
async def _two_services(
    tmp_path: Path, feed_server: FeedServer, clock: FakeClock, fetcher: Fetcher
) -> tuple[list[Store], list[DigestService]]:
    stores = [Store(tmp_path / "shared.db"), Store(tmp_path / "shared.db")]
    services = [
        DigestService(s, fetcher, clock=clock, condense=quick, shards=half)
        for s, half in zip(stores, HALVES, strict=True)
    ]
    return stores, services


async def test_a_scheduled_period_queued_by_two_processes_at_once_is_queued_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """Both processes run the same schedule's job for the same fire time (a misfire, a catch-up,
    a misconfiguration): UNIQUE(schedule_id, period_start) lets one queue the digest and makes
    the other's a no-op."""
    feed_server.add("/d.xml", rss("Digest Feed", []))
    clock = FakeClock(NOW)
    async with Fetcher(user_agent="newsdigest-test/1.0", allow_private=True) as fetcher:
        stores, services = await _two_services(tmp_path, feed_server, clock, fetcher)
        try:
            guild, channel = guild_on(1), 700
            await services[0].add_feed(
                guild_id=guild, channel_id=channel, url=feed_server.url("/d.xml")
            )
            items = [Item(guid=f"d{n}", title=f"Digest story {n}") for n in range(4)]
            feed_server.add("/d.xml", rss("Digest Feed", items))
            schedule = await services[0].set_schedule(
                guild_id=guild, channel_id=channel, time="09:00", timezone="UTC"
            )
            clock.advance(timedelta(days=1))
            fire = NOW + timedelta(days=1)
            outcomes = await asyncio.gather(
                *(s.run_scheduled_digest(schedule.schedule_id, fire) for s in services)
            )
            assert sorted(outcomes, key=lambda o: o is None) == [4, None]
            pages = stores[0].pending_deliveries(100)
            assert [(d.channel_id, d.kind, len(d.items)) for d in pages] == [(700, "digest", 4)]
            # and again later (a restart's catch-up): still the one digest
            assert await services[1].run_scheduled_digest(schedule.schedule_id, fire) is None
            assert len(stores[1].pending_deliveries(100)) == 1
        finally:
            for store in stores:
                store.close()


async def test_only_the_owner_of_a_schedules_guild_runs_its_job(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """Each process registers the digest jobs (and catch-ups) of its own servers only, so a
    schedule changed in its owner's process is not also fired at its old time by another."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.scheduling import JobContext, Jobs, catch_up

    clock = FakeClock(NOW)
    async with Fetcher(user_agent="newsdigest-test/1.0", allow_private=True) as fetcher:
        stores, services = await _two_services(tmp_path, feed_server, clock, fetcher)
        try:
            by_shard = {}
            for shard in range(COUNT):
                made = await services[0].set_schedule(
                    guild_id=guild_on(shard), channel_id=800 + shard, time="08:30", timezone="UTC"
                )
                by_shard[shard] = made.schedule_id
            clock.advance(timedelta(days=1))  # 08:30 passed: every schedule has one to catch up
            registered: list[set[str]] = []
            caught: list[set[int]] = []
            for service in services:

                async def ready() -> None:
                    return None

                ctx = JobContext(digests=service, clock=clock, kick=lambda: None, ready=ready)
                scheduler = AsyncIOScheduler(timezone="UTC")
                scheduler.start(paused=True)
                try:
                    await Jobs(scheduler, ctx).rebuild()
                    registered.append({job.id for job in scheduler.get_jobs()})
                    caught.append(set(await catch_up(ctx)))
                finally:
                    scheduler.shutdown(wait=False)
            halves = [{by_shard[s] for s in half.sorted_ids()} for half in HALVES]
            assert registered == [{f"digest:{i}" for i in half} for half in halves]
            assert caught == halves
        finally:
            for store in stores:
                store.close()
