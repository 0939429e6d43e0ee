"""Where replications run: serially, on a local process pool, or on a Dask cluster.

Every executor maps one function over a list of jobs that share one (large, read-only)
argument, the :class:`~simulering.spec.ModelSpec`, and yields ``(index, result)`` pairs
*as they complete*, so a progress bar can move with every replication. The runner puts
the results back in job order. A job's result depends only on the job (its seed and
replication number), never on which worker ran it or when, so every executor gives
bit-identical results.

- ``serial``: in this process, one after the other.
- ``process`` (default): a local :class:`~concurrent.futures.ProcessPoolExecutor`, one
  worker per core unless told otherwise.
- ``dask``: a ``distributed`` cluster at ``address`` (``tcp://HOST:PORT``; its workers
  need ``remiss`` installed), or, without an address, a ``LocalCluster`` started here
  (one single-threaded worker process per core) and closed on exit. The shared argument
  is scattered to the workers once. ``distributed`` is imported only when a Dask
  executor opens (lazy loading: it takes longer to import than the rest of the
  simulator).

The serial and process executors also pass on progress *within* a replication
(:mod:`simulering.progress`): their :meth:`watch` sends the ticks of the jobs to a
sink in this process, directly (serial) or through a queue the pool's workers write to
and this process drains while it waits (process: a
:class:`~simulering.progress.TickQueue`). On Dask, results come back through the
scheduler as each replication's future completes; the ticks take the same way, as Dask
events (``Worker.log_event`` on topic :data:`PROGRESS_TOPIC`, to which the client
subscribes), so progress moves within replications there too. A worker that joins the
cluster after the executor opened sends no ticks (its replications move once, when they
finish).

Open an executor once and reuse it for many runs (the capacity search does)::

    with open_executor("dask", workers=4) as ex:
        simulate(spec, ["separate", "shared"], seed, 100, executor=ex)
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any, Final, Protocol, Self, TypeVar

from simulering.progress import Sink, TickQueue, install, install_queue, watching

S = TypeVar("S")
J = TypeVar("J")
R = TypeVar("R")

EXECUTOR_KINDS: Final[tuple[str, ...]] = ("serial", "process", "dask")
TICK_SECONDS: Final = 0.25
"""How often a watched process pool looks at its workers' progress while it waits."""
PROGRESS_TOPIC: Final = "remiss-progress"
"""The Dask event topic a worker's progress ticks are logged under."""


def default_workers() -> int:
    """Cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class Executor(Protocol):
    """Runs ``fn(shared, job)`` for every job; yields ``(index, result)`` as they finish."""

    name: str
    workers: int

    def imap_unordered(
        self, fn: Callable[[S, J], R], shared: S, jobs: Sequence[J]
    ) -> Iterator[tuple[int, R]]: ...

    def close(self) -> None: ...


class _Base:
    name = "base"
    workers = 1

    def close(self) -> None:
        """Release workers (no-op by default)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SerialExecutor(_Base):
    """In this process, in job order."""

    name = "serial"

    def imap_unordered(
        self, fn: Callable[[S, J], R], shared: S, jobs: Sequence[J]
    ) -> Iterator[tuple[int, R]]:
        for i, job in enumerate(jobs):
            yield i, fn(shared, job)

    def watch(self, sink: Sink) -> AbstractContextManager[None]:
        """The jobs' progress ticks go to ``sink`` while open (they run here)."""
        return watching(sink)


class ProcessExecutor(_Base):
    """A local process pool, created on first use and kept until :meth:`close`."""

    name = "process"

    def __init__(self, workers: int | None = None, start_method: str | None = None) -> None:
        """``start_method`` ``"spawn"`` suits a multi-threaded parent (the service),
        where forking could copy a lock another thread holds."""
        self.workers = workers or default_workers()
        self.start_method = start_method
        self._pool: ProcessPoolExecutor | None = None
        self._ticks: TickQueue | None = None
        """The queue the workers' progress ticks come through (with the pool)."""

    def _start(self) -> ProcessPoolExecutor:
        ctx = multiprocessing.get_context(self.start_method)
        self._ticks = TickQueue(ctx.Queue())
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=ctx,
            initializer=install_queue,
            initargs=(self._ticks.queue,),
        )

    @contextmanager
    def watch(self, sink: Sink) -> Iterator[None]:
        """The jobs' progress ticks go to ``sink`` while open (read as results are
        waited for, at least every :data:`TICK_SECONDS`)."""
        if self._pool is None:
            self._pool = self._start()
        assert self._ticks is not None  # started with the pool
        with self._ticks.watch(sink):
            yield

    def imap_unordered(
        self, fn: Callable[[S, J], R], shared: S, jobs: Sequence[J]
    ) -> Iterator[tuple[int, R]]:
        if self._pool is None:
            self._pool = self._start()
        # Keep at most 2 jobs per worker in flight: the spec is pickled per job, and a
        # bounded window keeps memory flat for thousands of replications.
        window = 2 * self.workers
        pending: dict[Future[R], int] = {}
        nxt = 0
        try:
            while nxt < len(jobs) or pending:
                while nxt < len(jobs) and len(pending) < window:
                    pending[self._pool.submit(fn, shared, jobs[nxt])] = nxt
                    nxt += 1
                watched = self._ticks is not None and self._ticks.sink is not None
                timeout = TICK_SECONDS if watched else None
                done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
                if self._ticks is not None:
                    self._ticks.drain()
                for fut in sorted(done, key=pending.__getitem__):
                    yield pending.pop(fut), fut.result()
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._ticks is not None:
            self._ticks.close()
            self._ticks = None


def _log_tick(tick: tuple[int, int, float]) -> None:
    """A Dask worker's sink: the tick as an event of :data:`PROGRESS_TOPIC` (nothing
    outside a Dask task, e.g. a serial run in a process that also hosts workers)."""
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:
        return
    worker.log_event(PROGRESS_TOPIC, list(tick))


def _install_on_worker(on: bool) -> None:
    """Run on each Dask worker: send (or stop sending) its ticks as events."""
    install(_log_tick if on else None)


class DaskExecutor(_Base):
    """A Dask ``distributed`` cluster: the one at ``address``, or a LocalCluster."""

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        processes: bool = True,
    ) -> None:
        from distributed import Client, LocalCluster

        self.address = address
        self._cluster: Any = None
        if address:
            self._client: Any = Client(address, set_as_default=False)  # type: ignore[no-untyped-call]
            info = self._client.scheduler_info()
            self.workers = max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))
        else:
            self.workers = workers or default_workers()
            self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=self.workers,
                threads_per_worker=1,
                processes=processes,
                dashboard_address=None,
            )
            self._client = Client(self._cluster, set_as_default=False)  # type: ignore[no-untyped-call]
        self._ticks = TickQueue(queue.SimpleQueue())
        self._watched = False

    def _subscribe(self) -> None:
        """Ticks from the workers to this client's queue (once, on the first watch)."""
        if self._watched:
            return
        self._client.run(_install_on_worker, True)
        self._client.subscribe_topic(PROGRESS_TOPIC, lambda event: self._ticks.queue.put(event[1]))
        self._watched = True

    @contextmanager
    def watch(self, sink: Sink) -> Iterator[None]:
        """The jobs' progress ticks go to ``sink`` while open (read as results are
        waited for, at least every :data:`TICK_SECONDS`)."""
        self._subscribe()
        with self._ticks.watch(sink):
            yield

    def imap_unordered(
        self, fn: Callable[[S, J], R], shared: S, jobs: Sequence[J]
    ) -> Iterator[tuple[int, R]]:
        shared_f = self._client.scatter(shared, broadcast=True, hash=False)
        futures = [self._client.submit(fn, shared_f, job, pure=False) for job in jobs]
        index = {f.key: i for i, f in enumerate(futures)}
        finished: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for fut in futures:
            fut.add_done_callback(finished.put)  # called on the client's thread
        try:
            for _ in futures:
                while True:
                    timeout = TICK_SECONDS if self._ticks.sink is not None else None
                    try:
                        fut = finished.get(timeout=timeout)
                        break
                    except queue.Empty:
                        self._ticks.drain()
                self._ticks.drain()
                yield index[fut.key], fut.result()
        finally:
            self._client.cancel(futures)
            del shared_f

    def close(self) -> None:
        if self._watched:
            self._client.unsubscribe_topic(PROGRESS_TOPIC)
            self._client.run(_install_on_worker, False)
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def open_executor(
    kind: str = "process",
    workers: int | None = None,
    dask_address: str | None = None,
    dask_processes: bool = True,
    start_method: str | None = None,
) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """An executor by name; use it as a context manager (it closes its workers)."""
    if kind == "serial":
        return SerialExecutor()
    if kind == "process":
        return ProcessExecutor(workers, start_method)
    if kind == "dask":
        return DaskExecutor(dask_address, workers, processes=dask_processes)
    raise ValueError(f"unknown executor {kind!r}; known: {', '.join(EXECUTOR_KINDS)}")
