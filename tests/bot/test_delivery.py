"""Pure parts of the outbox: what a delivery becomes, recognising it in a channel, error classes."""

from __future__ import annotations

from typing import Any

import aiohttp
import discord
import pytest

from bot.delivery import Sent, find_sent, is_permanent, is_transient, rendered_delivery
from digests.model import Delivery, StoryDetail
from tests.bot.test_render import make_story


class FakeResponse:
    """The minimum of an aiohttp response discord.HTTPException reads."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "x"


def http_error(cls: type[discord.HTTPException], status: int) -> discord.HTTPException:
    response: Any = FakeResponse(status)
    return cls(response, {"message": "nope", "code": 0})


def story_delivery(story_id: int = 5, attempts: int = 0) -> Delivery:
    return Delivery(
        delivery_id=1,
        channel_id=10,
        kind="story",
        nonce="nd-1",
        items=[StoryDetail(make_story(story_id))],
        attempts=attempts,
    )


def test_story_delivery_renders_embed_and_buttons() -> None:
    rendered, view = rendered_delivery(story_delivery())
    assert rendered.content is None and len(rendered.embeds) == 1
    assert view is not None
    ids = [
        c["custom_id"]
        for row in view.to_components()
        for c in row["components"]
        if "custom_id" in c
    ]
    assert ids == ["nd:quotes:5", "nd:details:5"]
    links = [c["url"] for row in view.to_components() for c in row["components"] if "url" in c]
    assert links == ["https://news.example.com/bridge"]


def test_digest_delivery_has_header_and_one_select_menu() -> None:
    items = [StoryDetail(make_story(i)) for i in range(1, 13)]
    delivery = Delivery(2, 10, "digest", "nd-2", items=items, header="Digest · today")
    rendered, view = rendered_delivery(delivery)
    assert rendered.content == "Digest · today"
    assert len(rendered.embeds) == 10
    assert view is not None
    [row] = view.to_components()
    [menu] = row["components"]
    assert menu["type"] == 3 and menu["custom_id"] == "nd:pick:1"
    # one option per story on the page, by number
    assert [o["value"] for o in menu["options"]] == [str(i) for i in range(1, 11)]
    assert menu["options"][0]["label"] == "#1 Council approves new bridge"
    assert all(len(o["label"]) <= 100 for o in menu["options"])


def test_notice_delivery_is_plain_text() -> None:
    rendered, view = rendered_delivery(Delivery(3, 10, "notice", "nd-3", notice="Feed disabled."))
    assert rendered.content == "Feed disabled." and rendered.embeds == [] and view is None


def _id(sent: Sent | None) -> int | None:
    return sent.message_id if sent is not None else None


def test_find_sent_by_nonce_or_story_numbers() -> None:
    delivery = story_delivery(attempts=1)
    assert _id(find_sent(delivery, [Sent(99, "nd-1", (), None)])) == 99
    assert _id(find_sent(delivery, [Sent(98, None, (5,), None)])) == 98
    assert (
        find_sent(delivery, [Sent(97, "other", (6,), None), Sent(96, None, (5, 6), None)]) is None
    )
    notice = Delivery(3, 10, "notice", "nd-3", notice="Feed disabled.")
    assert _id(find_sent(notice, [Sent(95, None, (), "Feed disabled.")])) == 95


@pytest.mark.parametrize(
    ("error", "permanent", "transient"),
    [
        (http_error(discord.Forbidden, 403), True, False),
        (http_error(discord.NotFound, 404), True, False),
        (http_error(discord.HTTPException, 400), True, False),
        (http_error(discord.HTTPException, 429), False, True),
        (http_error(discord.DiscordServerError, 503), False, True),
        (aiohttp.ClientConnectionError("down"), False, True),
        (TimeoutError(), False, True),
    ],
)
def test_error_classes(error: BaseException, permanent: bool, transient: bool) -> None:
    assert is_permanent(error) is permanent
    assert is_transient(error) is transient


def test_a_headline_post_is_recognised_by_its_story_number() -> None:
    from bot.delivery import content_ids
    from digests.model import Delivery, StoryDetail
    from tests.bot.test_render import make_story

    story = make_story(42)
    delivery = Delivery(
        delivery_id=1,
        channel_id=2,
        kind="story",
        nonce="nd-1",
        items=[StoryDetail(story)],
        style="headline",
        pings=(7,),
    )
    rendered, view = rendered_delivery(delivery)
    assert view is None and rendered.embeds == [] and rendered.roles == (7,)
    assert rendered.content is not None and rendered.content.startswith("<@&7>\n**")
    assert content_ids(rendered.content) == [42]
    assert (
        _id(find_sent(delivery, [Sent(90, None, tuple(content_ids(rendered.content)), None)])) == 90
    )
