"""Discord outage: 500s, then 429s with retry_after, then a dropped gateway that refuses
reconnects, while stories keep arriving. Afterwards every story is posted exactly once and the
bot has reconnected by itself. Every test here waits in real time (an outage window, discord.py's
own reconnect backoff and IDENTIFY waits), so all run with the slow tests: a few seconds of
trouble (override with NEWSDIGEST_OUTAGE_SECONDS) and a 60 s outage."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.faults.discordworld import until, world
from tests.faults.outage import OutageReport, _items, discord_outage
from tests.faults.proc import story_numbers

pytestmark = pytest.mark.slow  # real-time waits throughout (see above)


def check(report: OutageReport) -> None:
    assert report.lost == 0, report
    assert report.duplicated == 0, report
    assert report.posted == report.stories, report
    assert report.faulted_requests > 0, report  # the trouble really hit the bot
    assert report.reconnects >= 1, report
    assert report.connected_after, report


async def test_short_outage_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    window = float(os.environ.get("NEWSDIGEST_OUTAGE_SECONDS", "3"))
    check(await discord_outage(tmp_path, window=window))


async def test_short_outage_with_an_aborted_invalidated_gateway(tmp_path: Path) -> None:
    window = float(os.environ.get("NEWSDIGEST_OUTAGE_SECONDS", "3"))
    check(await discord_outage(tmp_path, window=window, hard=True))


@pytest.mark.parametrize("hard", [False, True], ids=["resumed", "identified-again"])
async def test_waiting_posts_go_out_when_the_gateway_is_back_not_after_the_backoff(
    tmp_path: Path, hard: bool
) -> None:
    """A channel whose post failed waits out a backoff (two minutes here, as late in a long
    outage); the gateway coming back (a resumed session, or a new one after the old was
    invalidated) ends the wait."""
    async with world(tmp_path) as w:
        emu, news = w.emu, w.channel("news")
        url = w.serve("/live.xml", "Live Wire", _items("live", range(0)))
        await w.command("feed", "add", {"url": url, "channel": news, "mode": "live"})
        w.app.outbox.backoff_start = 120.0
        emu.set_rest_fault(503, path=r"/channels/\d+/messages", methods=["POST"])
        w.serve("/live.xml", "Live Wire", _items("live", range(2)))
        await w.poll(30)
        await until(lambda: news in w.app.outbox.backing_off, 10, "a failed post backing off")
        emu.set_rest_fault(None)
        await w.app.outbox.drain()  # Discord answers again, but the channel is still waiting
        assert story_numbers(emu.messages(news)) == []
        await emu.drop_gateway(refuse_for=0.2, invalidate=hard, abrupt=hard)
        await emu.wait_until(
            lambda: len(story_numbers(emu.messages(news))) >= 2,
            30,
            what="both posts soon after the reconnect (the backoff had 2 minutes to go)",
        )
        await w.app.outbox.drain()
        assert sorted(story_numbers(emu.messages(news))) == [1, 2]
        assert w.app.outbox.backing_off == frozenset()


async def test_sixty_seconds_of_trouble(tmp_path: Path) -> None:
    check(await discord_outage(tmp_path, window=60.0))
