"""Progress within replications: how far each running replication has simulated.

The model tells its run's ``on_week`` callback the simulated day once a simulated week
(:class:`simulering.model.Model`); :func:`simulering.runner.run_replication` turns that
into the share of the replication done (every policy counted) and passes it to
:func:`report` with the run's token and the replication number. Where the tick goes
depends on the process:

- serially, :func:`watching` installs the parent's own :class:`Ticks` as the sink;
- in a worker of :class:`~simulering.executors.ProcessExecutor`, the pool's initializer
  installs a queue's ``put`` (:func:`install`), and the parent drains that queue while it
  waits for results;
- elsewhere (a Dask worker, the service's own worker pool) nothing is installed and
  :func:`report` does nothing: progress moves once per finished replication there.

Ticks change no state of the model, so results are the same with and without them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Sink = Callable[[tuple[int, int, float]], None]
"""Receives ``(token, replication, share done)``."""

Progress = Callable[[float], None]
"""Receives the replications done, counting the share done of those still running."""

_sink: Sink | None = None
_tokens = itertools.count(1)


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
    """A number no earlier run of this process used, so late ticks are told apart."""
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
