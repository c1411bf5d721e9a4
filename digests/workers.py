"""Worker processes for CPU-heavy work on untrusted documents, each call with a time budget.

``await pool.run(fn, *args, budget=seconds)`` runs ``fn(*args)`` in one of ``size`` worker
processes and returns its result (or raises the exception it raised). A call that outlives its
budget raises ``BudgetExceeded``: its worker process is killed (a runaway parse cannot be
interrupted any other way) and a fresh one takes its place at the next call. A worker that dies
(the kernel's OOM killer, a crash in a C extension) raises ``WorkerCrashed``. ``fn`` must be a
module-level function and its arguments and result picklable.

Why processes: parsing and extraction run as long C calls or pure-Python loops; in a thread they
hold the GIL (the event loop freezes) and can never be stopped (SIGTERM waits for them). Each
call waits for its result in a thread of the pool's own, so the event loop never blocks; the
budget starts when the worker receives the job, not while the call waits for a free worker.
``close()`` kills every worker, which also ends the waiting threads at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Literal, TypeVar, TypeVarTuple, cast

log = logging.getLogger(__name__)

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

#: the modules a worker imports before its first job (so imports do not eat a job's budget):
#: the jobs and what they run, none of storage or networking (see ``digests.jobs``)
DEFAULT_PRELOAD = ("digests.jobs", "digests.feeds.parse", "digests.feeds.extract")
#: how long a new worker may take to start and import its modules
START_TIMEOUT = 60.0
#: prctl(2) option: the signal a process gets when its parent dies (Linux)
_PR_SET_PDEATHSIG = 1

Outcome = tuple[Literal["ok", "error"], Any]


def default_size() -> int:
    """One worker per CPU core, at least two (one runaway job never takes them all), at most 4."""
    return max(2, min(4, os.cpu_count() or 2))


class WorkerError(Exception):
    """A job did not produce a result."""


class BudgetExceeded(WorkerError):
    """The job ran longer than its budget; its worker was killed."""

    def __init__(self, budget: float) -> None:
        super().__init__(f"The work took more than {budget:g} seconds and was stopped.")
        self.budget = budget

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.budget,))


class WorkerCrashed(WorkerError):
    """The worker process died (or could not start) before it answered."""


class PoolClosed(WorkerError):
    """The pool was closed before or during the job."""


@dataclass(slots=True, eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    ready: bool = False

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """``size`` worker processes (started on first use), each doing one job at a time."""

    def __init__(
        self,
        size: int | None = None,
        *,
        preload: Sequence[str] = DEFAULT_PRELOAD,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        size = default_size() if size is None else size
        if size < 1:
            raise ValueError("A worker pool needs at least one worker.")
        self._size = size
        self._preload = tuple(preload)
        self._start_timeout = start_timeout
        # A fork server (one per service process) imports ``preload`` once and forks each
        # worker from that clean process: a worker starts in milliseconds, not the seconds
        # a fresh interpreter takes to import trafilatura, and nothing of the service's own
        # threads or event loop is copied into it.
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(self._preload))
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="worker-wait")
        self._slots: asyncio.Queue[_Worker | None] | None = None
        self._live: set[_Worker] = set()
        self._closed = False

    async def __aenter__(self) -> WorkerPool:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def run(self, fn: Callable[[*Ts], T], *args: *Ts, budget: float) -> T:
        """``fn(*args)`` in a worker process, given at most ``budget`` seconds once started."""
        slots = self._free_slots()
        worker = await slots.get()
        try:
            if self._closed:
                raise PoolClosed("The worker pool is closed.")
            loop = asyncio.get_running_loop()
            if worker is None:
                worker = self._start()  # fork and exec: milliseconds
            kind, value = await loop.run_in_executor(
                self._threads, self._exchange, worker, fn, args, budget
            )
        except BaseException:  # timeout, crash or cancellation: the worker's state is unknown
            if worker is not None:
                self._discard(worker)
            slots.put_nowait(None)
            if self._closed:
                raise PoolClosed("The worker pool was closed during the job.") from None
            raise
        slots.put_nowait(worker)
        if kind == "error":
            raise cast(BaseException, value)
        return cast(T, value)

    async def start(self) -> None:
        """Start the workers now rather than at their first job: they import their modules
        meanwhile (seconds with trafilatura), so the first jobs do not wait for that."""
        slots = self._free_slots()
        idle = [slots.get_nowait() for _ in range(slots.qsize())]
        for worker in idle:
            slots.put_nowait(worker if worker is not None else self._start())

    async def close(self) -> None:
        """Kill every worker (a running job ends with ``PoolClosed``)."""
        self._closed = True
        for worker in list(self._live):
            self._discard(worker)
        self._threads.shutdown(wait=False, cancel_futures=True)

    # --- internals ---------------------------------------------------------------------------
    def _free_slots(self) -> asyncio.Queue[_Worker | None]:
        if self._slots is None:  # created in the running loop on first use
            self._slots = asyncio.Queue()
            for _ in range(self._size):
                self._slots.put_nowait(None)
        return self._slots

    def _start(self) -> _Worker:
        if self._closed:
            raise PoolClosed("The worker pool is closed.")
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=serve,
            args=(child, self._preload),
            name="newsdigest-worker",
            daemon=True,
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._live.add(worker)
        return worker

    def _exchange(
        self, worker: _Worker, fn: Callable[..., Any], args: tuple[Any, ...], budget: float
    ) -> Outcome:
        """Runs in a waiting thread: send the job, wait at most ``budget`` for the answer."""
        try:
            if not worker.ready:
                if not worker.conn.poll(self._start_timeout):
                    raise WorkerCrashed("A worker process did not start in time.")
                worker.conn.recv()
                worker.ready = True
            worker.conn.send((fn, args))
            if not worker.conn.poll(budget):
                raise BudgetExceeded(budget)
            return cast(Outcome, worker.conn.recv())
        except (EOFError, OSError) as exc:
            raise WorkerCrashed("A worker process stopped before it answered.") from exc

    def _discard(self, worker: _Worker) -> None:
        self._live.discard(worker)
        worker.kill()


def serve(conn: Connection, preload: tuple[str, ...]) -> None:
    """A worker process: import ``preload``, then answer jobs until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which kills us
    _release_fork_server()
    _die_with(os.getppid())
    for name in preload:
        importlib.import_module(name)
    conn.send(("ready", None))
    while True:
        try:
            fn, args = conn.recv()
        except EOFError:
            return
        outcome = _call(fn, args)
        try:
            conn.send(outcome)
        except Exception as exc:  # an unpicklable result (send pickles before it writes)
            conn.send(("error", WorkerError(f"The result could not be returned ({exc}).")))


def _release_fork_server() -> None:
    """Close this worker's copy of the fork server's "service alive" pipe end. The fork server
    exits when that pipe reaches end-of-file, i.e. when the service dies; a worker holding a
    copy would keep it (and so itself, see ``_die_with``) alive after a SIGKILL of the service.
    Best effort: the attribute is multiprocessing's own."""
    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(fd, int):
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]


def _die_with(parent: int) -> None:
    """Linux: have the kernel kill this worker when its parent dies: the fork server, which
    ends as soon as the service does, even by SIGKILL. So a runaway job cannot outlive the
    service (elsewhere the worker ends at its job's end, on a closed pipe)."""
    if sys.platform != "linux":
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> Outcome:
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # handed to the caller, which re-raises it
        return ("error", exc)
