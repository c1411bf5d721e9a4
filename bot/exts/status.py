"""``/status``: feed health for this server."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.exts.common import bot_of, guild_id_of, reply, when
from digests.feeds.urlsafety import redact_urls_in
from digests.model import FeedStatus


def status_line(feed: FeedStatus) -> str:
    title = render.clip(render.clean(feed.title) or render.shown_url(feed.url), 80)
    if feed.health == "ok":
        health = "✅ ok"
    elif feed.health == "disabled":
        health = "⛔ disabled"
    else:
        failures = "1 failure" if feed.failures == 1 else f"{feed.failures} failures"
        health = f"⚠️ failing since {when(feed.failing_since)} ({failures})"
    parts = [
        f"**{title}** — {health}",
        f"last fetch {when(feed.last_fetched)} · next fetch "
        f"{when(feed.next_fetch) if feed.health != 'disabled' else 'none'}",
    ]
    if feed.last_error and feed.health != "ok":
        error = render.clean(redact_urls_in(feed.last_error))
        parts.append(f"error: {render.clip(error, 200)}")
    return "\n".join(parts)


class Status(commands.Cog):
    @app_commands.command(name="status", description="Feed health for this server")
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        feeds = await bot_of(interaction).digests.feed_status(guild_id_of(interaction))
        if not feeds:
            await reply(interaction, "No feeds are subscribed in this server yet.")
            return
        lines = [status_line(f) for f in feeds]
        body = render.lines_within(lines, render.DESCRIPTION_MAX - 40, joiner="\n\n")
        shown = body.count("\n\n") + 1
        if shown < len(lines):
            body += f"\n\n…and {len(lines) - shown} more."
        failing = sum(1 for f in feeds if f.health != "ok")
        title = f"Feed status: {len(feeds)} feeds, {failing} with problems"
        await reply(interaction, embed=discord.Embed(title=title, description=body))


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Status())
