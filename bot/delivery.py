"""The outbox loop: every post the bot makes goes from the database's outbox to Discord here.

For each pending delivery, oldest first: ``mark_attempt`` → post (``AllowedMentions.none()`` or
exactly the chosen roles, the delivery's stable ``nonce`` with ``enforce_nonce``) →
``mark_posted`` → each later step its target asks for (bot/targets.py: publish to an announcement
channel's followers → ``mark_published``; a thread on the message → ``mark_thread``) →
``mark_delivered``. The post is a message in the channel or a thread, a forum post (thread and
starter message at once), or a message of the channel's webhook (``wait=true``, so its id is
known). Each step is recorded when done, so a crash repeats none: a delivery tried before
(``attempts > 0``: the process may have died between posting and recording) is first looked for
where it would be (our message, or our webhook's, carrying its nonce or its story numbers, among
the channel's newest messages and those right after its first attempt; a forum post by its title
among the forum's threads, its starter message showing the same story numbers), and a repeated
publish or thread start that Discord says happened already counts as done. Posts to one channel
keep their order: when one fails for a passing reason (5xx, 429, connection), the rest of that
channel waits and is retried with backoff, or as soon as the gateway is back after an outage.
403/404 on the post itself (no access, channel gone) drop the delivery with one logged sentence;
on a later step they skip that step (the post stays).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import aiohttp
import discord

from bot import render, targets, views
from bot.targets import Plan, Sender, Target
from digests.model import Delivery
from digests.service import DigestService

log = logging.getLogger(__name__)
T = TypeVar("T")

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


#: Discord's answers to a repeated step: "already crossposted", "thread already created"
ALREADY_CROSSPOSTED = 40033
THREAD_EXISTS = 160004
#: forum posts (threads) read when looking for one an earlier attempt created
ARCHIVED_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Sent:
    """What a channel shows for one of our messages (for recovery)."""

    message_id: int
    nonce: str | None
    story_ids: tuple[int, ...]
    content: str | None
    #: the webhook of ours that sent it (None: the bot did)
    webhook_id: int | None = None


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a delivery's message is: its id, the channel or thread holding it, the thread it
    opened (a forum post is one), the webhook that sent it."""

    message_id: int
    where: int
    thread_id: int | None = None
    webhook_id: int | None = None


class WebhookUnavailable(Exception):
    """The channel's webhook cannot be used (no Manage Webhooks, or it was deleted and cannot
    be made again); the message says why, in one sentence."""


class Transport(Protocol):
    """Where posts go (Discord through discord.py in the bot)."""

    async def target(self, channel_id: int) -> Target: ...

    async def send(
        self, channel_id: int, rendered: render.Rendered, view: discord.ui.View | None, nonce: str
    ) -> int: ...

    async def forum_post(
        self,
        forum_id: int,
        plan: Plan,
        rendered: render.Rendered,
        view: discord.ui.View | None,
    ) -> Placed: ...

    async def webhook_send(
        self,
        channel_id: int,
        plan: Plan,
        rendered: render.Rendered,
        view: discord.ui.View | None,
        sender: Sender,
    ) -> Placed: ...

    async def open_thread(self, channel_id: int, message_id: int, name: str) -> int: ...

    async def publish(self, channel_id: int, message_id: int) -> None: ...

    async def recent(
        self, channel_id: int, limit: int, *, after: datetime | None = None
    ) -> list[Sent]: ...

    async def forum_posts(self, forum_id: int, title: str) -> list[Sent]: ...

    async def edit(
        self,
        channel_id: int,
        message_id: int,
        rendered: render.Rendered,
        view: discord.ui.View | None,
        *,
        webhook_id: int | None = None,
    ) -> None: ...


class DiscordTransport:
    """Sends through a discord.py client: every message with ``AllowedMentions.none()`` or
    exactly its chosen roles. Keeps the bot's webhook of each channel once found or made."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._webhooks: dict[int, discord.Webhook] = {}

    async def target(self, channel_id: int) -> Target:
        """The channel's kind, the bot's permissions there and a forum's tags, from the cache,
        else asked of Discord (a channel it does not show is taken for a text channel: posting
        there then fails as it would)."""
        channel = self._client.get_channel(channel_id)
        if channel is None:
            with contextlib.suppress(discord.HTTPException):
                channel = await self._client.fetch_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            return Target()
        me = channel.guild.me
        perms = channel.permissions_for(me) if me is not None else None
        if isinstance(channel, discord.ForumChannel):
            tags = {tag.name.strip().casefold(): tag.id for tag in channel.available_tags}
            return Target(kind="forum", tags=tags)
        return Target(
            kind="announcement" if channel.is_news() else "text",
            may_send=perms is None or perms.send_messages,
            may_manage_messages=perms is not None and perms.manage_messages,
        )

    async def forum_post(
        self,
        forum_id: int,
        plan: Plan,
        rendered: render.Rendered,
        view: discord.ui.View | None,
    ) -> Placed:
        """A forum post (a thread and its starter message, whose id is the thread's)."""
        forum = self._client.get_channel(forum_id)
        if not isinstance(forum, discord.ForumChannel):
            raise RuntimeError(f"channel {forum_id} is no forum the bot knows")
        tags = [tag for tag in forum.available_tags if tag.id in plan.tags]
        created = await forum.create_thread(
            name=plan.forum_title or "newsdigest",
            content=rendered.content,
            embeds=rendered.embeds,
            view=view or discord.utils.MISSING,
            applied_tags=tags,
            allowed_mentions=rendered.allowed_mentions(),
        )
        thread = created.thread
        return Placed(created.message.id, where=thread.id, thread_id=thread.id)

    async def webhook_send(
        self,
        channel_id: int,
        plan: Plan,
        rendered: render.Rendered,
        view: discord.ui.View | None,
        sender: Sender,
    ) -> Placed:
        """Post through the channel's webhook (``wait=true``: the message's id comes back);
        a forum post when the plan says so. Raises WebhookUnavailable."""
        webhook = await self._webhook(channel_id)
        try:
            message = await self._execute(webhook, plan, rendered, view, sender)
        except discord.NotFound:
            self._webhooks.pop(channel_id, None)  # deleted: make a new one, once
            webhook = await self._webhook(channel_id)
            try:
                message = await self._execute(webhook, plan, rendered, view, sender)
            except discord.NotFound as exc:
                self._webhooks.pop(channel_id, None)
                raise WebhookUnavailable("my webhook there was deleted.") from exc
        where = message.channel.id
        thread = where if plan.forum_title is not None else None
        return Placed(message.id, where=where, thread_id=thread, webhook_id=webhook.id)

    async def _execute(
        self,
        webhook: discord.Webhook,
        plan: Plan,
        rendered: render.Rendered,
        view: discord.ui.View | None,
        sender: Sender,
    ) -> discord.WebhookMessage:
        forum = plan.forum_title is not None
        channel = self._client.get_channel(webhook.channel_id or 0)
        tags = (
            [t for t in channel.available_tags if t.id in plan.tags]
            if forum and isinstance(channel, discord.ForumChannel)
            else discord.utils.MISSING
        )
        return await webhook.send(
            content=rendered.content or discord.utils.MISSING,
            embeds=rendered.embeds or discord.utils.MISSING,
            view=view or discord.utils.MISSING,
            username=sender.username,
            avatar_url=sender.avatar_url or discord.utils.MISSING,
            allowed_mentions=rendered.allowed_mentions(),
            thread_name=plan.forum_title if forum and plan.forum_title else discord.utils.MISSING,
            applied_tags=tags,
            wait=True,
        )

    async def _webhook(self, channel_id: int) -> discord.Webhook:
        """The bot's own webhook of the channel: found among the channel's, or made."""
        cached = self._webhooks.get(channel_id)
        if cached is not None:
            return cached
        channel = self._client.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            raise WebhookUnavailable("I can't see that channel's webhooks.")
        me = channel.guild.me
        if me is not None and not channel.permissions_for(me).manage_webhooks:
            raise WebhookUnavailable("I'm missing the Manage Webhooks permission there.")
        mine = self._client.user.id if self._client.user else None
        try:
            found = [
                w
                for w in await channel.webhooks()
                if w.token and w.user is not None and w.user.id == mine
            ]
            webhook = found[0] if found else await channel.create_webhook(name=targets.WEBHOOK_NAME)
        except discord.Forbidden as exc:
            raise WebhookUnavailable("I'm missing the Manage Webhooks permission there.") from exc
        except discord.HTTPException as exc:
            if not is_permanent(exc):
                raise
            # e.g. the channel has the most webhooks Discord allows (15)
            raise WebhookUnavailable(f"Discord refused my webhook there ({exc.text}).") from exc
        self._webhooks[channel_id] = webhook
        return webhook

    async def open_thread(self, channel_id: int, message_id: int, name: str) -> int:
        """A thread on the message (its id is the message's); one that exists counts."""
        try:
            data = await self._client.http.start_thread_with_message(
                channel_id, message_id, name=name, auto_archive_duration=1440
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_EXISTS:
                return message_id
            raise
        return int(data["id"])

    async def publish(self, channel_id: int, message_id: int) -> None:
        """Crosspost the message to the channel's followers; done already counts."""
        try:
            await self._client.http.publish_message(channel_id, message_id)
        except discord.HTTPException as exc:
            if exc.code != ALREADY_CROSSPOSTED:
                raise

    async def forum_posts(self, forum_id: int, title: str) -> list[Sent]:
        """The starter messages of our forum posts titled ``title`` (active ones, and the
        newest archived ones)."""
        forum = self._client.get_channel(forum_id)
        if not isinstance(forum, discord.ForumChannel):
            return []
        threads = [t for t in await forum.guild.active_threads() if t.parent_id == forum_id]
        with contextlib.suppress(discord.Forbidden):  # archived ones need Read History
            threads += [t async for t in forum.archived_threads(limit=ARCHIVED_LIMIT)]
        out: list[Sent] = []
        for thread in threads:
            if thread.name != title:
                continue
            try:
                starter = await thread.fetch_message(thread.id)
            except discord.NotFound:
                continue
            sent = self._ours(starter)
            if sent is not None:
                out.append(sent)
        return out

    def _ours(self, message: discord.Message) -> Sent | None:
        """The message as recovery compares it, when the bot or its webhook sent it."""
        me = self._client.user
        if me is None:
            return None
        by_webhook = message.webhook_id is not None and message.application_id == me.id
        if message.author.id != me.id and not by_webhook:
            return None
        return Sent(
            message_id=message.id,
            nonce=str(message.nonce) if message.nonce is not None else None,
            story_ids=tuple(_footer_ids(message.embeds) or content_ids(message.content)),
            content=message.content or None,
            webhook_id=message.webhook_id if by_webhook else None,
        )

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
        *,
        webhook_id: int | None = None,
    ) -> None:
        """Replace one of our messages' content and embeds, allowing the mentions it was sent
        with (an edit notifies nobody anew). A webhook's message is edited through it."""
        if webhook_id is not None:
            await self._edit_by_webhook(channel_id, message_id, rendered, view, webhook_id)
            return
        message = self._client.get_partial_messageable(channel_id).get_partial_message(message_id)
        await message.edit(
            content=rendered.content,
            embeds=rendered.embeds,
            view=view,
            allowed_mentions=rendered.allowed_mentions(),
        )

    async def _edit_by_webhook(
        self,
        channel_id: int,
        message_id: int,
        rendered: render.Rendered,
        view: discord.ui.View | None,
        webhook_id: int,
    ) -> None:
        channel = self._client.get_channel(channel_id)
        parent = channel.parent_id if isinstance(channel, discord.Thread) else channel_id
        webhook = await self._webhook(parent)
        if webhook.id != webhook_id:
            raise WebhookUnavailable("the webhook that sent that post is gone.")
        await webhook.edit_message(
            message_id,
            content=rendered.content,
            embeds=rendered.embeds,
            view=view,
            allowed_mentions=rendered.allowed_mentions(),
            thread=discord.Object(channel_id) if parent != channel_id else discord.utils.MISSING,
        )

    async def recent(
        self, channel_id: int, limit: int, *, after: datetime | None = None
    ) -> list[Sent]:
        """Our messages (the bot's and its webhooks') among the channel's newest ``limit``, or
        its first ``limit`` after ``after``."""
        channel = self._client.get_partial_messageable(channel_id)
        out: list[Sent] = []
        async for message in channel.history(limit=limit, after=after):
            sent = self._ours(message)
            if sent is not None:
                out.append(sent)
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


def find_sent(delivery: Delivery, recent: Sequence[Sent]) -> Sent | None:
    """Our message that already carries this delivery, if the channel shows one."""
    story_ids = tuple(d.story.story_id for d in delivery.items[: render.EMBEDS_PER_MESSAGE])
    for sent in recent:
        if sent.nonce is not None and sent.nonce == delivery.nonce:
            return sent
        if story_ids and sent.story_ids == story_ids:
            return sent
        if (
            delivery.kind == "notice"
            and delivery.notice
            and sent.content == (render.notice_message(delivery.notice).content)
        ):
            return sent
    return None


async def already_sent(transport: Transport, delivery: Delivery, plan: Plan) -> Placed | None:
    """Where our message carrying ``delivery`` is if an earlier attempt posted it.

    A forum post is looked for by its title among the forum's threads. A message is looked for
    among the newest messages where it would be, then, as a busy channel may have buried it
    since, among the first messages after the delivery's first attempt (less
    ``ATTEMPT_SLACK`` for clocks that disagree)."""
    if plan.forum_title is not None:
        found = find_sent(delivery, await transport.forum_posts(plan.into, plan.forum_title))
        if found is None:
            return None
        return Placed(found.message_id, found.message_id, found.message_id, found.webhook_id)
    found = find_sent(delivery, await transport.recent(plan.into, HISTORY_LIMIT))
    if found is None and delivery.attempted_at is not None:
        since = delivery.attempted_at - ATTEMPT_SLACK
        after = await transport.recent(plan.into, HISTORY_AFTER_LIMIT, after=since)
        found = find_sent(delivery, after)
    if found is None:
        return None
    return Placed(found.message_id, plan.into, webhook_id=found.webhook_id)


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
            where = delivery.progress.message_channel_id or channel
            try:
                await self._transport().edit(
                    where,
                    delivery.message_id,
                    rendered,
                    view,
                    webhook_id=delivery.progress.webhook_id,
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_permanent(exc) and not isinstance(exc, WebhookUnavailable):
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
        #: threads opened by this pass's deliveries (a digest's later pages go into them)
        opened: dict[int, int] = {}
        async with self._slots:
            for delivery in queue:
                follows = delivery.follows
                if delivery.first_page_thread is None and follows is not None and follows in opened:
                    delivery = dataclasses.replace(delivery, first_page_thread=opened[follows])
                outcome = await self._deliver(delivery, opened)
                if outcome == "retry":
                    break
                moved = True
                sent += outcome == "sent"
        return sent, moved

    async def _deliver(self, delivery: Delivery, opened: dict[int, int]) -> str:
        """Post one delivery and take its later steps; the thread it opens goes in
        ``opened``."""
        transport = self._transport()
        try:
            target = await transport.target(delivery.channel_id)
            plan = targets.plan_delivery(delivery, target)
            placed = _placed(delivery)
            if placed is None:
                placed = await self._post(transport, delivery, plan)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return await self._failed(delivery, exc)
        try:
            thread = await self._later_steps(transport, delivery, target, plan, placed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not is_permanent(exc):
                return await self._failed(delivery, exc)
            thread = None
        if thread is not None:
            opened[delivery.delivery_id] = thread
        await self._digests.mark_delivered(
            delivery.delivery_id, placed.message_id, delivery.edit_version
        )
        self._clear(delivery.channel_id)
        log.info("%s", delivered_line(delivery))
        return "sent"

    async def _post(self, transport: Transport, delivery: Delivery, plan: Plan) -> Placed:
        """The delivery's message: found where an earlier attempt left it, or posted now;
        recorded either way."""
        placed = await already_sent(transport, delivery, plan) if delivery.attempts else None
        if placed is None:
            rendered, view = rendered_delivery(delivery)
            await self._digests.mark_attempt(delivery.delivery_id)
            placed = await self._send(transport, delivery, plan, rendered, view)
        await self._digests.mark_posted(
            delivery.delivery_id,
            placed.message_id,
            where=placed.where,
            thread_id=placed.thread_id,
            webhook_id=placed.webhook_id,
        )
        return placed

    async def _send(
        self,
        transport: Transport,
        delivery: Delivery,
        plan: Plan,
        rendered: render.Rendered,
        view: discord.ui.View | None,
    ) -> Placed:
        if plan.webhook:
            channel = delivery.channel_id
            try:
                placed = await transport.webhook_send(
                    channel, plan, rendered, view, targets.sender(delivery)
                )
            except WebhookUnavailable as exc:
                await self._webhook_fallback(channel, str(exc))
            else:
                await self._digests.webhook_restored(channel)
                return placed
        if plan.forum_title is not None:
            return await transport.forum_post(plan.into, plan, rendered, view)
        message_id = await transport.send(plan.into, rendered, view, delivery.nonce)
        return Placed(message_id, plan.into)

    async def _webhook_fallback(self, channel: int, reason: str) -> None:
        """Post normally; the channel is told once (until the webhook works again)."""
        told = await self._digests.webhook_fell_back(channel, reason, webhook_notice(reason))
        if told:
            log.warning(
                "Webhook posts to channel %s fall back to normal posts: %s", channel, reason
            )
            self.kick()

    async def _later_steps(
        self,
        transport: Transport,
        delivery: Delivery,
        target: Target,
        plan: Plan,
        placed: Placed,
    ) -> int | None:
        """Publish the message (announcement channels) and open its thread, each once; a
        step Discord refuses for good (403, 404) is skipped with one logged sentence. Returns
        the thread the message opened (a forum post is one), if any."""
        progress = delivery.progress
        own = placed.webhook_id is None
        if plan.publish and not progress.published:
            if targets.may_publish(target, own=own):
                await self._step(
                    delivery,
                    "publishing",
                    transport.publish(delivery.channel_id, placed.message_id),
                )
            await self._digests.mark_published(delivery.delivery_id)
        thread_id = progress.thread_id or placed.thread_id
        if plan.thread_name is not None and thread_id is None:
            thread_id = await self._step(
                delivery,
                "opening a thread on",
                transport.open_thread(placed.where, placed.message_id, plan.thread_name),
            )
            if thread_id is not None:
                await self._digests.mark_thread(delivery.delivery_id, thread_id)
        return thread_id

    async def _step(self, delivery: Delivery, what: str, step: Coroutine[Any, Any, T]) -> T | None:
        """Run one later step; a permanent refusal is logged and skipped (None)."""
        try:
            return await step
        except Exception as exc:
            if not is_permanent(exc):
                raise
            log.warning(
                "Skipped %s a post in channel %s: %s", what, delivery.channel_id, _reason(exc)
            )
            return None

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


def _placed(delivery: Delivery) -> Placed | None:
    """Where an earlier attempt's recorded message is (None: not posted yet)."""
    if delivery.message_id is None:
        return None
    progress = delivery.progress
    return Placed(
        delivery.message_id,
        progress.message_channel_id or delivery.channel_id,
        progress.thread_id,
        progress.webhook_id,
    )


def webhook_notice(reason: str) -> str:
    """The one notice a channel gets when its webhook posts fall back to normal posts."""
    return (
        "Posts here come from me for now, not under each feed's name: "
        f"{reason} Give me the Manage Webhooks permission in this channel to post under the "
        "feeds' names again."
    )


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
