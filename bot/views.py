"""Persistent buttons under story posts: "Quotes" and "Details" (ephemeral answers) and a link.

A click reads the story in the clicking server's scope: only stories of feeds that server
subscribes are shown, whatever number the ``custom_id`` carries.

The buttons are ``discord.ui.DynamicItem``s whose ``custom_id`` encodes the action and the story
number (``nd:quotes:42``, ``nd:details:42``), so a click is understood after any restart without
remembering the message: register ``StoryButton`` once with ``bot.add_dynamic_items``.
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
BUTTONS_PER_ROW = 5
MAX_ROWS = 5


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
        reader: StoryReader | None = getattr(interaction.client, "digests", None)
        if reader is None:  # pragma: no cover - the bot always carries the service
            await interaction.response.send_message("This bot is not ready yet.", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            # the clicking server's scope: a story (or a forged ``custom_id``'s story number) of
            # a feed it does not subscribe is not found, nor named under "Also covered by"
            detail = await reader.story(self.story_id, scope=scope_of(interaction))
        except DigestError as exc:
            await interaction.followup.send(str(exc), ephemeral=True)
            return
        if self.action == "quotes":
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


def digest_view(story_ids: Sequence[int]) -> discord.ui.View:
    """Buttons under a digest page: "Quotes #n" and "Details #n" for up to 10 stories
    (two stories per row: at most 20 buttons in five rows)."""
    view = discord.ui.View(timeout=None)
    for index, story_id in enumerate(story_ids[: MAX_ROWS * 2]):
        row = index // 2
        quotes = StoryButton("quotes", story_id, label=f"Quotes #{story_id}")
        details = StoryButton("details", story_id, label=f"Details #{story_id}")
        quotes.row = row
        details.row = row
        view.add_item(quotes)
        view.add_item(details)
    return _detached(view)


def _detached(view: discord.ui.View) -> discord.ui.View:
    """Stop the view so discord.py does not keep one listener per sent message: clicks are
    routed by the registered ``StoryButton`` dynamic item instead."""
    view.stop()
    return view
