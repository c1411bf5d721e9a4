"""Helpers shared by the command extensions (not an extension itself)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from bot import render
from digests.errors import InputError
from digests.model import Scope

if TYPE_CHECKING:
    from discord.utils import TimestampStyle

    from bot.client import DigestBot

MANAGE = discord.Permissions(manage_channels=True)
#: where posts can go: a text or announcement channel (``TextChannel``), or a forum
PostChannel = discord.TextChannel | discord.ForumChannel
NEEDED = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)
T = TypeVar("T")
_NUMBER = re.compile(r"#?\s*(\d{1,18})")


def bot_of(interaction: discord.Interaction[Any]) -> DigestBot:
    from bot.client import DigestBot

    client = interaction.client
    if not isinstance(client, DigestBot):  # pragma: no cover - only DigestBot loads these cogs
        raise RuntimeError("newsdigest commands need a DigestBot")
    return client


def guild_id_of(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id


def scope_of(interaction: discord.Interaction[Any]) -> Scope:
    """The asking server, whose subscribed feeds' stories the reader may see. Outside a server
    (a direct message) that is no server's: server 0 subscribes nothing, so nothing is found."""
    return Scope.server(interaction.guild_id or 0)


def manage_channels() -> Callable[[T], T]:
    """Server-side check of Manage Channels (Discord's default member permissions can be
    overridden by server admins, and a stale client may still send the command)."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        from bot.client import ManageChannelsRequired

        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_channels:
            raise ManageChannelsRequired()
        return True

    return app_commands.check(predicate)


def target_channel(
    interaction: discord.Interaction[Any], channel: PostChannel | None
) -> PostChannel:
    """The channel option, else the channel the command was used in (a text, announcement or
    forum channel; not a thread).

    Management commands are checked for Manage Channels where they are used; a member may have
    it there alone (a channel overwrite), so another target channel is checked as well."""
    if channel is not None:
        user = interaction.user
        if (
            channel.id != interaction.channel_id
            and isinstance(user, discord.Member)
            and not channel.permissions_for(user).manage_channels
        ):
            raise InputError(
                f"You need the Manage Channels permission in {channel.mention} to do that."
            )
        return channel
    here = interaction.channel
    if isinstance(here, PostChannel):
        return here
    raise InputError("Pick a text channel with the channel option; this one cannot take posts.")


def postable_target(
    interaction: discord.Interaction[Any], channel: PostChannel | None
) -> PostChannel:
    """``target_channel``, refused in one sentence when the bot could not post there."""
    target = target_channel(interaction, channel)
    problem = missing_permissions(target)
    if problem:
        raise InputError(problem)
    return target


def missing_permissions(channel: PostChannel) -> str | None:
    """One sentence when the bot cannot view, send (in a forum: create posts) or embed links
    in ``channel``."""
    me = channel.guild.me
    if me is None:
        return None
    perms = channel.permissions_for(me)
    missing = [label for attr, label in NEEDED if not getattr(perms, attr)]
    if not missing:
        return None
    names = _join(missing)
    return (
        f"I can't post in {channel.mention}: I'm missing the {names} "
        f"permission{'s' if len(missing) > 1 else ''} there."
    )


def parse_story_number(value: str) -> int | None:
    match = _NUMBER.fullmatch(value.strip())
    return int(match.group(1)) if match else None


def when(dt: datetime | None, style: TimestampStyle = "R") -> str:
    if dt is None:
        return "never"
    return discord.utils.format_dt(dt, style)


def choice_name(text: str) -> str:
    """Autocomplete choice names are limited to 100 characters."""
    return render.clip(" ".join(text.split()), 100) or "(untitled)"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


async def reply(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: list[discord.Embed] | None = None,
    file: discord.File | None = None,
) -> None:
    """The (deferred, ephemeral) answer of a command, never pinging anyone."""
    if content is not None:
        content = render.clip(content, render.CONTENT_MAX)
    all_embeds = embeds if embeds is not None else ([embed] if embed is not None else [])
    await interaction.followup.send(
        content=content or discord.utils.MISSING,
        embeds=all_embeds,
        file=file or discord.utils.MISSING,
        ephemeral=True,
        allowed_mentions=discord.AllowedMentions.none(),
    )
