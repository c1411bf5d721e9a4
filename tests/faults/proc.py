"""The service as a real subprocess (``python -m bot``, i.e. ``newsdigest run``) against a Discord
emulator and feed servers running in the test's own event loop, plus an in-process way to prepare
its database (subscriptions and a full outbox) with the real DigestService and a FakeClock.

Used by test_crash_restart.py, test_secrets_storage.py and benchmarks/chaos.py.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from digests.clock import FakeClock
from digests.feeds.fetch import Fetcher
from digests.service import DigestService
from digests.store import Store
from tests.builders import Item, rss
from tests.discord_emulator import DiscordEmulator, RecordedMessage
from tests.faults.helpers import START, UA, local_resolver
from tests.feedserver import FeedServer

REPO = Path(__file__).resolve().parents[2]
TOKEN = "faults.bot-token.Zq9XyW3vU7tS5rQ1pO0nM8lK"


def service_environment(
    emu: DiscordEmulator, db: Path, *, token: str = TOKEN, **extra: str
) -> dict[str, str]:
    """The subprocess environment: ours only (no inherited DISCORD_*/NEWSDIGEST_* settings)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DISCORD_", "NEWSDIGEST_")) and k != "PYTEST_CURRENT_TEST"
    }
    env.update(
        {
            "DISCORD_TOKEN": token,
            "DISCORD_API_BASE_URL": emu.api_base,
            "NEWSDIGEST_DB": str(db),
            "NEWSDIGEST_ALLOW_PRIVATE_URLS": "true",
            "NEWSDIGEST_POLL_MINUTES": "1",
            "NEWSDIGEST_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class ServiceProcess:
    """Starts, kills (-9) and stops ``python -m bot``; stdout+stderr are appended to ``log``."""

    env: dict[str, str]
    log: Path
    cwd: Path
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0
    kills: int = 0

    async def start(self) -> None:
        assert self.proc is None or self.proc.returncode is not None
        with self.log.open("ab") as sink:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                env=self.env,
                cwd=self.cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
            )
        self.starts += 1

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def kill9(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()
            self.kills += 1

    async def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, then wait (bounded); SIGKILL when it does not stop. Returns the exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        return proc.returncode

    async def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout)

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace") if self.log.exists() else ""


@dataclass(frozen=True, slots=True)
class Prepared:
    """What was queued: channel id -> the story numbers it must receive, once each."""

    expected: dict[int, list[int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.expected.values())


def bulk_items(feed: int, count: int) -> list[Item]:
    topics = ("harbour", "bridge", "museum", "tramway", "library", "stadium", "airport", "park")
    return [
        Item(
            guid=f"f{feed}-s{n}",
            title=f"Feed {feed}: the {topics[n % len(topics)]} story number {n}",
            text=(
                f"Story {n} of feed {feed} is about the {topics[n % len(topics)]}. The council "
                "voted on the plan on Tuesday after a long public debate, officials said. "
                f'"We will finish the {topics[n % len(topics)]} on time," said Maria Lopez.'
            ),
            published=START - timedelta(minutes=5 * n + feed),
        )
        for n in range(count)
    ]


async def prepare_outbox(
    db: Path,
    feeds: FeedServer,
    guild_id: int,
    channels: Sequence[int],
    per_channel: int,
) -> Prepared:
    """One feed per channel, subscribed while empty; then ``per_channel`` new stories each,
    polled in-process (FakeClock). Every third channel takes digests (queued now: pages of at
    most 10 stories); the others are live (one story delivery per story). So the database holds
    channels x per_channel stories to post for the subprocess. The condenser is a cheap stand-in
    (the outbox is under test)."""
    from digests.model import Condensed

    def quick(text: str, *, title: str | None = None) -> Condensed:
        return Condensed(title=title, summary=text[:200], sentences=[text[:200]], quotes=[])

    clock = FakeClock(START)
    store = await asyncio.to_thread(Store, db)
    try:
        async with Fetcher(user_agent=UA, allow_private=True, resolver=local_resolver) as fetcher:
            service = DigestService(store, fetcher, clock=clock, condense=quick, max_entries=500)
            for n, channel in enumerate(channels):
                feeds.add(f"/crash{n}.xml", rss(f"Crash Feed {n}", []))
                await service.add_feed(
                    guild_id=guild_id,
                    channel_id=channel,
                    url=feeds.url(f"/crash{n}.xml"),
                    mode="digest" if n % 3 == 2 else "live",
                )
            for n in range(len(channels)):
                feeds.add(f"/crash{n}.xml", rss(f"Crash Feed {n}", bulk_items(n, per_channel)))
            clock.advance(timedelta(hours=2))
            results = await service.update_due_feeds()
            assert all(r.error is None for r in results), results
            for channel in channels[2::3]:
                await service.queue_digest(channel)
            pending = await service.pending_deliveries(10_000)
    finally:
        await asyncio.to_thread(store.close)
    expected: dict[int, list[int]] = collections.defaultdict(list)
    for delivery in pending:
        assert delivery.kind in ("story", "digest")
        expected[delivery.channel_id] += [d.story.story_id for d in delivery.items]
    return Prepared(dict(expected))


def story_numbers(messages: Sequence[RecordedMessage]) -> list[int]:
    """The ``#N`` story numbers in the footers of the recorded messages (one per story embed)."""
    numbers: list[int] = []
    for message in messages:
        for embed in message.embeds:
            footer = str(embed.get("footer", {}).get("text", ""))
            if "#" in footer:
                with contextlib.suppress(ValueError):
                    numbers.append(int(footer.rsplit("#", 1)[1]))
    return numbers


@dataclass(frozen=True, slots=True)
class Tally:
    expected: int
    posted: int
    lost: int
    duplicated: int
    unexpected: int


def tally(emu: DiscordEmulator, prepared: Prepared) -> Tally:
    lost = duplicated = unexpected = posted = 0
    for channel, wanted in prepared.expected.items():
        got = collections.Counter(story_numbers(emu.messages(channel)))
        posted += sum(got.values())
        lost += sum(1 for s in wanted if got[s] == 0)
        duplicated += sum(c - 1 for c in got.values() if c > 1)
        unexpected += sum(1 for s in got if s not in wanted)
    return Tally(prepared.total, posted, lost, duplicated, unexpected)


def delivered_count(emu: DiscordEmulator, prepared: Prepared) -> int:
    return sum(len(set(story_numbers(emu.messages(c)))) for c in prepared.expected)
