"""Polling decisions: slots spread over the interval, server hints, backoff, disabling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digests.polling import (
    PollPolicy,
    after_failure,
    backoff_delay,
    next_poll_after_success,
    next_slot,
)

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
POLICY = PollPolicy(interval=timedelta(minutes=15), max_failures=5)


def test_next_poll_is_within_one_interval_and_then_exactly_one_interval_apart() -> None:
    first = next_poll_after_success(7, NOW, POLICY)
    assert NOW < first <= NOW + POLICY.interval
    second = next_poll_after_success(7, first, POLICY)
    assert second - first == POLICY.interval


def test_polls_spread_across_the_interval() -> None:
    offsets = [(next_slot(feed_id, NOW, POLICY.interval) - NOW) for feed_id in range(1000)]
    minutes = [int(o.total_seconds() // 60) for o in offsets]
    buckets = [minutes.count(m) for m in range(15)]
    # 1000 feeds over 15 one-minute buckets: each bucket near 67, none empty or crowded.
    assert min(buckets) > 35
    assert max(buckets) < 110


def test_slot_is_deterministic_per_feed() -> None:
    assert next_slot(42, NOW, POLICY.interval) == next_slot(42, NOW, POLICY.interval)
    assert next_slot(42, NOW, POLICY.interval) != next_slot(43, NOW, POLICY.interval)


def test_cache_control_pushes_the_next_poll_later_but_is_capped() -> None:
    later = next_poll_after_success(1, NOW, POLICY, max_age=3600)
    assert later == NOW + timedelta(hours=1)
    capped = next_poll_after_success(1, NOW, POLICY, max_age=10 * 365 * 86400)
    assert capped == NOW + POLICY.max_age_cap
    # a max-age shorter than our interval never makes us poll more often
    short = next_poll_after_success(1, NOW, POLICY, max_age=5)
    assert short == next_slot(1, NOW, POLICY.interval)


@pytest.mark.parametrize("failures", [1, 2, 3, 4, 6, 10])
def test_backoff_doubles_from_five_minutes_within_the_jitter(failures: int) -> None:
    policy = PollPolicy(backoff_cap=timedelta(hours=24), jitter=0.2)
    expected = min(timedelta(minutes=5) * 2 ** (failures - 1), timedelta(hours=24))
    delay = backoff_delay(3, failures, policy)
    assert expected * 0.8 <= delay <= min(expected * 1.2, timedelta(hours=24))


def test_backoff_is_capped_and_jitter_is_deterministic_but_differs_between_feeds() -> None:
    policy = PollPolicy(backoff_cap=timedelta(hours=2))
    assert backoff_delay(1, 30, policy) <= timedelta(hours=2)
    assert backoff_delay(1, 3, policy) == backoff_delay(1, 3, policy)
    delays = {backoff_delay(feed_id, 3, policy) for feed_id in range(20)}
    assert len(delays) > 10


def test_disabled_after_max_failures_and_retry_after_respected() -> None:
    assert not after_failure(1, 4, NOW, POLICY).disable
    assert after_failure(1, 5, NOW, POLICY).disable
    waited = after_failure(1, 1, NOW, POLICY, retry_after=7200)
    assert waited.next_poll == NOW + timedelta(hours=2)
