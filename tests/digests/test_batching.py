"""BatchWriter: concurrent adds share writes (group commit); failures reach every caller."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from digests.batching import BatchWriter


class Sink:
    """A write target that records each batch and can be held or made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.started = asyncio.Event()
        self.fail: Exception | None = None

    async def write(self, items: Sequence[int]) -> None:
        self.started.set()
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        self.batches.append(list(items))


async def test_items_added_together_are_written_in_one_batch() -> None:
    sink = Sink()
    writer = BatchWriter(sink.write)
    await asyncio.gather(*(writer.add(n) for n in range(100)))
    assert sink.batches == [list(range(100))]


async def test_items_added_during_a_write_go_into_the_next_one() -> None:
    sink = Sink()
    writer = BatchWriter(sink.write)
    sink.gate.clear()
    first = asyncio.create_task(writer.add(1))
    await sink.started.wait()  # the first write is under way (held at the gate)
    later = [asyncio.create_task(writer.add(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)  # they queue their items
    sink.gate.set()
    await asyncio.gather(first, *later)
    assert sink.batches == [[1], [2, 3, 4]]


async def test_a_failed_write_fails_every_add_of_its_batch_and_the_next_batch_goes_on() -> None:
    sink = Sink()
    writer = BatchWriter(sink.write)
    sink.fail = RuntimeError("disk full")
    results = await asyncio.gather(*(writer.add(n) for n in range(3)), return_exceptions=True)
    assert [str(r) for r in results] == ["disk full"] * 3
    sink.fail = None
    await writer.add(7)
    assert sink.batches == [[7]]


async def test_a_cancelled_caller_does_not_cancel_the_write() -> None:
    sink = Sink()
    writer = BatchWriter(sink.write)
    sink.gate.clear()
    waiting = asyncio.create_task(writer.add(5))
    other = asyncio.create_task(writer.add(6))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    sink.gate.set()
    await other
    assert sink.batches == [[5, 6]]
