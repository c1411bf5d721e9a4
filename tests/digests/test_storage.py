"""Store on real SQLite files and a real PostgreSQL: migrations, errors, identity, outbox, digests,
full-text search."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlite_utils

from digests.errors import StorageError
from digests.model import (
    Condensed,
    DigestPage,
    DigestPlan,
    DigestRun,
    Entry,
    Pruned,
    Quote,
    Scope,
    Story,
)
from digests.store import (
    EntryKey,
    FetchState,
    StaleDigestError,
    Store,
    StoryWrite,
    Unchanged,
    fts_query,
    open_store,
)
from digests.store.base import ts
from digests.store.schema import MIGRATIONS, applied_migrations, apply_migrations
from tests.stores import query

EVERY = Scope.everything()

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def write(
    entry_id: str,
    title: str,
    text: str = "Body text.",
    *,
    quotes: list[Quote] | None = None,
    story_id: int | None = None,
    hours_ago: int = 1,
    summary: str | None = None,
) -> StoryWrite:
    entry = Entry(
        entry_id=entry_id,
        url=f"https://news.example/{entry_id}",
        title=title,
        text=text,
        published=NOW - timedelta(hours=hours_ago),
    )
    return StoryWrite(
        entry=entry,
        content_hash=f"h-{entry_id}-{text}",
        text=text,
        image=None,
        condensed=Condensed(
            title=title, summary=summary or text, sentences=[summary or text], quotes=quotes or []
        ),
        story_id=story_id,
    )


def save(
    store: Store, feed_id: int, writes: list[StoryWrite], etag: str = '"v1"', *, now: datetime = NOW
) -> list[int]:
    saved = store.save_poll(
        feed_id,
        title="The Example News",
        link=None,
        image=None,
        state=FetchState(etag=etag, last_modified="Wed, 25 Nov 2026 08:00:00 GMT", body_hash="b"),
        writes=writes,
        now=now,
        next_fetch=now + timedelta(minutes=15),
    )
    return saved.new_story_ids + saved.updated_story_ids


@pytest.fixture
def store(db_target: str) -> Iterator[Store]:
    """A store on each backend (SQLite; PostgreSQL when a test server is set)."""
    opened = open_store(db_target)
    yield opened
    opened.close()


def test_migrations_apply_once_and_twice_is_a_no_op(tmp_path: Path) -> None:
    db = sqlite_utils.Database(tmp_path / "m.db")
    assert apply_migrations(db) == [name for name, _ in MIGRATIONS]
    schema = db.schema
    assert apply_migrations(db) == []
    assert db.schema == schema
    assert applied_migrations(db) == [name for name, _ in MIGRATIONS]
    db.close()


def test_store_enables_wal_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    first = Store(path)
    first.ensure_feed("https://a.example/rss", NOW)
    first.close()
    again = Store(path)
    assert again.feed_by_url("https://a.example/rss") is not None
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    again.close()


def test_database_files_are_private(tmp_path: Path) -> None:
    """Issue 12: the database and its -wal/-shm hold every stored article and were created
    0644 (world-readable under the usual umask 022). Created 0600 whatever the umask; an
    existing file opened again is tightened."""
    db = tmp_path / "news.db"
    old_umask = os.umask(0o022)
    try:
        store = Store(db)
        store.ensure_feed("https://a.example/rss", NOW)  # a write: the -wal and -shm exist
        files = [db, db.with_name("news.db-wal"), db.with_name("news.db-shm")]
        assert [stat.S_IMODE(os.stat(f).st_mode) for f in files] == [0o600] * 3
        store.close()
        db.chmod(0o644)
        Store(db).close()
        assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    finally:
        os.umask(old_umask)


def test_corrupt_file_is_one_sentence_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(StorageError) as info:
        Store(path)
    assert "corrupt" in str(info.value)
    assert str(info.value).endswith(".")
    assert "\n" not in str(info.value)


def test_unwritable_location_is_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        Store(tmp_path / "missing-dir" / "news.db")


def test_locked_database_is_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    Store(path).close()
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError) as info:
            Store(path, busy_timeout_ms=50).ensure_feed("https://x.example/", NOW)
        assert "locked" in str(info.value)
    finally:
        holder.rollback()
        holder.close()


def test_one_connection_per_thread(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    seen: list[int] = []

    def work() -> None:
        found = store.feed(feed.feed_id)
        assert found is not None
        seen.append(found.feed_id)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [feed.feed_id] * 4


def test_stories_round_trip_as_frozen_dataclasses(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    quote = Quote(text="We will rebuild", speaker="Maria Lopez", score=0.9)
    [story_id] = save(store, feed.feed_id, [write("g1", "Bridge reopens", quotes=[quote])])
    story = store.story(story_id, scope=EVERY)
    assert isinstance(story, Story)
    assert story.title == "Bridge reopens"
    assert story.feed_title == "The Example News"
    assert story.quotes == [quote]
    refreshed = store.feed(feed.feed_id)
    assert refreshed is not None and refreshed.etag == '"v1"'


def test_update_in_place_never_stores_twice(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    [sid] = save(store, feed.feed_id, [write("g1", "Old title")])
    again = store.save_poll(
        feed.feed_id,
        title=None,
        link=None,
        image=None,
        state=FetchState(None, None, None),
        writes=[write("g1", "New title", "Changed body.", story_id=sid)],
        now=NOW,
        next_fetch=NOW,
    )
    assert again.new_story_ids == []
    assert again.updated_story_ids == [sid]
    assert len(store.story_refs(feed.feed_id)) == 1
    story = store.story(sid, scope=EVERY)
    assert story is not None and story.title == "New title"
    assert [h.story_id for h in store.search("changed", 5, scope=EVERY)] == [sid]
    assert store.search("old", 5, scope=EVERY) == []


def test_stored_versions_of_polled_entries_and_live_feeds_are_read_for_many_polls(
    store: Store,
) -> None:
    a, b, c = (store.ensure_feed(f"https://{n}.example/rss", NOW).feed_id for n in "abc")
    a1, _a2, a3 = save(store, a, [write("a1", "One"), write("a2", "Two"), write("a3", "Three")])
    [b1] = save(store, b, [write("b1", "Four")])
    for feed_id, mode in ((a, "digest"), (b, "live"), (c, "live")):
        store.subscribe(
            guild_id=1, channel_id=10 + feed_id, feed_id=feed_id, mode=mode, backfill=0,
            now=NOW, next_fetch=NOW, feed_limit=10,
        )  # fmt: skip
    polled = [
        EntryKey(a, "a3", None),  # by its id
        EntryKey(a, "a1-renamed", "https://news.example/a1"),  # by its link
        EntryKey(a, "a9", "https://news.example/a9"),  # new
        EntryKey(b, "b1", "https://news.example/b1"),
        EntryKey(c, "c1", "https://news.example/c1"),  # a feed with nothing stored
        EntryKey(c, "a2", "https://news.example/a2"),  # another feed's entry
    ]
    found = store.stories_of_entries(polled)
    assert {feed: [r.story_id for r in refs] for feed, refs in found.items()} == {
        a: [a1, a3],  # not a2: no polled entry of feed a has its id or link
        b: [b1],
    }
    assert [r.entry_id for r in found[a]] == ["a1", "a3"]
    assert store.live_feeds([a, b, c]) == {b, c}
    assert store.live_feeds([a]) == set()


def test_subscribe_marks_existing_seen_except_backfill(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    save(store, feed.feed_id, [write(f"g{i}", f"Story {i}", hours_ago=10 - i) for i in range(5)])
    outcome = store.subscribe(
        guild_id=1,
        channel_id=100,
        feed_id=feed.feed_id,
        mode="live",
        backfill=2,
        now=NOW,
        next_fetch=NOW,
        feed_limit=50,
    )
    assert outcome.backfilled == 2
    pending = store.pending_deliveries(50)
    # oldest of the two newest first
    assert [d.items[0].story.title for d in pending] == ["Story 3", "Story 4"]
    assert all(d.kind == "story" and len(d.nonce) <= 25 for d in pending)
    assert len({d.nonce for d in pending}) == 2


def test_live_subscription_queues_new_stories_once(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    store.subscribe(
        guild_id=1, channel_id=100, feed_id=feed.feed_id, mode="live", backfill=0, now=NOW,
        next_fetch=NOW, feed_limit=50,
    )  # fmt: skip
    save(store, feed.feed_id, [write("g1", "Fresh")])
    assert len(store.pending_deliveries(50)) == 1
    [sid] = [r.story_id for r in store.story_refs(feed.feed_id)]
    save(store, feed.feed_id, [write("g1", "Fresh, updated", story_id=sid)])
    assert len(store.pending_deliveries(50)) == 1


def test_outbox_delivered_and_permanent_failure_drop(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    for channel in (100, 200):
        store.subscribe(
            guild_id=1, channel_id=channel, feed_id=feed.feed_id, mode="live", backfill=0,
            now=NOW, next_fetch=NOW, feed_limit=50,
        )  # fmt: skip
    save(store, feed.feed_id, [write("g1", "Fresh")])
    first, second = store.pending_deliveries(50)
    store.mark_attempt(first.delivery_id, NOW)
    store.mark_attempt(first.delivery_id, NOW + timedelta(minutes=5))
    store.mark_failed(second.delivery_id, "timeout", permanent=False)
    retried = store.pending_deliveries(50)
    assert [d.attempts for d in retried] == [2, 0]
    assert [d.attempted_at for d in retried] == [NOW, None]  # the first try
    store.mark_delivered(first.delivery_id, 555, NOW)
    store.mark_failed(second.delivery_id, "no access", permanent=True)
    assert store.pending_deliveries(50) == []


def test_queue_digest_claims_each_story_once_and_run_is_unique(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    store.subscribe(
        guild_id=1, channel_id=100, feed_id=feed.feed_id, mode="digest", backfill=0,
        now=NOW - timedelta(days=1), next_fetch=NOW, feed_limit=50,
    )  # fmt: skip
    save(store, feed.feed_id, [write(f"g{i}", f"Story {i}") for i in range(12)])

    run = DigestRun(1, NOW - timedelta(days=1), NOW)
    plan = pages_of_ten(store.pending_digest(100))
    assert store.queue_digest(100, plan, NOW, run=run) == 12
    assert store.queue_digest(100, plan, NOW, run=run) is None
    assert store.pending_digest(100) == []
    assert store.queue_digest(100, pages_of_ten([]), NOW) == 0
    pages = store.pending_deliveries(50)
    assert [len(p.items) for p in pages] == [10, 2]
    assert store.last_run(1) == NOW


def test_digest_candidates_are_the_newest_pending_and_the_older_ids(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    store.subscribe(
        guild_id=1, channel_id=100, feed_id=feed.feed_id, mode="digest", backfill=0,
        now=NOW - timedelta(days=1), next_fetch=NOW, feed_limit=50,
    )  # fmt: skip
    # saved oldest first except one: story numbers do not follow publication
    ages = [5, 3, 9, 1, 7]
    save(store, feed.feed_id, [write(f"g{age}", f"{age} hours old", hours_ago=age) for age in ages])
    ids = {s.title: s.story_id for s in store.pending_digest(100)}
    assert len(ids) == 5
    picked = store.digest_candidates(100, 3)
    assert [s.title for s in picked.stories] == ["5 hours old", "3 hours old", "1 hours old"]
    assert picked.older == [ids["7 hours old"], ids["9 hours old"]]  # newest first
    assert store.digest_candidates(100, 10).older == []
    everything = store.digest_candidates(100, 0)
    assert everything.stories == [] and len(everything.older) == 5


def test_a_stale_digest_plan_writes_nothing(store: Store) -> None:
    """Two digests decided from the same pending stories (a scheduled run and /digest now):
    the second finds its stories claimed, writes nothing (not even its run) and is decided
    again; stories that arrive after a plan was read are left for the next digest."""
    feed = store.ensure_feed("https://a.example/rss", NOW)
    store.subscribe(
        guild_id=1, channel_id=100, feed_id=feed.feed_id, mode="digest", backfill=0,
        now=NOW - timedelta(days=1), next_fetch=NOW, feed_limit=50,
    )  # fmt: skip
    save(store, feed.feed_id, [write(f"g{i}", f"Story {i}") for i in range(3)])
    first = pages_of_ten(store.pending_digest(100))
    second = pages_of_ten(store.pending_digest(100))
    save(store, feed.feed_id, [write("late", "Late story")])  # arrives after both were read
    assert store.queue_digest(100, first, NOW) == 3
    run = DigestRun(1, NOW - timedelta(days=1), NOW)
    with pytest.raises(StaleDigestError):
        store.queue_digest(100, second, NOW, run=run)
    assert store.last_run(1) is None  # the run is recorded only with its digest
    assert [len(d.items) for d in store.pending_deliveries(50)] == [3]
    again = pages_of_ten(store.pending_digest(100))
    assert [s.title for s in store.pending_digest(100)] == ["Late story"]
    assert store.queue_digest(100, again, NOW, run=run) == 1
    assert store.last_run(1) == NOW


def pages_of_ten(stories: list[Story]) -> DigestPlan:
    ids = [s.story_id for s in stories]
    return DigestPlan(
        pages=[
            DigestPage(header=f"page {n}", items=[(sid, []) for sid in ids[i : i + 10]])
            for n, i in enumerate(range(0, len(ids), 10))
        ],
        skipped=[],
    )


def test_failure_disables_once_with_one_notice_per_channel(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    for channel in (100, 200):
        store.subscribe(
            guild_id=1, channel_id=channel, feed_id=feed.feed_id, mode="digest", backfill=0,
            now=NOW, next_fetch=NOW, feed_limit=50,
        )  # fmt: skip
    for disable in (False, True, True):
        store.record_failure(
            feed.feed_id, error="Boom.", now=NOW, next_fetch=NOW, disable=disable, notice="off"
        )
    notices = store.pending_deliveries(50)
    assert sorted(d.channel_id for d in notices) == [100, 200]
    assert all(d.kind == "notice" and d.notice == "off" for d in notices)
    status = store.feed(feed.feed_id)
    assert status is not None and status.health == "disabled" and status.failures == 3


def test_record_unchanged_keeps_validators_unless_asked(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    save(store, feed.feed_id, [], etag='"v1"')
    store.record_unchanged([Unchanged(feed.feed_id, NOW + timedelta(minutes=15))], NOW)
    kept = store.feed(feed.feed_id)
    assert (
        kept is not None and kept.etag == '"v1"' and kept.next_fetch == NOW + timedelta(minutes=15)
    )
    store.record_unchanged(
        [Unchanged(feed.feed_id, NOW, etag='"v2"', last_modified=None, update_validators=True)],
        NOW,
    )
    changed = store.feed(feed.feed_id)
    assert changed is not None and changed.etag == '"v2"'


@pytest.mark.parametrize(
    "query",
    ['"', "NOT", "AND OR", "*", "title:x", "(", "a-b", "NEAR(", "'; DROP TABLE stories; --", ""],
)
def test_search_accepts_any_input(store: Store, query: str) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    save(store, feed.feed_id, [write("g1", "Title with NOT and a-b", "Some body text.")])
    assert isinstance(store.search(query, 5, scope=EVERY), list)


def test_search_finds_quotes_and_speakers(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    quote = Quote(text="The river has never been this high", speaker="Anna Berg", score=1.0)
    [sid] = save(store, feed.feed_id, [write("g1", "Floods", "Water rose.", quotes=[quote])])
    hits = store.search("berg", 5, scope=EVERY)
    assert [h.story_id for h in hits] == [sid]
    assert "river" in hits[0].snippet
    assert store.search("floods", 5, scope=EVERY)[0].title == "Floods"


def test_speaker_quotes_by_full_name_or_surname(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    save(
        store,
        feed.feed_id,
        [
            write("g1", "One", quotes=[Quote("First words", "Anna Berg", 1.0)]),
            write("g2", "Two", quotes=[Quote("Other words", "Bergman Smith", 1.0)]),
        ],
    )
    assert [q.quote.text for q in store.speaker_quotes("anna berg", 10, scope=EVERY)] == [
        "First words"
    ]
    assert [q.quote.text for q in store.speaker_quotes("Berg", 10, scope=EVERY)] == ["First words"]
    assert store.speaker_quotes("%", 10, scope=EVERY) == []


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('NOT "x') == '"NOT" "x"'
    assert fts_query("a b", any_word=True) == '"a" OR "b"'
    assert fts_query("!!!") is None


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def test_prune_drops_old_article_text_but_keeps_the_story(store: Store) -> None:
    feed = store.ensure_feed("https://a.example/rss", days_ago(60))
    quote = Quote("The harbour wall will hold", "Anna Berg", 1.0)
    old = write(
        "g1", "Harbour storm", "Zeppelin seen over the bay.", summary="A storm hit.", quotes=[quote]
    )
    [old_id] = save(store, feed.feed_id, [old], now=days_ago(40))
    fresh = write("g2", "Market day", "Zeppelin fans met at the market.", summary="Fans met.")
    [new_id] = save(store, feed.feed_id, [fresh], now=days_ago(1))
    before = store.story(old_id, scope=EVERY)
    assert before is not None and before.text == "Zeppelin seen over the bay."

    assert store.prune(days_ago(30)) == Pruned(stories=1, deliveries=0)
    after = store.story(old_id, scope=EVERY)
    assert after is not None and after.text == ""
    assert (after.title, after.summary, after.quotes) == (before.title, before.summary, [quote])
    recent = store.story(new_id, scope=EVERY)
    assert recent is not None and recent.text == "Zeppelin fans met at the market."
    # the dropped text is out of the search index; title, summary and quotes are still in it
    assert [h.story_id for h in store.search("zeppelin", 5, scope=EVERY)] == [new_id]
    assert [h.story_id for h in store.search("storm", 5, scope=EVERY)] == [old_id]
    assert [q.story_id for q in store.speaker_quotes("Berg", 5, scope=EVERY)] == [old_id]
    # its identity stays: a feed that still lists the entry finds it stored, unchanged
    refs = {r.entry_id: r.content_hash for r in store.story_refs(feed.feed_id)}
    assert refs == {"g1": old.content_hash, "g2": fresh.content_hash}
    assert store.prune(days_ago(30)) == Pruned()


def outbox_ids(target: str) -> list[int]:
    return [row[0] for row in query(target, "SELECT delivery_id FROM outbox ORDER BY 1")]


def test_prune_deletes_old_sent_posts_but_not_pending_ones_or_the_latest_digest(
    store: Store, db_target: str
) -> None:
    feed = store.ensure_feed("https://a.example/rss", days_ago(60))
    for channel, mode in ((100, "live"), (200, "digest")):
        store.subscribe(
            guild_id=1, channel_id=channel, feed_id=feed.feed_id, mode=mode, backfill=0,
            now=days_ago(60), next_fetch=days_ago(60), feed_limit=50,
        )  # fmt: skip

    def digest(now: datetime) -> int | None:
        return store.queue_digest(200, pages_of_ten(store.pending_digest(200)), now)

    def post_next() -> int:
        [pending] = store.pending_deliveries(50)
        return pending.delivery_id

    save(store, feed.feed_id, [write("g1", "One")], now=days_ago(50))
    sent = post_next()
    store.mark_delivered(sent, 1, days_ago(50))
    save(store, feed.feed_id, [write("g2", "Two")], now=days_ago(48))
    dropped = post_next()
    store.mark_failed(dropped, "no access", permanent=True)
    assert digest(days_ago(47)) == 2
    old_digest = post_next()
    store.mark_delivered(old_digest, 2, days_ago(47))
    save(store, feed.feed_id, [write("g3", "Three")], now=days_ago(45))
    pending = post_next()  # never sent (the channel is unreachable): kept however old
    assert digest(days_ago(40)) == 1
    [_, last_digest] = [d.delivery_id for d in store.pending_deliveries(50)]
    store.mark_delivered(last_digest, 3, days_ago(40))
    save(store, feed.feed_id, [write("g4", "Four")], now=days_ago(1))
    recent = store.pending_deliveries(50)[-1].delivery_id
    store.mark_delivered(recent, 4, days_ago(1))
    assert store.last_digest_at(200) == days_ago(40)

    pruned = store.prune(days_ago(30), batch=1)  # one row per transaction: the loop must go on
    assert pruned == Pruned(stories=3, deliveries=3)
    assert outbox_ids(db_target) == [pending, last_digest, recent]
    assert [d.delivery_id for d in store.pending_deliveries(50)] == [pending]
    assert store.last_digest_at(200) == days_ago(40)


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 12, 6, 13, 5, 7, tzinfo=UTC),
        datetime(2026, 12, 6, 15, 5, 7, 250, tzinfo=timezone(timedelta(hours=2))),
        datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_stored_timestamps_are_fixed_width_utc_and_sort_as_time(when: datetime) -> None:
    stamp = ts(when)
    assert len(stamp) == len("2026-12-06T13:05:07.000000+00:00")
    assert stamp.endswith("+00:00")
    assert datetime.fromisoformat(stamp) == when
    assert ts(when - timedelta(microseconds=1)) < stamp
