"""DigestService: fetch -> parse -> extract -> condense -> store -> outbox. Deps and clock injected.

This is the seam the bot (cogs, views, jobs, the outbox) and the CLI use, async end to end: every
public method is a coroutine. Blocking work (SQLite, parsing, extraction, condensing) runs in a
worker thread through ``off_loop``, the one place in newsdigest where threads meet the event loop
(or in the ``cpu_executor`` when one is given). Discord ids cross as opaque ``int`` values
(``guild_id``, ``channel_id``); this module never learns they are Discord's.

Every public method raises only ``DigestError`` subclasses for user-facing failures (one sentence).

Polling, in order of cost: a 304 (ETag / Last-Modified kept in the database, so across restarts)
costs one request and no parsing; a 200 whose body hashes the same as last time is not parsed;
a changed body is parsed (in a thread, or a worker process when a pool is given) and only entries
that are new or whose content changed are extracted (teasers: the page is fetched) and condensed.
With a pool, each document (a feed body; one entry's page and text) gets a time budget: a feed
whose parse runs over fails with one sentence (and backs off), an entry whose extraction runs
over keeps the opening of the feed's own text.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ParamSpec, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from digests import compose, filters, polling
from digests.batching import Batcher
from digests.clock import Clock
from digests.errors import (
    DigestError,
    FeedError,
    FeedExistsError,
    FeedNotFoundError,
    FetchError,
    InputError,
    ParseError,
    StorageError,
    StoryNotFoundError,
)
from digests.feeds import opml
from digests.feeds.fetch import FetchKind
from digests.feeds.urlsafety import redact_url, redact_urls_in
from digests.jobs import (
    Condenser,
    Extractor,
    FeedParser,
    ParseOutcome,
    default_condense,
    default_extract,
    default_parse,
    fallback_condensed,
    parse_job,
    prepare_writes,
)
from digests.model import (
    DAYS,
    THREAD_MODES,
    AddResult,
    Condensed,
    Coverage,
    Day,
    Delivery,
    DigestRun,
    Entry,
    FeedStatus,
    Filter,
    FilterField,
    FilterKind,
    Mode,
    NotModified,
    ParsedFeed,
    PostRules,
    Pruned,
    Retrieved,
    Schedule,
    Scope,
    SearchHit,
    SpeakerQuote,
    Story,
    StoryDetail,
    StoryWrite,
    Style,
    Subscription,
    SubscriptionOptions,
    ThreadMode,
    UpdateResult,
)
from digests.shards import ShardSet
from digests.store import (
    EntryKey,
    FetchState,
    PollSave,
    SavedPoll,
    StaleDigestError,
    Store,
    StoredFeed,
    StoryRef,
    Unchanged,
)
from digests.workers import BudgetExceeded, PoolClosed, WorkerCrashed, WorkerPool

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
#: attempts at queueing a digest whose stories another digest claimed meanwhile
DIGEST_ATTEMPTS = 5
#: feeds of an OPML import checked at the same time
IMPORT_CONCURRENCY = 4
#: a story another outlet brought to a live channel this recently is not posted there again
LIVE_WINDOW = timedelta(hours=12)
#: how long a digest waits for its channel's feeds to be refreshed before going ahead
REFRESH_WAIT = timedelta(seconds=10)
#: seconds of worker time per document (a feed parse; one entry's extraction and condensing)
CPU_BUDGET = 10.0
#: the most worker time (in budgets) one feed's entries get in one poll
FEED_CPU_BUDGETS = 3
#: feeds polled at once (fetch, parse, store); the rest wait their turn
POLL_CONCURRENCY = 128
#: due feeds claimed per transaction: polling starts after the first of them are claimed
CLAIM_CHUNK = 500


class FeedFetcher(Protocol):
    """What the service needs of ``digests.feeds.fetch.Fetcher``."""

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        kind: FetchKind = "feed",
    ) -> Retrieved | NotModified: ...


async def off_loop(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking work (SQLite, parsing, condensing, a small file) in a worker thread.

    The one place in newsdigest where threads meet the event loop: the service's methods use it
    for all their database work, and the bot's composition root for opening the store."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def entry_hash(entry: Entry) -> str:
    """Hash of what we condense and show: a changed hash means the entry changed."""
    blob = json.dumps([entry.title, entry.url, entry.text, entry.image], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def body_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class DigestService:
    """The library's façade. Construct with a Store, a Fetcher and a Clock.

    Optional seams: ``condense`` (default ``digests.condensing.condense``), ``parse`` and
    ``extract`` (defaults: ``digests.feeds.parse.parse_feed``,
    ``digests.feeds.extract.extract_article``),
    ``cpu_executor`` (a ``WorkerPool`` for parsing, extraction and condensing, each document
    within ``cpu_budget`` seconds; the seams must then be picklable module-level functions;
    default: a thread, without a budget), ``max_entries`` (the
    newest entries considered per feed document), ``digest_max_items`` (more pending stories
    than that are marked skipped rather than flooding a channel), ``digest_lookback`` (how
    many of the newest pending stories a digest reads; the older are skipped), ``retention``
    (how long the article text of a story and its sent posts are kept, see ``prune``; None
    keeps everything), ``poll_lease`` (how long a feed claimed for polling is kept from other
    processes and cycles; default: ``poll_interval``), ``shards`` (the Discord shards this
    process owns when several share the database: it delivers only their servers' posts and
    runs only their schedules; default: all).
    """

    def __init__(
        self,
        store: Store,
        fetcher: FeedFetcher,
        *,
        clock: Clock,
        poll_interval: timedelta = timedelta(minutes=15),
        max_failures: int = 8,
        feed_limit: int = 50,
        condense: Condenser = default_condense,
        parse: FeedParser = default_parse,
        extract: Extractor = default_extract,
        cpu_executor: WorkerPool | None = None,
        cpu_budget: float = CPU_BUDGET,
        max_entries: int = 50,
        digest_max_items: int = 50,
        digest_lookback: int = compose.DIGEST_LOOKBACK,
        backoff_cap: timedelta = timedelta(hours=24),
        cluster_policy: compose.ClusterPolicy | None = None,
        retention: timedelta | None = timedelta(days=90),
        refresh_wait: timedelta = REFRESH_WAIT,
        live_window: timedelta = LIVE_WINDOW,
        poll_lease: timedelta | None = None,
        shards: ShardSet | None = None,
        poll_concurrency: int = POLL_CONCURRENCY,
    ) -> None:
        self._store = store
        self._fetcher = fetcher
        self._clock = clock
        self._policy = polling.PollPolicy(
            interval=poll_interval, max_failures=max_failures, backoff_cap=backoff_cap
        )
        self._feed_limit = feed_limit
        self._condense = condense
        self._parse = parse
        self._extract = extract
        self._cpu_executor = cpu_executor
        self._cpu_budget = cpu_budget
        self._max_entries = max_entries
        self._digest_max_items = digest_max_items
        self._digest_lookback = digest_lookback
        self._cluster_policy = cluster_policy or compose.ClusterPolicy()
        self._retention = retention
        self._refresh_wait = refresh_wait
        self._live_window = live_window
        self._poll_lease = poll_lease or poll_interval
        self._shards = shards or ShardSet()
        #: same-story decisions for live channels and the poll they apply to are made one
        #: poll at a time, so two outlets' versions polled together cannot both be posted;
        #: the batched poll writes take it too, so our writers never queue inside SQLite
        self._live_lock = asyncio.Lock()
        #: the outcome of each feed's poll, queued or running (see ``start_due_polls``)
        self._polling: dict[int, asyncio.Future[UpdateResult]] = {}
        self._waiting: deque[tuple[StoredFeed, asyncio.Future[UpdateResult]]] = deque()
        self._pollers: set[asyncio.Task[None]] = set()
        self._poll_concurrency = max(1, poll_concurrency)
        #: polls that found nothing new, and those of feeds no channel gets live, are
        #: written together (group commit)
        self._unchanged: Batcher[Unchanged, None] = Batcher(self._record_unchanged)
        self._saves: Batcher[PollSave, SavedPoll] = Batcher(self._save_polls)
        #: and what storing a changed feed's entries needs is read for many polls at once
        self._reads: Batcher[_Polled, tuple[list[StoryRef], bool]] = Batcher(self._ingest_reads)

    # --- subscriptions (network) -------------------------------------------------------------
    async def add_feed(
        self,
        *,
        guild_id: int,
        channel_id: int,
        url: str,
        mode: Mode = "digest",
        backfill: int = 0,
        style: Style = "full",
        ping_role_id: int | None = None,
        thread: ThreadMode = "none",
        webhook: bool = False,
    ) -> AddResult:
        """Validate (safety, fetch, parse), store, subscribe; mark existing entries seen for the
        channel except the newest ``backfill`` (queued as story deliveries). Re-enables a disabled
        feed. Posts look as ``style`` says and mention ``ping_role_id`` (opt-in).
        Raises InvalidFeedURLError/FetchError/ParseError/FeedExistsError/FeedLimitError."""
        url = url.strip()
        if mode not in ("live", "digest"):
            raise InputError("The mode must be live or digest.")
        check_options(SubscriptionOptions(style=style, thread=thread))
        if not 0 <= backfill <= 5:
            raise InputError("Backfill must be a number from 0 to 5.")
        store = self._store
        await off_loop(
            store.check_subscribe,
            guild_id=guild_id,
            channel_id=channel_id,
            url=url,
            feed_limit=self._feed_limit,
        )
        known = await off_loop(store.feed_by_url, url)
        usable = known if known is not None and not known.disabled else None
        result = await self._fetcher.fetch(
            url,
            etag=usable.etag if usable else None,
            last_modified=usable.last_modified if usable else None,
        )
        now = self._clock.now()
        if isinstance(result, Retrieved):
            parse_outcome = await self._run_parse(result)
            if parse_outcome.parsed is None:  # pragma: no cover - only with known item hashes
                raise ParseError(url, "The document could not be parsed.")
            created: StoredFeed = (
                known if known is not None else await off_loop(store.ensure_feed, url, now)
            )
            state = FetchState(
                result.etag,
                result.last_modified,
                body_hash(result.content),
                parse_outcome.item_hashes,
            )
            await self._ingest(created, parse_outcome.parsed, state, result.max_age)
            refreshed = await off_loop(store.feed, created.feed_id)
            feed = refreshed if refreshed is not None else created
        else:
            if known is None:  # a 304 to an unconditional request: nothing to show
                raise FetchError(url, "The server answered 304 Not Modified to a plain request.")
            feed = known
        next_fetch = polling.next_poll_after_success(feed.feed_id, now, self._policy, None)
        outcome = await off_loop(
            store.subscribe,
            guild_id=guild_id,
            channel_id=channel_id,
            feed_id=feed.feed_id,
            mode=mode,
            backfill=backfill,
            now=now,
            next_fetch=next_fetch,
            feed_limit=self._feed_limit,
            style=style,
            ping_role_id=ping_role_id,
            thread=thread,
            webhook=webhook,
        )
        newest_stored = await off_loop(store.newest_story, feed.feed_id)
        preview = (await self.condensed([newest_stored]))[0] if newest_stored else None
        return AddResult(
            subscription=outcome.subscription,
            preview=preview,
            backfilled=outcome.backfilled,
            reenabled=outcome.reenabled,
        )

    async def edit_subscription(
        self, *, guild_id: int, subscription_id: int, options: SubscriptionOptions
    ) -> Subscription:
        """Change how one of the server's subscriptions posts, from its next post on."""
        check_options(options)
        changed = await off_loop(
            self._store.update_subscription, guild_id, subscription_id, options
        )
        if changed is None:
            raise FeedNotFoundError("", "This server has no such feed subscription.")
        return changed

    async def remove_feed(self, *, guild_id: int, subscription_id: int) -> Subscription:
        removed = await off_loop(self._store.unsubscribe, guild_id, subscription_id)
        if removed is None:
            raise FeedNotFoundError("", "This server has no such feed subscription.")
        return removed

    async def subscriptions(
        self, guild_id: int, channel_id: int | None = None
    ) -> list[Subscription]:
        return await off_loop(self._store.subscriptions, guild_id, channel_id)

    # --- filters -----------------------------------------------------------------------------
    async def add_filter(
        self,
        *,
        guild_id: int,
        subscription_id: int,
        kind: FilterKind,
        pattern: str,
        regex: bool = False,
        field: FilterField = "any",
        ping_role_id: int | None = None,
    ) -> Filter:
        """Add a filter to one of the server's subscriptions. Raises InputError (an invalid or
        too long pattern, too many filters, a ping on an exclude filter) or FeedNotFoundError."""
        if kind not in ("include", "exclude"):
            raise InputError("The kind must be include or exclude.")
        if field not in filters.FIELDS:
            raise InputError("The field must be any, title, summary, text, category or author.")
        if kind == "exclude" and ping_role_id is not None:
            raise InputError("Only an include filter can mention a role.")
        tidy = filters.check_pattern(pattern, regex=regex)
        added = await off_loop(
            self._store.add_filter,
            guild_id=guild_id,
            subscription_id=subscription_id,
            kind=kind,
            pattern=tidy,
            regex=regex,
            field=field,
            ping_role_id=ping_role_id,
            now=self._clock.now(),
            limit=filters.MAX_FILTERS,
        )
        if added is None:
            raise FeedNotFoundError("", "This server has no such feed subscription.")
        return added

    async def remove_filter(self, *, guild_id: int, filter_id: int) -> Filter:
        removed = await off_loop(self._store.remove_filter, guild_id, filter_id)
        if removed is None:
            raise InputError("This server has no such filter.")
        return removed

    async def filters(self, *, guild_id: int, subscription_id: int) -> list[Filter]:
        return await off_loop(self._store.filters, guild_id, subscription_id)

    async def test_filters(
        self, *, guild_id: int, subscription: Subscription, limit: int = 10
    ) -> list[tuple[Story, bool]]:
        """The feed's newest ``limit`` stories, each with whether the subscription's filters
        let it through (a dry run: nothing is posted or marked)."""
        found = await self.filters(guild_id=guild_id, subscription_id=subscription.subscription_id)
        rules = PostRules(
            subscription_id=subscription.subscription_id,
            channel_id=subscription.channel_id,
            filters=tuple(found),
        )
        stored = await off_loop(self._store.newest_stories, subscription.feed.feed_id, limit)
        stories = await self.condensed(stored)
        return await off_loop(filters.dry_run, rules, stories)

    # --- OPML --------------------------------------------------------------------------------
    async def import_opml(
        self,
        *,
        guild_id: int,
        channel_id: int,
        content: bytes,
        mode: Mode = "digest",
        concurrency: int = IMPORT_CONCURRENCY,
    ) -> opml.ImportReport:
        """Subscribe the channel to every feed of an OPML document, each checked like
        ``add_feed``: added, skipped (already posted there) or refused (one sentence each).
        Raises InputError when the document itself is refused."""
        feeds = await off_loop(opml.parse_opml, content)
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(feed: opml.OpmlFeed) -> tuple[str, DigestError | None]:
            async with gate:
                try:
                    await self.add_feed(
                        guild_id=guild_id, channel_id=channel_id, url=feed.url, mode=mode
                    )
                except DigestError as exc:
                    return feed.url, exc
                return feed.url, None

        report = opml.ImportReport()
        for url, error in await asyncio.gather(*(one(feed) for feed in feeds)):
            if error is None:
                report.added.append(url)
            elif isinstance(error, FeedExistsError):
                report.skipped.append((url, error.message))
            else:
                report.refused.append((url, error.message))
        return report

    async def export_opml(
        self, guild_id: int | None, *, category: Callable[[Subscription], str | None]
    ) -> bytes:
        """One server's subscriptions (every server's with None) as an OPML document, in one
        folder per ``category`` (e.g. the channel's name)."""
        subs = await off_loop(
            self._store.all_subscriptions
            if guild_id is None
            else functools.partial(self._store.subscriptions, guild_id)
        )
        feeds: list[opml.OpmlFeed] = []
        for sub in subs:
            stored = await off_loop(self._store.feed, sub.feed.feed_id)
            feeds.append(
                opml.OpmlFeed(
                    url=sub.feed.url,
                    title=sub.feed.title,
                    html_url=stored.link if stored else None,
                    category=category(sub),
                )
            )
        return opml.to_opml(feeds, title="newsdigest subscriptions", created=self._clock.now())

    async def channel_guild(self, channel_id: int) -> int | None:
        return await off_loop(self._store.channel_guild, channel_id)

    async def feed_status(self, guild_id: int) -> list[FeedStatus]:
        feeds = await off_loop(self._store.guild_feeds, guild_id)
        return [feed.status() for feed in feeds]

    # --- polling (network) -------------------------------------------------------------------
    async def start_due_polls(
        self, on_result: Callable[[UpdateResult], None] | None = None
    ) -> list[asyncio.Future[UpdateResult]]:
        """Start polling every enabled, subscribed feed whose next poll time has come and that
        is not being polled already, and return a future of each one's outcome without waiting:
        at most ``poll_concurrency`` feeds are polled at once, each on its own, so one slow or
        hostile feed never holds up another's poll, nor the caller. ``on_result`` is called with
        each feed's outcome as it ends (not for a cancelled poll)."""
        now = self._clock.now()
        started: list[asyncio.Future[UpdateResult]] = []
        while True:
            # claimed, so a feed is fetched once per cycle across processes sharing the
            # database; in chunks, so the first polls start while the rest are claimed
            feeds = await off_loop(
                self._store.claim_due_feeds, now, lease=self._poll_lease, limit=CLAIM_CHUNK
            )
            started += [
                self._start_poll(feed, on_result)
                for feed in feeds
                if feed.feed_id not in self._polling
            ]
            if len(feeds) < CLAIM_CHUNK:
                return started

    async def update_due_feeds(self) -> list[UpdateResult]:
        """Poll every due feed (``start_due_polls``) and wait for them: one fetch per URL however
        many channels subscribe; new/updated stories stored; live deliveries queued; failing
        feeds backed off, and one notice per channel queued when a feed gets disabled."""
        return await _results(await self.start_due_polls())

    async def poll_feeds(self, feeds: Sequence[StoredFeed]) -> list[UpdateResult]:
        """Poll these feeds (a feed being polled already is waited for, not polled twice) and
        wait for them; a cancelled wait leaves the polls running."""
        polls = [self._polling.get(feed.feed_id) or self._start_poll(feed) for feed in feeds]
        return await _results(polls)

    async def stop_polls(self) -> None:
        """Cancel every running and waiting poll, and wait until the pollers ended."""
        pollers = list(self._pollers)
        for poller in pollers:
            poller.cancel()
        await asyncio.gather(*pollers, return_exceptions=True)
        for outcome in list(self._polling.values()):
            outcome.cancel()
        self._waiting.clear()

    def _start_poll(
        self, feed: StoredFeed, on_result: Callable[[UpdateResult], None] | None = None
    ) -> asyncio.Future[UpdateResult]:
        """Queue the feed's poll; a poller task picks it up (one more is started while fewer
        than ``poll_concurrency`` run). A queued feed costs a future, not a task of its own:
        10,000 feeds waiting as tasks held ~15 MB."""
        outcome: asyncio.Future[UpdateResult] = asyncio.get_running_loop().create_future()
        self._polling[feed.feed_id] = outcome
        outcome.add_done_callback(functools.partial(self._poll_ended, feed.feed_id, on_result))
        self._waiting.append((feed, outcome))
        if len(self._pollers) < self._poll_concurrency:
            poller = asyncio.create_task(self._poller(), name="newsdigest-poller")
            self._pollers.add(poller)
            poller.add_done_callback(self._pollers.discard)
        return outcome

    async def _poller(self) -> None:
        """Poll queued feeds one after another until none is left."""
        while self._waiting:
            feed, outcome = self._waiting.popleft()
            if outcome.done():  # cancelled while it waited
                continue
            try:
                result = await self._poll(feed)
            except asyncio.CancelledError:
                outcome.cancel()
                raise
            except Exception as exc:  # the database or a shutdown: whoever waits reports it
                if not outcome.done():
                    outcome.set_exception(exc)
            else:
                if isinstance(result, _Recording):
                    # the poller goes on to the next feed; the outcome waits for the write
                    settle = functools.partial(_settle, outcome, result.result)
                    result.written.add_done_callback(settle)
                elif not outcome.done():
                    outcome.set_result(result)

    def _poll_ended(
        self,
        feed_id: int,
        on_result: Callable[[UpdateResult], None] | None,
        outcome: asyncio.Future[UpdateResult],
    ) -> None:
        if self._polling.get(feed_id) is outcome:
            del self._polling[feed_id]
        if outcome.cancelled():
            return
        error = outcome.exception()
        if error is not None:
            log.debug("poll of feed %d ended with %r", feed_id, error)
            return
        if on_result is not None:
            on_result(outcome.result())

    async def _record_unchanged(self, batch: Sequence[Unchanged]) -> list[None]:
        async with self._live_lock:
            await off_loop(self._store.record_unchanged, batch, self._clock.now())
        return [None] * len(batch)

    async def _save_polls(self, batch: Sequence[PollSave]) -> list[SavedPoll]:
        async with self._live_lock:
            return await off_loop(self._store.save_polls, batch)

    async def ingest_document(
        self, url: str, content: bytes, headers: Mapping[str, str] | None = None
    ) -> tuple[StoredFeed, UpdateResult]:
        """Store a feed document obtained some other way (a local file, for the CLI): parse it
        (ParseError propagates), store its new/changed entries, return the feed and counts."""
        now = self._clock.now()
        feed = await off_loop(self._store.ensure_feed, url, now)
        digest = body_hash(content)
        retrieved = Retrieved(url=url, content=content, headers=dict(headers or {}))
        outcome = await self._run_parse(retrieved)
        if outcome.parsed is None:  # pragma: no cover - only with known item hashes
            raise ParseError(url, "The document could not be parsed.")
        state = FetchState(None, None, digest, outcome.item_hashes)
        result = await self._ingest(feed, outcome.parsed, state, None)
        refreshed = await off_loop(self._store.feed, feed.feed_id)
        return (refreshed if refreshed is not None else feed), result

    async def next_poll_at(self) -> datetime | None:
        """When the earliest enabled feed is due."""
        return await off_loop(self._store.next_due)

    async def _poll(self, feed: StoredFeed) -> UpdateResult | _Recording:
        try:
            result = await self._fetcher.fetch(
                feed.url, etag=feed.etag, last_modified=feed.last_modified
            )
            now = self._clock.now()
            if isinstance(result, NotModified):
                return self._record_unchanged_poll(
                    feed, self._unchanged_poll(feed, now, result.max_age)
                )
            digest = body_hash(result.content)
            if digest == feed.body_hash:
                return self._record_unchanged_poll(
                    feed, self._unchanged_poll(feed, now, result.max_age, result)
                )
            outcome = await self._run_parse(result, feed.item_hashes)
            if outcome.parsed is None:  # a new body, but every item is one we already had
                unchanged = self._unchanged_poll(
                    feed, now, result.max_age, result, digest, outcome.item_hashes
                )
                return self._record_unchanged_poll(feed, unchanged)
            state = FetchState(result.etag, result.last_modified, digest, outcome.item_hashes)
            return await self._ingest(feed, outcome.parsed, state, result.max_age)
        except FeedError as exc:
            return await self._fail(feed, exc)
        except (StorageError, PoolClosed):
            raise  # the database or a shutdown, not this feed: the caller reports it
        except Exception as exc:  # a bug or a broken worker: one feed must not stop the cycle
            log.exception("unexpected error while updating %s", redact_url(feed.url))
            message = (
                f"An unexpected error occurred while updating the feed ({type(exc).__name__})."
            )
            return await self._fail(feed, FeedError(feed.url, message))

    def _record_unchanged_poll(self, feed: StoredFeed, unchanged: Unchanged) -> _Recording:
        """Queue a poll that brought nothing new to be written with others (group commit)."""
        written = self._unchanged.submit(unchanged)
        return _Recording(UpdateResult(url=feed.url, not_modified=True), written)

    def _unchanged_poll(
        self,
        feed: StoredFeed,
        now: datetime,
        max_age: int | None,
        response: Retrieved | None = None,
        digest: str | None = None,
        item_hashes: list[str] | None = None,
    ) -> Unchanged:
        """A poll that brought nothing new: a 304 (``response`` None: validators kept), the same
        body again, or a new body whose items were all known (``digest`` and ``item_hashes``)."""
        next_fetch = polling.next_poll_after_success(feed.feed_id, now, self._policy, max_age)
        if response is None:
            return Unchanged(feed.feed_id, next_fetch)
        return Unchanged(
            feed.feed_id,
            next_fetch,
            etag=response.etag,
            last_modified=response.last_modified,
            update_validators=True,
            body_hash=digest,
            item_hashes=item_hashes,
        )

    async def _fail(self, feed: StoredFeed, exc: FeedError) -> UpdateResult:
        now = self._clock.now()
        failures = feed.failures + 1
        retry = exc.retry_after if isinstance(exc, FetchError) else None
        decision = polling.after_failure(feed.feed_id, failures, now, self._policy, retry)
        shown_url = redact_url(feed.url)
        error = redact_urls_in(exc.message)
        notice = disabled_notice(feed.title or shown_url, failures, error)
        _, disabled_now = await off_loop(
            self._store.record_failure,
            feed.feed_id,
            error=error,
            now=now,
            next_fetch=decision.next_poll,
            disable=decision.disable,
            notice=notice,
        )
        log.info("feed %s failed (%d in a row): %s", shown_url, failures, error)
        if disabled_now:
            log.info("Disabled feed %s after %d failed update(s) in a row.", shown_url, failures)
        return UpdateResult(url=feed.url, error=error)

    async def _run_parse(
        self, result: Retrieved, known: frozenset[str] | None = None
    ) -> ParseOutcome:
        """Parse in a worker: only the new items when ``known`` (the last document's item
        hashes) is given and the document splits cleanly, else the whole document."""
        headers = dict(result.headers)
        args = (self._parse, result.content, result.url, headers, known)
        if self._cpu_executor is None:
            return await off_loop(parse_job, *args)
        try:
            return await self._cpu_executor.run(parse_job, *args, budget=self._cpu_budget)
        except BudgetExceeded as exc:
            message = (
                f"The feed at {result.url} took more than {exc.budget:g} seconds to read, "
                "so newsdigest stopped reading it."
            )
            raise ParseError(result.url, message) from exc
        except WorkerCrashed as exc:
            message = f"The feed at {result.url} crashed the parser, so newsdigest skipped it."
            raise ParseError(result.url, message) from exc

    async def _ingest(
        self, feed: StoredFeed, parsed: ParsedFeed, state: FetchState, max_age: int | None
    ) -> UpdateResult:
        """Store the new and changed entries of a parsed document. A feed some channel gets live
        has them condensed now (filters, the same-story merge and the post need the gist);
        any other feed's are stored as parsed, condensed when first posted or asked for."""
        entries = newest(parsed.entries, self._max_entries)
        refs, live = await self._reads.add(_Polled(feed.feed_id, entries))
        todo = changed_entries(entries, refs)
        info = parsed.info
        if not live:
            now = self._clock.now()
            saved = await self._saves.add(
                PollSave(
                    feed.feed_id,
                    title=info.title,
                    link=info.link,
                    image=info.image,
                    state=state,
                    writes=[parsed_write(job) for job in todo],
                    now=now,
                    next_fetch=self._next_fetch(feed, now, max_age),
                )
            )
            return _saved_result(feed, saved)
        writes = await self._prepare(todo)
        routes = await self._live_routes(feed.feed_id, writes)
        async with self._live_lock:
            now = self._clock.now()
            merges = await off_loop(self._live_merges, feed, info.title, writes, now)
            saved = await off_loop(
                self._store.save_poll,
                feed.feed_id,
                title=info.title,
                link=info.link,
                image=info.image,
                state=state,
                writes=writes,
                now=now,
                next_fetch=self._next_fetch(feed, now, max_age),
                routes=routes,
                merges=merges,
            )
        return _saved_result(feed, saved)

    def _next_fetch(self, feed: StoredFeed, now: datetime, max_age: int | None) -> datetime:
        return polling.next_poll_after_success(feed.feed_id, now, self._policy, max_age)

    async def _ingest_reads(self, polls: Sequence[_Polled]) -> list[tuple[list[StoryRef], bool]]:
        """For each poll: the stored stories its entries may be versions of, and whether a
        channel gets the feed live (one thread hop for the polls that reached this point
        together)."""
        keys = [
            EntryKey(poll.feed_id, entry.entry_id, entry.url)
            for poll in polls
            for entry in poll.entries
        ]
        feed_ids = [poll.feed_id for poll in polls]

        def read() -> list[tuple[list[StoryRef], bool]]:
            refs = self._store.stories_of_entries(keys)
            live = self._store.live_feeds(feed_ids)
            return [(refs.get(feed_id, []), feed_id in live) for feed_id in feed_ids]

        return await off_loop(read)

    def _live_merges(
        self, feed: StoredFeed, title: str | None, writes: Sequence[StoryWrite], now: datetime
    ) -> dict[str, dict[int, int]]:
        """For each new entry and live channel of the feed: the story another outlet already
        posted there within ``live_window`` that this entry is a version of (pure decision on
        what the store read; the store applies it in ``save_poll``)."""
        fresh = [w for w in writes if w.story_id is None]
        channels = self._store.live_channels(feed.feed_id) if fresh else []
        if not channels:
            return {}
        posted = self._store.recent_live_posts(channels, now - self._live_window)
        if not posted:
            return {}
        return compose.live_merges(
            [candidate_story(feed, title, w, now) for w in fresh],
            posted,
            self._cluster_policy,
        )

    async def _live_routes(
        self, feed_id: int, writes: Sequence[StoryWrite]
    ) -> dict[tuple[int, str], tuple[int, ...] | None]:
        """What each live subscription's filters decide for the new entries of a poll."""
        new = [w for w in writes if w.story_id is None]
        if not new:
            return {}
        rules = await off_loop(self._store.feed_rules, feed_id, "live")
        if not rules:
            return {}
        subjects = [(w.entry.entry_id, subject_of(w)) for w in new]
        return await off_loop(filters.live_routes, rules, subjects)

    async def _prepare(self, todo: list[tuple[Entry, str, int | None]]) -> list[StoryWrite]:
        """Fetch teaser pages (concurrently), then extract and condense in one worker thread,
        or entry by entry in the worker pool (see ``_prepare_in``)."""
        if not todo:
            return []
        pages = await asyncio.gather(*(self._page(entry) for entry, _, _ in todo))
        pool = self._cpu_executor
        if pool is None:
            return await off_loop(prepare_writes, self._condense, self._extract, todo, pages)
        return await self._prepare_in(pool, todo, pages)

    async def _prepare_in(
        self,
        pool: WorkerPool,
        todo: list[tuple[Entry, str, int | None]],
        pages: list[Retrieved | None],
    ) -> list[StoryWrite]:
        """Entries without a page are condensed in one job, each entry with a page (extraction
        is the costly, page-dependent part) in a job of its own within the budget. Once a job
        runs over (or kills its worker), or the feed has used ``FEED_CPU_BUDGETS`` budgets, the
        rest keep the opening of the feed's own text: one feed's pages cannot hold the poll."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FEED_CPU_BUDGETS * self._cpu_budget
        plain = [i for i, page in enumerate(pages) if page is None]
        batches = [plain] if plain else []
        batches += [[i] for i, page in enumerate(pages) if page is not None]
        done: dict[int, StoryWrite] = {}
        for batch in batches:
            jobs = [todo[i] for i in batch]
            left = deadline - loop.time()
            writes = [unprepared_write(job) for job in jobs]
            if left > 0:
                budget = left if len(jobs) > 1 else min(self._cpu_budget, left)
                try:
                    writes = await pool.run(
                        prepare_writes,
                        self._condense,
                        self._extract,
                        jobs,
                        [pages[i] for i in batch],
                        budget=budget,
                    )
                except (BudgetExceeded, WorkerCrashed) as exc:
                    log.warning("%d stories not extracted or condensed: %s", len(jobs), exc)
                    deadline = loop.time()  # the rest of this feed's entries are not tried
            done.update(zip(batch, writes, strict=True))
        return [done[i] for i in range(len(todo))]

    async def _page(self, entry: Entry) -> Retrieved | None:
        if not entry.is_teaser or not entry.url:
            return None
        try:
            page = await self._fetcher.fetch(entry.url, kind="page")
        except FeedError as exc:
            log.info("article page %s not fetched: %s", redact_url(entry.url), exc.message)
            return None
        return page if isinstance(page, Retrieved) else None

    # --- condensing on demand -----------------------------------------------------------------
    async def condensed(self, stories: Sequence[Story]) -> list[Story]:
        """These stories with their gist: each one stored as parsed is condensed now (a
        teaser's article page fetched and extracted first), stored once and read back."""
        waiting = [story for story in stories if not story.condensed]
        if not waiting:
            return list(stories)
        by_feed: dict[str, list[Story]] = {}
        for story in waiting:
            by_feed.setdefault(story.feed_url, []).append(story)
        # each feed's stories get the worker time a poll of that feed would (FEED_CPU_BUDGETS)
        prepared = await asyncio.gather(
            *(self._prepare([story_job(s) for s in group]) for group in by_feed.values())
        )
        writes = [write for group in prepared for write in group]
        await off_loop(self._store.save_gists, writes, self._clock.now())
        ids = [story.story_id for story in waiting]
        fresh = await off_loop(
            functools.partial(self._store.stories, ids, scope=Scope.everything())
        )
        return [fresh.get(story.story_id, story) for story in stories]

    # --- outbox ------------------------------------------------------------------------------
    async def pending_deliveries(self, limit: int = 50) -> list[Delivery]:
        """Undelivered posts, oldest first (per channel in order), to the servers this process's
        shards own. Their stories are condensed first where they are not yet (stored as parsed,
        then queued by a digest, a backfill or a live subscription that arrived during a poll)."""
        deliveries = await off_loop(self._store.pending_deliveries, limit, shards=self._shards)
        waiting = [i.story for d in deliveries for i in d.items if not i.story.condensed]
        if not waiting:
            return deliveries
        await self.condensed(list({story.story_id: story for story in waiting}.values()))
        return await off_loop(self._store.pending_deliveries, limit, shards=self._shards)

    async def mark_attempt(self, delivery_id: int) -> None:
        """Record that a send is about to happen (so recovery knows to check the channel)."""
        await off_loop(self._store.mark_attempt, delivery_id, self._clock.now())

    async def mark_delivered(self, delivery_id: int, message_id: int, version: int = 0) -> None:
        """Sent as ``message_id``, showing the delivery as read (its ``edit_version``)."""
        await off_loop(
            self._store.mark_delivered,
            delivery_id,
            message_id,
            self._clock.now(),
            version=version,
        )

    async def mark_posted(
        self,
        delivery_id: int,
        message_id: int,
        *,
        where: int,
        thread_id: int | None = None,
        webhook_id: int | None = None,
    ) -> None:
        """The delivery's message exists; its later steps (thread, publication) follow."""
        await off_loop(
            self._store.mark_posted,
            delivery_id,
            message_id,
            where=where,
            thread_id=thread_id,
            webhook_id=webhook_id,
        )

    async def mark_thread(self, delivery_id: int, thread_id: int) -> None:
        await off_loop(self._store.mark_thread, delivery_id, thread_id)

    async def mark_published(self, delivery_id: int) -> None:
        await off_loop(self._store.mark_published, delivery_id)

    async def webhook_fell_back(self, channel_id: int, reason: str, notice: str) -> bool:
        """Queue ``notice`` to the channel unless it was told already; True when queued."""
        return await off_loop(
            self._store.webhook_fell_back, channel_id, reason, notice, self._clock.now()
        )

    async def webhook_restored(self, channel_id: int) -> None:
        await off_loop(self._store.webhook_restored, channel_id)

    async def pending_edits(self, limit: int = 50) -> list[Delivery]:
        """Posted live stories to edit: another outlet's version of the story arrived since."""
        return await off_loop(self._store.pending_edits, limit, shards=self._shards)

    async def mark_edited(self, delivery_id: int, version: int) -> None:
        await off_loop(self._store.mark_edited, delivery_id, version)

    async def mark_failed(self, delivery_id: int, error: str, *, permanent: bool) -> None:
        """A permanent failure (no access to the channel) drops the delivery; otherwise it stays."""
        await off_loop(self._store.mark_failed, delivery_id, error, permanent=permanent)

    # --- housekeeping ------------------------------------------------------------------------
    async def prune(self) -> Pruned:
        """Drop the article text of stories older than the retention, and their sent posts'
        outbox rows (see ``Store.prune``): what keeps the database small over months. Stories
        themselves stay, so nothing is posted twice."""
        if self._retention is None:
            return Pruned()
        return await off_loop(self._store.prune, self._clock.now() - self._retention)

    # --- digests -----------------------------------------------------------------------------
    async def queue_digest(self, channel_id: int) -> int:
        """Refresh the channel's feeds (``refresh_channel``), then queue the digest of stories
        not yet sent to the channel (digest-mode subscriptions) as digest deliveries of at most
        10 stories each, headed in the channel's schedule's time zone (UTC without one).
        Returns the number of stories queued."""
        await self.refresh_channel(channel_id)
        schedule = await off_loop(self._store.channel_schedule, channel_id)
        zone = schedule.timezone if schedule is not None else "UTC"
        queued = await off_loop(self._queue_digest, channel_id, self._clock.now(), None, zone)
        return queued or 0

    async def refresh_channel(self, channel_id: int) -> list[UpdateResult]:
        """Poll every enabled feed the channel subscribes now, due or not (conditional GETs: a
        feed that did not change costs a 304), so a digest holds what the feeds hold now. Waits
        at most ``refresh_wait``: feeds still loading then are left to their next poll."""
        feeds = await off_loop(self._store.channel_feeds, channel_id)
        if not feeds:
            return []
        try:
            async with asyncio.timeout(self._refresh_wait.total_seconds()):
                return await self.poll_feeds(feeds)
        except TimeoutError:
            log.info("refreshing the feeds of channel %d took too long; going ahead", channel_id)
            return []

    def _queue_digest(
        self, channel_id: int, end: datetime, run: DigestRun | None, zone: str = "UTC"
    ) -> int | None:
        """Read the pending stories, decide the digest (pure), have the store apply it; decide
        again when another digest claimed some of those stories meanwhile. None when ``run``
        (a scheduled period) was queued already."""
        for _ in range(DIGEST_ATTEMPTS):
            start = run.start if run else self._store.last_digest_at(channel_id)
            pending = self._store.digest_candidates(channel_id, self._digest_lookback)
            chosen = filters.digest_choice(self._store.channel_rules(channel_id), pending.stories)
            plan = chosen.apply(
                compose.plan_digest(
                    chosen.kept,
                    start=start,
                    end=end,
                    max_items=self._digest_max_items,
                    cluster_policy=self._cluster_policy,
                    zone=zone,
                )
            ).skipping(pending.older)
            try:
                return self._store.queue_digest(channel_id, plan, self._clock.now(), run=run)
            except StaleDigestError:
                log.info("digest of channel %d raced another; deciding it again", channel_id)
        raise StorageError("The digest could not be queued while another was; try again.")

    async def set_schedule(
        self, *, guild_id: int, channel_id: int, time: str, timezone: str, day: str = "daily"
    ) -> Schedule:
        """``time`` is ``HH:MM``, ``timezone`` an IANA name, ``day`` ``daily`` or a weekday
        (``mon`` … ``sun``, or spelled out); raises InputError otherwise."""
        hour, minute = parse_time(time)
        weekday = parse_day(day)
        zone = await off_loop(parse_timezone, timezone)  # may list the zoneinfo files
        return await off_loop(
            self._store.set_schedule,
            guild_id=guild_id,
            channel_id=channel_id,
            hour=hour,
            minute=minute,
            timezone=zone,
            now=self._clock.now(),
            day=weekday,
        )

    async def remove_schedule(self, channel_id: int) -> Schedule | None:
        return await off_loop(self._store.remove_schedule, channel_id)

    async def schedules(self) -> list[Schedule]:
        """The schedules this process runs: those of the servers its shards own (another
        process runs the others' jobs, so a digest fires in one process only)."""
        found = await off_loop(self._store.schedules)
        return [s for s in found if self._shards.owns(s.guild_id)]

    async def run_scheduled_digest(self, schedule_id: int, fire_time: datetime) -> int | None:
        """Record the run for ``fire_time`` (unique per schedule and period) and queue the digest.
        Returns the number of stories queued, or None when that period already ran."""
        schedule = await off_loop(self._store.schedule, schedule_id)
        if schedule is None:
            return None
        await self.refresh_channel(schedule.channel_id)
        end = fire_time.astimezone(UTC)
        run = DigestRun(schedule_id, start=end - schedule.period, end=end)
        return await off_loop(self._queue_digest, schedule.channel_id, end, run, schedule.timezone)

    async def last_scheduled_run(self, schedule_id: int) -> datetime | None:
        return await off_loop(self._store.last_run, schedule_id)

    # --- reading -----------------------------------------------------------------------------
    async def story(self, story_id: int, *, scope: Scope) -> StoryDetail:
        """Raises StoryNotFoundError. Only a story ``scope`` may read is found, and only such
        stories are listed as covering it too."""
        found = await off_loop(functools.partial(self._store.story, story_id, scope=scope))
        if found is None:
            raise StoryNotFoundError(f"There is no story #{story_id}.")
        [story] = await self.condensed([found])
        coverage = await off_loop(self._coverage, story, scope)
        return StoryDetail(story=story, also_covered_by=coverage)

    def _coverage(self, story: Story, scope: Scope) -> list[Coverage]:
        if story.published is None:
            return []
        window = self._cluster_policy.window
        nearby = self._store.stories_between(
            story.published - window, story.published + window, scope=scope
        )
        same = [
            other
            for other in nearby
            if other.story_id != story.story_id
            and compose.same_story(story, other, self._cluster_policy)
        ]
        return compose.coverage_of([story, *same])

    async def story_choices(
        self, text: str, limit: int = 25, *, scope: Scope
    ) -> list[tuple[int, str]]:
        """(story number, title) of recent stories whose title matches ``text`` (autocomplete)."""
        return await off_loop(self._store.story_choices, text, max(1, min(limit, 25)), scope=scope)

    async def speaker_choices(self, text: str, limit: int = 25, *, scope: Scope) -> list[str]:
        """Quoted people whose name contains ``text``, latest first (autocomplete)."""
        return await off_loop(
            self._store.speaker_choices, text, max(1, min(limit, 25)), scope=scope
        )

    async def speaker_quotes(
        self, speaker: str, limit: int = 10, *, scope: Scope
    ) -> list[SpeakerQuote]:
        """The latest quotes by that speaker (full name or surname) across stored stories."""
        return await off_loop(self._store.speaker_quotes, speaker, limit, scope=scope)

    async def search(self, query: str, limit: int = 10, *, scope: Scope) -> list[SearchHit]:
        """Full-text search (FTS5) over stories (title and text, also of stories not condensed
        yet), quotes and speakers; user text is escaped. The stories found are condensed."""
        hits = await off_loop(functools.partial(self._store.search, query, limit, scope=scope))
        if hits:
            ids = [hit.story_id for hit in hits]
            found = await off_loop(functools.partial(self._store.stories, ids, scope=scope))
            await self.condensed(list(found.values()))
        return hits


# --- pure helpers --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Polled:
    """A poll's new document, for the read of what is stored of its entries."""

    feed_id: int
    entries: Sequence[Entry]


@dataclass(frozen=True, slots=True)
class _Recording:
    """A poll's outcome, once its queued write (``written``) is done: the 304s of a cycle are
    written in batches, and a poller does not wait for one before it fetches the next feed."""

    result: UpdateResult
    written: asyncio.Future[None]


def _settle(
    outcome: asyncio.Future[UpdateResult], result: UpdateResult, written: asyncio.Future[None]
) -> None:
    """Give ``outcome`` the poll's result once its write is done (or the write's exception)."""
    error = None if written.cancelled() else written.exception()
    if outcome.done():
        return
    if written.cancelled():
        outcome.cancel()
    elif error is not None:
        outcome.set_exception(error)
    else:
        outcome.set_result(result)


def _saved_result(feed: StoredFeed, saved: SavedPoll) -> UpdateResult:
    return UpdateResult(
        url=feed.url,
        new_stories=len(saved.new_story_ids),
        updated_stories=len(saved.updated_story_ids),
    )


async def _results(polls: Sequence[asyncio.Future[UpdateResult]]) -> list[UpdateResult]:
    """The polls' outcomes in order, once all ended (the first failure raised). Waiting is
    cancelled alone: the polls go on."""
    if polls:
        await asyncio.wait(polls)
    return [poll.result() for poll in polls]


def candidate_story(feed: StoredFeed, title: str | None, write: StoryWrite, now: datetime) -> Story:
    """A new entry, not stored yet, as a ``Story`` for same-story comparisons (number 0; an
    undated entry is dated ``now``, its first sighting)."""
    entry = write.entry
    return Story(
        story_id=0,
        feed_url=feed.url,
        feed_title=title or feed.title,
        entry_id=entry.entry_id,
        url=entry.url,
        title=entry.title,
        published=entry.published or entry.updated or now,
        summary=write.condensed.summary,
        sentences=list(write.condensed.sentences),
        quotes=list(write.condensed.quotes),
        text=write.text,
    )


def subject_of(write: StoryWrite) -> filters.Subject:
    """What filters look at in a story about to be stored."""
    entry = write.entry
    return filters.Subject(
        title=entry.title or "",
        summary=write.condensed.summary,
        text=write.text,
        categories=entry.categories,
        author=entry.author or "",
    )


def check_options(options: SubscriptionOptions) -> None:
    """Raise InputError (one sentence) for a style or thread option we do not know."""
    if options.style is not None and options.style not in ("full", "compact", "headline"):
        raise InputError("The style must be full, compact or headline.")
    if options.thread is not None and options.thread not in THREAD_MODES:
        raise InputError("The thread option must be none, per-story or per-digest.")


def disabled_notice(name: str, failures: int, error: str) -> str:
    """The plain-text notice a channel gets when a feed it follows is turned off; ``name`` and
    ``error`` come from outside (the renderer escapes them) and hold no credentials."""
    updates = "update" if failures == 1 else "updates"
    return (
        f"The feed {name} was turned off after {failures} failed {updates} in a row "
        f"(add it again with /feed add to retry); last error: {error.rstrip('.')}."
    )


def parsed_write(job: tuple[Entry, str, int | None]) -> StoryWrite:
    """An entry stored as parsed: the feed's own text, no gist yet (condensed when shown)."""
    entry, content_hash, story_id = job
    return StoryWrite(
        entry=entry,
        content_hash=content_hash,
        text=entry.text,
        image=entry.image,
        condensed=Condensed(title=entry.title, summary="", sentences=[], quotes=[]),
        story_id=story_id,
        parsed_only=True,
    )


def story_job(story: Story) -> tuple[Entry, str, int | None]:
    """A story stored as parsed, as the entry it was (for ``prepare_writes``)."""
    entry = Entry(
        entry_id=story.entry_id,
        url=story.url,
        title=story.title,
        text=story.text,
        published=story.published,
        image=story.image,
        author=story.author,
        is_teaser=story.teaser,
        categories=story.categories,
    )
    return entry, "", story.story_id


def unprepared_write(job: tuple[Entry, str, int | None]) -> StoryWrite:
    """An entry that could not be extracted and condensed in time: the feed's own text and
    its opening as the summary."""
    entry, content_hash, story_id = job
    return StoryWrite(
        entry=entry,
        content_hash=content_hash,
        text=entry.text,
        image=entry.image,
        condensed=fallback_condensed(entry.text or entry.title or "", entry.title),
        story_id=story_id,
    )


def newest(entries: Sequence[Entry], limit: int) -> list[Entry]:
    """The first ``limit`` distinct entries, newest first (undated ones keep document order)."""
    unique: dict[str, Entry] = {}
    for entry in entries:
        unique.setdefault(entry.entry_id, entry)
    ordered = list(unique.values())
    floor = datetime.min.replace(tzinfo=UTC)
    ordered.sort(key=lambda e: e.published or e.updated or floor, reverse=True)
    return ordered[: max(0, limit)]


def changed_entries(
    entries: Sequence[Entry], refs: Sequence[StoryRef]
) -> list[tuple[Entry, str, int | None]]:
    """(entry, content hash, stored story id or None) for new or changed entries only.

    An entry is matched by its id (guid, link or content hash); an entry whose id changed but
    whose link is that of a stored story no longer in the document is the same story.
    """
    by_id = {ref.entry_id: ref for ref in refs}
    present = {entry.entry_id for entry in entries}
    by_url = {ref.url: ref for ref in refs if ref.url and ref.entry_id not in present}
    todo: list[tuple[Entry, str, int | None]] = []
    claimed: set[int] = set()
    for entry in entries:
        content_hash = entry_hash(entry)
        ref = by_id.get(entry.entry_id)
        if ref is None and entry.url:
            ref = by_url.get(entry.url)
            if ref is not None and ref.story_id in claimed:
                ref = None
        if ref is not None:
            claimed.add(ref.story_id)
            if ref.content_hash == content_hash and ref.entry_id == entry.entry_id:
                continue
        todo.append((entry, content_hash, ref.story_id if ref else None))
    return todo


def parse_time(text: str) -> tuple[int, int]:
    match = _TIME.match(text)
    if match is None:
        raise InputError("The time must look like HH:MM, for example 09:00.")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise InputError("The time must be between 00:00 and 23:59.")
    return hour, minute


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_day(text: str) -> Day:
    """``daily`` or a weekday (``mon`` or ``monday``, any case); InputError otherwise."""
    word = text.strip().lower()
    if word == "daily":
        return "daily"
    for day, name in zip(DAYS[1:], _WEEKDAYS, strict=True):
        if word in (day, name):
            return day
    raise InputError("The day must be daily or a weekday, for example monday.")


def parse_timezone(name: str) -> str:
    """The canonical IANA name (case-insensitive match); InputError when unknown."""
    cleaned = name.strip()
    if cleaned and ".." not in cleaned and not cleaned.startswith("/"):
        try:
            ZoneInfo(cleaned)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
        else:
            return cleaned
        lowered = cleaned.lower()
        for zone in available_timezones():
            if zone.lower() == lowered:
                return zone
    raise InputError(
        f"{name.strip() or 'That'} is not a known time zone name (IANA, e.g. Europe/Paris)."
    )
