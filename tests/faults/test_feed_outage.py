"""Feed outage: backoff 5 min x 2^n, capped and jittered (FakeClock, no sleeping); after the
configured number of failures the feed is disabled and each subscribed channel gets ONE notice;
``/feed add`` (DigestService.add_feed) of the same URL re-enables it.

Real parts: a loopback FeedServer answering 500/503/connection-refused, the real Fetcher and
service, a SQLite file in tmp_path.
"""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import pytest

from digests.errors import FeedExistsError
from tests.builders import rss
from tests.faults.helpers import START, ServiceEnv, assert_one_sentence, item, service_env
from tests.feedserver import FeedServer

BASE = timedelta(minutes=5)
JITTER = 0.2


def good(server: FeedServer, path: str, numbers: list[int], title: str = "Outage News") -> str:
    server.add(path, rss(title, [item(n) for n in numbers]), content_type="application/rss+xml")
    return server.url(path)


async def fail_once(env: ServiceEnv, server: FeedServer, path: str) -> timedelta:
    """Move the clock to the feed's next poll, poll, return the new gap to the next poll."""
    due = await env.service.next_poll_at()
    assert due is not None
    env.clock.set(due)
    before = server.hits(path)
    results = await env.service.update_due_feeds()
    assert server.hits(path) == before + 1, "the due feed was polled exactly once"
    assert all(r.error for r in results)
    [status] = await env.service.feed_status(1)
    assert status.next_fetch is not None and status.last_fetched == due
    return status.next_fetch - due


async def test_backoff_doubles_from_five_minutes_is_jittered_and_capped(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    cap = timedelta(hours=6)
    async with service_env(tmp_path, max_failures=20, backoff_cap=cap) as env:
        url = good(feed_server, "/a.xml", [1])
        await env.service.add_feed(guild_id=1, channel_id=10, url=url)
        feed_server.status("/a.xml", 500)
        gaps = [await fail_once(env, feed_server, "/a.xml") for _ in range(10)]
    bases = [min(BASE * 2**n, cap) for n in range(10)]
    for gap, base in zip(gaps, bases, strict=True):
        assert base * (1 - JITTER) <= gap <= min(base * (1 + JITTER), cap), (gap, base)
    assert gaps[-1] <= cap and gaps[-2] <= cap
    assert max(gaps) > cap * (1 - JITTER)  # the cap was reached
    # jittered: the gaps are not the bare powers of two
    assert sum(1 for gap, base in zip(gaps, bases, strict=True) if gap != base) >= 5


async def test_jitter_spreads_feeds_that_fail_together(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    async with service_env(tmp_path, max_failures=20) as env:
        urls = [good(feed_server, f"/f{n}.xml", [n]) for n in range(6)]
        for n, url in enumerate(urls):
            await env.service.add_feed(guild_id=1, channel_id=10 + n, url=url)
        for n in range(6):
            feed_server.status(f"/f{n}.xml", 503)
        env.later(16)
        await env.service.update_due_feeds()
        env.later(60 * 24)
        await env.service.update_due_feeds()  # everybody failed twice, at the same instant
        nexts = [s.next_fetch for s in await env.service.feed_status(1)]
        assert len(set(nexts)) == 6  # no thundering herd


async def test_retry_after_is_respected(tmp_path: Path, feed_server: FeedServer) -> None:
    async with service_env(tmp_path, max_failures=20) as env:
        url = good(feed_server, "/a.xml", [1])
        await env.service.add_feed(guild_id=1, channel_id=10, url=url)
        feed_server.status("/a.xml", 503, headers={"Retry-After": "7200"})
        gap = await fail_once(env, feed_server, "/a.xml")
        assert gap >= timedelta(hours=2)


async def test_disabled_after_max_failures_with_one_notice_per_channel_then_readd(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    async with service_env(tmp_path, max_failures=4) as env:
        url = good(feed_server, "/a.xml", [1, 2])
        other = good(feed_server, "/b.xml", [3], title="Steady")
        await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
        await env.service.add_feed(guild_id=1, channel_id=11, url=url)
        await env.service.add_feed(guild_id=2, channel_id=20, url=url, mode="live")
        await env.service.add_feed(guild_id=1, channel_id=12, url=other, mode="live")
        feed_server.status("/a.xml", 500, body=b"oops")
        for _ in range(4):
            await fail_once_any(env)
        statuses = {s.url: s for s in await env.service.feed_status(1)}
        assert statuses[url].health == "disabled" and statuses[url].failures == 4
        assert_one_sentence(statuses[url].last_error)
        assert statuses[other].health == "ok"

        notices = [d for d in await env.service.pending_deliveries() if d.kind == "notice"]
        assert sorted(d.channel_id for d in notices) == [10, 11, 20]
        for notice in notices:
            assert notice.notice and "/feed add" in notice.notice and "Outage News" in notice.notice
            assert_one_sentence(notice.notice)

        # a disabled feed is not polled any more and no second notice ever comes
        hits = feed_server.hits("/a.xml")
        for _ in range(5):
            env.later(60 * 24)
            await env.service.update_due_feeds()
        assert feed_server.hits("/a.xml") == hits
        assert len([d for d in await env.service.pending_deliveries() if d.kind == "notice"]) == 3

        # the source recovers; /feed add of the same URL (in a channel that has it) re-enables it
        good(feed_server, "/a.xml", [5, 1, 2])
        again = await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
        assert again.reenabled
        assert {s.url: s for s in await env.service.feed_status(1)}[url].health == "ok"
        assert {s.url: s for s in await env.service.feed_status(2)}[url].health == "ok"
        assert len(await env.service.subscriptions(1, 10)) == 1
        # and it is polled again, with no flood: the new story goes out once per live channel
        good(feed_server, "/a.xml", [6, 5, 1, 2])
        env.later(60 * 24)
        await env.service.update_due_feeds()
        stories = [d for d in await env.service.pending_deliveries() if d.kind == "story"]
        per_channel = sorted(
            d.channel_id for d in stories if d.items[0].story.entry_id.endswith("story-6")
        )
        assert per_channel == [10, 20]
        # re-adding an enabled feed in the same channel is still a clear refusal
        with pytest.raises(FeedExistsError):
            await env.service.add_feed(guild_id=1, channel_id=10, url=url)


async def fail_once_any(env: ServiceEnv) -> None:
    """Advance to the earliest failing feed's next poll and poll everything due."""
    failing = [s for s in await env.service.feed_status(1) if s.health == "failing"]
    due = min((s.next_fetch for s in failing if s.next_fetch), default=None)
    due = due or await env.service.next_poll_at()
    assert due is not None
    env.clock.set(max(due, env.clock.now()))
    await env.service.update_due_feeds()


async def test_connection_refused_counts_as_failure(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    async with service_env(tmp_path, max_failures=2) as env:
        url = good(feed_server, "/a.xml", [1])
        await env.service.add_feed(guild_id=1, channel_id=10, url=url)
        # move the feed to a dead port by changing what the server sends: a redirect to nowhere
        feed_server.redirect("/a.xml", f"http://127.0.0.1:{dead_port}/gone.xml")
        for _ in range(2):
            await fail_once_any(env)
        [status] = await env.service.feed_status(1)
        assert status.health == "disabled"
        assert_one_sentence(status.last_error)
        assert env.clock.now() > START
