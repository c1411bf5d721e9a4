"""Job ids, trigger fire times from fixed `now`s (DST included) and the catch-up decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.scheduling import (
    DIGEST_GRACE,
    HOUSEKEEPING_DELAY,
    HOUSEKEEPING_EVERY,
    HOUSEKEEPING_JOB_ID,
    DailyTrigger,
    JobContext,
    Jobs,
    digest_job_id,
    digest_trigger,
    housekeeping,
    last_fire_time,
    lookback_for,
    missed_fire_time,
    post_digest,
)
from digests.clock import FakeClock
from digests.feeds.fetch import Fetcher
from digests.model import Pruned, Schedule, Scope
from digests.service import DigestService
from digests.store import Store
from tests.digests.test_storage import save, write

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def schedule(hour: int, minute: int, tz: str, schedule_id: int = 7) -> Schedule:
    return Schedule(
        schedule_id=schedule_id,
        guild_id=1,
        channel_id=2,
        hour=hour,
        minute=minute,
        timezone=tz,
        created_at=CREATED,
    )


def fires(trigger: DailyTrigger, start: datetime, count: int) -> list[datetime]:
    out: list[datetime] = []
    prev = None
    now = start
    for _ in range(count):
        fire = trigger.get_next_fire_time(prev, now)
        assert fire is not None
        out.append(fire.astimezone(UTC))
        prev = now = fire
    return out


def test_job_id() -> None:
    assert digest_job_id(42) == "digest:42"


def test_fire_times_in_local_time() -> None:
    trigger = digest_trigger(schedule(9, 0, "Europe/London"))
    # London is on GMT in late November
    assert fires(trigger, datetime(2026, 11, 26, 8, 0, tzinfo=UTC), 2) == [
        datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
    ]
    # and on BST in July
    assert fires(trigger, datetime(2026, 7, 1, 9, 0, tzinfo=UTC), 1) == [
        datetime(2026, 7, 2, 8, 0, tzinfo=UTC)
    ]


def test_spring_forward_keeps_local_time() -> None:
    # Europe/Berlin jumps from 02:00 CET to 03:00 CEST on 29 March 2026
    trigger = digest_trigger(schedule(9, 0, "Europe/Berlin"))
    assert fires(trigger, datetime(2026, 3, 28, 12, 0, tzinfo=UTC), 2) == [
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC),  # 09:00 CEST
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
    ]


def test_nonexistent_local_time_fires_once() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026: it fires once that day, not zero or twice
    trigger = digest_trigger(schedule(2, 30, "Europe/Berlin"))
    got = fires(trigger, datetime(2026, 3, 28, 12, 0, tzinfo=UTC), 3)
    assert [f.date().isoformat() for f in got] == ["2026-03-29", "2026-03-30", "2026-03-31"]
    assert got[1] == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)  # 02:30 CEST


def test_fall_back_ambiguous_time_fires_once() -> None:
    # 01:30 happens twice in New York on 1 November 2026; the digest is posted once (the first)
    trigger = digest_trigger(schedule(1, 30, "America/New_York"))
    assert fires(trigger, datetime(2026, 10, 31, 12, 0, tzinfo=UTC), 3) == [
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # 01:30 EDT
        datetime(2026, 11, 2, 6, 30, tzinfo=UTC),  # 01:30 EST
        datetime(2026, 11, 3, 6, 30, tzinfo=UTC),
    ]


def test_last_fire_time() -> None:
    trigger = digest_trigger(schedule(9, 0, "UTC"))
    assert last_fire_time(trigger, datetime(2026, 11, 26, 8, 59, tzinfo=UTC)) == datetime(
        2026, 11, 25, 9, 0, tzinfo=UTC
    )
    assert last_fire_time(trigger, datetime(2026, 11, 26, 9, 0, tzinfo=UTC)) == datetime(
        2026, 11, 26, 9, 0, tzinfo=UTC
    )


def test_last_fire_time_across_dst() -> None:
    trigger = digest_trigger(schedule(1, 30, "America/New_York"))
    # after the second 01:30 of the fall-back night, the last fire is still the first one
    now = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
    assert last_fire_time(trigger, now) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_missed_fire_time_decisions() -> None:
    trigger = digest_trigger(schedule(9, 0, "Europe/London"))
    fire = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    # down over 09:00, never ran for that period: catch up
    assert missed_fire_time(trigger, now=now, last_run=None, created_at=CREATED) == fire
    previous = fire - timedelta(days=1)
    assert missed_fire_time(trigger, now=now, last_run=previous, created_at=CREATED) == fire
    # already ran for that period: nothing
    assert missed_fire_time(trigger, now=now, last_run=fire, created_at=CREATED) is None
    # schedule created after the fire time: nothing to catch up
    created_later = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    assert missed_fire_time(trigger, now=now, last_run=None, created_at=created_later) is None
    # too late (beyond grace): skip rather than post a stale digest
    late = fire + DIGEST_GRACE + timedelta(minutes=1)
    assert missed_fire_time(trigger, now=late, last_run=previous, created_at=CREATED) is None
    # exactly at the fire time counts
    assert missed_fire_time(trigger, now=fire, last_run=previous, created_at=CREATED) == fire


def test_missed_fire_time_over_spring_forward() -> None:
    trigger = digest_trigger(schedule(9, 0, "Europe/Berlin"))
    now = datetime(2026, 3, 29, 7, 30, tzinfo=UTC)  # 09:30 CEST
    assert missed_fire_time(trigger, now=now, last_run=None, created_at=CREATED) == datetime(
        2026, 3, 29, 7, 0, tzinfo=UTC
    )
    now = datetime(2026, 3, 29, 6, 30, tzinfo=UTC)  # 08:30 CEST: today's has not happened
    assert (
        missed_fire_time(
            trigger,
            now=now,
            last_run=datetime(2026, 3, 28, 8, 0, tzinfo=UTC),
            created_at=CREATED,
        )
        is None
    )


class FakeDigests:
    """Records run_scheduled_digest calls (a stand-in for the service in a pure job test)."""

    def __init__(self, schedules: list[Schedule]) -> None:
        self._schedules = schedules
        self.runs: dict[tuple[int, datetime], int] = {}

    async def schedules(self) -> list[Schedule]:
        return self._schedules

    async def run_scheduled_digest(self, schedule_id: int, fire_time: datetime) -> int | None:
        key = (schedule_id, fire_time)
        if key in self.runs:
            return None
        self.runs[key] = 3
        return 3


async def test_jobs_registered_and_post_digest_uses_fire_time() -> None:
    clock = FakeClock(datetime(2026, 11, 26, 9, 0, 5, tzinfo=UTC))
    rows = [schedule(9, 0, "UTC", 1), schedule(18, 30, "Asia/Tokyo", 2)]
    fake = FakeDigests(rows)
    kicks: list[int] = []

    async def ready() -> None:
        return None

    ctx = JobContext(digests=fake, clock=clock, kick=lambda: kicks.append(1), ready=ready)  # type: ignore[arg-type]
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start(paused=True)  # jobs are registered but nothing fires on the wall clock
    jobs = Jobs(scheduler, ctx)
    for row in rows:
        jobs.add_digest_job(row)
    jobs.add_digest_job(rows[0])  # replace_existing: still one job per schedule
    ids = sorted(job.id for job in scheduler.get_jobs())
    assert ids == ["digest:1", "digest:2"]
    job = scheduler.get_job("digest:2")
    assert job is not None
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.misfire_grace_time == int(DIGEST_GRACE.total_seconds())
    nxt = job.trigger.get_next_fire_time(None, clock.now())
    assert nxt.astimezone(UTC) == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # 18:30 JST

    assert await post_digest(ctx, 1) == 3
    assert list(fake.runs) == [(1, datetime(2026, 11, 26, 9, 0, tzinfo=UTC))]
    assert await post_digest(ctx, 1) is None  # same period: not twice
    assert kicks == [1]
    jobs.remove_digest_job(1)
    assert [j.id for j in scheduler.get_jobs()] == ["digest:2"]
    scheduler.shutdown(wait=False)


@pytest.mark.parametrize("tz", ["UTC", "Europe/London", "Australia/Lord_Howe"])
def test_daily_trigger_fires_once_per_local_day(tz: str) -> None:
    trigger = digest_trigger(schedule(2, 15, tz))
    got = fires(trigger, datetime(2026, 1, 1, tzinfo=UTC), 366)
    assert len({f.astimezone(trigger.timezone).date() for f in got}) == 366


async def test_housekeeping_job_runs_daily_and_prunes_by_the_injected_clock(
    tmp_path: Path,
) -> None:
    clock = FakeClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    store = Store(tmp_path / "news.db")
    feed = store.ensure_feed("https://a.example/rss", clock.now())
    [story_id] = save(store, feed.feed_id, [write("g1", "Old news", "Old body.")], now=clock.now())
    service = DigestService(
        store, Fetcher(user_agent="t"), clock=clock, retention=timedelta(days=30)
    )

    async def ready() -> None:
        return None

    ctx = JobContext(digests=service, clock=clock, kick=lambda: None, ready=ready)
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        Jobs(scheduler, ctx).add_housekeeping_job()
        job = scheduler.get_job(HOUSEKEEPING_JOB_ID)
        assert job is not None and job.max_instances == 1 and job.coalesce is True
        assert job.next_run_time == clock.now() + HOUSEKEEPING_DELAY
        assert job.trigger.interval == HOUSEKEEPING_EVERY
        assert await housekeeping(ctx) == Pruned()  # the story is new
        clock.advance(timedelta(days=31))
        assert await housekeeping(ctx) == Pruned(stories=1)
        kept = store.story(story_id, scope=Scope.everything())
        assert kept is not None and kept.text == "" and kept.title == "Old news"
    finally:
        scheduler.shutdown(wait=False)
        store.close()


def test_weekly_trigger_fires_on_its_day_in_local_time_and_is_caught_up() -> None:
    weekly = replace(schedule(8, 0, "America/New_York"), day="mon")
    trigger = digest_trigger(weekly)
    start = datetime(2026, 10, 28, tzinfo=UTC)  # a Wednesday; New York leaves DST on 1 Nov
    assert fires(trigger, start, 3) == [
        datetime(2026, 11, 2, 13, 0, tzinfo=UTC),
        datetime(2026, 11, 9, 13, 0, tzinfo=UTC),
        datetime(2026, 11, 16, 13, 0, tzinfo=UTC),
    ]
    # five days after a Monday fire (within a long grace), the missed weekly run is found
    now = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
    missed = missed_fire_time(
        trigger,
        now=now,
        last_run=None,
        created_at=CREATED,
        grace=timedelta(days=6),
        lookback=lookback_for(weekly),
    )
    assert missed == datetime(2026, 11, 9, 13, 0, tzinfo=UTC)
