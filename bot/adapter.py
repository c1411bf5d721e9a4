"""AsyncDigests: the one place where threads meet the event loop.

Every synchronous ``DigestService`` call (database work) runs in a worker thread through
``asyncio.to_thread``; the service's async methods (network) are awaited directly, as they push
their own parsing and database work off the loop. Cogs, views, jobs and the outbox only ever see
coroutines.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from functools import partial

from digests.model import (
    AddResult,
    Delivery,
    FeedStatus,
    Mode,
    Pruned,
    Schedule,
    SearchHit,
    SpeakerQuote,
    StoryDetail,
    Subscription,
    UpdateResult,
)
from digests.service import DigestService


class AsyncDigests:
    """Coroutine façade over a ``DigestService``."""

    def __init__(self, service: DigestService) -> None:
        self._s = service

    # subscriptions
    async def add_feed(
        self, *, guild_id: int, channel_id: int, url: str, mode: Mode = "digest", backfill: int = 0
    ) -> AddResult:
        return await self._s.add_feed(
            guild_id=guild_id, channel_id=channel_id, url=url, mode=mode, backfill=backfill
        )

    async def remove_feed(self, *, guild_id: int, subscription_id: int) -> Subscription:
        return await asyncio.to_thread(
            self._s.remove_feed, guild_id=guild_id, subscription_id=subscription_id
        )

    async def subscriptions(
        self, guild_id: int, channel_id: int | None = None
    ) -> list[Subscription]:
        return await asyncio.to_thread(self._s.subscriptions, guild_id, channel_id)

    async def feed_status(self, guild_id: int) -> list[FeedStatus]:
        return await asyncio.to_thread(self._s.feed_status, guild_id)

    # polling
    async def update_due_feeds(self) -> list[UpdateResult]:
        return await self._s.update_due_feeds()

    async def next_poll_at(self) -> datetime | None:
        return await asyncio.to_thread(self._s.next_poll_at)

    # outbox
    async def pending_deliveries(self, limit: int = 50) -> list[Delivery]:
        return await asyncio.to_thread(self._s.pending_deliveries, limit)

    async def mark_attempt(self, delivery_id: int) -> None:
        await asyncio.to_thread(self._s.mark_attempt, delivery_id)

    async def mark_delivered(self, delivery_id: int, message_id: int) -> None:
        await asyncio.to_thread(self._s.mark_delivered, delivery_id, message_id)

    async def mark_failed(self, delivery_id: int, error: str, *, permanent: bool) -> None:
        await asyncio.to_thread(self._s.mark_failed, delivery_id, error, permanent=permanent)

    # housekeeping
    async def prune(self) -> Pruned:
        return await asyncio.to_thread(self._s.prune)

    # digests and schedules
    async def queue_digest(self, channel_id: int) -> int:
        return await asyncio.to_thread(self._s.queue_digest, channel_id)

    async def set_schedule(
        self, *, guild_id: int, channel_id: int, time: str, timezone: str
    ) -> Schedule:
        return await asyncio.to_thread(
            self._s.set_schedule,
            guild_id=guild_id,
            channel_id=channel_id,
            time=time,
            timezone=timezone,
        )

    async def remove_schedule(self, channel_id: int) -> Schedule | None:
        return await asyncio.to_thread(self._s.remove_schedule, channel_id)

    async def schedules(self) -> list[Schedule]:
        return await asyncio.to_thread(self._s.schedules)

    async def run_scheduled_digest(self, schedule_id: int, fire_time: datetime) -> int | None:
        return await asyncio.to_thread(self._s.run_scheduled_digest, schedule_id, fire_time)

    async def last_scheduled_run(self, schedule_id: int) -> datetime | None:
        return await asyncio.to_thread(self._s.last_scheduled_run, schedule_id)

    # reading
    # ``guild_id``: the asking server, which reads only the stories of feeds it subscribes
    async def story(self, story_id: int, *, guild_id: int | None = None) -> StoryDetail:
        return await asyncio.to_thread(partial(self._s.story, story_id, guild_id=guild_id))

    async def story_choices(
        self, text: str, limit: int = 25, *, guild_id: int | None = None
    ) -> list[tuple[int, str]]:
        return await asyncio.to_thread(
            partial(self._s.story_choices, text, limit, guild_id=guild_id)
        )

    async def speaker_choices(
        self, text: str, limit: int = 25, *, guild_id: int | None = None
    ) -> list[str]:
        return await asyncio.to_thread(
            partial(self._s.speaker_choices, text, limit, guild_id=guild_id)
        )

    async def speaker_quotes(
        self, speaker: str, limit: int = 10, *, guild_id: int | None = None
    ) -> list[SpeakerQuote]:
        return await asyncio.to_thread(
            partial(self._s.speaker_quotes, speaker, limit, guild_id=guild_id)
        )

    async def search(
        self, query: str, limit: int = 10, *, guild_id: int | None = None
    ) -> list[SearchHit]:
        return await asyncio.to_thread(partial(self._s.search, query, limit, guild_id=guild_id))
