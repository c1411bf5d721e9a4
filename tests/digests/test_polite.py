"""Polite fetching: article pages of one host are paced (concurrency, spacing, Retry-After).

The pacer's clock and sleep are injected where the test is about its decisions; the loopback
tests let it schedule real (short) waits and read the arrival times the server records."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digests.clock import FakeClock
from digests.errors import FetchError
from digests.feeds.fetch import Fetcher, FetchLimits, HostPacer
from digests.service import DigestService
from digests.store import Store
from tests.feedserver import FeedServer

UA = "newsdigest-test/1.0"


class FakeTimer:
    """A clock that a sleep advances: waits cost no time, their lengths are recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_pacer_spaces_starts_per_host_and_honours_a_pause() -> None:
    timer = FakeTimer()
    pacer = HostPacer(2, 1.0, clock=timer.clock, sleep=timer.sleep)
    starts: dict[str, list[float]] = {"a": [], "b": []}

    async def request(host: str) -> None:
        async with pacer.slot(host):
            starts[host].append(timer.now)

    # (the fake time is shared: b goes first so a's waits do not move its clock)
    await asyncio.gather(request("b"), *(request("a") for _ in range(5)))
    assert starts["a"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert starts["b"] == [0.0]  # another host is not held up
    pacer.pause("a", 30.0)
    await request("a")
    assert starts["a"][-1] == 34.0
    await request("b")
    assert starts["b"][-1] == 34.0  # b's own spacing had long passed: no wait


async def test_pacer_holds_at_most_per_host_at_once() -> None:
    pacer = HostPacer(2, 0.0)
    inside = 0
    most = 0
    release = asyncio.Event()

    async def request() -> None:
        nonlocal inside, most
        async with pacer.slot("a"):
            inside += 1
            most = max(most, inside)
            await release.wait()
            inside -= 1

    tasks = [asyncio.create_task(request()) for _ in range(6)]
    await asyncio.sleep(0.01)
    assert inside == 2
    release.set()
    await asyncio.gather(*tasks)
    assert most == 2


async def test_retry_after_pauses_the_hosts_pages(feed_server: FeedServer) -> None:
    timer = FakeTimer()
    pacer = HostPacer(2, 0.0, clock=timer.clock, sleep=timer.sleep)
    feed_server.status("/busy", 429, headers={"Retry-After": "120"})
    feed_server.add("/page", b"<html><body><p>Hello</p></body></html>", content_type="text/html")
    async with Fetcher(user_agent=UA, allow_private=True, pacer=pacer) as fetcher:
        try:
            await fetcher.fetch(feed_server.url("/busy"), kind="page")
        except FetchError as exc:
            assert exc.status == 429
        else:  # pragma: no cover - the server answers 429
            raise AssertionError("a 429 must raise")
        assert timer.slept == []
        await fetcher.fetch(feed_server.url("/page"), kind="page")
    assert timer.slept == [120.0]  # the next page waited out the Retry-After


def teaser_feed(base: str, count: int) -> bytes:
    items = "".join(
        f"<item><guid>t{n}</guid><title>Teaser {n} about the harbour</title>"
        f"<link>{base}/article/{n}</link><description>Short teaser {n}.</description>"
        f"<pubDate>Wed, 25 Nov 2026 0{n % 10}:00:00 +0000</pubDate></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Teasers</title>'
        f"<link>{base}/</link><description>t</description>{items}</channel></rss>"
    ).encode()


ARTICLE = (
    "<html><body><article><h1>Harbour story</h1>"
    + "".join(
        f"<p>The harbour board met on day {n} and agreed to dredge the channel again, "
        f"officials said after a long meeting that ran into the evening.</p>"
        for n in range(8)
    )
    + "</article></body></html>"
).encode()


@pytest.mark.slow  # over 2 s of real waiting or CPU
async def test_fifty_teasers_from_one_host_are_fetched_spaced(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    count, interval = 50, 0.04
    feed_server.add("/teasers.xml", teaser_feed(feed_server.base, count))
    for n in range(count):
        feed_server.add(f"/article/{n}", ARTICLE, content_type="text/html")
    limits = FetchLimits(page_per_host=2, page_interval=interval)
    store = Store(tmp_path / "news.db")
    clock = FakeClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    try:
        async with Fetcher(user_agent=UA, allow_private=True, limits=limits) as fetcher:
            service = DigestService(store, fetcher, clock=clock, retention=timedelta(days=1))
            added = await service.add_feed(
                guild_id=1, channel_id=2, url=feed_server.url("/teasers.xml")
            )
            # stories are stored as parsed and condensed when shown: a digest of all fifty
            # fetches their article pages at once, the burst the pacing must spread
            feed_id = added.subscription.feed.feed_id
            await service.condensed(store.newest_stories(feed_id, count))
    finally:
        store.close()
    arrivals = sorted(r.at for n in range(count) for r in feed_server.requests(f"/article/{n}"))
    assert len(arrivals) == count
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    # every start at least the interval after the one before (loopback jitter aside)
    assert min(gaps) >= interval * 0.75, gaps
    assert arrivals[-1] - arrivals[0] >= (count - 1) * interval * 0.9
