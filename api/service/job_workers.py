"""The worker processes of one simulation job: a spawned process pool that can be
stopped at once (cancel, server shutdown) and whose processes each have a memory limit.

It is an :class:`simulering.executors.Executor`, so the job runs on the same runner as
``remiss simulate``. Unlike the CLI's pool it is built on
:class:`multiprocessing.pool.Pool`, whose public ``terminate()`` stops the worker
processes mid-replication.

Each worker, as it starts (:func:`start_worker`):

- limits its address space to ``REMISS_WORKER_MEMORY_MB`` (``RLIMIT_AS``; 0: no limit),
  so a replication that needs more fails with ``MemoryError`` — the job fails with
  that message, the machine and the other jobs go on;
- asks Linux to kill it when the service process dies (``PR_SET_PDEATHSIG``), so even
  a killed server leaves no worker behind;
- sends its replications' progress ticks (a simulated week each) through a queue that
  the job drains while it waits (:class:`simulering.progress.TickQueue`, the same as
  the CLI's process pool), so a job's progress moves within a replication.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import resource
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from multiprocessing.pool import AsyncResult, Pool
from typing import Any, TypeVar

from simulering.progress import Sink, TickQueue, install_queue

S = TypeVar("S")
J = TypeVar("J")
R = TypeVar("R")

PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal a process gets when its parent dies (Linux)."""
POLL_SECONDS = 0.2
"""How often a waiting job looks whether it should stop."""


class JobStopped(Exception):
    """The job was cancelled or the server is stopping; its workers are gone."""


def start_worker(memory_mb: int, ticks: Any = None) -> None:
    """Initialise a worker process: the memory limit, death with its parent, and its
    progress ticks to the ``ticks`` queue."""
    if ticks is not None:
        install_queue(ticks)
    if memory_mb > 0:
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class WorkerPool:
    """``workers`` spawned processes, each limited to ``memory_mb``; ``should_stop`` is
    polled while waiting, and :meth:`terminate` stops the processes from any thread."""

    name = "process"

    def __init__(self, workers: int, memory_mb: int, should_stop: Callable[[], bool]) -> None:
        self.workers = workers
        self.should_stop = should_stop
        ctx = multiprocessing.get_context("spawn")
        self.ticks = TickQueue(ctx.Queue())
        self.pool: Pool = ctx.Pool(
            workers, initializer=start_worker, initargs=(memory_mb, self.ticks.queue)
        )
        self.stopped = threading.Event()

    def watch(self, sink: Sink) -> AbstractContextManager[None]:
        """The replications' progress ticks go to ``sink`` while open (read while the
        job waits, at least every :data:`POLL_SECONDS`)."""
        return self.ticks.watch(sink)

    def imap_unordered(
        self, fn: Callable[[S, J], R], shared: S, jobs: Sequence[J]
    ) -> Iterator[tuple[int, R]]:
        """``(index, fn(shared, job))`` as replications finish, at most two per worker
        in flight; :class:`JobStopped` once the job should stop."""
        window = 2 * self.workers
        pending: dict[int, AsyncResult[R]] = {}
        nxt = 0
        while nxt < len(jobs) or pending:
            if self.stopped.is_set():  # terminated from another thread
                raise JobStopped
            while nxt < len(jobs) and len(pending) < window:
                pending[nxt] = self.pool.apply_async(fn, (shared, jobs[nxt]))
                nxt += 1
            self.ticks.drain()
            done = [i for i, res in pending.items() if res.ready()]
            if not done:
                if self.stopped.is_set() or self.should_stop():
                    self.terminate()
                    raise JobStopped
                next(iter(pending.values())).wait(POLL_SECONDS)
                continue
            for i in sorted(done):
                yield i, pending.pop(i).get()
        if self.stopped.is_set():
            raise JobStopped

    def terminate(self) -> None:
        """Stop the worker processes now (whatever they are running)."""
        self.stopped.set()
        self.pool.terminate()

    def close(self) -> None:
        """Stop the workers and wait until they are gone."""
        self.pool.terminate()
        self.pool.join()
        self.ticks.close()
