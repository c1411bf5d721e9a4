"""Several stores (as several processes would have) on one database, on both backends: claims of
due feeds are disjoint and leased, and the writes that check before they write (a server's feed
limit, a channel's digest) hold when they race. On PostgreSQL they really run at once."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from digests.errors import FeedLimitError
from digests.model import DigestRun
from digests.store import (
    FetchState,
    StaleDigestError,
    Store,
    StoredFeed,
    Unchanged,
    is_database_url,
    open_store,
)
from digests.store.base import WAL_RETRY_MAX, SqliteBackend
from digests.store.feeds import _DUE
from digests.store.postgres import translate
from digests.store.schema import MIGRATIONS, PG_MIGRATIONS
from tests.digests.test_storage import NOW, pages_of_ten, save, write
from tests.stores import query

T = TypeVar("T")
LEASE = timedelta(minutes=10)
#: stores racing on one database (processes, or the threads of one)
RACERS = 4


@pytest.fixture
def stores(db_target: str) -> Iterator[list[Store]]:
    opened = [open_store(db_target) for _ in range(RACERS)]
    yield opened
    for store in opened:
        store.close()


def race(calls: list[Callable[[], T]]) -> list[T | BaseException]:
    """Run ``calls`` in threads released together; each one's result or exception."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | BaseException:
        start.wait()
        try:
            return call()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def subscribed_feeds(store: Store, count: int) -> list[int]:
    ids = []
    for n in range(count):
        feed = store.ensure_feed(f"https://feeds.example/{n}.xml", NOW)
        store.subscribe(
            guild_id=1, channel_id=100, feed_id=feed.feed_id, mode="live", backfill=0,
            now=NOW, next_fetch=NOW, feed_limit=10_000,
        )  # fmt: skip
        ids.append(feed.feed_id)
    return ids


def test_a_claim_leases_the_due_feeds_until_the_poll_is_recorded(stores: list[Store]) -> None:
    store = stores[0]
    ids = subscribed_feeds(store, 3)
    claimed = store.claim_due_feeds(NOW, lease=LEASE)
    assert sorted(f.feed_id for f in claimed) == ids
    assert store.claim_due_feeds(NOW, lease=LEASE) == []  # the next cycle does not take them
    assert store.due_feeds(NOW) == []
    # one poll is recorded (its real next time); the others' process died mid-poll
    store.record_unchanged([Unchanged(ids[0], next_fetch=NOW + timedelta(hours=1))], NOW)
    again = store.claim_due_feeds(NOW + LEASE, lease=LEASE)
    assert sorted(f.feed_id for f in again) == ids[1:]


def test_a_bounded_claim_takes_the_most_overdue_and_leaves_the_rest(stores: list[Store]) -> None:
    store = stores[0]
    ids = subscribed_feeds(store, 5)
    store.record_unchanged([Unchanged(ids[0], next_fetch=NOW)], NOW - timedelta(hours=1))
    for feed_id, minutes in zip(ids[1:], (3, 1, 4, 2), strict=True):
        due = NOW - timedelta(minutes=minutes)
        store.record_unchanged([Unchanged(feed_id, next_fetch=due)], NOW - timedelta(hours=1))
    first = store.claim_due_feeds(NOW, lease=LEASE, limit=2)
    assert [f.feed_id for f in first] == [ids[3], ids[1]]  # 4 and 3 minutes overdue
    rest = store.claim_due_feeds(NOW, lease=LEASE, limit=2)
    assert [f.feed_id for f in rest] == [ids[4], ids[2]]
    assert [f.feed_id for f in store.claim_due_feeds(NOW, lease=LEASE, limit=2)] == [ids[0]]
    assert store.claim_due_feeds(NOW, lease=LEASE, limit=2) == []


def test_stores_claiming_at_once_get_disjoint_feeds(stores: list[Store]) -> None:
    ids = subscribed_feeds(stores[0], 40)
    claims = race([lambda s=s: s.claim_due_feeds(NOW, lease=LEASE) for s in stores])
    taken = [[f.feed_id for f in claim] for claim in claims if isinstance(claim, list)]
    assert len(taken) == RACERS  # no claim failed
    flat = [feed_id for claim in taken for feed_id in claim]
    assert sorted(flat) == ids  # every due feed once, none twice


def test_a_claim_passes_over_feeds_another_transaction_holds(db_target: str) -> None:
    """PostgreSQL: SKIP LOCKED. Another process's claim is still open on two feeds: this one
    takes the rest at once instead of waiting."""
    if not db_target.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite serialises the whole claim")
    import psycopg

    store = open_store(db_target)
    try:
        ids = subscribed_feeds(store, 5)
        with psycopg.connect(db_target) as other, other.transaction():
            other.execute("SELECT 1 FROM feeds WHERE feed_id IN (%s, %s) FOR UPDATE", ids[:2])
            claimed = store.claim_due_feeds(NOW, lease=LEASE)
        assert sorted(f.feed_id for f in claimed) == ids[2:]
    finally:
        store.close()


def test_racing_adds_never_pass_a_servers_feed_limit(stores: list[Store]) -> None:
    feeds = [stores[0].ensure_feed(f"https://feeds.example/{n}.xml", NOW) for n in range(RACERS)]

    def add(store: Store, feed_id: int) -> object:
        return store.subscribe(
            guild_id=7, channel_id=700, feed_id=feed_id, mode="live", backfill=0,
            now=NOW, next_fetch=NOW, feed_limit=2,
        )  # fmt: skip

    outcomes = race(
        [lambda s=s, f=f: add(s, f.feed_id) for s, f in zip(stores, feeds, strict=True)]
    )
    refused = [o for o in outcomes if isinstance(o, FeedLimitError)]
    assert len(refused) == RACERS - 2, outcomes
    assert len(stores[0].subscriptions(7)) == 2


def test_racing_digests_of_one_channel_queue_each_story_once(
    stores: list[Store], db_target: str
) -> None:
    store = stores[0]
    feed = store.ensure_feed("https://a.example/rss", NOW)
    store.subscribe(
        guild_id=1, channel_id=100, feed_id=feed.feed_id, mode="digest", backfill=0,
        now=NOW - timedelta(days=1), next_fetch=NOW, feed_limit=50,
    )  # fmt: skip
    save(store, feed.feed_id, [write(f"g{i}", f"Story {i}") for i in range(5)])
    plans = [pages_of_ten(s.pending_digest(100)) for s in stores]  # all read before any writes
    outcomes = race(
        [lambda s=s, p=p: s.queue_digest(100, p, NOW) for s, p in zip(stores, plans, strict=True)]
    )
    assert sorted(o if isinstance(o, int) else -1 for o in outcomes) == [-1] * (RACERS - 1) + [5]
    assert all(isinstance(o, StaleDigestError) for o in outcomes if not isinstance(o, int))
    assert query(db_target, "SELECT COUNT(*) FROM outbox WHERE kind = 'digest'") == [(1,)]


def test_a_scheduled_digest_period_runs_once_across_stores(
    stores: list[Store], db_target: str
) -> None:
    """Every process has the schedule; one digest goes out for the period, the others find
    the period run (None) and write nothing."""
    store = stores[0]
    feed = store.ensure_feed("https://a.example/rss", NOW)
    store.subscribe(
        guild_id=1, channel_id=100, feed_id=feed.feed_id, mode="digest", backfill=0,
        now=NOW - timedelta(days=1), next_fetch=NOW, feed_limit=50,
    )  # fmt: skip
    save(store, feed.feed_id, [write(f"g{i}", f"Story {i}") for i in range(3)])
    run = DigestRun(1, NOW - timedelta(days=1), NOW)
    plans = [pages_of_ten(s.pending_digest(100)) for s in stores]
    outcomes = race(
        [
            lambda s=s, p=p: s.queue_digest(100, p, NOW, run=run)
            for s, p in zip(stores, plans, strict=True)
        ]
    )
    assert sorted(outcomes, key=repr) == [3] + [None] * (RACERS - 1), outcomes
    assert query(db_target, "SELECT COUNT(*) FROM digest_runs") == [(1,)]
    assert query(db_target, "SELECT COUNT(*) FROM outbox WHERE kind = 'digest'") == [(1,)]


def test_stores_opening_at_once_migrate_once(db_target: str) -> None:
    opened = race([lambda: open_store(db_target) for _ in range(RACERS)])
    for store in opened:
        assert isinstance(store, Store), store
        store.close()
    names = [r[0] for r in query(db_target, "SELECT name FROM _migrations ORDER BY name")]
    assert names == [name for name, _ in MIGRATIONS]


def test_both_backends_have_the_same_migration_steps() -> None:
    """A step added for SQLite (say 0006) needs its PostgreSQL spelling too, under its name."""
    assert [name for name, _ in PG_MIGRATIONS] == [name for name, _ in MIGRATIONS]


def test_a_connection_the_server_dropped_is_replaced(db_target: str) -> None:
    """PostgreSQL restarts, or a proxy closes idle connections: the pool's connections are
    gone. The next store call draws a fresh one instead of failing."""
    if not db_target.startswith("postgresql"):
        pytest.skip("SQLite has no server to lose")
    import psycopg

    url = f"{db_target}&application_name=doomed-{id(db_target)}"
    store = open_store(url)
    try:
        feed = store.ensure_feed("https://a.example/rss", NOW)
        with psycopg.connect(db_target, autocommit=True) as admin:
            dropped = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (f"doomed-{id(db_target)}",),
            ).fetchall()
        assert dropped and all(ok for (ok,) in dropped)
        assert store.feed(feed.feed_id) == feed
    finally:
        store.close()


def test_a_write_the_database_rolls_back_to_break_a_deadlock_runs_again(db_target: str) -> None:
    """PostgreSQL: a poll merging a story into a live post (it locks the feed, then the post)
    meets another transaction holding the post and then asking for the feed. The server breaks
    the deadlock by aborting the poll's transaction; the store runs the poll again once the
    other has committed, instead of failing the cycle."""
    if not db_target.startswith("postgresql"):
        pytest.skip("SQLite's one write lock cannot deadlock")
    import psycopg

    store = open_store(db_target)
    try:
        feed = store.ensure_feed("https://a.example/rss", NOW)
        other_feed = store.ensure_feed("https://b.example/rss", NOW)
        for fid in (feed.feed_id, other_feed.feed_id):
            store.subscribe(
                guild_id=1, channel_id=100, feed_id=fid, mode="live", backfill=0, now=NOW,
                next_fetch=NOW, feed_limit=50,
            )  # fmt: skip
        [first] = save(store, other_feed.feed_id, [write("a1", "Bridge reopens")])
        [post] = store.pending_deliveries(50)
        with psycopg.connect(db_target, autocommit=True) as other, ThreadPoolExecutor(1) as pool:
            # the server checks for a deadlock in the transaction that waited first: the poll's
            other.execute("SET deadlock_timeout = '10s'")
            with other.transaction():
                other.execute(
                    "SELECT 1 FROM outbox WHERE delivery_id = %s FOR UPDATE", (post.delivery_id,)
                )
                poll = pool.submit(
                    store.save_poll,
                    feed.feed_id, title="B", link=None, image=None,
                    state=FetchState(etag=None, last_modified=None, body_hash="b"),
                    writes=[write("b1", "Bridge reopens")], now=NOW, next_fetch=NOW,
                    merges={"b1": {100: first}},
                )  # fmt: skip
                wait_for_a_lock_wait(other)
                other.execute(  # waits for the poll, which waits for us: a deadlock
                    "SELECT 1 FROM feeds WHERE feed_id = %s FOR UPDATE", (feed.feed_id,)
                )
            # committed: the poll, rolled back by the server, runs again and goes through
            saved = poll.result(timeout=30)
        assert len(saved.new_story_ids) == 1
        [merged] = store.pending_deliveries(50)  # posted once, naming the second outlet
        assert merged.delivery_id == post.delivery_id
        assert [c.feed for c in merged.items[0].also_covered_by] == ["B"]
    finally:
        store.close()


def wait_for_a_lock_wait(admin: Any) -> None:
    """Until some other session of this database waits for a row lock (bounded)."""
    for _ in range(500):
        waiting = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND pid <> pg_backend_pid() AND datname = current_database()"
        ).fetchone()
        if waiting and waiting[0]:
            return
        time.sleep(0.01)
    raise AssertionError("the poll never waited for the post's lock")


def test_a_claim_reads_due_feeds_in_index_order_without_sorting_the_table(
    stores: list[Store], db_target: str
) -> None:
    """A cycle claims its feeds a chunk at a time: each chunk must come off an index in due
    order, not from a sort of every feed (10,000 feeds sorted 20 times in a cycle cost more
    database time than the cycle's 9,500 writes)."""
    subscribed_feeds(stores[0], 3)
    claim = _DUE + " LIMIT 500"
    if is_database_url(db_target):
        plan = _postgres_plan(db_target, claim)
        assert "feeds_due" in plan and "Sort" not in plan, plan
    else:
        found = query(db_target, f"EXPLAIN QUERY PLAN {claim}", (NOW.isoformat(),))
        plan = " ".join(str(row[-1]) for row in found)
        assert "feeds_due" in plan and "TEMP B-TREE" not in plan, plan


def _postgres_plan(target: str, sql: str) -> str:
    """The plan PostgreSQL would choose at scale: a tiny table is cheaper to scan and sort, so
    scans and sorts are priced out (a plan that cannot do without a sort still has one)."""
    import psycopg

    with psycopg.connect(target) as conn:
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET enable_sort = off")
        found = conn.execute(f"EXPLAIN {translate(sql)}", (NOW.isoformat(),)).fetchall()
    return "\n".join(str(row[0]) for row in found)


def test_unchanged_polls_record_each_feeds_own_next_time(stores: list[Store]) -> None:
    """Many feeds in one batch, each with its own next poll time; a feed twice in one batch
    keeps its last outcome."""
    store = stores[0]
    urls = [f"https://f.example/{n}" for n in range(1203)]
    store.ensure_feeds(urls, NOW)
    ids = [_feed_id(store, url) for url in urls]
    batch = [Unchanged(i, next_fetch=NOW + timedelta(seconds=n)) for n, i in enumerate(ids)]
    batch.insert(8, Unchanged(ids[7], next_fetch=NOW + timedelta(days=1)))  # same statement
    store.record_unchanged(batch, NOW)
    for n in (0, 6, 499, 500, 1202):
        assert _feed(store, ids[n]).next_fetch == NOW + timedelta(seconds=n)
    assert _feed(store, ids[7]).next_fetch == NOW + timedelta(days=1)
    assert _feed(store, ids[1202]).last_fetched == NOW


def _feed_id(store: Store, url: str) -> int:
    found = store.feed_by_url(url)
    assert found is not None
    return found.feed_id


def _feed(store: Store, feed_id: int) -> StoredFeed:
    found = store.feed(feed_id)
    assert found is not None
    return found


class HeldOpen:
    """Another opener of a new SQLite file in its write transaction (migrating it), which a
    switch to WAL must wait out: SQLite answers "locked" at once there, without its busy
    handler. It commits at the ``release_after``-th pause of the opening store (never if None)."""

    def __init__(self, path: str, release_after: int | None) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")
        self.release_after = release_after
        self.now = 0.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds
        if len(self.pauses) == self.release_after:
            self.conn.execute("COMMIT")


def test_a_new_sqlite_file_waits_for_another_opener_before_switching_to_wal(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "news.db")
    other = HeldOpen(path, release_after=3)
    backend = SqliteBackend(path, clock=other.clock, pause=other.pause)
    try:
        backend.open()
        assert len(other.pauses) == 3
        assert query(path, "PRAGMA journal_mode") == [("wal",)]
    finally:
        backend.close()
        other.conn.close()


def test_a_sqlite_file_held_past_the_busy_timeout_is_given_up(tmp_path: Path) -> None:
    path = str(tmp_path / "news.db")
    other = HeldOpen(path, release_after=None)
    backend = SqliteBackend(path, busy_timeout_ms=2000, clock=other.clock, pause=other.pause)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            backend.open()
        assert 2.0 <= other.now < 2.0 + 2 * WAL_RETRY_MAX  # waited the timeout, then gave up
    finally:
        backend.close()
        other.conn.close()
