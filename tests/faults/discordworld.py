"""An in-process world for the Discord fault tests: the Discord emulator, a loopback feed server,
and the real application (bot.runner's composition root through tests/bot/harness.py) on a SQLite
file with a FakeClock. Shared by test_mentions.py, test_permissions_limits.py,
test_discord_outage.py and benchmarks/chaos.py."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.runner import App
from bot.scheduling import poll_feeds
from digests.clock import FakeClock
from tests.bot.harness import TOKEN, e2e_settings, running_app
from tests.builders import Item, rss
from tests.discord_emulator import DiscordEmulator, GuildSpec, InteractionResult, RecordedMessage
from tests.discord_emulator.mentions import pings
from tests.faults.helpers import START
from tests.feedserver import FeedServer

MANAGE_CHANNELS = 1 << 4
WAIT = 30.0


@dataclass
class World:
    emu: DiscordEmulator
    feeds: FeedServer
    clock: FakeClock
    app: App
    guild: int
    manager: int
    reader: int
    answers: list[InteractionResult]

    def channel(self, name: str) -> int:
        return self.emu.channel_id(name)

    def serve(self, path: str, title: str, items: Sequence[Item]) -> str:
        self.feeds.add(path, rss(title, items), content_type="application/rss+xml")
        return self.feeds.url(path)

    async def command(
        self,
        name: str,
        sub: str | None = None,
        options: dict[str, object] | None = None,
        *,
        user: int | None = None,
        channel: str = "general",
        guild: int | None = None,
        channel_id: int | None = None,
    ) -> InteractionResult:
        handle = await self.emu.send_slash_command(
            guild or self.guild,
            channel_id or self.channel(channel),
            user or self.manager,
            name=name,
            subcommand=sub,
            options=options or {},
        )
        result = await handle.wait_response(timeout=WAIT)
        self.answers.append(result)
        return result

    async def poll(self, minutes: float = 60) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        await poll_feeds(self.app.jobs.ctx)


@contextlib.asynccontextmanager
async def world(
    tmp_path: Path,
    *,
    channels: Sequence[str] = ("general", "news", "digests"),
    emulator: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> AsyncIterator[World]:
    spec = GuildSpec("Fault Lines", tuple(channels))
    async with (
        DiscordEmulator(token=TOKEN, guilds=[spec], **(emulator or {})) as emu,
        FeedServer() as feeds,
    ):
        manager = await emu.add_member(permissions=MANAGE_CHANNELS)
        reader = await emu.add_member(permissions=0)
        clock = FakeClock(START)
        config = e2e_settings(emu, tmp_path, **(settings or {}))
        async with running_app(emu, config, clock) as app:
            yield World(
                emu=emu,
                feeds=feeds,
                clock=clock,
                app=app,
                guild=emu.default_guild_id,
                manager=manager,
                reader=reader,
                answers=[],
            )


async def until(predicate: Callable[[], bool], timeout: float = WAIT, what: str = "") -> None:
    """Wait for the bot's own state (the emulator cannot wake us for that): a short poll."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.01)


def visible(text: str) -> str:
    """What a reader sees: zero-width characters and markdown escapes removed."""
    return text.replace("\u200b", "").replace("\u2060", "").replace("\\", "")


def message_texts(message: RecordedMessage) -> str:
    parts = [message.content]
    for embed in message.embeds:
        parts += [str(embed.get("title") or ""), str(embed.get("description") or "")]
        parts += [str((embed.get("footer") or {}).get("text") or "")]
        for fld in embed.get("fields") or []:
            parts += [str(fld.get("name") or ""), str(fld.get("value") or "")]
    return "\n".join(parts)


def assert_no_pings_message(message: RecordedMessage) -> None:
    allowed = message.allowed_mentions
    assert allowed is not None, message.request
    assert allowed.get("parse") == [], allowed
    assert not allowed.get("users") and not allowed.get("roles") and not allowed.get("replied_user")
    assert not message.pings, message.pings
    # and even a client that ignored allowed_mentions would ping nobody
    assert not pings(message.content, None)


def assert_no_pings_answer(result: InteractionResult) -> None:
    for response in result.responses:
        if not response.is_answer:
            continue
        content = response.content or ""
        assert not pings(content, None), content
        if not response.ephemeral:
            allowed = response.allowed_mentions
            assert allowed is not None and allowed.get("parse") == [], response.payload
