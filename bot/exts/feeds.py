"""``/feed add|remove|list``: a server's subscriptions."""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.exts.common import (
    MANAGE,
    bot_of,
    choice_name,
    guild_id_of,
    manage_channels,
    missing_permissions,
    reply,
    target_channel,
    when,
)
from digests.errors import FeedNotFoundError, InputError
from digests.feeds.urlsafety import has_credentials, redact_url
from digests.model import FeedStatus, Subscription


def health_text(feed: FeedStatus) -> str:
    if feed.health == "ok":
        return "ok"
    if feed.health == "disabled":
        return "disabled"
    return f"failing since {when(feed.failing_since)}"


def subscription_line(sub: Subscription) -> str:
    title = render.clip(render.clean(sub.feed.title) or render.shown_url(sub.feed.url), 80)
    secret = has_credentials(sub.feed.url)
    link = title if secret else render.masked_link(title, sub.feed.url, 300)
    return f"**{link}** → <#{sub.channel_id}> · {sub.mode} · {health_text(sub.feed)}"


class Feeds(commands.Cog):
    feed = app_commands.Group(
        name="feed",
        description="Subscribe channels to news feeds",
        default_permissions=MANAGE,
        guild_only=True,
    )

    @feed.command(name="add", description="Subscribe a channel to a feed")
    @app_commands.describe(
        url="The feed's address (RSS, Atom or JSON Feed)",
        channel="Where its stories go (default: here)",
        mode="live: each story as it arrives; digest: in digests (default)",
        backfill="Post this many of the newest existing stories now (0-5)",
    )
    @manage_channels()
    async def add(
        self,
        interaction: discord.Interaction[Any],
        url: app_commands.Range[str, 1, 2000],
        channel: discord.TextChannel | None = None,
        mode: Literal["live", "digest"] = "digest",
        backfill: app_commands.Range[int, 0, 5] = 0,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        guild_id = guild_id_of(interaction)
        target = target_channel(interaction, channel)
        problem = missing_permissions(target)
        if problem:
            raise InputError(problem)
        result = await bot.digests.add_feed(
            guild_id=guild_id, channel_id=target.id, url=url.strip(), mode=mode, backfill=backfill
        )
        if result.backfilled:
            bot.outbox.kick()
        feed = result.subscription.feed
        title = render.clean(feed.title) or render.shown_url(feed.url)
        lines = [f"Subscribed {target.mention} to **{render.clip(title, 200)}** ({mode} mode)."]
        if result.reenabled:
            lines.append("The feed had been disabled after failures; it is enabled again.")
        if result.backfilled:
            newest = "newest story" if result.backfilled == 1 else "newest stories"
            lines.append(f"Posting its {result.backfilled} {newest} now.")
        if result.preview is None:
            lines.append("It has no stories yet.")
        else:
            lines.append("Its newest story:")
        embed = render.story_embed(result.preview) if result.preview else None
        await reply(interaction, "\n".join(lines), embed=embed)

    @feed.command(name="remove", description="Unsubscribe a feed")
    @app_commands.describe(feed="The subscription to remove")
    @manage_channels()
    async def remove(
        self, interaction: discord.Interaction[Any], feed: app_commands.Range[str, 1, 2000]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        guild_id = guild_id_of(interaction)
        subs = await bot.digests.subscriptions(guild_id)
        chosen = pick_subscription(subs, feed)
        removed = await bot.digests.remove_feed(
            guild_id=guild_id, subscription_id=chosen.subscription_id
        )
        title = render.clean(removed.feed.title) or render.shown_url(removed.feed.url)
        title = render.clip(title, 200)
        await reply(interaction, f"Unsubscribed <#{removed.channel_id}> from **{title}**.")

    @remove.autocomplete("feed")
    async def remove_feed_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not interaction.permissions.manage_channels:
            return []  # the same rule as the command itself: no list of feeds for others
        subs = await bot_of(interaction).digests.subscriptions(interaction.guild_id)
        text = current.strip().lower()
        choices: list[app_commands.Choice[str]] = []
        for sub in subs:
            title = sub.feed.title or redact_url(sub.feed.url)
            channel = interaction.guild.get_channel(sub.channel_id) if interaction.guild else None
            where = f"#{channel.name}" if channel else str(sub.channel_id)
            label = f"{title} → {where} ({sub.mode})"
            if text and text not in label.lower() and text not in redact_url(sub.feed.url).lower():
                continue
            choices.append(
                app_commands.Choice(name=choice_name(label), value=str(sub.subscription_id))
            )
            if len(choices) == 25:
                break
        return choices

    @feed.command(name="list", description="This server's feed subscriptions")
    @app_commands.describe(channel="Only this channel's subscriptions")
    @manage_channels()
    async def list_(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        guild_id = guild_id_of(interaction)
        subs = await bot.digests.subscriptions(guild_id, channel.id if channel else None)
        if not subs:
            where = f" in {channel.mention}" if channel else ""
            await reply(interaction, f"No feeds are subscribed{where} yet; add one with /feed add.")
            return
        lines = [subscription_line(s) for s in subs]
        body = render.lines_within(lines, render.DESCRIPTION_MAX - 40)
        shown = body.count("\n") + 1
        if shown < len(lines):
            body += f"\n…and {len(lines) - shown} more."
        embed = discord.Embed(title=f"Feeds ({len(subs)})", description=body)
        await reply(interaction, embed=embed)


def pick_subscription(subs: list[Subscription], value: str) -> Subscription:
    """The subscription an autocomplete value (its id) or typed URL/title names."""
    value = value.strip()
    if value.isdigit():
        for sub in subs:
            if sub.subscription_id == int(value):
                return sub
    lowered = value.lower()
    matches = [
        s
        for s in subs
        if s.feed.url.lower() == lowered or (s.feed.title or "").strip().lower() == lowered
    ]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InputError(
            "That feed is subscribed in several channels; pick one from the suggestions."
        )
    raise FeedNotFoundError(value, "No feed subscribed in this server matches that.")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Feeds())
