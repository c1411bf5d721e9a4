"""APScheduler 3.11 wiring: feed polling, one digest job per schedule row, housekeeping.

The database is the source of truth: jobs live in the default in-memory job store and are rebuilt
from the ``schedules`` rows at start (``rebuild_jobs``); ``/digest schedule`` writes the row and
then calls ``add_digest_job``. Job functions are module-level coroutines taking a ``JobContext``
(the live objects injected at start) and ids, so tests call them directly with a fake clock
instead of waiting for wall-clock fires.

A digest missed while the service was down is caught up once at start: ``missed_fire_time`` is a
pure function of the trigger, ``now``, the schedule's last run and a grace period.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from digests.clock import Clock
from digests.model import Pruned, Schedule, UpdateResult
from digests.service import DigestService

log = logging.getLogger(__name__)

POLL_JOB_ID = "poll"
#: how often the poll job looks for due feeds; the service spreads feeds across their interval
POLL_TICK = timedelta(seconds=30)
#: a digest job that could not run at its time still runs if it is at most this late
DIGEST_GRACE = timedelta(hours=6)
HOUSEKEEPING_JOB_ID = "housekeeping"
#: how often old article text and sent posts' rows are dropped (``housekeeping``)
HOUSEKEEPING_EVERY = timedelta(hours=24)
#: the first housekeeping runs this long after start
HOUSEKEEPING_DELAY = timedelta(minutes=10)
#: how far back the catch-up looks for the last fire time (a daily job fires within a day)
LOOKBACK = timedelta(days=2)


class DailyTrigger(CronTrigger):  # type: ignore[misc]
    """A CronTrigger that fires once per day even on the day clocks fall back.

    APScheduler fires a cron job twice when its local time occurs twice (e.g. 01:30 on the night
    New York leaves daylight time); a daily digest must be posted once, so the second occurrence
    (``fold == 1`` of an ambiguous local time) is skipped. A local time that does not exist
    (clocks spring forward) fires at the shifted instant, once.
    """

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        while fire is not None and _second_of_ambiguous(fire):
            fire = super().get_next_fire_time(fire, fire)
        return fire


def _second_of_ambiguous(when: datetime) -> bool:
    return when.fold == 1 and when.replace(fold=0).utcoffset() != when.utcoffset()


def digest_job_id(schedule_id: int) -> str:
    return f"digest:{schedule_id}"


def digest_trigger(schedule: Schedule) -> DailyTrigger:
    """Every day (or, for a weekly schedule, every week on its day) at the schedule's local time
    in its IANA timezone (DST-correct)."""
    return DailyTrigger(
        day_of_week="*" if schedule.day == "daily" else schedule.day,
        hour=schedule.hour,
        minute=schedule.minute,
        timezone=ZoneInfo(schedule.timezone),
    )


def lookback_for(schedule: Schedule) -> timedelta:
    """How far back the catch-up looks: one period and a day."""
    return schedule.period + timedelta(days=1)


def last_fire_time(
    trigger: CronTrigger, now: datetime, *, lookback: timedelta = LOOKBACK
) -> datetime | None:
    """The trigger's latest fire time at or before ``now`` (None if none within ``lookback``), in
    UTC (an aware datetime inside a DST fold never compares equal across zones)."""
    last: datetime | None = None
    fire: datetime | None = trigger.get_next_fire_time(None, now - lookback)
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire)
    return last.astimezone(UTC) if last is not None else None


def missed_fire_time(
    trigger: CronTrigger,
    *,
    now: datetime,
    last_run: datetime | None,
    created_at: datetime,
    grace: timedelta = DIGEST_GRACE,
    lookback: timedelta = LOOKBACK,
) -> datetime | None:
    """The fire time to catch up now, or None.

    The latest fire time at or before ``now`` is caught up when the schedule existed then, that
    period has not run yet (``last_run`` is older) and it is at most ``grace`` late.
    """
    last = last_fire_time(trigger, now, lookback=lookback)
    if last is None or last < created_at:
        return None
    if last_run is not None and last_run >= last:
        return None
    if now - last > grace:
        return None
    return last


@dataclass(frozen=True, slots=True)
class JobContext:
    """The live objects jobs need, injected at start (no globals)."""

    digests: DigestService
    clock: Clock
    #: wakes the outbox after new deliveries were queued
    kick: Callable[[], None]
    #: waits until the Discord client is connected (``bot.wait_until_ready``)
    ready: Callable[[], Awaitable[Any]]


async def start_polls(ctx: JobContext) -> list[asyncio.Future[UpdateResult]]:
    """The polling job: start polling each due feed that is not being polled already, and
    return (futures of their outcomes) without waiting for them, so the job, which runs one
    instance at a time, is never held up by one slow feed. Each feed that brought something
    wakes the outbox as its poll ends."""
    await ctx.ready()

    def ended(result: UpdateResult) -> None:
        if result.new_stories or result.updated_stories or result.error:
            ctx.kick()

    return await ctx.digests.start_due_polls(on_result=ended)


async def poll_feeds(ctx: JobContext) -> list[UpdateResult]:
    """One tick of the polling job, waited for: start the due polls and return their outcomes
    once they all ended (tests, benchmarks)."""
    polls = await start_polls(ctx)
    if polls:
        await asyncio.wait(polls)
    return [poll.result() for poll in polls]


async def post_digest(ctx: JobContext, schedule_id: int) -> int | None:
    """A schedule's daily job: record the run for the latest fire time and queue the digest.

    Returns the number of stories queued, or None when that period already ran (or the schedule
    is gone)."""
    await ctx.ready()
    schedule = await _schedule(ctx, schedule_id)
    if schedule is None:
        return None
    fire = last_fire_time(
        digest_trigger(schedule), ctx.clock.now(), lookback=lookback_for(schedule)
    )
    if fire is None:
        return None
    return await _run(ctx, schedule_id, fire)


async def catch_up(ctx: JobContext, *, grace: timedelta = DIGEST_GRACE) -> list[int]:
    """Run, once, every scheduled digest whose time passed while the service was down.

    Returns the ids of the schedules caught up."""
    now = ctx.clock.now()
    done: list[int] = []
    for schedule in await ctx.digests.schedules():
        last_run = await ctx.digests.last_scheduled_run(schedule.schedule_id)
        fire = missed_fire_time(
            digest_trigger(schedule),
            now=now,
            last_run=last_run,
            created_at=schedule.created_at,
            grace=grace,
            lookback=lookback_for(schedule),
        )
        if fire is not None and await _run(ctx, schedule.schedule_id, fire) is not None:
            log.info("Caught up the digest of schedule %s due at %s.", schedule.schedule_id, fire)
            done.append(schedule.schedule_id)
    return done


async def housekeeping(ctx: JobContext) -> Pruned:
    """The daily housekeeping job: drop old article text and sent posts' rows (``prune``)."""
    pruned = await ctx.digests.prune()
    if pruned.stories or pruned.deliveries:
        log.info(
            "Housekeeping: dropped the article text of %d old stories and %d sent posts' records.",
            pruned.stories,
            pruned.deliveries,
        )
    return pruned


async def _run(ctx: JobContext, schedule_id: int, fire: datetime) -> int | None:
    queued = await ctx.digests.run_scheduled_digest(schedule_id, fire)
    if queued:
        ctx.kick()
    return queued


async def _schedule(ctx: JobContext, schedule_id: int) -> Schedule | None:
    for schedule in await ctx.digests.schedules():
        if schedule.schedule_id == schedule_id:
            return schedule
    return None


class Jobs:
    """The scheduler and the job context together: what cogs use to change jobs."""

    def __init__(self, scheduler: AsyncIOScheduler, ctx: JobContext) -> None:
        self.scheduler = scheduler
        self.ctx = ctx

    def add_poll_job(self, tick: timedelta = POLL_TICK) -> None:
        self._add_repeating(start_polls, POLL_JOB_ID, every=tick, delay=timedelta(0))

    def add_housekeeping_job(
        self, every: timedelta = HOUSEKEEPING_EVERY, delay: timedelta = HOUSEKEEPING_DELAY
    ) -> None:
        """Housekeeping every ``every``, the first run ``delay`` after start (not in the rush of
        the first polls)."""
        self._add_repeating(housekeeping, HOUSEKEEPING_JOB_ID, every=every, delay=delay)

    def _add_repeating(
        self,
        job: Callable[[JobContext], Awaitable[object]],
        job_id: str,
        *,
        every: timedelta,
        delay: timedelta,
    ) -> None:
        """``job(ctx)`` every ``every``, first ``delay`` from now; one at a time, a missed run
        done once (late by at most one period)."""
        self.scheduler.add_job(
            job,
            IntervalTrigger(seconds=every.total_seconds()),
            id=job_id,
            args=[self.ctx],
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(every.total_seconds()),
            next_run_time=self.ctx.clock.now() + delay,
        )

    def add_digest_job(self, schedule: Schedule) -> None:
        self.scheduler.add_job(
            post_digest,
            digest_trigger(schedule),
            id=digest_job_id(schedule.schedule_id),
            args=[self.ctx, schedule.schedule_id],
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(DIGEST_GRACE.total_seconds()),
        )

    def remove_digest_job(self, schedule_id: int) -> None:
        job = self.scheduler.get_job(digest_job_id(schedule_id))
        if job is not None:
            job.remove()

    async def rebuild(self) -> int:
        """One job per schedule row (the database is the source of truth)."""
        schedules = await self.ctx.digests.schedules()
        wanted = {digest_job_id(s.schedule_id) for s in schedules}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest:") and job.id not in wanted:
                job.remove()
        for schedule in schedules:
            self.add_digest_job(schedule)
        return len(schedules)
