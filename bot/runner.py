"""The composition root of ``newsdigest run``: settings → logging → Store → Fetcher →
DigestService → scheduler, outbox → DigestBot. Nothing else builds these objects.

``run(settings)`` returns the exit status: 0 after a clean stop (Ctrl-C, SIGTERM), 1 with one
sentence on stderr when the token is missing or Discord rejects it, or start-up fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.client import DigestBot
from bot.delivery import IDLE_WAIT, SHARED_IDLE_WAIT, DiscordTransport, Outbox
from bot.scheduling import POLL_TICK, JobContext, Jobs, catch_up
from bot.settings import DEFAULT_API_BASE, Settings, SettingsError
from digests.clock import Clock, SystemClock
from digests.errors import DigestError
from digests.feeds.fetch import Fetcher
from digests.feeds.urlsafety import redact_urls_in
from digests.service import DigestService, off_loop
from digests.shards import format_shard_ids
from digests.store import Store, open_store
from digests.workers import WorkerPool

log = logging.getLogger("newsdigest")

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class RedactFilter(logging.Filter):
    """Replaces every occurrence of the secrets in a record's final message and traceback with
    "[redacted]", and the credentials of any URL in them (``redact_url``): a library's error
    message may quote a feed URL with its token."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        text = self._redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if text != message:
            record.msg, record.args = text, None
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return redact_urls_in(text) if "://" in text else text


def configure_logging(level: str, token: str | None) -> logging.Handler:
    """One stderr handler on the root logger whose filter redacts the token."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactFilter(token or ""))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return handler


def point_discord_at(api_base: str) -> None:
    """Use ``api_base`` for REST (class attribute ``Route.BASE``)."""
    Route.BASE = api_base.rstrip("/")


async def point_gateway_at_base(bot: DigestBot) -> None:
    """When the REST base is not Discord's, take the gateway URL from ``GET /gateway/bot`` on it
    and make it discord.py's default too (used by non-resumable reconnects)."""
    if Route.BASE == DEFAULT_API_BASE:
        return
    _, url, _ = await bot.http.get_bot_gateway()
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


@dataclass(slots=True)
class App:
    """Everything ``newsdigest run`` composes, for the runner and for end-to-end tests."""

    store: Store
    service: DigestService
    scheduler: AsyncIOScheduler
    jobs: Jobs
    outbox: Outbox
    bot: DigestBot


@contextlib.asynccontextmanager
async def compose(
    settings: Settings,
    *,
    clock: Clock | None = None,
    fetcher: Fetcher | None = None,
    guild_ready_timeout: float = 2.0,
) -> AsyncIterator[App]:
    """Build the application (the store is opened and migrated in a worker thread); on exit,
    stop the scheduler, close the bot, the fetcher and the store. ``guild_ready_timeout`` is
    how long discord.py waits for more servers before it is ready (tests shorten it)."""
    clock = clock or SystemClock()
    store = await off_loop(open_store, settings.database)
    own_fetcher = fetcher is None
    fetch = fetcher or Fetcher(
        user_agent=settings.user_agent,
        allow_private=settings.allow_private_urls,
        limits=settings.fetch_limits(),
    )
    scheduler = AsyncIOScheduler(timezone="UTC")
    # parsing, extraction and condensing run in worker processes, each document on a time budget
    workers = WorkerPool()
    service: DigestService | None = None
    try:
        await workers.start()
        if own_fetcher:
            await fetch.__aenter__()
        shards = settings.shard_set()
        service = DigestService(
            store,
            fetch,
            clock=clock,
            poll_interval=timedelta(minutes=settings.poll_minutes),
            max_failures=settings.max_failures,
            feed_limit=settings.feed_limit,
            cpu_executor=workers,
            retention=timedelta(days=settings.retention_days) if settings.retention_days else None,
            poll_lease=settings.poll_lease(),
            shards=shards,
        )
        box: list[DigestBot] = []

        def kick() -> None:
            outbox.kick()

        async def ready() -> None:
            await box[0].wait_until_ready()

        ctx = JobContext(digests=service, clock=clock, kick=kick, ready=ready)
        jobs = Jobs(scheduler, ctx)
        # another process's poll may queue this one's posts without waking it: look more often
        idle = IDLE_WAIT if shards.owns_all else SHARED_IDLE_WAIT
        outbox = Outbox(service, idle_wait=idle)
        bot = DigestBot(
            digests=service,
            jobs=jobs,
            outbox=outbox,
            dev_guild_id=settings.dev_guild_id,
            sync_state=_sync_state_path(settings.db),
            guild_ready_timeout=guild_ready_timeout,
            shards=shards,
        )
        box.append(bot)
        outbox.transport = DiscordTransport(bot)
        yield App(store, service, scheduler, jobs, outbox, bot)
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        if service is not None:
            await service.stop_polls()
        await workers.close()
        if own_fetcher:
            await fetch.close()
        await off_loop(store.close)


def _sync_state_path(db: str) -> Path | None:
    if db == ":memory:":
        return None
    return Path(db).with_name(Path(db).name + ".commands-sha256")


async def start_background(
    app: App, *, poll_tick: timedelta = POLL_TICK, paused: bool = False, outbox: bool = True
) -> list[asyncio.Task[None]]:
    """After the bot is ready: start the scheduler (``paused`` registers jobs without firing
    them, for tests that invoke job functions with a fake clock; ``outbox=False`` leaves
    delivery to explicit ``app.outbox.drain()`` calls), rebuild the digest jobs from
    the database, catch up missed digests, add the polling and housekeeping jobs and start the
    outbox loop."""
    await app.bot.wait_until_ready()
    if not app.scheduler.running:
        app.scheduler.start(paused=paused)
    await app.jobs.rebuild()
    await catch_up(app.jobs.ctx)
    app.jobs.add_poll_job(poll_tick)
    app.jobs.add_housekeeping_job()
    feeds = await off_loop(app.store.polled_feed_count)
    if app.bot.shard_ids is not None:
        log.info(
            "Connected shards %s of %s: posting for their servers only.",
            format_shard_ids(app.bot.shard_ids),
            app.bot.shard_count,
        )
    log.info(
        "Started as %s: in %d server(s), polling %d feed(s).",
        app.bot.user,
        len(app.bot.guilds),
        feeds,
    )
    if not outbox:
        return []
    return [asyncio.create_task(app.outbox.run(), name="newsdigest-outbox")]


async def start_bot(app: App, token: str) -> asyncio.Task[None]:
    """Log in (a rejected token raises discord.LoginFailure here), point the gateway at the
    configured base and connect in a task."""
    await app.bot.login(token)
    await point_gateway_at_base(app.bot)
    return asyncio.create_task(app.bot.connect(reconnect=True), name="newsdigest-bot")


async def shutdown(app: App, *tasks: asyncio.Task[Any]) -> None:
    """Stop the scheduler, the feeds' polls and the background tasks, then close the bot."""
    if app.scheduler.running:
        app.scheduler.shutdown(wait=False)
    await app.service.stop_polls()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    log.debug("Background tasks stopped; closing the Discord connection.")
    with contextlib.suppress(Exception):
        async with asyncio.timeout(10):
            await app.bot.close()
    log.debug("Discord connection closed.")


async def serve(settings: Settings, token: str, *, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (signals set it) or the bot stops."""
    stop = stop or asyncio.Event()
    point_discord_at(settings.api_base_url)
    async with compose(settings) as app:
        try:
            bot_task = await start_bot(app, token)
        except BaseException:
            await shutdown(app)
            raise
        tick = min(POLL_TICK, timedelta(minutes=settings.poll_minutes) / 4)
        starter = asyncio.create_task(
            start_background(app, poll_tick=tick), name="newsdigest-start"
        )
        stopper = asyncio.create_task(stop.wait(), name="newsdigest-stop")
        background: list[asyncio.Task[None]] = []
        try:
            done, _ = await asyncio.wait(
                {bot_task, starter, stopper}, return_when=asyncio.FIRST_COMPLETED
            )
            if starter in done:
                background = starter.result()
                await asyncio.wait({bot_task, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if bot_task.done() and not bot_task.cancelled():
                error = bot_task.exception()
                if error is not None:
                    raise error
        finally:
            log.info("Shutting down.")
            await shutdown(app, starter, stopper, *background)
            bot_task.cancel()
            await asyncio.gather(bot_task, return_exceptions=True)
            log.debug("Closing the fetcher and the database.")


def run(settings: Settings) -> int:
    """``newsdigest run``: the exit status (0 clean stop, 1 one sentence on stderr)."""
    try:
        token = settings.require_token()
    except SettingsError as exc:
        print(f"newsdigest: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    configure_logging(settings.log_level, token)
    # a news bot never joins voice: do not warn about voice libraries at start-up
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    try:
        asyncio.run(_main(settings, token))
    except discord.LoginFailure:
        print(  # noqa: T201
            "newsdigest: Discord rejected DISCORD_TOKEN; check the bot token.", file=sys.stderr
        )
        return 1
    except discord.PrivilegedIntentsRequired:
        print("newsdigest: Discord refused the gateway intents.", file=sys.stderr)  # noqa: T201
        return 1
    except (DigestError, discord.GatewayNotFound, discord.HTTPException, OSError) as exc:
        print(f"newsdigest: could not start: {_sentence(exc)}", file=sys.stderr)  # noqa: T201
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


async def _main(settings: Settings, token: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await serve(settings, token, stop=stop)


def _sentence(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if text.endswith(".") else text + "."
