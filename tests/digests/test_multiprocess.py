"""Several processes on one database: each due feed claimed by one of them, each channel's outbox
read by the owner of its server's shard, each scheduled digest period queued once.

Two ``Store`` objects on one real SQLite file (WAL) stand for two processes: each has its own
connections, so SQLite's locking between them is the same as between processes (the acceptance
run with three real ``newsdigest run`` processes is tests/faults/test_shards.py).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from digests.clock import FakeClock
from digests.feeds.fetch import Fetcher, FetchLimits
from digests.model import Condensed
from digests.service import DigestService
from digests.store import Store, Unchanged
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
