"""Issue 12: the polling job never waits on one feed. Each due feed is polled in a task of its
own; the job starts them and returns, so a feed whose parse hangs (until its worker budget, ~40 s
in production) delays no other feed's next poll, and shutting down cancels it cleanly.

Real parts: a loopback FeedServer, the real Fetcher and parser, SQLite in tmp_path, the job
function the scheduler runs. The hang is a parser stand-in that blocks on an event the test
releases at the end; time moves only by the injected clock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from bot.scheduling import JobContext, start_polls
from digests.jobs import default_parse
from digests.model import ParsedFeed
from tests.builders import rss
from tests.faults.helpers import item, service_env
from tests.feedserver import FeedServer

HANG = b"<!-- HANG-UNTIL-RELEASED -->"
#: the longest the stand-in parse blocks (its "budget"); the test releases it long before
BUDGET = 30.0
WAIT = 10.0


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # the blocked parse thread ends with the test


async def test_the_poll_job_does_not_wait_on_a_hanging_feed(
    tmp_path: Path, feed_server: FeedServer, release: threading.Event
) -> None:
    def hanging_parse(
        content: bytes, *, url: str, headers: Mapping[str, str] | None = None
    ) -> ParsedFeed:
        if HANG in content:
            release.wait(BUDGET)
        return default_parse(content, url=url, headers=headers)

    async with service_env(tmp_path, parse=hanging_parse) as env:
        service = env.service
        urls = {}
        for channel, name in enumerate(("hostile", "healthy"), start=10):
            feed_server.add(f"/{name}.xml", rss(name, [item(channel, title=f"{name} old")]))
            urls[name] = feed_server.url(f"/{name}.xml")
            await service.add_feed(guild_id=1, channel_id=channel, url=urls[name], mode="live")
        hostile_items = [item(20, title="hostile new"), item(10, title="hostile old")]
        feed_server.add(
            "/hostile.xml", rss("hostile", hostile_items).replace(b"<rss", HANG + b"<rss")
        )
        kicks: list[int] = []

        async def ready() -> None:
            return None

        ctx = JobContext(
            digests=service, clock=env.clock, kick=lambda: kicks.append(1), ready=ready
        )

        env.later()
        first = await start_polls(ctx)  # returns at once, with a future per due feed
        assert len(first) == 2
        done, _ = await asyncio.wait(first, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
        assert len(done) == 1  # the healthy feed's poll ended; the hostile parse still hangs
        [healthy_poll] = done
        [hostile_poll] = [t for t in first if t is not healthy_poll]
        assert healthy_poll.result().url == urls["healthy"]
        assert not hostile_poll.done()

        # a new item on the healthy feed is polled and queued on the next tick
        healthy_items = [item(30, title="healthy news"), item(11, title="healthy old")]
        feed_server.add("/healthy.xml", rss("healthy", healthy_items))
        env.later()
        second = await start_polls(ctx)
        assert len(second) == 1  # the hostile feed is still being polled: not started twice
        result = await asyncio.wait_for(second[0], WAIT)
        assert result.url == urls["healthy"] and result.new_stories == 1
        queued = [d.items[0].story.title for d in await service.pending_deliveries()]
        assert queued == ["healthy news"]
        assert kicks  # the outbox was woken as that poll ended
        assert feed_server.hits("/hostile.xml") == 2  # the add and the first tick only
        assert not hostile_poll.done()

        # shutting down cancels the hanging poll without waiting for it
        await asyncio.wait_for(service.stop_polls(), WAIT)
        assert hostile_poll.cancelled()
