"""Polling decisions as pure functions: when to poll a feed next, and when to give up on it.

- After a success the next poll lands on the feed's own slot of the interval: each feed gets a
  stable phase (seeded by its id), so thousands of feeds spread evenly over the interval instead
  of all firing at once. A server's Cache-Control max-age / Retry-After pushes the poll later
  (never earlier than our interval, never later than ``max_age_cap``).
- After a failure: backoff 5 min x 2^(n-1), capped, jittered deterministically by feed id and
  failure count (so restarts agree), never sooner than a Retry-After; after ``max_failures``
  consecutive failures the feed is disabled.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PollPolicy:
    interval: timedelta = timedelta(minutes=15)
    backoff_base: timedelta = timedelta(minutes=5)
    backoff_cap: timedelta = timedelta(hours=24)
    #: +- this share of the backoff delay, chosen deterministically per feed and failure
    jitter: float = 0.2
    max_failures: int = 8
    #: a server may ask us to come back later, but not later than this
    max_age_cap: timedelta = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class FailureDecision:
    next_poll: datetime
    disable: bool


def unit_hash(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts (stable across runs and processes)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def phase(feed_id: int, interval: timedelta) -> timedelta:
    """The feed's fixed offset inside each interval."""
    return interval * unit_hash("phase", feed_id)


def next_slot(feed_id: int, now: datetime, interval: timedelta) -> datetime:
    """The first of the feed's slots strictly after ``now`` (slots are ``interval`` apart)."""
    if interval <= timedelta(0):
        raise ValueError("interval must be positive")
    offset = phase(feed_id, interval)
    elapsed = now - _EPOCH - offset
    periods = elapsed // interval
    slot = _EPOCH + offset + interval * (periods + 1)
    return slot if slot > now else slot + interval


def next_poll_after_success(
    feed_id: int, now: datetime, policy: PollPolicy, max_age: int | None = None
) -> datetime:
    """When to poll again after a good fetch (200 or 304)."""
    slot = next_slot(feed_id, now, policy.interval)
    if max_age is None or max_age <= 0:
        return slot
    wanted = now + min(timedelta(seconds=max_age), policy.max_age_cap)
    return max(slot, wanted)


def backoff_delay(feed_id: int, failures: int, policy: PollPolicy) -> timedelta:
    """Delay after the ``failures``-th consecutive failure (1-based), jittered and capped."""
    n = max(1, failures)
    base = policy.backoff_base * (2 ** min(n - 1, 30))
    base = min(base, policy.backoff_cap)
    spread = policy.jitter * (2 * unit_hash("backoff", feed_id, n) - 1)
    jittered: timedelta = base * (1 + spread)
    return min(jittered, policy.backoff_cap)


def after_failure(
    feed_id: int,
    failures: int,
    now: datetime,
    policy: PollPolicy,
    retry_after: int | None = None,
) -> FailureDecision:
    """``failures`` counts this failure too. Disabled once it reaches ``max_failures``."""
    delay = backoff_delay(feed_id, failures, policy)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(timedelta(seconds=retry_after), policy.max_age_cap))
    return FailureDecision(next_poll=now + delay, disable=failures >= policy.max_failures)
