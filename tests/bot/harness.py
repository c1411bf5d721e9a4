"""End-to-end harness: the real composition root (bot.runner) against the Discord emulator, a real
SQLite file, loopback feeds from tests/feedserver.py, and a FakeClock driving polls and schedules.

    async with DiscordEmulator(...) as emu, FeedServer() as feeds:
        settings = e2e_settings(emu, tmp_path)
        async with running_app(emu, settings, clock) as app:
            ...  # ready: commands synced, jobs rebuilt, outbox running; the scheduler is paused
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import zlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.runner import App, compose, point_discord_at, shutdown, start_background, start_bot
from bot.settings import Settings, load_settings
from digests.clock import FakeClock
from tests.bot.emulator_client import discord_endpoints, wait_ready
from tests.discord_emulator import DiscordEmulator, RecordedMessage

TOKEN = "e2e.bot.token-0123456789"
START = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
MANAGE_CHANNELS = 1 << 4


VOCABULARY = [
    "river",
    "market",
    "winter",
    "council",
    "railway",
    "harvest",
    "garden",
    "tunnel",
    "museum",
    "school",
    "ferry",
    "orchestra",
    "hospital",
    "airport",
    "library",
    "factory",
    "vineyard",
    "lighthouse",
    "quarry",
    "bakery",
    "theatre",
    "stadium",
    "castle",
    "festival",
    "glacier",
    "canal",
    "forest",
    "meadow",
    "island",
    "valley",
    "harbour",
    "cathedral",
    "archive",
    "observatory",
    "workshop",
    "laboratory",
    "monastery",
    "fountain",
    "pavilion",
    "reservoir",
    "windmill",
    "brewery",
    "chapel",
    "arena",
]


def _words(seed: str, count: int) -> list[str]:
    """``count`` distinct words chosen deterministically from ``seed`` (varied synthetic text)."""
    return random.Random(zlib.crc32(seed.encode())).sample(VOCABULARY, count)


def article(topic: str, speaker: str, words: int = 120, *, lede: str | None = None) -> list[str]:
    """A synthetic news article about ``topic`` with one attributed quotation by ``speaker``;
    its vocabulary varies with the topic so different stories do not look alike."""
    w = _words(topic, 12)
    filler = (
        f"Officials near the {w[0]} said the {topic} work had waited for months. "
        f"People from the {w[1]} and the {w[2]} followed the {topic} debate at meetings. "
        f"Engineers from the {w[3]} estimated the cost of the {topic} work last spring. "
    )
    body = [
        lede
        or f"The {topic} project beside the {w[4]} and the {w[5]} was approved on Tuesday, "
        f"ending a dispute over the {w[6]} that lasted since the {w[7]} closed.",
        f'"We will deliver the {topic} on time and on budget," said {speaker}, '
        f"who leads the project.",
    ]
    text = filler * max(1, words // 40)
    body.append(text.strip())
    body.append(f"Critics from the {w[8]} said they would keep watching the {w[9]} costs.")
    return body


def e2e_settings(emu: DiscordEmulator, tmp_path: Path, **extra: Any) -> Settings:
    """Settings for a bot on the emulator. Article pages are not paced unless a test asks
    (``NEWSDIGEST_PAGE_INTERVAL``): the loopback pages all share one host."""
    values: dict[str, Any] = {
        "DISCORD_TOKEN": TOKEN,
        "NEWSDIGEST_DB": str(tmp_path / "newsdigest.db"),
        "NEWSDIGEST_ALLOW_PRIVATE_URLS": True,
        "DISCORD_API_BASE_URL": emu.api_base,
        "NEWSDIGEST_LOG_LEVEL": "WARNING",
        "NEWSDIGEST_PAGE_INTERVAL": 0.0,
    }
    return load_settings(**{**values, **extra})


@contextlib.asynccontextmanager
async def running_app(
    emu: DiscordEmulator,
    settings: Settings,
    clock: FakeClock,
    *,
    ready_timeout: float = 20.0,
    outbox: bool = True,
) -> AsyncIterator[App]:
    """The service as `newsdigest run` composes it, with the scheduler paused (tests call the
    job functions with the fake clock instead of waiting for wall-clock fires)."""
    with discord_endpoints(emu.api_base):
        point_discord_at(settings.api_base_url)
        async with compose(settings, clock=clock, guild_ready_timeout=0.2) as app:
            bot_task = await start_bot(app, TOKEN)
            background: list[asyncio.Task[None]] = []
            try:
                await wait_ready(app.bot, bot_task, ready_timeout)
                background = await asyncio.wait_for(
                    start_background(app, paused=True, outbox=outbox), ready_timeout
                )
                yield app
            finally:
                await shutdown(app, *background)
                if not bot_task.done():
                    bot_task.cancel()
                await asyncio.gather(bot_task, return_exceptions=True)


def footers(messages: Sequence[RecordedMessage]) -> list[str]:
    return [e.get("footer", {}).get("text", "") for m in messages for e in m.embeds]


def story_numbers(messages: Sequence[RecordedMessage]) -> list[int]:
    return [int(f.rsplit("#", 1)[1]) for f in footers(messages) if "#" in f]


def later(clock: FakeClock, minutes: float) -> None:
    clock.advance(timedelta(minutes=minutes))
