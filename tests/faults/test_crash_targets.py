"""Exactly once for every delivery target across ``kill -9`` at every step (issue 13 items 2-3).

The real service subprocess (``python -m bot``, the unmodified discord.py client) delivers to a
forum, an announcement channel, a text channel with threads, or through a webhook. The emulator
holds one request of the step under test, before it applies (the process dies before that step)
or after it applied with its answer withheld (the process dies before recording it); the test
kills the process there, restarts it, and counts what Discord shows once it has delivered
everything. Discord's own nonce de-duplication is off (``nonce_window=0``), so only the bot's
recording and recovery keep each post, thread and publication to one."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from digests.clock import FakeClock
from digests.feeds.fetch import Fetcher
from digests.service import DigestService
from digests.store import Store
from tests.builders import rss
from tests.discord_emulator import DiscordEmulator, GuildSpec
from tests.discord_emulator.state import MANAGE_WEBHOOKS
from tests.faults.helpers import START, UA, item, local_resolver
from tests.faults.proc import TOKEN, ServiceProcess, service_environment
from tests.feedserver import FeedServer

pytestmark = pytest.mark.slow  # two service subprocesses per step (seconds each)

TIMEOUT = 60.0
CROSSPOSTED = 1
POSTS = r"^/channels/\d+/messages$"
FORUM_POST = r"^/channels/\d+/threads$"
THREAD_ON_MESSAGE = r"^/channels/\d+/messages/\d+/threads$"
CROSSPOST = r"^/channels/\d+/messages/\d+/crosspost$"
WEBHOOK = r"^/webhooks/\d+/[^/]+$"


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    #: where: "forum", "news" (announcement) or "text"
    channel: str
    mode: str
    stories: int
    hold: str
    after: bool
    thread: str = "none"
    webhook: bool = False


CASES = [
    Case("forum post, before it", "forum", "live", 2, FORUM_POST, after=False),
    Case("forum post, before it is recorded", "forum", "live", 2, FORUM_POST, after=True),
    Case("forum digest, its post unrecorded", "forum", "digest", 12, FORUM_POST, after=True),
    Case("forum digest, its later page unrecorded", "forum", "digest", 12, POSTS, after=True),
    Case("story post before its thread", "text", "live", 2, POSTS, True, "per-story"),
    Case("thread on a story, before it", "text", "live", 2, THREAD_ON_MESSAGE, False, "per-story"),
    Case("thread on a story, unrecorded", "text", "live", 2, THREAD_ON_MESSAGE, True, "per-story"),
    Case("digest thread, unrecorded", "text", "digest", 12, THREAD_ON_MESSAGE, True, "per-digest"),
    Case("announcement, unrecorded", "news", "live", 2, POSTS, after=True),
    Case("announcement, before publishing", "news", "live", 2, CROSSPOST, after=False),
    Case("announcement, publication unrecorded", "news", "live", 2, CROSSPOST, after=True),
    Case("webhook post, unrecorded", "text", "live", 2, WEBHOOK, after=True, webhook=True),
    Case("webhook forum post, unrecorded", "forum", "live", 2, WEBHOOK, True, webhook=True),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_kill_at_each_step_posts_once_and_loses_nothing(case: Case, tmp_path: Path) -> None:
    async with (
        DiscordEmulator(
            token=TOKEN, guilds=[GuildSpec("Targets", ("text",))], nonce_window=0
        ) as emu,
        FeedServer() as feeds,
    ):
        channel = await _channel(emu, case)
        db = tmp_path / "targets.db"
        await _prepare(db, feeds, emu.default_guild_id, channel, case)
        hold = emu.hold("POST", case.hold, after=case.after)
        proc = ServiceProcess(
            env=service_environment(emu, db), log=tmp_path / "service.log", cwd=tmp_path
        )
        try:
            await proc.start()
            await emu.wait_until(lambda: hold.holding, TIMEOUT, what=f"the held step ({case})")
            await proc.kill9()
            emu.release_holds()
            await proc.start()
            await _settled(db, emu)
        finally:
            code = await proc.stop()
        assert code == 0, proc.output()[-3000:]
        _check(emu, channel, case)


async def _channel(emu: DiscordEmulator, case: Case) -> int:
    if case.channel == "forum":
        channel = await emu.add_forum_channel("forum", tags=("Crash Feed",))
    elif case.channel == "news":
        channel = await emu.add_announcement_channel("news")
    else:
        channel = emu.channel_id("text")
    if case.webhook:
        await emu.restrict_bot(channel, deny=0, allow=MANAGE_WEBHOOKS)
    return channel


async def _prepare(db: Path, feeds: FeedServer, guild: int, channel: int, case: Case) -> None:
    """Subscribe while the feed is empty, then store its new stories: the outbox holds them
    (one post each, live) or one digest of them."""
    clock = FakeClock(START)
    store = await asyncio.to_thread(Store, db)
    try:
        async with Fetcher(user_agent=UA, allow_private=True, resolver=local_resolver) as fetcher:
            service = DigestService(store, fetcher, clock=clock)
            feeds.add("/crash.xml", rss("Crash Feed", []))
            await service.add_feed(
                guild_id=guild,
                channel_id=channel,
                url=feeds.url("/crash.xml"),
                mode=case.mode,  # type: ignore[arg-type]
                thread=case.thread,  # type: ignore[arg-type]
                webhook=case.webhook,
            )
            feeds.add("/crash.xml", rss("Crash Feed", [item(n) for n in range(case.stories)]))
            clock.advance(timedelta(hours=2))
            assert all(r.error is None for r in await service.update_due_feeds())
            if case.mode == "digest":
                await service.queue_digest(channel)
            assert await service.pending_deliveries()
    finally:
        await asyncio.to_thread(store.close)


def _pending(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND dropped = 0"
        ).fetchone()
    return int(row[0])


async def _settled(db: Path, emu: DiscordEmulator) -> None:
    """Wait (bounded) until the service has delivered everything; then a moment more for a
    would-be duplicate to arrive."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while await asyncio.to_thread(_pending, db):
        assert loop.time() < deadline, "the outbox was not delivered in time"
        await asyncio.sleep(0.2)
    count = emu.message_count
    await asyncio.sleep(1.0)
    assert emu.message_count == count


def _numbers(messages: list[Any]) -> collections.Counter[int]:
    found: collections.Counter[int] = collections.Counter()
    for message in messages:
        for embed in message.embeds:
            footer = str(embed.get("footer", {}).get("text", ""))
            found[int(footer.rsplit("#", 1)[1])] += 1
    return found


def _check(emu: DiscordEmulator, channel: int, case: Case) -> None:
    source = "webhook" if case.webhook else "channel"
    threads = emu.threads(channel)
    if case.channel == "forum":
        posts = [m for t in threads for m in emu.messages(t.id, source=source)]
        expected_threads = 1 if case.mode == "digest" else case.stories
        assert len(threads) == expected_threads, [t.name for t in threads]
        assert len({t.name for t in threads}) == len(threads)
    else:
        posts = emu.messages(channel, source=source)
        posts += [m for t in threads for m in emu.messages(t.id)]
    numbers = _numbers(posts)
    assert len(numbers) == case.stories, numbers  # nothing lost ...
    assert set(numbers.values()) == {1}, numbers  # ... nothing twice
    if case.thread == "per-story":
        assert sorted(t.id for t in threads) == sorted(m.id for m in emu.messages(channel))
    if case.thread == "per-digest":
        [thread] = threads
        assert [len(m.embeds) for m in emu.messages(thread.id)] == [2]
    if case.channel == "news":
        assert all(m.flags & CROSSPOSTED for m in emu.messages(channel))
    if case.webhook:
        assert emu.messages(channel) == []  # no fallback
        assert len(emu.webhooks(channel)) == 1
