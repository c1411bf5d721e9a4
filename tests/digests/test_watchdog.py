"""The fetches' shared timer (digests/feeds/watchdog.py): limits fire as asyncio.timeout's do,
and only its own cancellations become TimeoutError. Each wait below ends when a limit fires or
an event is set, never after a fixed sleep."""

from __future__ import annotations

import asyncio
import time

import pytest

from digests.feeds.watchdog import Silent, Watchdog


async def test_the_total_limit_turns_a_long_wait_into_a_timeout() -> None:
    dog = Watchdog(tick=0.01)
    started = time.monotonic()
    with pytest.raises(TimeoutError) as info, dog.watch(total=0.05, silence=10):
        await asyncio.Event().wait()
    assert not isinstance(info.value, Silent)
    assert 0.05 <= time.monotonic() - started < 2
    await dog.close()


async def test_silence_counts_from_the_last_word_heard() -> None:
    dog = Watchdog(tick=0.01)
    with pytest.raises(Silent), dog.watch(total=10, silence=0.05) as watch:
        watch.heard()
        await asyncio.Event().wait()
    await dog.close()


async def test_before_anything_is_heard_only_the_total_limit_applies() -> None:
    dog = Watchdog(tick=0.01)
    with pytest.raises(TimeoutError) as info, dog.watch(total=0.2, silence=0.02):
        await asyncio.Event().wait()
    assert not isinstance(info.value, Silent)
    await dog.close()


async def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    dog = Watchdog(tick=0.01)
    entered = asyncio.Event()

    async def fetch() -> None:
        with dog.watch(total=10, silence=10):
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(fetch())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await dog.close()


async def test_a_task_goes_on_after_its_fetch_timed_out() -> None:
    """The poller that ran out of time on one feed polls the next: the watchdog's cancel
    request is spent on the watched fetch, not left for the task's next wait."""
    dog = Watchdog(tick=0.01)

    async def poller() -> str:
        with pytest.raises(TimeoutError), dog.watch(total=0.03):
            await asyncio.Event().wait()
        await asyncio.sleep(0)  # would raise CancelledError with a request left over
        with dog.watch(total=10):
            await asyncio.sleep(0)
        return "next feed polled"

    task = asyncio.create_task(poller())
    assert await task == "next feed polled"
    assert task.cancelling() == 0
    await dog.close()


async def test_watches_within_their_limits_are_not_cancelled() -> None:
    dog = Watchdog(tick=0.01)
    done = asyncio.Event()

    async def quick(n: int) -> int:
        with dog.watch(total=5, silence=5) as watch:
            watch.heard()
            await done.wait()
        return n

    tasks = [asyncio.create_task(quick(n)) for n in range(50)]
    # the watchdog checks them several times over while another watch runs out of time
    with pytest.raises(TimeoutError), dog.watch(total=0.1):
        await asyncio.Event().wait()
    done.set()
    assert await asyncio.gather(*tasks) == list(range(50))
    await dog.close()
