"""DigestService: fetch -> parse -> extract -> condense -> store -> outbox. Deps and clock injected.

This is the seam the bot (through ``bot/adapter.py``) and the CLI use. Methods that touch the
network are ``async``; they push parsing, extraction, condensing and database work off the event
loop themselves. Methods that only touch the database are sync: the bot calls them through
``asyncio.to_thread`` in ``bot/adapter.py``. Discord ids cross as opaque ``int`` values
(``guild_id``, ``channel_id``); this module never learns they are Discord's.

Every public method raises only ``DigestError`` subclasses for user-facing failures (one sentence).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from digests.clock import Clock
from digests.records import (
    AddResult,
    Delivery,
    FeedStatus,
    Schedule,
    SearchHit,
    SpeakerQuote,
    StoryDetail,
    Subscription,
    UpdateResult,
)
from digests.types import Mode


class DigestService:
    """The library's façade. Construct with a Store, a Fetcher and a Clock."""

    def __init__(
        self,
        store: object,
        fetcher: object,
        *,
        clock: Clock,
        poll_interval: timedelta = timedelta(minutes=15),
        max_failures: int = 8,
        feed_limit: int = 50,
    ) -> None:
        raise NotImplementedError

    # --- subscriptions (network) -------------------------------------------------------------
    async def add_feed(
        self, *, guild_id: int, channel_id: int, url: str, mode: Mode = "digest", backfill: int = 0
    ) -> AddResult:
        """Validate (safety, fetch, parse), store, subscribe; mark existing entries seen for the
        channel except the newest ``backfill`` (queued as story deliveries). Re-enables a disabled
        feed. Raises InvalidFeedURLError/FetchError/ParseError/FeedExistsError/FeedLimitError."""
        raise NotImplementedError

    def remove_feed(self, *, guild_id: int, subscription_id: int) -> Subscription:
        raise NotImplementedError

    def subscriptions(self, guild_id: int, channel_id: int | None = None) -> list[Subscription]:
        raise NotImplementedError

    def feed_status(self, guild_id: int) -> list[FeedStatus]:
        raise NotImplementedError

    # --- polling (network) -------------------------------------------------------------------
    async def update_due_feeds(self) -> list[UpdateResult]:
        """Poll every enabled, subscribed feed whose next poll time has come (one fetch per URL
        however many channels subscribe); store new/updated stories; queue live deliveries;
        back off failing feeds and queue one notice per channel when a feed gets disabled."""
        raise NotImplementedError

    def next_poll_at(self) -> datetime | None:
        """When the earliest enabled feed is due (for the scheduler)."""
        raise NotImplementedError

    # --- outbox ------------------------------------------------------------------------------
    def pending_deliveries(self, limit: int = 50) -> list[Delivery]:
        """Undelivered posts, oldest first (per channel in order)."""
        raise NotImplementedError

    def mark_attempt(self, delivery_id: int) -> None:
        """Record that a send is about to happen (so recovery knows to check the channel)."""
        raise NotImplementedError

    def mark_delivered(self, delivery_id: int, message_id: int) -> None:
        raise NotImplementedError

    def mark_failed(self, delivery_id: int, error: str, *, permanent: bool) -> None:
        """A permanent failure (no access to the channel) drops the delivery; otherwise it stays."""
        raise NotImplementedError

    # --- digests -----------------------------------------------------------------------------
    def queue_digest(self, channel_id: int) -> int:
        """Queue the digest of stories not yet sent to the channel (digest-mode subscriptions) as
        digest deliveries of at most 10 stories each. Returns the number of stories queued."""
        raise NotImplementedError

    def set_schedule(
        self, *, guild_id: int, channel_id: int, time: str, timezone: str
    ) -> Schedule:
        """``time`` is ``HH:MM``, ``timezone`` an IANA name; raises InputError otherwise."""
        raise NotImplementedError

    def remove_schedule(self, channel_id: int) -> Schedule | None:
        raise NotImplementedError

    def schedules(self) -> list[Schedule]:
        raise NotImplementedError

    def run_scheduled_digest(self, schedule_id: int, fire_time: datetime) -> int | None:
        """Record the run for ``fire_time`` (unique per schedule and period) and queue the digest.
        Returns the number of stories queued, or None when that period already ran."""
        raise NotImplementedError

    def last_scheduled_run(self, schedule_id: int) -> datetime | None:
        raise NotImplementedError

    # --- reading -----------------------------------------------------------------------------
    def story(self, story_id: int) -> StoryDetail:
        """Raises StoryNotFoundError."""
        raise NotImplementedError

    def story_choices(self, text: str, limit: int = 25) -> list[tuple[int, str]]:
        """(story number, title) of recent stories whose title matches ``text`` (autocomplete)."""
        raise NotImplementedError

    def speaker_quotes(self, speaker: str, limit: int = 10) -> list[SpeakerQuote]:
        """The latest quotes by that speaker (full name or surname) across stored stories."""
        raise NotImplementedError

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """Full-text search (FTS5) over stories, quotes and speakers; user text is escaped."""
        raise NotImplementedError
