"""``/story``, ``/quotes`` and ``/search``: reading what was stored."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.exts.common import bot_of, choice_name, parse_story_number, reply, scope_of, when
from digests.errors import InputError, StoryNotFoundError
from digests.model import SearchHit, SpeakerQuote

SEARCH_LIMIT = 10
SPEAKER_LIMIT = 10


async def resolve_story(interaction: discord.Interaction[Any], value: str) -> int:
    """A story number from ``42``/``#42`` (what autocomplete sends), else the best title match."""
    number = parse_story_number(value)
    if number is not None:
        return number
    choices = await bot_of(interaction).digests.story_choices(
        value.strip(), 1, scope=scope_of(interaction)
    )
    if not choices:
        raise StoryNotFoundError("No stored story matches that; pick one from the suggestions.")
    return choices[0][0]


async def story_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    choices = await bot_of(interaction).digests.story_choices(
        current.strip(), 25, scope=scope_of(interaction)
    )
    return [
        app_commands.Choice(name=choice_name(f"#{number} {title}"), value=str(number))
        for number, title in choices[:25]
    ]


async def speaker_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    names = await bot_of(interaction).digests.speaker_choices(
        current.strip(), 25, scope=scope_of(interaction)
    )
    return [
        app_commands.Choice(name=choice_name(name), value=name[:100])
        for name in names
        if name.strip()
    ]


def speaker_line(item: SpeakerQuote) -> str:
    title = render.clip(render.clean(item.story_title) or f"Story #{item.story_id}", 120)
    quote = render.quote_line(item.quote, 700)
    return f"{quote}\n#{item.story_id} · {title} · {when(item.published)}"


def hit_line(hit: SearchHit) -> str:
    title = render.clip(render.clean(hit.title) or "(untitled)", 150)
    head = f"**#{hit.story_id}** {render.masked_link(title, hit.url, 400)}"
    source = render.clip(render.clean(hit.feed_title), 60)
    meta = " · ".join(p for p in (source, when(hit.published) if hit.published else "") if p)
    snippet = render.highlighted(hit.snippet, 200)
    return "\n".join(p for p in (head + (f" — {meta}" if meta else ""), snippet) if p)


class Stories(commands.Cog):
    @app_commands.guild_only()
    @app_commands.command(name="story", description="The full condensed story")
    @app_commands.describe(story="The story's number, or start typing its title")
    @app_commands.autocomplete(story=story_autocomplete)
    async def story(
        self, interaction: discord.Interaction[Any], story: app_commands.Range[str, 1, 300]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        number = await resolve_story(interaction, story)
        detail = await bot_of(interaction).digests.story(number, scope=scope_of(interaction))
        await reply(interaction, embed=render.story_details(detail))

    @app_commands.guild_only()
    @app_commands.command(name="quotes", description="A story's quotes, or a person's latest")
    @app_commands.describe(
        story="The story's number, or start typing its title",
        speaker="A person's name: their latest quotes across stories",
    )
    @app_commands.autocomplete(story=story_autocomplete, speaker=speaker_autocomplete)
    async def quotes(
        self,
        interaction: discord.Interaction[Any],
        story: app_commands.Range[str, 1, 300] | None = None,
        speaker: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        digests = bot_of(interaction).digests
        if (story is None) == (speaker is None):
            raise InputError("Give either a story or a speaker (one of the two).")
        if story is not None:
            number = await resolve_story(interaction, story)
            detail = await digests.story(number, scope=scope_of(interaction))
            await reply(interaction, embed=render.quotes_embed(detail.story))
            return
        name = (speaker or "").strip()
        found = await digests.speaker_quotes(name, SPEAKER_LIMIT, scope=scope_of(interaction))
        if not found:
            await reply(interaction, f"No stored quotes by {render.clip(render.clean(name), 100)}.")
            return
        title = render.clip(f"Latest quotes by {render.clean(name)}", render.TITLE_MAX)
        body = render.lines_within(
            [speaker_line(q) for q in found], render.DESCRIPTION_MAX, joiner="\n\n"
        )
        await reply(interaction, embed=discord.Embed(title=title, description=body))

    @app_commands.guild_only()
    @app_commands.command(name="search", description="Search stored stories, quotes and speakers")
    @app_commands.describe(query="Words to look for")
    async def search(
        self, interaction: discord.Interaction[Any], query: app_commands.Range[str, 1, 200]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        hits = await bot_of(interaction).digests.search(
            query.strip(), SEARCH_LIMIT, scope=scope_of(interaction)
        )
        shown = render.clip(render.clean(query.strip()), 100)
        if not hits:
            await reply(interaction, f"Nothing stored matches “{shown}”.")
            return
        title = render.clip(f"Search: {shown}", render.TITLE_MAX)
        body = render.lines_within(
            [hit_line(h) for h in hits], render.DESCRIPTION_MAX, joiner="\n\n"
        )
        await reply(interaction, embed=discord.Embed(title=title, description=body))


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Stories())
