"""The crash-restart scenario: kill -9 the service subprocess at seeded random moments while it
delivers stories to many channels, restart it each time, and count what the emulator recorded.

Shared by test_crash_restart.py and benchmarks/chaos.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from digests.store import Store
from tests.discord_emulator import DiscordEmulator, GuildSpec
from tests.faults.proc import (
    TOKEN,
    Prepared,
    ServiceProcess,
    Tally,
    delivered_count,
    prepare_outbox,
    service_environment,
    tally,
)
from tests.feedserver import FeedServer


@dataclass(frozen=True, slots=True)
class CrashReport:
    kills: int
    starts: int
    tally: Tally
    pending_after: int
    exit_code: int | None
    token_leaked: bool
    #: deliveries tried more than once (a kill landed between "attempt" and "delivered")
    interrupted: int = 0
    #: seconds from each (re)start to its first post (None: killed before it posted)
    first_post: tuple[float | None, ...] = ()


async def crash_restart(
    tmp_path: Path,
    *,
    channels: int = 10,
    per_channel: int = 20,
    kills: int = 20,
    seed: int = 20261126,
    progress_timeout: float = 60.0,
) -> CrashReport:
    rng = random.Random(seed)
    names = tuple(f"news-{n}" for n in range(channels))
    # nonce_window=0: Discord's own nonce de-duplication is off, so only the bot's recovery
    # (the channel's history checked for an unconfirmed delivery) prevents a second post
    async with (
        DiscordEmulator(
            token=TOKEN, guilds=[GuildSpec("Crash Court", names)], nonce_window=0
        ) as emu,
        FeedServer() as feeds,
    ):
        ids = [emu.channel_id(name) for name in names]
        db = tmp_path / "crash.db"
        prepared = await prepare_outbox(db, feeds, emu.default_guild_id, ids, per_channel)
        proc = ServiceProcess(
            env=service_environment(emu, db), log=tmp_path / "service.log", cwd=tmp_path
        )
        firsts: list[float | None] = []
        try:
            for _ in range(kills):
                watch = await _start_watched(proc, emu)
                await _wait_for_a_random_moment(emu, prepared, rng, proc, progress_timeout)
                await proc.kill9()
                firsts.append(_finish(watch))
            identified = _identifies(emu)
            watch = await _start_watched(proc, emu)
            # the last run must be up (its signal handlers installed) before it is stopped
            await emu.wait_until(
                lambda: _identifies(emu) > identified, progress_timeout, what="the last start"
            )
            await emu.wait_until(
                lambda: delivered_count(emu, prepared) >= prepared.total,
                progress_timeout,
                what="every story delivered",
            )
            # let a would-be duplicate arrive before counting (the outbox is idle by now)
            await _quiet(emu, 1.0)
            # a row whose post landed just before the last kill is settled by the recovery check
            # of the last run (it finds the post and records it); wait for that before stopping
            await _settled(db, progress_timeout)
            firsts.append(_finish(watch))
        finally:
            exit_code = await proc.stop()
        store = await asyncio.to_thread(Store, db)
        try:
            pending = len(await asyncio.to_thread(store.pending_deliveries, 10_000))
        finally:
            await asyncio.to_thread(store.close)
        interrupted = await asyncio.to_thread(_interrupted, db)
        return CrashReport(
            kills=proc.kills,
            starts=proc.starts,
            tally=tally(emu, prepared),
            pending_after=pending,
            exit_code=exit_code,
            token_leaked=TOKEN in proc.output(),
            first_post=tuple(firsts),
            interrupted=interrupted,
        )


def _pending(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND dropped = 0"
        ).fetchone()
    return int(row[0])


async def _settled(db: Path, timeout: float) -> None:
    """Wait (bounded) until the running service has no undelivered row left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while await asyncio.to_thread(_pending, db) and loop.time() < deadline:
        await asyncio.sleep(0.2)


def _interrupted(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute("SELECT COUNT(*) FROM outbox WHERE attempts >= 2").fetchone()
    return int(row[0])


async def _start_watched(
    proc: ServiceProcess, emu: DiscordEmulator
) -> tuple[float, int, asyncio.Task[float]]:
    loop = asyncio.get_running_loop()
    started, count = loop.time(), emu.message_count

    async def first() -> float:
        await emu.wait_until(lambda: emu.message_count > count, 600, what="a post")
        return loop.time() - started

    await proc.start()
    return started, count, asyncio.create_task(first())


def _finish(watch: tuple[float, int, asyncio.Task[float]]) -> float | None:
    task = watch[2]
    if task.done() and not task.cancelled() and task.exception() is None:
        return task.result()
    task.cancel()
    return None


async def _wait_for_a_random_moment(
    emu: DiscordEmulator,
    prepared: Prepared,
    rng: random.Random,
    proc: ServiceProcess,
    timeout: float,
) -> None:
    """Either a random time after the start (often during start-up or the first sends), or
    after 1-12 more stories were delivered plus a random few milliseconds (mid-send)."""
    if rng.random() < 0.3:
        await asyncio.sleep(rng.uniform(0.5, 4.5))
        return
    before = emu.message_count
    more = rng.randint(1, 6)
    try:
        await emu.wait_until(
            lambda: (
                emu.message_count >= before + more
                or not proc.running
                or delivered_count(emu, prepared) >= prepared.total
            ),
            timeout,
            what=f"{more} more posts",
        )
    except TimeoutError:
        return  # everything may have been delivered already: kill anyway
    await asyncio.sleep(rng.uniform(0.0, 0.05))


def _identifies(emu: DiscordEmulator) -> int:
    return sum(1 for event in emu.gateway_events if event.kind == "identify")


async def _quiet(emu: DiscordEmulator, seconds: float) -> None:
    """Wait until no message was recorded for ``seconds`` (bounded by 10 s)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    count = emu.message_count
    while loop.time() < deadline:
        await asyncio.sleep(seconds)
        if emu.message_count == count:
            return
        count = emu.message_count


@dataclass(frozen=True, slots=True)
class PollCrashReport:
    kills: int
    polls_interrupted: int
    expected: int
    posted: int
    lost: int
    duplicated: int
    exit_code: int | None


async def crash_while_polling(
    tmp_path: Path,
    *,
    channels: int = 4,
    per_channel: int = 10,
    kills: int = 3,
    seed: int = 5,
    timeout: float = 120.0,
) -> PollCrashReport:
    """Kill -9 the service right after its own poll of the feeds began (fetching, parsing,
    condensing and storing the new stories), restart it, and count the posts by title."""
    from datetime import timedelta

    from digests.clock import FakeClock, SystemClock
    from digests.feeds.fetch import Fetcher
    from digests.service import DigestService
    from tests.builders import rss
    from tests.faults.helpers import UA, local_resolver
    from tests.faults.proc import bulk_items

    rng = random.Random(seed)
    names = tuple(f"poll-{n}" for n in range(channels))
    async with (
        DiscordEmulator(token=TOKEN, guilds=[GuildSpec("Poll Hall", names)], nonce_window=0) as emu,
        FeedServer() as feeds,
    ):
        ids = [emu.channel_id(name) for name in names]
        db = tmp_path / "poll-crash.db"
        # subscribe (live, while the feeds are empty) an hour ago: every feed is due at start
        clock = FakeClock(SystemClock().now() - timedelta(hours=1))
        store = await asyncio.to_thread(Store, db)
        try:
            async with Fetcher(
                user_agent=UA, allow_private=True, resolver=local_resolver
            ) as fetcher:
                service = DigestService(store, fetcher, clock=clock)
                for n, channel in enumerate(ids):
                    feeds.add(f"/p{n}.xml", rss(f"Poll Feed {n}", []))
                    await service.add_feed(
                        guild_id=emu.default_guild_id,
                        channel_id=channel,
                        url=feeds.url(f"/p{n}.xml"),
                        mode="live",
                    )
        finally:
            await asyncio.to_thread(store.close)
        expected: dict[int, list[str]] = {}
        for n, channel in enumerate(ids):
            items = bulk_items(n, per_channel)
            feeds.add(f"/p{n}.xml", rss(f"Poll Feed {n}", items))
            expected[channel] = [i.title for i in items]
        total = sum(len(v) for v in expected.values())

        def hits() -> int:
            return sum(feeds.hits(f"/p{n}.xml") for n in range(channels))

        def titles(channel: int) -> list[str]:
            return [str(e.get("title", "")) for m in emu.messages(channel) for e in m.embeds]

        def delivered() -> int:
            return sum(len(set(titles(c)) & set(expected[c])) for c in ids)

        # feeds claimed by a killed run are due again after this lease (default: the interval)
        env = service_environment(emu, db, NEWSDIGEST_POLL_LEASE_SECONDS="2")
        proc = ServiceProcess(env=env, log=tmp_path / "poll.log", cwd=tmp_path)
        interrupted = 0
        loop = asyncio.get_running_loop()
        try:
            for _ in range(kills):
                before = hits()
                await proc.start()
                deadline = loop.time() + timeout
                while hits() == before and proc.running and loop.time() < deadline:
                    await asyncio.sleep(0.01)  # the feed server's own counter, not a schedule
                await asyncio.sleep(rng.uniform(0.0, 0.1))
                interrupted += delivered() < total
                await proc.kill9()
            identified = _identifies(emu)
            await proc.start()
            await emu.wait_until(
                lambda: _identifies(emu) > identified, timeout, what="the last start"
            )
            await emu.wait_until(lambda: delivered() >= total, timeout, what="every story")
            await _quiet(emu, 1.0)
        finally:
            code = await proc.stop()
        posted = lost = duplicated = 0
        for channel in ids:
            got = titles(channel)
            posted += len(got)
            lost += sum(1 for t in expected[channel] if t not in got)
            duplicated += len(got) - len(set(got))
        return PollCrashReport(
            kills=proc.kills,
            polls_interrupted=interrupted,
            expected=total,
            posted=posted,
            lost=lost,
            duplicated=duplicated,
            exit_code=code,
        )
