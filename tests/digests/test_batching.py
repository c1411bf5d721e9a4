"""Batcher: concurrent adds share writes (group commit); a failing item fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from digests.batching import Batcher


class Sink:
    """A write target that records each batch (returning each item doubled), can be held at a
    gate, and refuses any batch holding a ``bad`` item."""

    def __init__(self, bad: frozenset[int] = frozenset()) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.started = asyncio.Event()
        self.bad = bad

    async def write(self, items: Sequence[int]) -> list[int]:
        self.started.set()
        await self.gate.wait()
        if self.bad & set(items):
            raise RuntimeError("disk full")
        self.batches.append(list(items))
        return [2 * item for item in items]


async def test_items_added_together_are_written_in_one_batch_with_their_own_results() -> None:
    sink = Sink()
    writer: Batcher[int, int] = Batcher(sink.write)
    results = await asyncio.gather(*(writer.add(n) for n in range(100)))
    assert sink.batches == [list(range(100))]
    assert results == [2 * n for n in range(100)]


async def test_items_added_during_a_write_go_into_the_next_one() -> None:
    sink = Sink()
    writer: Batcher[int, int] = Batcher(sink.write)
    sink.gate.clear()
    first = asyncio.create_task(writer.add(1))
    await sink.started.wait()  # the first write is under way (held at the gate)
    later = [asyncio.create_task(writer.add(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)  # they queue their items
    sink.gate.set()
    await asyncio.gather(first, *later)
    assert sink.batches == [[1], [2, 3, 4]]


async def test_a_failing_item_fails_alone_and_the_others_are_written() -> None:
    sink = Sink(bad=frozenset({2}))
    writer: Batcher[int, int] = Batcher(sink.write)
    results = await asyncio.gather(*(writer.add(n) for n in range(4)), return_exceptions=True)
    assert [r if isinstance(r, int) else str(r) for r in results] == [0, 2, "disk full", 6]
    assert sink.batches == [[0], [1], [3]]  # the batch failed; each item was written alone
    assert await writer.add(7) == 14


async def test_a_cancelled_caller_does_not_cancel_the_write() -> None:
    sink = Sink()
    writer: Batcher[int, int] = Batcher(sink.write)
    sink.gate.clear()
    waiting = asyncio.create_task(writer.add(5))
    other = asyncio.create_task(writer.add(6))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    sink.gate.set()
    assert await other == 12
    assert sink.batches == [[5, 6]]
