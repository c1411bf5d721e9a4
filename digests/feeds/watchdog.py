"""Time limits for many fetches on one timer.

A steady poll cycle makes ~10,000 requests. A timer per request (``asyncio.timeout`` for the whole
fetch, aiohttp's ``sock_read`` for a server gone silent) cost about 0.3 s of the event loop's CPU
in a cycle of ~4 s (``benchmarks/poll_throughput.py``'s docstring): each one is a timer handle
pushed on the loop's heap and cancelled again, aiohttp's twice per response. The watchdog keeps
one task that wakes every ``tick`` seconds while fetches run and cancels those past their
deadline, or silent for too long; watching a fetch costs a set entry. A limit fires up to one
tick late.

``with watchdog.watch(total, silence) as watch:`` raises ``TimeoutError`` (``Silent`` when the
fetch went ``silence`` seconds without ``watch.heard()``) where the fetch ran out of time, as
``asyncio.timeout`` does; a cancellation from anywhere else stays a ``CancelledError``. Before
the first ``heard()``, and after ``asked()``, only the total limit applies.
"""

from __future__ import annotations

import asyncio
import math
from types import TracebackType
from typing import Literal

Expiry = Literal["total", "silent"]


class Silent(TimeoutError):
    """The fetch went longer than its ``silence`` without hearing from the server."""


class Watch:
    """One watched fetch (a context manager, entered in the task that runs the fetch)."""

    __slots__ = (
        "_cancelling",
        "_deadline",
        "_dog",
        "_heard",
        "_silence",
        "_task",
        "_total",
        "expired",
    )

    def __init__(self, dog: Watchdog, total: float, silence: float) -> None:
        self._dog = dog
        self._total = total
        self._silence = silence
        self._deadline = math.inf  # set on entering: the total limit counts from there
        self._heard = math.inf  # nothing heard yet: only the total limit applies
        self._task: asyncio.Task[object] | None = None
        self._cancelling = 0
        self.expired: Expiry | None = None

    def heard(self) -> None:
        """The server sent something: the silence limit counts from now."""
        self._heard = asyncio.get_running_loop().time()

    def asked(self) -> None:
        """A new request (a redirect's): until its answer begins, only the total limit."""
        self._heard = math.inf

    def overdue(self, now: float) -> Expiry | None:
        if now >= self._deadline:
            return "total"
        if now - self._heard >= self._silence:
            return "silent"
        return None

    def expire(self, why: Expiry) -> None:
        self.expired = why
        if self._task is not None:
            self._task.cancel()

    def __enter__(self) -> Watch:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("A watched fetch must run in a task.")
        self._task = task
        self._cancelling = task.cancelling()
        self._deadline = asyncio.get_running_loop().time() + self._total
        self._dog._add(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._dog._discard(self)
        if self.expired is None or self._task is None:
            return
        # our cancel request is answered here; one from elsewhere still cancels the task
        if self._task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError:
            if self.expired == "silent":
                raise Silent from exc
            raise TimeoutError from exc


class Watchdog:
    """Cancels the watched fetches that ran out of time; checks every ``tick`` seconds."""

    def __init__(self, tick: float) -> None:
        if tick <= 0:
            raise ValueError("tick must be positive")
        self._tick = tick
        self._watches: set[Watch] = set()
        self._ticker: asyncio.Task[None] | None = None

    def watch(self, total: float, silence: float = math.inf) -> Watch:
        """Limits for one fetch: ``total`` seconds in all, ``silence`` seconds between two
        ``heard()`` calls (counted from the first)."""
        return Watch(self, total, silence)

    async def close(self) -> None:
        """Stop the checking task (watches still open are no longer checked)."""
        ticker, self._ticker = self._ticker, None
        self._watches.clear()
        if ticker is not None and not ticker.done():
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)

    def _add(self, watch: Watch) -> None:
        self._watches.add(watch)
        loop = asyncio.get_running_loop()
        ticker = self._ticker
        if ticker is None or ticker.done() or ticker.get_loop() is not loop:
            self._ticker = loop.create_task(self._run(), name="newsdigest-fetch-watchdog")

    def _discard(self, watch: Watch) -> None:
        self._watches.discard(watch)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._watches:
            await asyncio.sleep(self._tick)
            now = loop.time()
            for watch in list(self._watches):
                why = watch.overdue(now)
                if why is not None:
                    self._watches.discard(watch)
                    watch.expire(why)
