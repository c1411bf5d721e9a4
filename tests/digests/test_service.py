"""DigestService end to end: real SQLite files and PostgreSQL, a real loopback HTTP server, the real Fetcher,
parser and condenser, and a FakeClock (no sleeping on schedules)."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from digests.clock import FakeClock
from digests.condensing import condense
from digests.errors import (
    FeedExistsError,
    FeedLimitError,
    FetchError,
    InputError,
    StoryNotFoundError,
    UnsafeURLError,
)
from digests.feeds.fetch import Fetcher, FetchLimits
from digests.model import Condensed, Pruned, Scope, Story
from digests.service import DigestService
from digests.store import Store, StoredFeed, Unchanged, open_store
from tests.builders import Item, rss
from tests.feedserver import FeedServer

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
EVERY = Scope.everything()
UA = "newsdigest-test/1.0"
SITE = "https://news.example/"

FILLER = (
    "The council met on Tuesday evening in the old town hall to discuss the proposal, which "
    "has divided residents for months. Supporters argue the plan will bring jobs and new "
    "housing to the district, while opponents fear rising rents and the loss of green space. "
    "A final vote is expected next month after a second round of public hearings, officials "
    "said. The mayor's office has promised to publish the full budget figures before then, "
    "and several neighbourhood groups have asked for an independent review of the traffic "
    "study that accompanies the plan."
)


def long_item(n: int, title: str | None = None, **kw: object) -> Item:
    kw.setdefault("text", f"Story {n} begins here. {FILLER}")
    return Item(
        guid=f"story-{n}",
        title=title or f"Council debates plan number {n}",
        **kw,  # type: ignore[arg-type]
    )


@dataclass
class Counter:
    calls: int = 0
    titles: list[str | None] = field(default_factory=list)

    def __call__(self, text: str, *, title: str | None = None) -> Condensed:
        self.calls += 1
        self.titles.append(title)
        return condense(text, title=title)


@dataclass
class Env:
    server: FeedServer
    fetcher: Fetcher
    clock: FakeClock
    db: str
    condenser: Counter
    store: Store
    service: DigestService

    def restart(self, **kw: object) -> None:
        self.store.close()
        self.store = open_store(self.db)
        self.service = make_service(self, **kw)

    def later(self, minutes: int = 16) -> None:
        self.clock.advance(timedelta(minutes=minutes))


def make_service(env: Env, **kw: object) -> DigestService:
    return DigestService(
        env.store,
        env.fetcher,
        clock=env.clock,
        condense=env.condenser,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def env(db_target: str, feed_server: FeedServer) -> AsyncIterator[Env]:
    clock = FakeClock(START)
    # pages unpaced: these tests are not about politeness (tests/digests/test_polite.py is)
    async with Fetcher(
        user_agent=UA, allow_private=True, limits=FetchLimits(page_interval=0.0)
    ) as fetcher:
        store = open_store(db_target)
        e = Env(
            server=feed_server,
            fetcher=fetcher,
            clock=clock,
            db=db_target,
            condenser=Counter(),
            store=store,
            service=None,  # type: ignore[arg-type]
        )
        e.service = make_service(e)
        yield e
        e.store.close()


def serve(env: Env, path: str, title: str, items: list[Item], version: str = "v1") -> str:
    env.server.add(
        path,
        rss(title, items, link=SITE),
        content_type="application/rss+xml",
        etag=f'"{path}-{version}"',
        last_modified="Wed, 25 Nov 2026 08:00:00 GMT",
    )
    return env.server.url(path)


async def test_add_feed_stores_previews_and_marks_existing_seen(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha News", [long_item(i) for i in range(4)])
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
    assert added.subscription.feed.title == "Alpha News"
    assert added.preview is not None and added.preview.summary
    assert added.backfilled == 0
    assert await env.service.pending_deliveries() == []
    # only the preview was condensed; the items marked seen are stored as parsed
    assert env.condenser.calls == 1
    stored = env.store.newest_stories(added.subscription.feed.feed_id, 4)
    assert [s.condensed for s in stored] == [True, False, False, False]
    assert [s.summary for s in stored[1:]] == ["", "", ""]


async def test_backfill_queues_the_newest_as_story_deliveries(env: Env) -> None:
    items = [long_item(i, published=START - timedelta(hours=10 - i)) for i in range(5)]
    url = serve(env, "/a.xml", "Alpha News", items)
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=url, backfill=2)
    assert added.backfilled == 2
    pending = await env.service.pending_deliveries()
    titles = [d.items[0].story.title for d in pending]
    assert titles == ["Council debates plan number 3", "Council debates plan number 4"]
    with pytest.raises(InputError):
        await env.service.add_feed(guild_id=1, channel_id=11, url=url, backfill=6)


async def test_second_poll_of_unchanged_feeds_is_304_and_condenses_nothing(env: Env) -> None:
    a = serve(env, "/a.xml", "Alpha", [long_item(i) for i in range(3)])
    b = serve(env, "/b.xml", "Beta", [long_item(10 + i) for i in range(3)])
    for channel, url in ((10, a), (11, b), (12, a)):
        await env.service.add_feed(guild_id=1, channel_id=channel, url=url)
    calls = env.condenser.calls
    hits = env.server.hits("/a.xml"), env.server.hits("/b.xml")
    env.later()
    results = await env.service.update_due_feeds()
    # one fetch per URL however many channels subscribe
    assert env.server.hits("/a.xml") == hits[0] + 1
    assert env.server.hits("/b.xml") == hits[1] + 1
    assert all(r.not_modified for r in results) and len(results) == 2
    assert env.server.last_headers("/a.xml")["If-None-Match"] == '"/a.xml-v1"'
    assert env.condenser.calls == calls


async def test_a_cycle_claims_due_feeds_in_chunks_and_polls_each_once(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("digests.service.CLAIM_CHUNK", 2)
    paths = [f"/c{n}.xml" for n in range(5)]
    for n, path in enumerate(paths):
        url = serve(env, path, f"Feed {n}", [long_item(10 * n)])
        await env.service.add_feed(guild_id=1, channel_id=10 + n, url=url)
    hits = [env.server.hits(path) for path in paths]
    env.later()
    results = await env.service.update_due_feeds()
    assert len(results) == 5 and all(r.not_modified for r in results)
    assert [env.server.hits(path) - before for path, before in zip(paths, hits, strict=True)] == [
        1
    ] * 5
    assert await env.service.update_due_feeds() == []  # nothing is due twice


class GatedStore(Store):
    """The real store, whose batched 304 writes wait until ``gate`` opens."""

    def __init__(self, target: str, gate: threading.Event) -> None:
        super().__init__(target)
        self.gate = gate

    def record_unchanged(self, batch: Sequence[Unchanged], now: datetime) -> None:
        self.gate.wait(30)
        super().record_unchanged(batch, now)


async def test_a_poller_fetches_the_next_feed_while_a_304_is_being_written(env: Env) -> None:
    paths = [f"/w{n}.xml" for n in range(3)]
    for n, path in enumerate(paths):
        url = serve(env, path, f"Feed {n}", [long_item(10 * n)])
        await env.service.add_feed(guild_id=1, channel_id=10 + n, url=url)
    before = sum(env.server.hits(path) for path in paths)
    gate = threading.Event()
    store = GatedStore(env.db, gate)
    service = DigestService(
        store, env.fetcher, clock=env.clock, condense=env.condenser, poll_concurrency=1
    )
    env.later()
    cycle = asyncio.create_task(service.update_due_feeds())
    try:
        # one poller: it reaches the third feed only if it does not wait for the first write
        async with asyncio.timeout(10):
            while sum(env.server.hits(path) for path in paths) < before + 3:
                await asyncio.sleep(0.01)
        assert not cycle.done()  # the outcomes wait for the writes
    finally:
        gate.set()
    results = await cycle
    assert len(results) == 3 and all(r.not_modified for r in results)
    assert store.due_feeds(env.clock.now()) == []  # every 304 was recorded
    store.close()


async def test_new_entries_only_are_condensed_and_live_channels_get_them(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1), long_item(2)])
    await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
    await env.service.add_feed(guild_id=1, channel_id=11, url=url, mode="digest")
    calls = env.condenser.calls
    serve(env, "/a.xml", "Alpha", [long_item(3), long_item(1), long_item(2)], version="v2")
    env.later()
    [result] = await env.service.update_due_feeds()
    assert (result.new_stories, result.updated_stories) == (1, 0)
    assert env.condenser.calls == calls + 1
    pending = await env.service.pending_deliveries()
    assert [(d.channel_id, d.kind) for d in pending] == [(10, "story")]
    assert pending[0].items[0].story.title == "Council debates plan number 3"


async def test_several_new_entries_reach_a_live_channel_oldest_first(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1)])
    await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
    newer = long_item(3, published=START - timedelta(minutes=10))
    older = long_item(2, published=START - timedelta(minutes=30))
    serve(env, "/a.xml", "Alpha", [newer, older, long_item(1)], version="v2")
    env.later()
    [result] = await env.service.update_due_feeds()
    assert result.new_stories == 2
    titles = [d.items[0].story.title for d in await env.service.pending_deliveries()]
    assert titles == ["Council debates plan number 2", "Council debates plan number 3"]


async def test_updated_entry_is_updated_in_place_not_stored_twice(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1)])
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
    assert added.preview is not None
    story_id = added.preview.story_id
    changed = long_item(1, title="Council approves plan number 1")
    serve(env, "/a.xml", "Alpha", [changed], version="v2")
    env.later()
    [result] = await env.service.update_due_feeds()
    assert (result.new_stories, result.updated_stories) == (0, 1)
    detail = await env.service.story(story_id, scope=EVERY)
    assert detail.story.title == "Council approves plan number 1"
    assert await env.service.pending_deliveries() == []
    assert [h.story_id for h in await env.service.search("approves", scope=EVERY)] == [story_id]


async def test_changed_guid_same_link_is_the_same_story(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1, link="https://news.example/x")])
    await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
    moved = Item("new-guid", "Council debates plan number 1", text=FILLER, link=SITE + "x")
    serve(env, "/a.xml", "Alpha", [moved], version="v2")
    env.later()
    [result] = await env.service.update_due_feeds()
    assert result.new_stories == 0
    assert await env.service.pending_deliveries() == []


async def test_unchanged_body_without_validators_is_not_parsed(env: Env) -> None:
    env.server.add("/plain.xml", rss("Plain", [long_item(1)]), content_type="application/xml")
    parsed: list[str] = []

    from digests.feeds.parse import parse_feed

    def counting_parse(content: bytes, *, url: str, headers: object = None) -> object:
        parsed.append(url)
        return parse_feed(content, url=url, headers=headers)  # type: ignore[arg-type]

    env.service = make_service(env, parse=counting_parse)
    await env.service.add_feed(guild_id=1, channel_id=10, url=env.server.url("/plain.xml"))
    env.later()
    [result] = await env.service.update_due_feeds()
    assert result.not_modified
    assert len(parsed) == 1
    assert env.server.hits("/plain.xml") == 2


async def test_changed_feed_parses_only_its_new_items(env: Env) -> None:
    from digests.feeds.parse import parse_feed

    sizes: list[int] = []

    def sizing_parse(content: bytes, *, url: str, headers: object = None) -> object:
        sizes.append(len(content))
        return parse_feed(content, url=url, headers=headers)  # type: ignore[arg-type]

    env.service = make_service(env, parse=sizing_parse)
    items = [long_item(i) for i in range(6)]
    url = serve(env, "/a.xml", "Alpha", items)
    await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
    full = len(rss("Alpha", [long_item(99), *items], link=SITE))
    serve(env, "/a.xml", "Alpha", [long_item(99), *items], version="v2")
    env.later()
    [result] = await env.service.update_due_feeds()
    assert result.new_stories == 1
    assert sizes[-1] < full / 3  # the head, one item and the tail
    [delivery] = await env.service.pending_deliveries()
    assert delivery.items[0].story.title == "Council debates plan number 99"
    # reordered items only: a new body, nothing to parse or condense
    calls = env.condenser.calls
    serve(env, "/a.xml", "Alpha", [*items, long_item(99)], version="v3")
    env.later()
    [result] = await env.service.update_due_feeds()
    assert result.not_modified and len(sizes) == 2 and env.condenser.calls == calls


async def test_an_unexpected_error_in_one_feed_does_not_stop_the_others(env: Env) -> None:
    from digests.feeds.parse import parse_feed

    def fragile_parse(content: bytes, *, url: str, headers: object = None) -> object:
        if b"Broken" in content and b"v2" in content:
            raise RuntimeError("parser bug")
        return parse_feed(content, url=url, headers=headers)  # type: ignore[arg-type]

    env.service = make_service(env, parse=fragile_parse)
    a = serve(env, "/a.xml", "Broken", [long_item(1)])
    b = serve(env, "/b.xml", "Fine", [long_item(2)])
    await env.service.add_feed(guild_id=1, channel_id=10, url=a, mode="live")
    await env.service.add_feed(guild_id=1, channel_id=10, url=b, mode="live")
    serve(env, "/a.xml", "Broken", [long_item(3, title="v2 story")], version="v2")
    serve(env, "/b.xml", "Fine", [long_item(4), long_item(2)], version="v2")
    env.later()
    results = {r.url: r for r in await env.service.update_due_feeds()}
    assert results[a].error is not None and "unexpected" in results[a].error
    assert results[b].new_stories == 1
    broken = next(f for f in await env.service.feed_status(1) if f.url == a)
    assert broken.health == "failing"


async def test_restart_keeps_etags_and_requeues_nothing(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1), long_item(2)])
    await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live", backfill=1)
    [delivery] = await env.service.pending_deliveries()
    await env.service.mark_delivered(delivery.delivery_id, 999)
    env.restart()
    env.later()
    [result] = await env.service.update_due_feeds()
    assert result.not_modified
    assert env.server.last_headers("/a.xml")["If-None-Match"] == '"/a.xml-v1"'
    assert env.server.last_headers("/a.xml")["If-Modified-Since"] == "Wed, 25 Nov 2026 08:00:00 GMT"
    assert await env.service.pending_deliveries() == []
    assert await env.service.queue_digest(10) == 0


async def test_pruned_old_stories_are_never_posted_again(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1), long_item(2)])
    await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live", backfill=1)
    [delivery] = await env.service.pending_deliveries()
    await env.service.mark_delivered(delivery.delivery_id, 999)
    env.clock.advance(timedelta(days=91))  # past the default retention
    assert await env.service.prune() == Pruned(stories=2, deliveries=1)
    assert (
        await env.service.search("council", scope=EVERY) != []
    )  # still found by title and summary
    # the feed still lists both (edited) beside a new one: only the new one is posted
    edited = [long_item(n, title=f"Council edits plan number {n}") for n in (1, 2)]
    serve(env, "/a.xml", "Alpha", [long_item(3), *edited], version="v2")
    env.later()
    [result] = await env.service.update_due_feeds()
    assert (result.new_stories, result.updated_stories) == (1, 2)
    titles = [d.items[0].story.title for d in await env.service.pending_deliveries()]
    assert titles == ["Council debates plan number 3"]


async def test_no_retention_keeps_everything(env: Env) -> None:
    env.service = make_service(env, retention=None)
    url = serve(env, "/a.xml", "Alpha", [long_item(1)])
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    assert added.preview is not None
    env.clock.advance(timedelta(days=4000))
    assert await env.service.prune() == Pruned()
    assert (await env.service.story(added.preview.story_id, scope=EVERY)).story.text.startswith(
        "Story 1 begins"
    )


async def test_same_story_from_two_feeds_is_one_digest_item(env: Env) -> None:
    quake = (
        "A magnitude 6.1 earthquake struck off the coast of central Chile on Wednesday, "
        "shaking buildings in Valparaiso and Santiago, seismologists said. " + FILLER
    )
    a = serve(env, "/a.xml", "Alpha", [long_item(1)])
    b = serve(env, "/b.xml", "Beta", [long_item(50, title="Museum opens new wing")])
    await env.service.add_feed(guild_id=1, channel_id=10, url=a)
    await env.service.add_feed(guild_id=1, channel_id=10, url=b)
    serve(
        env,
        "/a.xml",
        "Alpha",
        [Item("q-a", "Magnitude 6.1 earthquake strikes off coast of Chile", quake)],
        version="v2",
    )
    serve(
        env,
        "/b.xml",
        "Beta",
        [Item("q-b", "Strong earthquake strikes off the coast of Chile", quake + " No tsunami.")],
        version="v2",
    )
    env.later()
    await env.service.update_due_feeds()
    assert await env.service.queue_digest(10) == 1
    [delivery] = await env.service.pending_deliveries()
    assert delivery.kind == "digest"
    [item] = delivery.items
    assert item.story.feed_title == "Beta"  # the more complete text represents the cluster
    assert [(c.feed, c.url) for c in item.also_covered_by] == [
        ("Alpha", "https://news.example/q-a")
    ]
    assert delivery.header is not None and delivery.header.startswith("Digest · ")
    assert delivery.header.endswith("UTC")
    # /story shows the other outlet too
    assert (await env.service.story(item.story.story_id, scope=EVERY)).also_covered_by[
        0
    ].feed == "Alpha"
    # nothing is queued twice, the cluster's other member included
    assert await env.service.queue_digest(10) == 0


async def test_digest_pages_hold_at_most_ten_and_schedule_runs_once(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(0)])
    await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    topics = "harbour museum bridge tram school hospital stadium airport river forest park zoo"
    items = [
        Item(f"t{n}", f"The {word} story of the week", f"Story about the {word}. {FILLER}")
        for n, word in enumerate(topics.split())
    ]
    serve(env, "/a.xml", "Alpha", items, version="v2")
    env.later()
    await env.service.update_due_feeds()
    schedule = await env.service.set_schedule(
        guild_id=1, channel_id=10, time="09:30", timezone="europe/berlin"
    )
    assert schedule.timezone == "Europe/Berlin"
    fire = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
    assert await env.service.run_scheduled_digest(schedule.schedule_id, fire) == 12
    assert await env.service.run_scheduled_digest(schedule.schedule_id, fire) is None
    assert await env.service.last_scheduled_run(schedule.schedule_id) == fire
    pages = await env.service.pending_deliveries()
    assert [len(p.items) for p in pages] == [10, 2]
    # the header reads in the schedule's own time zone
    assert pages[0].header == "Digest · 25 Nov 2026 09:30 – 26 Nov 2026 09:30 CET"
    assert len({p.nonce for p in pages}) == 2 and all(len(p.nonce) <= 25 for p in pages)
    with pytest.raises(InputError):
        await env.service.set_schedule(guild_id=1, channel_id=10, time="25:00", timezone="UTC")
    with pytest.raises(InputError):
        await env.service.set_schedule(
            guild_id=1, channel_id=10, time="09:00", timezone="UTC", day="someday"
        )
    with pytest.raises(InputError):
        await env.service.set_schedule(
            guild_id=1, channel_id=10, time="09:00", timezone="Mars/Base"
        )


async def test_a_digest_reads_only_its_lookback_and_skips_the_older_stories(env: Env) -> None:
    """A channel whose digest has not run for a long time: the digest reads the newest
    ``digest_lookback`` pending stories and marks the older ones handled unread, so they do
    not pile up for the next digest either."""
    url = serve(env, "/a.xml", "Alpha", [long_item(0)])
    await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    topics = "harbour museum bridge tram school hospital"
    items = [
        Item(
            f"t{n}",
            f"The {word} story of the week",
            f"Story about the {word}. {FILLER}",
            published=START - timedelta(hours=n + 1),
        )
        for n, word in enumerate(topics.split())
    ]
    serve(env, "/a.xml", "Alpha", items, version="v2")
    env.later()
    await env.service.update_due_feeds()
    env.restart(digest_lookback=2)
    assert await env.service.queue_digest(10) == 2
    [page] = await env.service.pending_deliveries()
    titles = [item.story.title for item in page.items]
    assert sorted(titles) == ["The harbour story of the week", "The museum story of the week"]
    assert env.store.pending_digest(10) == []


async def test_weekly_schedule_covers_a_week(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(0)])
    await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    serve(env, "/a.xml", "Alpha", [long_item(0), long_item(1)], version="v2")
    env.later()
    weekly = await env.service.set_schedule(
        guild_id=1, channel_id=10, time="08:00", timezone="UTC", day="Friday"
    )
    assert weekly.day == "fri"
    fire = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    # the scheduled digest refreshes the feed first: the new item is in it without a poll
    assert await env.service.run_scheduled_digest(weekly.schedule_id, fire) == 1
    [page] = await env.service.pending_deliveries()
    assert page.header == "Digest · 20 Nov 2026 08:00 – 27 Nov 2026 08:00 UTC"


async def test_digest_now_refreshes_the_channels_feeds_first(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(0)])
    await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    serve(env, "/a.xml", "Alpha", [long_item(0), long_item(1)], version="v2")
    # no poll ran since the feed changed: the digest fetches it itself (conditionally)
    assert await env.service.queue_digest(10) == 1
    assert await env.service.queue_digest(10) == 0


async def test_failing_feed_backs_off_then_disables_with_one_notice_and_readd_reenables(
    env: Env,
) -> None:
    env.service = make_service(env, max_failures=3)
    url = serve(env, "/a.xml", "Alpha", [long_item(1)])
    await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    await env.service.add_feed(guild_id=1, channel_id=11, url=url)
    env.server.status("/a.xml", 500)
    for _ in range(5):
        env.later(60 * 24)
        await env.service.update_due_feeds()
    status = (await env.service.feed_status(1))[0]
    assert status.health == "disabled"
    assert status.failures == 3  # disabled feeds are not polled any more
    assert status.last_error and "500" in status.last_error
    notices = await env.service.pending_deliveries()
    assert sorted((d.channel_id, d.kind) for d in notices) == [(10, "notice"), (11, "notice")]
    serve(env, "/a.xml", "Alpha", [long_item(1)])
    [sub] = await env.service.subscriptions(1, 11)
    await env.service.remove_feed(guild_id=1, subscription_id=sub.subscription_id)
    again = await env.service.add_feed(guild_id=1, channel_id=11, url=url)
    assert again.reenabled
    assert (await env.service.feed_status(1))[0].health == "ok"


async def test_backoff_grows_between_failures(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1)])
    await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    env.server.status("/a.xml", 503)
    gaps = []
    for _ in range(3):
        env.clock.set(await env.service.next_poll_at() or START)
        await env.service.update_due_feeds()
        status = (await env.service.feed_status(1))[0]
        assert status.next_fetch is not None and status.last_fetched is not None
        gaps.append(status.next_fetch - status.last_fetched)
    assert gaps[0] >= timedelta(minutes=4)
    assert gaps[1] > gaps[0] * 1.4 and gaps[2] > gaps[1] * 1.4


async def test_concurrent_adds_respect_the_feed_limit(env: Env) -> None:
    """Issue 12: five /feed add at once on a server allowed two feeds gave five feeds (each
    checked the limit before any had subscribed)."""
    env.service = make_service(env, feed_limit=2)
    urls = [serve(env, f"/{n}.xml", f"Feed {n}", [long_item(n)]) for n in range(5)]
    outcomes = await asyncio.gather(
        *(env.service.add_feed(guild_id=1, channel_id=10, url=url) for url in urls),
        return_exceptions=True,
    )
    added = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(added) == 2
    assert len(refused) == 3 and all(isinstance(o, FeedLimitError) for o in refused)
    assert len(await env.service.feed_status(1)) == 2


async def test_concurrent_adds_of_one_feed_to_one_channel_are_one_sentence(env: Env) -> None:
    """Issue 12: two /feed add of one URL to one channel at once raised a raw IntegrityError."""
    url = serve(env, "/a.xml", "Alpha", [long_item(1)])
    outcomes = await asyncio.gather(
        *(env.service.add_feed(guild_id=1, channel_id=10, url=url) for _ in range(2)),
        return_exceptions=True,
    )
    [refused] = [o for o in outcomes if isinstance(o, BaseException)]
    assert isinstance(refused, FeedExistsError)
    assert refused.message == "That feed is already posted in that channel."
    assert len(await env.service.subscriptions(1, 10)) == 1


async def test_limits_duplicates_and_unsafe_urls(env: Env, tmp_path: Path) -> None:
    env.service = make_service(env, feed_limit=1)
    a = serve(env, "/a.xml", "Alpha", [long_item(1)])
    b = serve(env, "/b.xml", "Beta", [long_item(2)])
    await env.service.add_feed(guild_id=1, channel_id=10, url=a)
    with pytest.raises(FeedExistsError):
        await env.service.add_feed(guild_id=1, channel_id=10, url=a)
    await env.service.add_feed(guild_id=1, channel_id=11, url=a)  # same feed: not a new one
    with pytest.raises(FeedLimitError):
        await env.service.add_feed(guild_id=1, channel_id=10, url=b)
    await env.service.add_feed(guild_id=2, channel_id=20, url=b)  # other server, own limit
    with pytest.raises(FetchError):
        await env.service.add_feed(guild_id=3, channel_id=30, url=env.server.url("/missing"))
    async with Fetcher(user_agent=UA, allow_private=False) as strict:
        safe = DigestService(env.store, strict, clock=env.clock)
        with pytest.raises(UnsafeURLError):
            await safe.add_feed(guild_id=4, channel_id=40, url=a)


async def test_reading_story_quotes_and_search(env: Env) -> None:
    text = (
        f"{FILLER}\n\n"
        '"We will not give up the park without a fight," said Maria Lopez, who leads the '
        "residents' association.\n\n"
        f"{FILLER}"
    )
    url = serve(env, "/a.xml", "Alpha", [Item("p1", "Residents fight for the park", text)])
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    assert added.preview is not None
    number = added.preview.story_id
    assert (
        await env.service.story(number, scope=EVERY)
    ).story.title == "Residents fight for the park"
    with pytest.raises(StoryNotFoundError):
        await env.service.story(number + 100, scope=EVERY)
    assert (await env.service.story_choices("park", scope=EVERY))[0] == (
        number,
        "Residents fight for the park",
    )
    quotes = await env.service.speaker_quotes("lopez", scope=EVERY)
    assert quotes and quotes[0].quote.speaker == "Maria Lopez"
    assert "fight" in quotes[0].quote.text
    assert [h.story_id for h in await env.service.search('park "fight', scope=EVERY)] == [number]
    assert (await env.service.search("Lopez", scope=EVERY))[0].story_id == number

    # another server (2) reads only the stories of the feeds it subscribes itself
    other = {"scope": Scope.server(2)}
    with pytest.raises(StoryNotFoundError):
        await env.service.story(number, **other)
    assert await env.service.story_choices("park", **other) == []
    assert await env.service.speaker_quotes("lopez", **other) == []
    assert await env.service.search("Lopez", **other) == []
    mine = {"scope": Scope.server(1)}
    assert (await env.service.story(number, **mine)).story.story_id == number
    assert await env.service.story_choices("park", **mine) == [
        (number, "Residents fight for the park")
    ]
    assert (await env.service.speaker_quotes("lopez", **mine))[0].quote.speaker == "Maria Lopez"
    assert [h.story_id for h in await env.service.search("Lopez", **mine)] == [number]
    await env.service.add_feed(guild_id=2, channel_id=20, url=url)
    assert [h.story_id for h in await env.service.search("Lopez", **other)] == [number]


# --- teaser feeds over the real article corpus -------------------------------------------------
_TOKENS = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> dict[tuple[str, ...], int]:
    tokens = _TOKENS.findall(text)
    out: dict[tuple[str, ...], int] = {}
    for i in range(max(1, len(tokens) - n + 1)):
        key = tuple(tokens[i : i + n])
        out[key] = out.get(key, 0) + 1
    return out


def page_prf(predicted: str, truth: str) -> tuple[float, float]:
    """The benchmark's per-page precision and recall over 4-token shingle multisets."""
    p, t = shingles(predicted), shingles(truth)
    tp = sum(min(c, t.get(k, 0)) for k, c in p.items())
    fp = sum(p.values()) - tp
    fn = sum(t.values()) - tp
    total = tp + fp + fn
    if total == 0:
        return 1.0, 1.0
    tp, fp, fn = tp / total, fp / total, fn / total
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


def corpus_pages(corpus: Path, count: int | None) -> list[tuple[str, bytes, str]]:
    import gzip
    import json

    truth = json.loads((corpus / "articles" / "ground-truth.json").read_text("utf-8"))
    ids = sorted(truth)[:count] if count else sorted(truth)
    return [
        (
            page_id,
            gzip.decompress((corpus / "articles" / "html" / f"{page_id}.html.gz").read_bytes()),
            str(truth[page_id]["articleBody"]),
        )
        for page_id in ids
    ]


async def run_teaser_feed(env: Env, corpus: Path, count: int | None) -> None:
    pages = corpus_pages(corpus, count)
    items = []
    for n, (page_id, html, _) in enumerate(pages):
        env.server.add(f"/articles/{page_id}.html", html, content_type="text/html; charset=utf-8")
        items.append(
            Item(
                guid=page_id,
                title=f"Article {n}",
                text="Teaser only: follow the link for the story.",
                link=env.server.url(f"/articles/{page_id}.html"),
                published=START - timedelta(minutes=n),
            )
        )
    env.service = make_service(env, max_entries=len(items))
    url = serve(env, "/teasers.xml", "Teasers", items)
    await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    # the pages are fetched when their stories are shown: the newest (the preview) only, so far
    fetched = [env.server.hits(f"/articles/{page_id}.html") for page_id, _, _ in pages]
    assert sum(fetched) == 1
    precisions, recalls = [], []
    stored = await env.service.condensed(env.store.newest_stories(1, len(pages)))
    assert len(stored) == len(pages)
    fetched = [env.server.hits(f"/articles/{page_id}.html") for page_id, _, _ in pages]
    assert fetched == [1] * len(pages)  # each page once, its story stored condensed
    for page_id, _, truth in pages:
        page_url = env.server.url(f"/articles/{page_id}.html")
        story = next(s for s in stored if s.url == page_url)
        p, r = page_prf(story.text, truth)
        precisions.append(p)
        recalls.append(r)
        # the summary comes from the article body, not from the teaser
        assert "Teaser only" not in story.summary
        body_words = {w.lower() for w in _TOKENS.findall(story.text)}
        summary_words = [w.lower() for w in _TOKENS.findall(story.summary)]
        assert len(summary_words) > 10
        inside = sum(w in body_words for w in summary_words)
        assert inside >= 0.9 * len(summary_words)
    mp, mr = sum(precisions) / len(pages), sum(recalls) / len(pages)
    f1 = 2 * mp * mr / (mp + mr)
    print(f"teaser feed over {len(pages)} corpus pages: P={mp:.3f} R={mr:.3f} F1={f1:.3f}")
    assert f1 >= 0.95


@pytest.mark.corpus
async def test_teaser_feed_stores_the_article_body(env: Env, corpus_dir: Path) -> None:
    await run_teaser_feed(env, corpus_dir, 25)


@pytest.mark.corpus
@pytest.mark.slow
async def test_teaser_feed_over_the_whole_article_corpus(env: Env, corpus_dir: Path) -> None:
    await run_teaser_feed(env, corpus_dir, None)


#: four outlets' versions of one event, and another event on the same topic
QUAKE_LEDE = (
    "A magnitude 6.1 earthquake struck off the coast of central Chile on Wednesday, shaking "
    "buildings in Valparaiso and Santiago, seismologists said. "
)
OUTLETS = {
    "Alpha": ("Magnitude 6.1 earthquake strikes off coast of central Chile", QUAKE_LEDE),
    "Beta": (
        "Strong earthquake shakes central Chile, buildings sway in Santiago",
        "A strong magnitude 6.1 earthquake struck off the coast of central Chile on Wednesday, "
        "shaking buildings in Santiago and Valparaiso. ",
    ),
    "Gamma": (
        "Chile earthquake: 6.1 quake off the central coast shakes Valparaiso",
        "An earthquake of magnitude 6.1 struck off central Chile's coast on Wednesday and shook "
        "buildings in Valparaiso and Santiago, seismologists said. ",
    ),
    "Delta": (
        "Earthquake of magnitude 6.1 hits off Chile coast, no tsunami threat",
        "A magnitude 6.1 earthquake hit off the coast of central Chile on Wednesday, shaking "
        "buildings in Valparaiso and Santiago; no tsunami warning was issued. ",
    ),
}
OTHER_QUAKE = (
    "Magnitude 5.8 earthquake strikes southern Peru, damaging homes in Arequipa",
    "A magnitude 5.8 earthquake struck southern Peru on Wednesday, damaging dozens of adobe "
    "homes in the Arequipa region, the country's civil defence institute said. ",
)


async def test_live_channel_gets_one_story_once_and_the_first_post_names_the_others(
    env: Env,
) -> None:
    for name in OUTLETS:
        url = serve(env, f"/{name}.xml", name, [])
        await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
    for n, (name, (title, lede)) in enumerate(OUTLETS.items()):
        item = Item(f"{name}-quake", title, lede + FILLER, published=START + timedelta(minutes=n))
        serve(env, f"/{name}.xml", name, [item], version="v2")
        env.later(1)
        await env.service.poll_feeds(await off_store(env))
        if n == 0:  # the first outlet's post goes out
            [first] = await env.service.pending_deliveries()
            await env.service.mark_delivered(first.delivery_id, 555, first.edit_version)
    # one post in all: later versions are not posted, the first post is to be edited
    assert await env.service.pending_deliveries() == []
    [edit] = await env.service.pending_edits()
    assert edit.delivery_id == first.delivery_id and edit.message_id == 555
    assert [c.feed for c in edit.items[0].also_covered_by] == ["Beta", "Gamma", "Delta"]
    await env.service.mark_edited(edit.delivery_id, edit.edit_version)
    assert await env.service.pending_edits() == []
    # another quake on the same topic is its own story: it is posted
    serve(
        env, "/Beta.xml", "Beta", [Item("beta-peru", OTHER_QUAKE[0], OTHER_QUAKE[1] + FILLER)], "v3"
    )
    env.later(20)
    await env.service.poll_feeds(await off_store(env))
    [peru] = await env.service.pending_deliveries()
    assert peru.items[0].story.title == OTHER_QUAKE[0]
    assert peru.items[0].also_covered_by == []


async def test_a_version_arriving_before_the_first_post_is_sent_is_in_it(env: Env) -> None:
    for name in ("Alpha", "Beta"):
        url = serve(env, f"/{name}.xml", name, [])
        await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
    for name in ("Alpha", "Beta"):
        title, lede = OUTLETS[name]
        serve(env, f"/{name}.xml", name, [Item(f"{name}-q", title, lede + FILLER)], "v2")
    env.later(20)
    await env.service.update_due_feeds()
    [post] = await env.service.pending_deliveries()
    assert len(post.items[0].also_covered_by) == 1
    # sent as read (it names the other outlet already): no edit is left to make
    await env.service.mark_delivered(post.delivery_id, 9, post.edit_version)
    assert await env.service.pending_edits() == []


async def off_store(env: Env) -> list[StoredFeed]:
    """Every feed, due or not (to poll them one after another)."""
    return [f for f in (env.store.feed(i) for i in range(1, 20)) if f is not None]


async def test_undated_items_are_dated_once_by_first_sighting(env: Env) -> None:
    def undated(text: str) -> bytes:
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Undated</title>'
            "<link>https://u.example/</link><description>d</description>"
            f"<item><guid>u1</guid><title>An undated story</title>"
            f"<link>https://u.example/1</link><description>{escape(text)}</description></item>"
            "</channel></rss>"
        ).encode()

    env.server.add("/u.xml", undated(FILLER), etag='"u1"')
    await env.service.add_feed(guild_id=1, channel_id=10, url=env.server.url("/u.xml"))
    [story] = [s for s in await off_loop_newest(env) if s.title == "An undated story"]
    assert story.published == START
    # fetched again later, with changed text: still dated by its first sighting
    env.server.add("/u.xml", undated(FILLER + " An update."), etag='"u2"')
    env.later(60)
    await env.service.update_due_feeds()
    env.later(60)
    await env.service.update_due_feeds()
    [again] = [s for s in await off_loop_newest(env) if s.title == "An undated story"]
    assert again.story_id == story.story_id and again.published == START
    assert "An update." in again.text


async def off_loop_newest(env: Env) -> list[Story]:
    feed = env.store.feed_by_url(env.server.url("/u.xml"))
    assert feed is not None
    return env.store.newest_stories(feed.feed_id, 10)


# --- lazy condensing -------------------------------------------------------------------------------
QUOTED = '"We will not back down on the harbour plan," said Mayor Ana Souza on Tuesday. '


async def test_a_digest_feeds_new_items_are_stored_as_parsed_and_condensed_once_when_posted(
    env: Env,
) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1)])
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    feed_id = added.subscription.feed.feed_id
    calls = env.condenser.calls
    news = [long_item(2, text=QUOTED + FILLER), long_item(3), long_item(1)]
    serve(env, "/a.xml", "Alpha", news, version="v2")
    env.later()
    [result] = await env.service.update_due_feeds()
    assert result.new_stories == 2
    assert env.condenser.calls == calls  # nothing condensed while polling a digest feed
    stored = {s.title: s for s in env.store.newest_stories(feed_id, 3)}
    fresh = [stored["Council debates plan number 2"], stored["Council debates plan number 3"]]
    assert [(s.condensed, s.summary, s.quotes) for s in fresh] == [(False, "", [])] * 2

    assert await env.service.queue_digest(10) == 2
    [page] = await env.service.pending_deliveries()
    shown = {item.story.title: item.story for item in page.items}
    assert all(s.condensed and s.summary for s in shown.values())
    quote = shown["Council debates plan number 2"].quotes[0]
    assert quote.speaker == "Ana Souza" and "back down" in quote.text
    assert env.condenser.calls == calls + 2
    await env.service.pending_deliveries()  # read again: stored once, not condensed again
    assert env.condenser.calls == calls + 2


async def test_a_live_feeds_new_items_are_condensed_before_they_are_queued(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1)])
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
    serve(env, "/a.xml", "Alpha", [long_item(2), long_item(1)], version="v2")
    env.later()
    await env.service.update_due_feeds()
    newest = env.store.newest_story(added.subscription.feed.feed_id)
    assert newest is not None and newest.condensed and newest.summary
    calls = env.condenser.calls
    [delivery] = await env.service.pending_deliveries()
    assert delivery.items[0].story == newest
    assert env.condenser.calls == calls


async def test_search_finds_stories_not_condensed_yet_and_condenses_what_it_found(
    env: Env,
) -> None:
    items = [
        long_item(1, text=f"The zeppelin hangar reopens. {FILLER}"),
        long_item(2),
        long_item(3),
    ]
    url = serve(env, "/a.xml", "Alpha", items)
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    feed_id = added.subscription.feed.feed_id
    before = {s.title: s.condensed for s in env.store.newest_stories(feed_id, 3)}
    assert before["Council debates plan number 1"] is False  # marked seen, stored as parsed
    [hit] = await env.service.search("zeppelin", scope=Scope.server(1))
    assert hit.title == "Council debates plan number 1"
    found = env.store.story(hit.story_id, scope=EVERY)
    assert found is not None and found.condensed and found.summary
    # /story on a story stored as parsed condenses it too, once
    other = next(s for s in env.store.newest_stories(feed_id, 3) if not s.condensed)
    calls = env.condenser.calls
    detail = await env.service.story(other.story_id, scope=Scope.server(1))
    assert detail.story.condensed and detail.story.summary
    await env.service.story(other.story_id, scope=Scope.server(1))
    assert env.condenser.calls == calls + 1
