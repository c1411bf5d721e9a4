"""Where a delivery goes and which steps it takes there (pure: no client, no I/O).

A subscription's channel is a text channel, an announcement channel or a forum channel:

- in a **forum**, each story post (and each digest, and each notice) is a forum post of its own,
  titled by the story (the digest's period), tagged with the forum's tags whose names match the
  story's feed or categories; a digest's later pages go into its first page's post;
- in a **text or announcement channel** the post is a message there; ``thread`` asks for a
  thread on it (``per-story``: each story post, named by the story; ``per-digest``: the first
  page of each digest, named by its period, and the later pages go into that thread);
- in an **announcement channel** each post is then published (crossposted) to the servers that
  follow the channel when the bot may: its own message needs Send Messages, a webhook's message
  Manage Messages (Discord's rules).

A story post of a ``webhook`` subscription is sent by the bot's webhook of the channel, under the
feed's name and icon. Every step after the message exists is recorded in the outbox, so a crash
repeats none of them (bot/delivery.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot import render
from digests.feeds.htmltext import INVISIBLE
from digests.model import Delivery, Story

ChannelKind = Literal["text", "announcement", "forum"]
#: Discord's limits: a thread's (forum post's) name, a webhook's username, tags of a post
THREAD_NAME_MAX = 100
WEBHOOK_NAME_MAX = 80
TAGS_MAX = 5
#: the name of the bot's own webhook in a channel (each post overrides it with the feed's)
WEBHOOK_NAME = "newsdigest"
#: control characters, and the invisible ones feeds' titles are cleaned of (zero-width
#: joiners stay: scripts such as Persian and emoji sequences need them)
_CONTROL = re.compile("[\x00-\x1f\x7f" + "".join(sorted(INVISIBLE)) + "]")
_RESERVED_NAME = re.compile(r"clyde|discord", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Target:
    """What the bot knows of a channel when it delivers there."""

    kind: ChannelKind = "text"
    #: Send Messages (publishing the bot's own message needs it)
    may_send: bool = True
    #: Manage Messages (publishing another's message, a webhook's, needs it)
    may_manage_messages: bool = False
    #: a forum's tags: lower-cased name -> tag id
    tags: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Plan:
    """The steps of one delivery."""

    #: the channel or thread the message goes to
    into: int
    #: the message is a forum post with this title (and ``tags``)
    forum_title: str | None = None
    tags: tuple[int, ...] = ()
    #: open a thread with this name on the message
    thread_name: str | None = None
    #: publish the message to the announcement channel's followers (when the bot may)
    publish: bool = False
    #: send it through the channel's webhook under the feed's name and icon
    webhook: bool = False


@dataclass(frozen=True, slots=True)
class Sender:
    """The name and icon a webhook post shows: its feed's."""

    username: str
    avatar_url: str | None


def plan_delivery(delivery: Delivery, target: Target) -> Plan:
    """Where ``delivery`` goes in a channel like ``target`` and what follows its message."""
    if delivery.first_page_thread is not None:
        return Plan(into=delivery.first_page_thread)  # a digest's later page, in its thread
    webhook = delivery.webhook and delivery.kind == "story"
    if target.kind == "forum":
        return Plan(
            into=delivery.channel_id,
            forum_title=post_title(delivery),
            tags=forum_tags(delivery, target.tags),
            webhook=webhook,
        )
    threaded = (delivery.kind == "story" and delivery.thread == "per-story") or (
        delivery.kind == "digest" and delivery.thread == "per-digest"
    )
    return Plan(
        into=delivery.channel_id,
        thread_name=post_title(delivery) if threaded else None,
        publish=target.kind == "announcement",
        webhook=webhook,
    )


def may_publish(target: Target, *, own: bool) -> bool:
    """Discord lets the bot publish its own message with Send Messages, another's (its
    webhook's) with Manage Messages."""
    if target.kind != "announcement":
        return False
    return target.may_manage_messages or (own and target.may_send)


def post_title(delivery: Delivery) -> str:
    """A forum post's or thread's name: the story's title, the digest's period, or the
    notice's opening."""
    if delivery.kind == "story" and delivery.items:
        return thread_name(story_name(delivery.items[0].story))
    if delivery.kind == "digest":
        return thread_name(delivery.header or "Digest")
    return thread_name(f"Notice: {delivery.notice or ''}")


def story_name(story: Story) -> str:
    return (story.title or "").strip() or f"Story #{story.story_id}"


def thread_name(text: str) -> str:
    """Plain text (thread names show no markdown and ping nobody), without control or
    invisible characters, within Discord's 100 characters."""
    cleaned = " ".join(_CONTROL.sub("", " ".join(text.split())).split())
    return render.clip(cleaned, THREAD_NAME_MAX) or "newsdigest"


def forum_tags(delivery: Delivery, tags: Mapping[str, int]) -> tuple[int, ...]:
    """The forum's tags whose names match the story's feed or one of its categories (any case;
    at most 5, in the story's order)."""
    if not tags or delivery.kind != "story" or not delivery.items:
        return ()
    story = delivery.items[0].story
    wanted = [render.source_name(story), *story.categories]
    chosen: list[int] = []
    for name in wanted:
        found = tags.get(name.strip().casefold())
        if found is not None and found not in chosen:
            chosen.append(found)
    return tuple(chosen[:TAGS_MAX])


def sender(delivery: Delivery) -> Sender:
    """The feed's name (Discord refuses "clyde" and "discord" in a webhook's username: such a
    feed posts as newsdigest) and its icon."""
    story = delivery.items[0].story if delivery.items else None
    name = thread_name(render.source_name(story)) if story is not None else WEBHOOK_NAME
    name = render.clip(name, WEBHOOK_NAME_MAX)
    if _RESERVED_NAME.search(name):
        name = WEBHOOK_NAME
    icon = render.safe_url(story.feed_image) if story is not None else None
    return Sender(username=name, avatar_url=icon)
