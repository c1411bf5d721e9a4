"""The Discord-outage scenario: for ``window`` seconds the emulator answers every REST request with
500s, then 429s with ``retry_after``, then drops the gateway and refuses reconnects, while new
stories keep arriving (live posts and a digest). Afterwards every story must be posted exactly
once and the bot must have reconnected by itself.

Shared by test_discord_outage.py (a few seconds by default, 60 s in the slow run) and
benchmarks/chaos.py.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tests.builders import Item
from tests.faults.discordworld import World, world
from tests.faults.helpers import START
from tests.faults.proc import story_numbers

#: how long after the outage every post must be out (the outbox's per-channel backoff, up to
#: 300 s, ends when the gateway comes back: ``Outbox.reconnected``)
#: discord.py waits a random 0..2^n s before its n-th reconnect attempt, so after a refused
#: gateway its next try may come half a minute after the refusal ended (seen under CI load)
RECOVERY_SLACK = 60.0


@dataclass(frozen=True, slots=True)
class OutageReport:
    window: float
    stories: int
    posted: int
    lost: int
    duplicated: int
    faulted_requests: int
    reconnects: int
    connected_after: bool
    recovery_seconds: float


def _items(prefix: str, numbers: range) -> list[Item]:
    return [
        Item(
            guid=f"{prefix}-{n}",
            title=f"Outage story {prefix} number {n} about the harbour",
            text=(
                f"Story {n} from {prefix}. The council voted on the harbour plan on Tuesday, "
                "officials said, after months of debate among residents and businesses."
            ),
            published=START - timedelta(minutes=600 - n),
        )
        for n in numbers
    ]


async def discord_outage(
    tmp_path: Path, *, window: float = 3.0, hard: bool = False
) -> OutageReport:
    """``hard``: the gateway connections are aborted without a close frame (a network failure)
    and the sessions invalidated, so the bot must notice and IDENTIFY again, not resume."""
    async with world(tmp_path) as w:
        return await _run(w, window, hard)


async def _run(w: World, window: float, hard: bool) -> OutageReport:
    emu = w.emu
    news, digests = w.channel("news"), w.channel("digests")
    live = w.serve("/live.xml", "Live Wire", _items("live", range(0)))
    batch = w.serve("/batch.xml", "Batch Post", _items("batch", range(0)))
    await w.command("feed", "add", {"url": live, "channel": news, "mode": "live"})
    await w.command("feed", "add", {"url": batch, "channel": digests})
    sessions_before = _connections(w)
    loop = asyncio.get_running_loop()
    phase = window / 3
    served = 0

    async def more(count: int) -> None:
        nonlocal served
        served += count
        w.serve("/live.xml", "Live Wire", _items("live", range(served)))
        w.serve("/batch.xml", "Batch Post", _items("batch", range(served)))
        await w.poll(30)

    # 1. 500s on every REST request
    emu.set_rest_fault(500)
    await more(3)
    await asyncio.sleep(phase / 2)
    await more(2)
    await asyncio.sleep(phase / 2)
    # 2. 429s with retry_after
    emu.set_rest_fault(429, retry_after=min(1.0, max(0.2, phase / 4)), scope="shared")
    await more(2)
    await asyncio.sleep(phase)
    # 3. the gateway drops and refuses reconnects; REST is back but the bot is offline
    emu.set_rest_fault(None)
    await emu.drop_gateway(refuse_for=phase, invalidate=hard, abrupt=hard)
    await more(2)
    await w.app.service.queue_digest(digests)
    w.app.outbox.kick()
    await asyncio.sleep(phase)
    ended = loop.time()

    expected_live = served
    try:
        await emu.wait_until(
            lambda: (
                len(set(story_numbers(emu.messages(news)))) >= expected_live
                and bool(story_numbers(emu.messages(digests)))
            ),
            window + RECOVERY_SLACK,
            what="every story posted after the outage",
        )
        await emu.wait_connected(RECOVERY_SLACK)
    except TimeoutError:
        pass
    recovery = loop.time() - ended
    faulted = emu.faulted_requests
    # a would-be duplicate has time to arrive before counting
    w.app.outbox.kick()
    await w.app.outbox.drain()

    posted_live = collections.Counter(story_numbers(emu.messages(news)))
    posted_digest = collections.Counter(story_numbers(emu.messages(digests)))
    digest_wanted = served  # every batch story, in digest posts of at most 10
    lost = max(0, expected_live - len(posted_live)) + max(0, digest_wanted - len(posted_digest))
    duplicated = sum(c - 1 for c in posted_live.values() if c > 1) + sum(
        c - 1 for c in posted_digest.values() if c > 1
    )
    return OutageReport(
        window=window,
        stories=expected_live + digest_wanted,
        posted=sum(posted_live.values()) + sum(posted_digest.values()),
        lost=lost,
        duplicated=duplicated,
        faulted_requests=faulted,
        reconnects=_connections(w) - sessions_before,
        connected_after=emu.connected(),
        recovery_seconds=recovery,
    )


def _connections(w: World) -> int:
    return sum(1 for e in w.emu.gateway_events if e.kind in ("identify", "resume"))
