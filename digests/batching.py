"""Group commit: many small writes (or reads) from concurrent tasks become a few transactions.

``await batcher.add(item)`` returns once ``item`` is written (or read), with what the call
returned for it. Items added while a write runs go into the next one, so under load a batch
grows with the throughput (10,000 feeds answering 304 in one cycle take a few dozen
transactions, not 10,000) and alone an item is written at once: there is no timer and no size
to tune. When a batch of several items fails, each is written again alone, so one bad item
fails only its own ``add``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Writes (or reads) items with ``write`` (one call per batch, e.g. one transaction), which
    returns one result per item, in order."""

    def __init__(self, write: Callable[[Sequence[T]], Awaitable[Sequence[R]]]) -> None:
        self._write = write
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, item: T) -> R:
        """Queue ``item`` and wait until the batch holding it is written; its result, or the
        exception its write raised."""
        # a cancelled caller cancels only its future: its item is written with the others
        return await self.submit(item)

    def submit(self, item: T) -> asyncio.Future[R]:
        """Queue ``item`` without waiting: a future of its result (or of the exception its
        write raised), settled when the batch holding it is written."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="newsdigest-batch-writer")
        return done

    async def _drain(self) -> None:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while self._waiting:
                await asyncio.sleep(0)  # let the tasks finishing in this turn of the loop join
                batch, self._waiting = self._waiting, []
                if not await self._write_settle(batch) and len(batch) > 1:
                    for one in batch:  # find the item that failed the batch
                        await self._write_settle([one])
        except BaseException:  # cancelled (shutting down): nobody waits for a write forever
            for _, done in [*batch, *self._waiting]:
                done.cancel()
            self._waiting = []
            raise

    async def _write_settle(self, batch: list[tuple[T, asyncio.Future[R]]]) -> bool:
        """Write ``batch``; settle its futures unless it failed with more than one item."""
        try:
            results = await self._write([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1 and not batch[0][1].done():
                batch[0][1].set_exception(exc)
                batch[0][1].exception()  # retrieved: a cancelled caller may never ask
            return False
        for (_, done), result in zip(batch, results, strict=True):
            if not done.done():
                done.set_result(result)
        return True
