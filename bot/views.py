"""Persistent components: buttons under story posts ("Quotes", "Details", a link) and one select
menu under a digest page (a story's details), all answered ephemerally.

A click or choice reads the story in the asking server's scope: only stories of feeds that
server subscribes are shown, whatever number the ``custom_id`` or the chosen value carries.

They are ``discord.ui.DynamicItem``s whose ``custom_id`` encodes what they do (``nd:quotes:42``,
``nd:details:42``, ``nd:pick:42``), so a click is understood after any restart without
remembering the message: register ``StoryButton`` and ``StoryPicker`` once with
``bot.add_dynamic_items``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import discord

from bot import render
from bot.exts.common import scope_of
from digests.errors import DigestError
from digests.model import Scope, StoryDetail

log = logging.getLogger(__name__)

Action = Literal["quotes", "details"]
CUSTOM_ID = re.compile(r"nd:(?P<action>quotes|details):(?P<story>[0-9]{1,18})")
PICK_ID = re.compile(r"nd:pick:(?P<first>[0-9]{1,18})")
#: Discord's limits for a select menu: options, and characters of a label or description
MAX_OPTIONS = 25
OPTION_MAX = 100


class StoryReader(Protocol):
    """What a button needs from the service (``DigestService`` provides it)."""

    async def story(self, story_id: int, *, scope: Scope) -> StoryDetail: ...


def custom_id(action: Action, story_id: int) -> str:
    return f"nd:{action}:{story_id}"


def parse_custom_id(value: str) -> tuple[Action, int] | None:
    match = CUSTOM_ID.fullmatch(value)
    if match is None:
        return None
    action: Action = "quotes" if match["action"] == "quotes" else "details"
    return action, int(match["story"])


class StoryButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=CUSTOM_ID.pattern
):
    """A "Quotes" or "Details" button for one story; answers ephemerally."""

    def __init__(self, action: Action, story_id: int, *, label: str | None = None) -> None:
        default = "Quotes" if action == "quotes" else "Details"
        super().__init__(
            discord.ui.Button(
                label=label or default,
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id(action, story_id),
            )
        )
        self.action: Action = action
        self.story_id = story_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> StoryButton:
        action: Action = "quotes" if match["action"] == "quotes" else "details"
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(action, int(match["story"]), label=label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await answer_story(interaction, self.action, self.story_id)


async def answer_story(
    interaction: discord.Interaction[Any], action: Action, story_id: int
) -> None:
    """The story's quotes or details, ephemerally, read in the asking server's scope."""
    reader: StoryReader | None = getattr(interaction.client, "digests", None)
    if reader is None:  # pragma: no cover - the bot always carries the service
        await interaction.response.send_message("This bot is not ready yet.", ephemeral=True)
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        # the asking server's scope: a story (or a forged ``custom_id``'s story number) of a
        # feed it does not subscribe is not found, nor named under "Also covered by"
        detail = await reader.story(story_id, scope=scope_of(interaction))
    except DigestError as exc:
        await interaction.followup.send(str(exc), ephemeral=True)
        return
    if action == "quotes":
        embed = render.quotes_embed(detail.story)
    else:
        embed = render.story_details(detail)
    await interaction.followup.send(
        embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
    )


def story_view(story_id: int, url: str | None) -> discord.ui.View:
    """Buttons under a single story post: Quotes, Details and a link to the article."""
    view = discord.ui.View(timeout=None)
    view.add_item(StoryButton("quotes", story_id))
    view.add_item(StoryButton("details", story_id))
    link = render.safe_url(url, render.BUTTON_URL_MAX)
    if link:
        view.add_item(discord.ui.Button(label="Read article", url=link))
    return _detached(view)


def digest_view(details: Sequence[StoryDetail]) -> discord.ui.View:
    """One select menu under a digest page: pick a story to see its details (ephemeral)."""
    view = discord.ui.View(timeout=None)
    if details:
        view.add_item(StoryPicker(details[0].story.story_id, picker_options(details)))
    return _detached(view)


def picker_options(details: Sequence[StoryDetail]) -> list[discord.SelectOption]:
    """One option per story: "#42 Title" (value the story number), its source beneath."""
    return [
        discord.SelectOption(
            label=render.clip(f"#{d.story.story_id} {d.story.title or 'Untitled'}", OPTION_MAX),
            value=str(d.story.story_id),
            description=render.clip(render.source_name(d.story), OPTION_MAX),
        )
        for d in details[:MAX_OPTIONS]
    ]


class StoryPicker(
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]], template=PICK_ID.pattern
):
    """The select menu under a digest page: the chosen story's details, ephemerally, read in
    the choosing server's scope. Its ``custom_id`` (``nd:pick:<first story>``) is understood
    after any restart, like the story buttons: register it with ``bot.add_dynamic_items``."""

    def __init__(self, first: int, options: Sequence[discord.SelectOption] = ()) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"nd:pick:{first}",
                placeholder="Details of a story…",
                min_values=1,
                max_values=1,
                options=list(options),
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> StoryPicker:
        options = item.options if isinstance(item, discord.ui.Select) else []
        return cls(int(match["first"]), options)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        values: list[str] = list(self.item.values)
        chosen = values[0] if values else ""
        if not chosen.isdigit() or len(chosen) > 18:
            await interaction.response.send_message("Pick a story from the menu.", ephemeral=True)
            return
        await answer_story(interaction, "details", int(chosen))


def _detached(view: discord.ui.View) -> discord.ui.View:
    """Stop the view so discord.py does not keep one listener per sent message: clicks are
    routed by the registered ``StoryButton`` dynamic item instead."""
    view.stop()
    return view
