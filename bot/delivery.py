"""The outbox loop: every post the bot makes goes from the database's outbox to Discord here.

For each pending delivery, oldest first: ``mark_attempt`` → send (``AllowedMentions.none()``, the
delivery's stable ``nonce`` with ``enforce_nonce``) → ``mark_delivered``. A delivery that was tried
before (``attempts > 0``: the process may have died between sending and recording) is first looked
for in the channel (our message carrying its nonce, or its story numbers in the footers) among the
newest messages and those right after its first attempt, so nothing is posted twice. Posts to one
channel keep their order: when one fails for a passing reason (5xx, 429, connection), the rest of
that channel waits and is retried with backoff, or as soon as the gateway is back after an outage.
403/404 (no access, channel gone) drop the delivery with one logged sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import aiohttp
import discord

from bot import render, views
from digests.model import Delivery
from digests.service import DigestService

log = logging.getLogger(__name__)

#: how many of a channel's newest messages recovery reads ...
HISTORY_LIMIT = 50
#: ... and how many from the first attempt on (Discord's most per request), read from this
#: long before it
HISTORY_AFTER_LIMIT = 100
ATTEMPT_SLACK = timedelta(minutes=2)
BATCH = 200
#: channels posted to at the same time (each channel's posts stay in order)
CONCURRENCY = 8
IDLE_WAIT = 30.0
#: the idle wait of a process that shares the database with others: their polls queue posts
#: for its channels without waking it
SHARED_IDLE_WAIT = 5.0
BACKOFF_START = 2.0
BACKOFF_MAX = 300.0
_FOOTER_NUMBER = re.compile(r"#(\d+)$")


@dataclass(frozen=True, slots=True)
class Sent:
    """What a channel shows for one of our messages (for recovery)."""

    message_id: int
    nonce: str | None
    story_ids: tuple[int, ...]
    content: str | None


class Transport(Protocol):
    """Where posts go (Discord through discord.py in the bot)."""

    async def send(
        self, channel_id: int, rendered: render.Rendered, view: discord.ui.View | None, nonce: str
    ) -> int: ...

    async def recent(
        self, channel_id: int, limit: int, *, after: datetime | None = None
    ) -> list[Sent]: ...

    async def edit(
        self,
        channel_id: int,
        message_id: int,
        rendered: render.Rendered,
        view: discord.ui.View | None,
    ) -> None: ...


class DiscordTransport:
    """Sends through a discord.py client: every message with ``AllowedMentions.none()``."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def send(
        self, channel_id: int, rendered: render.Rendered, view: discord.ui.View | None, nonce: str
    ) -> int:
        channel = self._client.get_partial_messageable(channel_id)
        if view is not None:
            message = await channel.send(
                content=rendered.content,
                embeds=rendered.embeds,
                view=view,
                nonce=nonce,
                allowed_mentions=rendered.allowed_mentions(),
            )
        else:
            message = await channel.send(
                content=rendered.content,
                embeds=rendered.embeds,
                nonce=nonce,
                allowed_mentions=rendered.allowed_mentions(),
            )
        return message.id

    async def edit(
        self,
        channel_id: int,
        message_id: int,
        rendered: render.Rendered,
        view: discord.ui.View | None,
    ) -> None:
        """Replace one of our messages' content and embeds, allowing the mentions it was sent
        with (an edit notifies nobody anew)."""
        message = self._client.get_partial_messageable(channel_id).get_partial_message(message_id)
        await message.edit(
            content=rendered.content,
            embeds=rendered.embeds,
            view=view,
            allowed_mentions=rendered.allowed_mentions(),
        )

    async def recent(
        self, channel_id: int, limit: int, *, after: datetime | None = None
    ) -> list[Sent]:
        """Our messages among the channel's newest ``limit``, or its first ``limit`` after
        ``after``."""
        me = self._client.user
        channel = self._client.get_partial_messageable(channel_id)
        out: list[Sent] = []
        async for message in channel.history(limit=limit, after=after):
            if me is None or message.author.id != me.id:
                continue
            out.append(
                Sent(
                    message_id=message.id,
                    nonce=str(message.nonce) if message.nonce is not None else None,
                    story_ids=tuple(_footer_ids(message.embeds) or content_ids(message.content)),
                    content=message.content or None,
                )
            )
        return out


def _footer_ids(embeds: Sequence[discord.Embed]) -> list[int]:
    ids: list[int] = []
    for embed in embeds:
        match = _FOOTER_NUMBER.search(embed.footer.text or "")
        if match:
            ids.append(int(match.group(1)))
    return ids


def content_ids(content: str) -> list[int]:
    """The story number of a headline post (its last line ends ``#<number>``)."""
    match = _FOOTER_NUMBER.search(content.rsplit("\n", 1)[-1]) if content else None
    return [int(match.group(1))] if match else []


def rendered_delivery(delivery: Delivery) -> tuple[render.Rendered, discord.ui.View | None]:
    """The message a delivery becomes (pure), mentioning the delivery's roles, if any."""
    rendered, view = _rendered(delivery)
    return render.with_pings(rendered, delivery.pings), view


def _rendered(delivery: Delivery) -> tuple[render.Rendered, discord.ui.View | None]:
    if delivery.kind == "notice":
        return render.notice_message(delivery.notice or ""), None
    if delivery.kind == "story" and len(delivery.items) == 1:
        detail = delivery.items[0]
        story = detail.story
        rendered = render.styled_story_message(detail, delivery.style)
        if delivery.style == "headline":
            return rendered, None
        return rendered, views.story_view(story.story_id, story.url)
    items = delivery.items[: render.EMBEDS_PER_MESSAGE]
    return render.digest_message(delivery.header, items), views.digest_view(items)


def find_sent(delivery: Delivery, recent: Sequence[Sent]) -> int | None:
    """The id of our message that already carries this delivery, if the channel shows one."""
    story_ids = tuple(d.story.story_id for d in delivery.items[: render.EMBEDS_PER_MESSAGE])
    for sent in recent:
        if sent.nonce is not None and sent.nonce == delivery.nonce:
            return sent.message_id
        if story_ids and sent.story_ids == story_ids:
            return sent.message_id
        if (
            delivery.kind == "notice"
            and delivery.notice
            and sent.content == (render.notice_message(delivery.notice).content)
        ):
            return sent.message_id
    return None


async def already_sent(transport: Transport, delivery: Delivery) -> int | None:
    """The id of our message carrying ``delivery`` if an earlier attempt reached the channel.

    Looked for among the channel's newest messages, then, as a busy channel may have buried it
    since, among the first messages after the delivery's first attempt (less ``ATTEMPT_SLACK``
    for clocks that disagree)."""
    found = find_sent(delivery, await transport.recent(delivery.channel_id, HISTORY_LIMIT))
    if found is None and delivery.attempted_at is not None:
        since = delivery.attempted_at - ATTEMPT_SLACK
        after = await transport.recent(delivery.channel_id, HISTORY_AFTER_LIMIT, after=since)
        found = find_sent(delivery, after)
    return found


def is_permanent(exc: BaseException) -> bool:
    """403/404 (and other 4xx except 429) cannot succeed by retrying."""
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return True
    if isinstance(exc, discord.HTTPException):
        return 400 <= exc.status < 500 and exc.status != 429
    return False


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, discord.HTTPException):
        return exc.status >= 500 or exc.status == 429
    return isinstance(exc, aiohttp.ClientError | OSError | TimeoutError | discord.GatewayNotFound)


class Outbox:
    """The delivery loop. ``kick()`` wakes it; ``drain()`` delivers what is pending now.

    A channel whose post failed for a passing reason waits ``backoff_start`` seconds, doubling
    to ``backoff_max``, before its next try; ``reconnected()`` (the gateway is back after an
    outage) ends every such wait at once."""

    def __init__(
        self,
        digests: DigestService,
        transport: Transport | None = None,
        *,
        batch: int = BATCH,
        idle_wait: float = IDLE_WAIT,
        concurrency: int = CONCURRENCY,
        backoff_start: float = BACKOFF_START,
        backoff_max: float = BACKOFF_MAX,
    ) -> None:
        self._digests = digests
        #: set by the composition root once the client exists
        self.transport = transport
        self._batch = batch
        self._idle_wait = idle_wait
        self.backoff_start = backoff_start
        self.backoff_max = backoff_max
        self._wake = asyncio.Event()
        self._blocked_until: dict[int, float] = {}
        self._backoff: dict[int, float] = {}
        self._lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(concurrency)

    def kick(self) -> None:
        self._wake.set()

    def reconnected(self) -> None:
        """Discord is reachable again: retry every waiting channel now, not after its backoff
        (which may have grown to minutes during the outage)."""
        if self._blocked_until:
            log.info("Reconnected: retrying posts to %d channel(s) now.", len(self._blocked_until))
        self._backoff.clear()
        self._blocked_until.clear()
        self.kick()

    @property
    def backing_off(self) -> frozenset[int]:
        """The channels waiting for their next try after a passing failure."""
        return frozenset(self._blocked_until)

    async def run(self) -> None:
        """Deliver forever: drain, then wait for a kick, the next retry or the idle timeout."""
        while True:
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("The outbox loop hit an unexpected error; retrying shortly.")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that arrives as the event is set, and this loop would then never stop
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._next_wait()):
                    await self._wake.wait()
            self._wake.clear()

    def _next_wait(self) -> float:
        if not self._blocked_until:
            return self._idle_wait
        now = asyncio.get_running_loop().time()
        soonest = min(self._blocked_until.values()) - now
        return max(0.05, min(self._idle_wait, soonest))

    async def drain(self) -> int:
        """Send every pending delivery that can go now; returns how many were delivered.

        Channels are served concurrently (at most ``concurrency`` at once), each channel's posts
        one after another in outbox order; a channel stops at its first passing failure."""
        async with self._lock:
            delivered = 0
            while True:
                pending = await self._digests.pending_deliveries(self._batch)
                now = asyncio.get_running_loop().time()
                queues: dict[int, list[Delivery]] = {}
                for delivery in pending:
                    if self._blocked_until.get(delivery.channel_id, 0.0) <= now:
                        queues.setdefault(delivery.channel_id, []).append(delivery)
                outcomes = await asyncio.gather(*(self._channel(q) for q in queues.values()))
                delivered += sum(sent for sent, _ in outcomes)
                progressed = any(moved for _, moved in outcomes)
                if not progressed or len(pending) < self._batch:
                    await self._edits()
                    return delivered

    async def _edits(self) -> None:
        """Edit posted live stories that now name more outlets ("Also covered by"). An edit
        replaces the whole message, so one repeated after a crash changes nothing; it is
        recorded done with the row's edit count as read, so a later merge edits again."""
        now = asyncio.get_running_loop().time()
        for delivery in await self._digests.pending_edits(self._batch):
            channel = delivery.channel_id
            if self._blocked_until.get(channel, 0.0) > now or delivery.message_id is None:
                continue
            rendered, view = rendered_delivery(delivery)
            try:
                await self._transport().edit(channel, delivery.message_id, rendered, view)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_permanent(exc):
                    self._wait(channel)
                    log.info("Editing a post in channel %s failed (%s).", channel, _reason(exc))
                    continue
                log.warning("Gave up editing a post in channel %s: %s", channel, _reason(exc))
            await self._digests.mark_edited(delivery.delivery_id, delivery.edit_version)

    def _transport(self) -> Transport:
        if self.transport is None:
            raise RuntimeError("the outbox has no transport yet")
        return self.transport

    async def _channel(self, queue: list[Delivery]) -> tuple[int, bool]:
        """One channel's deliveries in order: (delivered, whether any left the outbox)."""
        sent = 0
        moved = False
        async with self._slots:
            for delivery in queue:
                outcome = await self._deliver(delivery)
                if outcome == "retry":
                    break
                moved = True
                sent += outcome == "sent"
        return sent, moved

    async def _deliver(self, delivery: Delivery) -> str:
        channel = delivery.channel_id
        transport = self.transport
        if transport is None:
            raise RuntimeError("the outbox has no transport yet")
        try:
            if delivery.attempts > 0:
                found = await already_sent(transport, delivery)
                if found is not None:
                    # found, not re-rendered: what it shows may predate a merge, so it is
                    # recorded as showing nothing newer than the row's first version
                    await self._digests.mark_delivered(delivery.delivery_id, found)
                    self._clear(channel)
                    return "sent"
            rendered, view = rendered_delivery(delivery)
            await self._digests.mark_attempt(delivery.delivery_id)
            message_id = await transport.send(channel, rendered, view, delivery.nonce)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return await self._failed(delivery, exc)
        await self._digests.mark_delivered(delivery.delivery_id, message_id, delivery.edit_version)
        self._clear(channel)
        log.info("%s", delivered_line(delivery))
        return "sent"

    async def _failed(self, delivery: Delivery, exc: Exception) -> str:
        channel = delivery.channel_id
        if is_permanent(exc):
            reason = _reason(exc)
            log.warning("Dropped a post to channel %s: %s", channel, reason)
            await self._digests.mark_failed(delivery.delivery_id, reason, permanent=True)
            return "dropped"
        if not is_transient(exc):
            log.exception("Posting to channel %s failed unexpectedly; will retry.", channel)
        else:
            log.info("Posting to channel %s failed (%s); will retry.", channel, _reason(exc))
        await self._digests.mark_failed(delivery.delivery_id, _reason(exc), permanent=False)
        self._wait(channel)
        return "retry"

    def _wait(self, channel: int) -> None:
        """Hold the channel's posts back for its next backoff step."""
        delay = min(self.backoff_max, self._backoff.get(channel, self.backoff_start / 2) * 2)
        self._backoff[channel] = delay
        self._blocked_until[channel] = asyncio.get_running_loop().time() + delay

    def _clear(self, channel: int) -> None:
        self._backoff.pop(channel, None)
        self._blocked_until.pop(channel, None)


def delivered_line(delivery: Delivery) -> str:
    """The INFO log line for a delivered post (ids only: no feed text, no URLs)."""
    where = f"channel {delivery.channel_id}"
    if delivery.kind == "notice":
        return f"Posted a notice to {where}."
    numbers = ", ".join(f"#{d.story.story_id}" for d in delivery.items[: render.EMBEDS_PER_MESSAGE])
    if delivery.kind == "story":
        return f"Posted story {numbers} to {where}."
    count = min(len(delivery.items), render.EMBEDS_PER_MESSAGE)
    stories = "1 story" if count == 1 else f"{count} stories"
    return f"Posted a digest of {stories} ({numbers}) to {where}."


def _reason(exc: BaseException) -> str:
    if isinstance(exc, discord.Forbidden):
        return "the bot may not post in that channel (missing access or permissions)."
    if isinstance(exc, discord.NotFound):
        return "the channel no longer exists."
    if isinstance(exc, discord.HTTPException):
        return f"Discord answered {exc.status}: {exc.text or 'no details'}."
    return f"{type(exc).__name__}: {exc}".strip()
