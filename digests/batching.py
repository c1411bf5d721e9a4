"""Group commit: many small writes from concurrent tasks become a few transactions.

``await writer.add(item)`` returns once ``item`` is written. Items added while a write runs go
into the next one, so under load a batch grows with the throughput (10,000 feeds answering 304
in one cycle take a few dozen transactions, not 10,000) and alone an item is written at once:
there is no timer and no size to tune. A failed write fails every ``add`` of its batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class BatchWriter(Generic[T]):
    """Writes items with ``write`` (one call per batch, e.g. one transaction)."""

    def __init__(self, write: Callable[[Sequence[T]], Awaitable[None]]) -> None:
        self._write = write
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, item: T) -> None:
        """Queue ``item`` and wait until the batch holding it is written (or its write failed:
        the write's exception is raised here)."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="newsdigest-batch-writer")
        # a cancelled caller does not cancel the write its item is part of
        await asyncio.shield(done)

    async def _drain(self) -> None:
        batch: list[tuple[T, asyncio.Future[None]]] = []
        try:
            while self._waiting:
                await asyncio.sleep(0)  # let the tasks finishing in this turn of the loop join
                batch, self._waiting = self._waiting, []
                try:
                    await self._write([item for item, _ in batch])
                except Exception as exc:
                    _settle(batch, exc)
                else:
                    _settle(batch, None)
        except BaseException:  # cancelled (shutting down): nobody waits for a write forever
            for _, done in [*batch, *self._waiting]:
                done.cancel()
            self._waiting = []
            raise


def _settle(batch: list[tuple[T, asyncio.Future[None]]], error: Exception | None) -> None:
    for _, done in batch:
        if done.done():
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
            done.exception()  # retrieved: a cancelled caller may never ask
