"""Hostile feeds and servers: the service stays up, the hostile feed gets one sentence of error in
its status, the other feeds go on, and memory stays bounded (tracemalloc peak).

Real parts: a loopback FeedServer, the real Fetcher, parser and condenser, a SQLite file in
tmp_path, a FakeClock for polling times. The drip tests wait for a short total timeout (about
2.5 s of real time: the point is that a slow server cannot hold the poll for longer), so they
run with the slow tests.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from digests.errors import FeedError
from digests.feeds.fetch import FetchLimits
from digests.model import Scope
from tests.builders import rss
from tests.faults.helpers import assert_one_sentence, item, service_env
from tests.faults.hostile import HOSTILE, MB, SECRET, Hostile
from tests.feedserver import FeedServer

#: pages barely paced: 50 teasers of the 10,000-entry feed would otherwise take 25 s by design
#: (tests/digests/test_polite.py is about pacing; this is about hostile servers)
LIMITS = FetchLimits(total_timeout=2.5, read_timeout=2.0, connect_timeout=2.0, page_interval=0.01)
#: the service must never hold anything near the 50 MB a hostile server offers
PEAK_BOUND = 40 * MB
SLOW = {"drip 1 byte/s", "10,000 entries"}


def serve_good(server: FeedServer, path: str, title: str, numbers: list[int]) -> str:
    server.add(path, rss(title, [item(n, title=f"{title} story {n}") for n in numbers]))
    return server.url(path)


def _params(hostiles: tuple[Hostile, ...]) -> list[object]:
    """Two cases run with the slow tests: the drip waits out the real-time total timeout, and
    under tracemalloc the 10,000-entry parse is slow (its time bound without tracing is
    test_ten_thousand_entries_are_bounded_in_time)."""
    return [
        pytest.param(h, id=h.name, marks=[pytest.mark.slow] if h.name in SLOW else [])
        for h in hostiles
    ]


@pytest.mark.parametrize("hostile", _params(HOSTILE))
async def test_a_feed_turning_hostile_does_not_hurt_the_others(
    tmp_path: Path, feed_server: FeedServer, hostile: Hostile
) -> None:
    async with service_env(tmp_path, limits=LIMITS) as env:
        a = serve_good(feed_server, "/a.xml", "Alpha", [1, 2])
        b = serve_good(feed_server, "/b.xml", "Beta", [3, 4])
        v = serve_good(feed_server, "/v.xml", "Victim", [5, 6])
        for channel, url in ((10, a), (11, b), (12, v)):
            await env.service.add_feed(guild_id=1, channel_id=channel, url=url, mode="live")

        hostile.install(feed_server, "/v.xml", tmp_path)
        serve_good(feed_server, "/a.xml", "Alpha", [7, 1, 2])
        serve_good(feed_server, "/b.xml", "Beta", [8, 3, 4])
        env.later()
        tracemalloc.start()
        started = time.monotonic()
        try:
            results = await env.service.update_due_feeds()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        elapsed = time.monotonic() - started

        by_url = {r.url: r for r in results}
        assert set(by_url) == {a, b, v}
        for url in (a, b):
            assert by_url[url].error is None and by_url[url].new_stories == 1
        pending = await env.service.pending_deliveries()
        assert {d.channel_id for d in pending} >= {10, 11}
        assert peak < PEAK_BOUND, f"peak {peak / MB:.1f} MB"
        assert elapsed < 20, f"the poll took {elapsed:.1f}s"

        [victim] = [s for s in await env.service.feed_status(1) if s.url == v]
        if hostile.fails:
            assert_one_sentence(by_url[v].error)
            assert victim.health == "failing"
            assert_one_sentence(victim.last_error)
            assert not [d for d in pending if d.channel_id == 12]
        else:
            assert by_url[v].error is None, by_url[v].error
            assert victim.health == "ok"
            stories = env.store.newest_stories(victim.feed_id, 10_000)
            assert len(stories) <= 52  # the 2 first + at most max_entries (50) newest
            for story in stories:
                assert story.title is None or len(story.title) <= 301

        # the service is still up: the next poll works for everyone
        serve_good(feed_server, "/a.xml", "Alpha", [9, 7, 1, 2])
        env.later(60 * 24)
        again = {r.url: r for r in await env.service.update_due_feeds()}
        assert again[a].error is None and again[a].new_stories == 1
        assert again[b].error is None


@pytest.mark.parametrize("hostile", _params(tuple(h for h in HOSTILE if h.fails)))
async def test_feed_add_of_a_hostile_feed_is_one_sentence_and_subscribes_nothing(
    tmp_path: Path, feed_server: FeedServer, hostile: Hostile
) -> None:
    async with service_env(tmp_path, limits=LIMITS) as env:
        hostile.install(feed_server, "/v.xml", tmp_path)
        with pytest.raises(FeedError) as caught:
            await env.service.add_feed(guild_id=1, channel_id=10, url=feed_server.url("/v.xml"))
        assert_one_sentence(caught.value.message)
        assert await env.service.subscriptions(1) == []


async def test_external_entities_are_never_fetched_or_read(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    [xxe] = [h for h in HOSTILE if h.name == "external entity"]
    async with service_env(tmp_path, limits=LIMITS) as env:
        v = serve_good(feed_server, "/v.xml", "Victim", [5])
        await env.service.add_feed(guild_id=1, channel_id=12, url=v)
        xxe.install(feed_server, "/v.xml", tmp_path)
        env.later()
        await env.service.update_due_feeds()
        with pytest.raises(FeedError):
            await env.service.add_feed(guild_id=1, channel_id=13, url=v)
        assert feed_server.hits("/secret") == 0
        assert await env.service.search(SECRET, scope=Scope.everything()) == []
        assert not [
            s for s in env.store.newest_stories(1, 100) if SECRET in (s.text + (s.title or ""))
        ]


async def test_big_bodies_stop_early(tmp_path: Path, feed_server: FeedServer) -> None:
    """The client stops reading at the cap: the server never sends the whole 50 MB."""
    async with service_env(tmp_path, limits=LIMITS) as env:
        feed_server.huge("/big.xml", 50 * MB)
        with pytest.raises(FeedError) as caught:
            await env.service.add_feed(guild_id=1, channel_id=10, url=feed_server.url("/big.xml"))
        assert "10 MB" in caught.value.message
        assert feed_server.bytes_sent("/big.xml") < 20 * MB


async def test_wrong_declared_encodings_read_as_intended(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    from tests.faults.hostile import wrong_encoding_latin1_declared, wrong_encoding_utf8_declared

    async with service_env(tmp_path, limits=LIMITS) as env:
        for n, body in enumerate(
            (wrong_encoding_latin1_declared(), wrong_encoding_utf8_declared())
        ):
            feed_server.add(f"/e{n}.xml", body, content_type="application/rss+xml")
            added = await env.service.add_feed(
                guild_id=1, channel_id=10 + n, url=feed_server.url(f"/e{n}.xml")
            )
            assert added.preview is not None
            assert added.preview.title == "Café owners in Zürich protest"


async def test_ten_thousand_entries_are_bounded_in_time(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    from tests.faults.hostile import many_entries

    async with service_env(tmp_path, limits=LIMITS) as env:
        feed_server.add("/bulk.xml", many_entries(), content_type="application/rss+xml")
        started = time.monotonic()
        added = await env.service.add_feed(
            guild_id=1, channel_id=10, url=feed_server.url("/bulk.xml")
        )
        assert time.monotonic() - started < 30
        assert added.preview is not None and added.preview.title == "Bulk story number 0"
        assert len(env.store.newest_stories(added.subscription.feed.feed_id, 20_000)) <= 50
