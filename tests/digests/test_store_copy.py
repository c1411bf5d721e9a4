"""Copying a whole database into an empty one (``newsdigest copy-db``): SQLite to SQLite and to
a real PostgreSQL (and back), read through the store's own API afterwards."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digests.model import Condensed, DigestPage, DigestPlan, DigestRun, Entry, Quote, Scope
from digests.store import FetchState, Store, StoryWrite, open_store
from digests.store.copy import TABLES, CopyRefused, TableCopied, copy_database
from tests.stores import database, query

EVERY = Scope.everything()
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
FLOODS = Quote(text="The river has never been this high", speaker="Anna Berg", score=1.0)
UNNAMED = Quote(text="We lost everything", speaker=None, score=0.4)


def write(
    entry_id: str, title: str, *, quotes: list[Quote], parsed_only: bool = False
) -> StoryWrite:
    text = f"{title} was reported today. Officials said more would follow."
    entry = Entry(
        entry_id=entry_id,
        url=f"https://news.example/{entry_id}",
        title=title,
        text=text,
        published=NOW - timedelta(hours=len(entry_id)),
    )
    return StoryWrite(
        entry=entry,
        content_hash=f"h-{entry_id}",
        text=text,
        image=None,
        condensed=Condensed(title=title, summary=text, sentences=[text], quotes=quotes),
        parsed_only=parsed_only,
    )


def poll(store: Store, feed_id: int, writes: list[StoryWrite]) -> None:
    store.save_poll(
        feed_id,
        title=f"Feed {feed_id}",
        link=f"https://feed{feed_id}.example/",
        image=None,
        state=FetchState(etag='"v1"', last_modified="Wed, 25 Nov 2026 08:00:00 GMT", body_hash="b"),
        writes=writes,
        now=NOW,
        next_fetch=NOW + timedelta(minutes=15),
    )


def subscribe(store: Store, channel_id: int, feed_id: int, **options: Any) -> None:
    store.subscribe(
        channel_id=channel_id, feed_id=feed_id, backfill=0, now=NOW - timedelta(days=1),
        next_fetch=NOW, feed_limit=50, **options,
    )  # fmt: skip


def fill(store: Store) -> None:
    """A bit of everything a running instance stores, through the store's own API."""
    rivers = store.ensure_feed("https://rivers.example/rss", NOW).feed_id
    markets = store.ensure_feed("https://markets.example/atom", NOW).feed_id
    broken = store.ensure_feed("https://broken.example/feed", NOW).feed_id
    subscribe(store, 100, rivers, guild_id=1, mode="live", style="compact", ping_role_id=7,
              thread="per-story", webhook=True)  # fmt: skip
    subscribe(store, 200, rivers, guild_id=1, mode="digest", style="headline", thread="per-digest")
    subscribe(store, 200, markets, guild_id=1, mode="digest")
    subscribe(store, 300, broken, guild_id=2, mode="live")
    digest_sub = next(s for s in store.subscriptions(1, 200) if s.feed.feed_id == rivers)
    store.add_filter(
        guild_id=1, subscription_id=digest_sub.subscription_id, kind="include",
        pattern="river, flood", regex=False, field="any", ping_role_id=9, now=NOW, limit=10,
    )  # fmt: skip
    store.add_filter(
        guild_id=1, subscription_id=digest_sub.subscription_id, kind="exclude", pattern="^Ad:",
        regex=True, field="title", ping_role_id=None, now=NOW, limit=10,
    )  # fmt: skip
    poll(store, rivers, [write("f1", "Floods in the valley", quotes=[FLOODS, UNNAMED]),
                         write("f22", "Dams hold", quotes=[])])  # fmt: skip
    poll(store, markets, [write(f"m{i}" * (i + 1), f"Markets day {i}", quotes=[],
                                parsed_only=i % 2 == 1) for i in range(4)])  # fmt: skip
    store.record_failure(
        broken, error="The feed timed out.", now=NOW, next_fetch=NOW + timedelta(hours=1),
        disable=False, notice="",
    )  # fmt: skip
    sent, *_ = store.pending_deliveries(50)  # the live posts of channel 100
    store.mark_attempt(sent.delivery_id, NOW)
    store.mark_delivered(sent.delivery_id, 555, NOW)
    schedule = store.set_schedule(
        guild_id=1, channel_id=200, hour=8, minute=30, timezone="Europe/London", now=NOW,
        day="monday",
    )  # fmt: skip
    ids = [s.story_id for s in store.pending_digest(200)][:3]
    plan = DigestPlan(pages=[DigestPage(header="Monday", items=[(i, []) for i in ids])], skipped=[])
    run = DigestRun(schedule.schedule_id, NOW - timedelta(days=7), NOW)
    assert store.queue_digest(200, plan, NOW, run=run) == len(ids) == 3
    store.webhook_fell_back(100, "Manage Webhooks is missing.", "Posting normally.", NOW)


def contents(store: Store) -> dict[str, Any]:
    """What the store answers about everything ``fill`` stored."""
    subscriptions = sorted(store.all_subscriptions(), key=lambda s: s.subscription_id)
    feed_ids = sorted({s.feed.feed_id for s in subscriptions})
    story_ids = sorted(r.story_id for f in feed_ids for r in store.story_refs(f))
    schedules = store.schedules()
    return {
        "feeds": [store.feed(f) for f in feed_ids],
        "subscriptions": subscriptions,
        "filters": [store.filters(s.guild_id, s.subscription_id) for s in subscriptions],
        "stories": store.stories(story_ids, scope=EVERY),
        # which stories each search finds (their snippets and ranking are the backend's own)
        "search": [
            sorted(h.story_id for h in store.search(q, 10, scope=EVERY))
            for q in ("floods", "berg", "markets")
        ],
        "speaker": store.speaker_quotes("Anna Berg", 10, scope=EVERY),
        "pending": store.pending_deliveries(50),
        "pending_digest": [store.pending_digest(c) for c in (100, 200, 300)],
        "last_digest_at": store.last_digest_at(200),
        "schedules": schedules,
        "runs": [store.last_run(s.schedule_id) for s in schedules],
    }


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "source.db")
    fill(store)
    yield store
    store.close()


def copy(source: Store, target: Store, *, batch: int = 2) -> list[TableCopied]:
    """Copy in batches of two rows, so most tables take several (keyset pagination); returns
    what ``progress`` heard, table by table."""
    heard: list[TableCopied] = []
    copy_database(source, target, batch=batch, progress=heard.append)
    return heard


def test_a_copy_reads_the_same_and_takes_fresh_ids(source: Store, db_target: str) -> None:
    target = open_store(db_target)
    try:
        copied = copy(source, target)
        assert [t.table for t in copied] == [t.name for t in TABLES]
        assert all(t.rows == t.target_rows for t in copied)
        assert {t.table: t.rows for t in copied}["stories"] == 6
        expected = contents(source)
        assert all(expected["search"]) and expected["speaker"] and expected["pending"]
        assert contents(target) == expected
        assert expected["stories"] and any(not s.condensed for s in expected["stories"].values())

        feed = target.ensure_feed("https://new.example/rss", NOW)
        assert feed.feed_id > max(f.feed_id for f in expected["feeds"])
        poll(target, feed.feed_id, [write("n1", "A new story", quotes=[FLOODS])])
        [new] = target.story_refs(feed.feed_id)
        assert new.story_id > max(expected["stories"])
        assert new.story_id in {h.story_id for h in target.search("berg", 10, scope=EVERY)}
    finally:
        target.close()


def test_a_copy_from_either_backend_to_sqlite(db_target: str, tmp_path: Path) -> None:
    first = open_store(db_target)
    fill(first)
    second = open_store(tmp_path / "back.db")
    try:
        copy(first, second, batch=1000)
        assert contents(second) == contents(first)
    finally:
        first.close()
        second.close()


def test_the_copy_reads_one_snapshot_of_a_running_source(db_target: str, tmp_path: Path) -> None:
    """A bot still writing while the copy runs: what it writes after the copy began is not
    copied (not half of it either), so the copy is one consistent moment of the source."""
    source, running = open_store(db_target), open_store(db_target)
    target = open_store(tmp_path / "target.db")
    fill(source)
    before = contents(source)

    def bot_writes(done: TableCopied) -> None:
        if done.table == "feeds":  # stories and quotes are still to be read
            feed = running.ensure_feed("https://late.example/rss", NOW)
            poll(running, feed.feed_id, [write("late", "Late floods", quotes=[FLOODS])])

    try:
        copy_database(source, target, batch=2, progress=bot_writes)
        late = running.feed_by_url("https://late.example/rss")
        assert late is not None and len(running.story_refs(late.feed_id)) == 1
        assert contents(target) == before
    finally:
        for store in (source, running, target):
            store.close()


def test_a_target_with_rows_is_refused_and_left_alone(source: Store, db_target: str) -> None:
    target = open_store(db_target)
    try:
        target.ensure_feed("https://live.example/rss", NOW)
        with pytest.raises(CopyRefused, match="not empty"):
            copy(source, target)
        assert query(db_target, "SELECT url FROM feeds") == [("https://live.example/rss",)]
        assert query(db_target, "SELECT COUNT(*) FROM stories") == [(0,)]
    finally:
        target.close()


def test_a_copy_that_fails_halfway_leaves_the_target_empty(source: Store, db_target: str) -> None:
    def fail_after_quotes(done: TableCopied) -> None:
        if done.table == "quotes":
            raise RuntimeError("disk pulled")

    target = open_store(db_target)
    try:
        with pytest.raises(RuntimeError, match="disk pulled"):
            copy_database(source, target, batch=2, progress=fail_after_quotes)
        for table in TABLES:
            assert query(db_target, f"SELECT COUNT(*) FROM {table.name}") == [(0,)]  # noqa: S608
        copy(source, target)  # and it can be copied into afterwards
        assert contents(target) == contents(source)
    finally:
        target.close()


def test_a_database_at_another_schema_version_is_refused(source: Store, tmp_path: Path) -> None:
    with closing(sqlite3.connect(tmp_path / "source.db")) as raw, raw:
        raw.execute("INSERT INTO _migrations VALUES ('9999_from_the_future', 'now')")
    target = open_store(tmp_path / "target.db")
    try:
        with pytest.raises(CopyRefused, match="9999_from_the_future"):
            copy(source, target)
    finally:
        target.close()


def test_a_table_the_copy_does_not_know_is_refused_in_the_source_only(
    source: Store, tmp_path: Path
) -> None:
    target_path = tmp_path / "target.db"
    target = open_store(target_path)
    try:
        with closing(sqlite3.connect(target_path)) as raw, raw:
            raw.execute("CREATE TABLE other_app (x INTEGER)")  # someone else's: no matter
        with closing(sqlite3.connect(tmp_path / "source.db")) as raw, raw:
            raw.execute("CREATE TABLE added_later (x INTEGER)")
        with pytest.raises(CopyRefused, match="added_later"):
            copy(source, target)
        with closing(sqlite3.connect(tmp_path / "source.db")) as raw, raw:
            raw.execute("DROP TABLE added_later")
        copy(source, target)
        assert contents(target) == contents(source)
    finally:
        target.close()


def test_copying_a_database_onto_itself_is_refused(source: Store) -> None:
    with pytest.raises(CopyRefused, match="being copied"):
        copy_database(source, source)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_tables_names_every_table_of_the_schema(backend: str, tmp_path: Path) -> None:
    """An added table must be added to ``TABLES`` too (the copy refuses a table it does not
    know, rather than leave its rows behind)."""
    with database(backend, tmp_path) as target:
        store = open_store(target)
        store.close()
        if backend == "sqlite":
            sql = "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'"
        else:
            sql = (
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
        found = {str(r[0]) for r in query(target, sql)} - {"_migrations", "sqlite_schema"}
        assert found == {t.name for t in TABLES}
