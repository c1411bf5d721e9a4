"""WorkerPool: real worker processes (spawned), real time budgets (short ones, so the runaway
jobs here cost about a second each)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from digests.errors import ParseError
from digests.workers import BudgetExceeded, PoolClosed, WorkerCrashed, WorkerPool

#: workers import only what these jobs need (and this module, when they unpickle a job)
LIGHT: tuple[str, ...] = ()
REPO = Path(__file__).resolve().parents[2]


def square(n: int) -> int:
    return n * n


def spin(seconds: float) -> str:
    """CPU-bound for ``seconds`` (a runaway parse in miniature), then answers."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return "done"


def refuse(url: str) -> None:
    raise ParseError(url, f"The document at {url} is not a feed.")


def pid() -> int:
    return os.getpid()


def die() -> None:
    os._exit(3)


def unpicklable() -> object:
    return lambda: None


#: what a worker never needs: networking, storage (and the numpy sqlite-utils loads), Discord
SERVICE_SIDE = ("aiohttp", "sqlite_utils", "numpy", "psycopg", "discord", "digests.store")


def service_side_modules() -> list[str]:
    return [name for name in SERVICE_SIDE if name in sys.modules]


async def test_runs_functions_in_other_processes() -> None:
    async with WorkerPool(2, preload=LIGHT) as pool:
        results = await asyncio.gather(*(pool.run(square, n, budget=30) for n in range(6)))
        worker = await pool.run(pid, budget=30)
    assert results == [0, 1, 4, 9, 16, 25]
    assert worker != os.getpid()


async def test_a_worker_running_the_polls_jobs_stays_free_of_the_service_side() -> None:
    """Each worker is a copy of what it imports: the default preload and the jobs a poll sends
    (a feed parse, a teaser's extraction and condensing) load no storage or networking."""
    from digests.jobs import (
        default_condense,
        default_extract,
        default_parse,
        parse_job,
        prepare_writes,
    )
    from digests.model import Retrieved

    page = (
        "<html><body><article><h1>Harbour plan</h1>"
        + "<p>The council approved the harbour plan on Tuesday after months of debate. "
        '"We will build it on time," said Jane Smith, who leads the project.</p>'
        * 5
        + "</article></body></html>"
    ).encode()
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>'
        b"<link>https://news.example/</link><item><title>Harbour plan</title>"
        b"<link>https://news.example/harbour</link><description>Teaser</description>"
        b"</item></channel></rss>"
    )
    async with WorkerPool(1) as pool:
        parsed = await pool.run(
            parse_job, default_parse, feed, "https://news.example/feed", {}, budget=30
        )
        assert parsed.parsed is not None
        (entry,) = parsed.parsed.entries
        (write,) = await pool.run(
            prepare_writes,
            default_condense,
            default_extract,
            [(entry, "hash", None)],
            [Retrieved(url="https://news.example/harbour", content=page)],
            budget=30,
        )
        loaded = await pool.run(service_side_modules, budget=30)
    assert "harbour plan" in write.text
    assert loaded == []


async def test_a_runaway_job_is_stopped_at_its_budget_and_its_worker_replaced() -> None:
    async with WorkerPool(1, preload=LIGHT) as pool:
        before = await pool.run(pid, budget=30)
        started = time.perf_counter()
        with pytest.raises(BudgetExceeded) as caught:
            await pool.run(spin, 600.0, budget=0.5)
        elapsed = time.perf_counter() - started
        after = await pool.run(pid, budget=30)
    assert elapsed < 5, f"the runaway job held the caller for {elapsed:.1f}s"
    assert caught.value.budget == 0.5
    assert after != before  # the runaway worker was killed and a new one started


async def test_a_runaway_job_does_not_hold_up_the_other_worker() -> None:
    async with WorkerPool(2, preload=LIGHT) as pool:
        await asyncio.gather(pool.run(pid, budget=30), pool.run(pid, budget=30))  # both started
        runaway = asyncio.create_task(pool.run(spin, 600.0, budget=20))
        started = time.perf_counter()
        answers = [await pool.run(square, n, budget=30) for n in range(5)]
        elapsed = time.perf_counter() - started
        assert not runaway.done()
        runaway.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runaway
    assert answers == [0, 1, 4, 9, 16]
    assert elapsed < 5


async def test_the_event_loop_keeps_running_during_a_job() -> None:
    ticks = 0

    async def count() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async with WorkerPool(1, preload=LIGHT) as pool:
        await pool.run(pid, budget=30)
        counter = asyncio.create_task(count())
        assert await pool.run(spin, 1.0, budget=30) == "done"
        counter.cancel()
    assert ticks > 20  # the loop ran ~100 times while the worker spun for a second


async def test_exceptions_come_back_with_their_type_and_message() -> None:
    async with WorkerPool(1, preload=LIGHT) as pool:
        with pytest.raises(ParseError) as caught:
            await pool.run(refuse, "https://a.example/x", budget=30)
        assert caught.value.url == "https://a.example/x"
        assert caught.value.message == "The document at https://a.example/x is not a feed."
        assert await pool.run(square, 3, budget=30) == 9  # the worker lives on


async def test_a_dying_worker_is_reported_and_replaced() -> None:
    async with WorkerPool(1, preload=LIGHT) as pool:
        with pytest.raises(WorkerCrashed):
            await pool.run(die, budget=30)
        assert await pool.run(square, 4, budget=30) == 16


async def test_an_unpicklable_result_is_an_error_not_a_crash() -> None:
    async with WorkerPool(1, preload=LIGHT) as pool:
        first = await pool.run(pid, budget=30)
        with pytest.raises(Exception, match="could not be returned"):
            await pool.run(unpicklable, budget=30)
        assert await pool.run(pid, budget=30) == first


async def test_close_stops_a_running_job_at_once() -> None:
    pool = WorkerPool(1, preload=LIGHT)
    await pool.run(pid, budget=30)
    job = asyncio.create_task(pool.run(spin, 600.0, budget=600))
    await asyncio.sleep(0.3)
    started = time.perf_counter()
    await pool.close()
    with pytest.raises(PoolClosed):
        await job
    assert time.perf_counter() - started < 5
    with pytest.raises(PoolClosed):
        await pool.run(square, 2, budget=30)


OWNER = """
import asyncio, sys
from digests.workers import WorkerPool
from tests.digests.test_workers import pid, spin

async def main():
    pool = WorkerPool(1, preload=())
    print(await pool.run(pid, budget=30), flush=True)
    await pool.run(spin, 600.0, budget=600)

asyncio.run(main())
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's parent-death signal is Linux's")
async def test_a_running_worker_dies_with_a_killed_service(tmp_path: Path) -> None:
    owner = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        OWNER,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    try:
        assert owner.stdout is not None
        worker = int(await asyncio.wait_for(owner.stdout.readline(), 30))
        await asyncio.sleep(0.3)  # the worker is spinning on its 600 s job
        assert alive(worker)
    finally:
        owner.kill()  # SIGKILL: no cleanup code of the service runs
        # (an orphaned worker would keep the stdout pipe open, and wait() with it)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(owner.wait(), 10)
    deadline = time.monotonic() + 5
    while alive(worker) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    orphaned = alive(worker)
    if orphaned:
        os.kill(worker, signal.SIGKILL)
    assert not orphaned, "the worker outlived the killed service"


def alive(process_id: int) -> bool:
    """Running (a zombie awaiting its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{process_id}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
