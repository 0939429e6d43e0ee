"""Progress within replications: how far each running replication has simulated.

The model tells its run's ``on_week`` callback the simulated day once a simulated week
(:class:`simulering.model.Model`); :func:`simulering.runner.run_replication` turns that
into the share of the replication done (every policy counted) and passes it to
:func:`report` with the run's token and the replication number. Where the tick goes
depends on the process:

- serially, :func:`watching` installs the parent's own :class:`Ticks` as the sink;
- in a worker of a process pool (:class:`~simulering.executors.ProcessExecutor`, the
  service's :class:`~api.service.job_workers.WorkerPool`), the pool's initializer
  installs a queue's ``put`` (:func:`install_queue`), and the parent drains that
  :class:`TickQueue` while it waits for results;
- on a Dask worker, :class:`~simulering.executors.DaskExecutor` installs a sink that
  logs the tick as a Dask event, which the scheduler passes to the client's
  subscription and the client drains while it waits for results;
- elsewhere nothing is installed and :func:`report` does nothing: progress moves once
  per finished replication there.

Ticks change no state of the model, so results are the same with and without them.

:class:`Advance` is the one model of how far a run is — done of a total, the time since
it started and the time left at the rate so far — that the command line's progress bar
(:class:`api.cli.progress.RunProgress`) and the service's simulation jobs
(:mod:`api.service.jobs`) both show.
"""

from __future__ import annotations

import itertools
import queue
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Sink = Callable[[tuple[int, int, float]], None]
"""Receives ``(token, replication, share done)``."""

Progress = Callable[[float], None]
"""Receives the replications done, counting the share done of those still running."""

_sink: Sink | None = None
_tokens = itertools.count(secrets.randbits(60) + 1)
"""From a random start: two processes whose runs share a Dask cluster (and so see each
other's ticks) do not draw the same token."""


def install(sink: Sink | None) -> None:
    """Send this process's ticks to ``sink`` (None: drop them)."""
    global _sink
    _sink = sink


def install_queue(queue: Any) -> None:
    """Pool initializer: send this worker's ticks to ``queue``. Never blocking: a
    worker's exit does not wait for ticks nobody read (they are only progress)."""
    queue.cancel_join_thread()
    install(queue.put_nowait)


def report(token: int, replication: int, share: float) -> None:
    """A replication of run ``token`` is ``share`` (0–1) done; nothing without a sink
    or for token 0 (a run nobody watches)."""
    if _sink is not None and token:
        _sink((token, replication, share))


def new_token() -> int:
    """A number no earlier run of this process (nor, but by a 2⁻⁶⁰ chance, of another)
    used, so late ticks and other clients' ticks are told apart."""
    return next(_tokens)


class Ticks:
    """The parent's tally of one run: finished replications plus the shares done of
    those running, passed to ``progress`` whenever it moves."""

    def __init__(self, token: int, progress: Progress) -> None:
        self.token = token
        self.progress = progress
        self.running: dict[int, float] = {}
        self.finished: set[int] = set()

    def __call__(self, tick: tuple[int, int, float]) -> None:
        """One tick; ticks of other runs and of finished replications are ignored."""
        token, replication, share = tick
        if token != self.token or replication in self.finished:
            return
        if share > self.running.get(replication, 0.0):
            self.running[replication] = share
            self.progress(self.done())

    def finish(self, replication: int) -> None:
        """A replication's result is in."""
        self.finished.add(replication)
        self.running.pop(replication, None)
        self.progress(self.done())

    def done(self) -> float:
        """Replications done, the running ones by their share."""
        return len(self.finished) + sum(self.running.values())


@contextmanager
def watching(sink: Sink) -> Iterator[None]:
    """Ticks of this process go to ``sink`` while open (the serial executor)."""
    before = _sink
    install(sink)
    try:
        yield
    finally:
        install(before)


class TickQueue:
    """The queue the workers' ticks come through — a :mod:`multiprocessing` queue a
    process pool's workers write to (each worker's initializer calls
    :func:`install_queue` with :attr:`queue`), or a local queue a Dask subscription
    fills; the parent passes them on with :meth:`drain` while it waits for results, to
    the sink :meth:`watch` set."""

    def __init__(self, ticks: Any) -> None:
        """``ticks``: the queue (``get_nowait``, and ``close`` if it has one)."""
        self.queue: Any = ticks
        self.sink: Sink | None = None

    @contextmanager
    def watch(self, sink: Sink) -> Iterator[None]:
        """The ticks go to ``sink`` while open."""
        self.drain()  # what an earlier run left is not this run's
        self.sink = sink
        try:
            yield
        finally:
            self.sink = None

    def drain(self) -> None:
        """Pass on (or, unwatched, drop) the ticks the workers have sent."""
        while True:
            try:
                tick = self.queue.get_nowait()
            except (queue.Empty, OSError, ValueError):  # empty, or closed
                return
            if self.sink is not None:
                self.sink(tuple(tick))

    def close(self) -> None:
        close = getattr(self.queue, "close", None)
        if close is not None:
            close()


def clock(seconds: float) -> str:
    """``H:MM:SS``."""
    s = max(0, round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Advance:
    """How far a run is: ``done`` of ``total`` (replications, simulated days, …), the
    seconds since it started, and the seconds left at the rate so far."""

    def __init__(self, total: float) -> None:
        self.total = total
        self.done = 0.0
        self.started = time.monotonic()

    def update(self, done: float) -> None:
        """The run has ``done`` of its total (never more than the total)."""
        self.done = min(done, self.total)

    def share(self) -> float:
        """The share done, 0–1."""
        return self.done / self.total if self.total else 0.0

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float | None:
        """Seconds left at the rate so far (None before anything is done)."""
        if self.done <= 0:
            return None
        return self.elapsed() * max(0.0, self.total - self.done) / self.done
