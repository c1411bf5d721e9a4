"""``/digest now|schedule|off``: a channel's digest, now or every day (or week) at a local time."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.common import (
    MANAGE,
    PostChannel,
    bot_of,
    guild_id_of,
    manage_channels,
    postable_target,
    reply,
    target_channel,
    when,
)
from bot.scheduling import digest_trigger

DAY_CHOICES = (
    "daily",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
DAY_NAMES = {name[:3]: name.title() for name in DAY_CHOICES[1:]}

COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
)


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def timezone_choices(current: str, limit: int = 25) -> list[str]:
    """IANA names matching what was typed (common ones first when nothing is typed)."""
    text = current.strip().lower().replace(" ", "_")
    if not text:
        return list(COMMON_ZONES[:limit])
    starts = [z for z in _zones() if z.lower().startswith(text)]
    contains = [z for z in _zones() if text in z.lower() and z not in starts]
    return (starts + contains)[:limit]


class Digests(commands.Cog):
    digest = app_commands.Group(
        name="digest",
        description="Post digests of a channel's feeds",
        default_permissions=MANAGE,
        guild_only=True,
    )

    @digest.command(name="now", description="Post the digest of stories not yet sent, now")
    @app_commands.describe(channel="The channel whose digest to post (default: here)")
    @manage_channels()
    async def now(
        self, interaction: discord.Interaction[Any], channel: PostChannel | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        guild_id_of(interaction)
        target = postable_target(interaction, channel)
        queued = await bot.digests.queue_digest(target.id)
        if not queued:
            await reply(interaction, f"No new stories for {target.mention} since its last digest.")
            return
        bot.outbox.kick()
        plural = "story" if queued == 1 else "stories"
        await reply(interaction, f"Posting a digest of {queued} {plural} in {target.mention}.")

    @digest.command(name="schedule", description="Post this channel's digest every day or week")
    @app_commands.describe(
        time="Local time of day, HH:MM (24-hour)",
        timezone="IANA timezone such as Europe/London (default: UTC)",
        channel="The channel (default: here)",
        day="daily, or a weekday for a weekly digest (default: daily)",
    )
    @app_commands.choices(day=[app_commands.Choice(name=d, value=d) for d in DAY_CHOICES])
    @manage_channels()
    async def schedule(
        self,
        interaction: discord.Interaction[Any],
        time: app_commands.Range[str, 1, 5],
        timezone: app_commands.Range[str, 1, 64] = "UTC",
        channel: PostChannel | None = None,
        day: str = "daily",
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        guild_id = guild_id_of(interaction)
        target = postable_target(interaction, channel)
        saved = await bot.digests.set_schedule(
            guild_id=guild_id,
            channel_id=target.id,
            time=time.strip(),
            timezone=timezone.strip(),
            day=day,
        )
        bot.jobs.add_digest_job(saved)
        next_fire = digest_trigger(saved).get_next_fire_time(None, bot.jobs.ctx.clock.now())
        every = "day" if saved.day == "daily" else DAY_NAMES[saved.day]
        await reply(
            interaction,
            f"{target.mention} gets its digest every {every} at "
            f"{saved.hour:02d}:{saved.minute:02d} {saved.timezone}; the next one is "
            f"{when(next_fire, 'F')}.",
        )

    @schedule.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezone_choices(current)]

    @digest.command(name="off", description="Stop a channel's daily digest")
    @app_commands.describe(channel="The channel (default: here)")
    @manage_channels()
    async def off(
        self, interaction: discord.Interaction[Any], channel: PostChannel | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        guild_id_of(interaction)
        target = target_channel(interaction, channel)
        removed = await bot.digests.remove_schedule(target.id)
        if removed is None:
            await reply(interaction, f"{target.mention} has no scheduled digest.")
            return
        bot.jobs.remove_digest_job(removed.schedule_id)
        await reply(interaction, f"Stopped the scheduled digest of {target.mention}.")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Digests())
