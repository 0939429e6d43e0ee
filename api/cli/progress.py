"""Progress of a run on standard error: a bar with the time left on a terminal, plain
lines when standard error is a file or a pipe.

The runner counts replications done with the running ones by how far they have
simulated (:mod:`simulering.progress`), so the bar moves within a replication; how far
the run is and the time left are :class:`simulering.progress.Advance`'s, as the
service's jobs report them. A plain
line is written at every further :data:`LINE_PERCENT` % and, while anything moves, at
least every :data:`LINE_SECONDS` s::

    gallsten: 20 % (0.6 of 3 replications), 0:00:09 elapsed, about 0:00:36 left
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Final, Self

from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from api.cli.console import err
from simulering.progress import Advance, clock

__all__ = ["LINE_PERCENT", "LINE_SECONDS", "RunProgress", "clock"]

LINE_PERCENT: Final = 10
"""A plain line at every further 10 % done."""
LINE_SECONDS: Final = 15.0
"""… and at least every 15 s while the run moves."""


class RunProgress(Advance):
    """``done`` of ``total`` (replications, or another ``unit``), with the time left
    estimated from the rate so far; ``at_most``: the total is only a bound (the capacity
    search may stop early), and is shown as one."""

    def __init__(
        self, description: str, total: float, unit: str = "replications", at_most: bool = False
    ) -> None:
        super().__init__(total)
        self.description = description
        self.unit = unit
        self.prefix = "at most " if at_most else ""
        self.terminal = err.is_terminal
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._line_at = (0, self.started)
        if self.terminal:
            self._bar = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[count]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=err,
                transient=True,
            )
            self._task = self._bar.add_task(description, total=total, count=self._count())

    def __enter__(self) -> Self:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif exc_type is None:
            elapsed = clock(self.elapsed())
            err.print(f"{self.description}: done in {elapsed}", highlight=False, soft_wrap=True)

    def _count(self) -> str:
        return f"{self.done:.1f}/{self.prefix}{self.total:g} {self.unit}"

    def update(self, done: float, description: str | None = None) -> None:
        """The run has ``done`` of its total (and, optionally, a new description)."""
        super().update(done)
        if description is not None:
            self.description = description
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task, completed=self.done, description=self.description, count=self._count()
            )
        else:
            self._plain_line()

    def _plain_line(self) -> None:
        """A line at every further :data:`LINE_PERCENT` % or after :data:`LINE_SECONDS`."""
        now = time.monotonic()
        step = int(100 * self.done / self.total) // LINE_PERCENT if self.total else 0
        last_step, last_time = self._line_at
        if step <= last_step and now - last_time < LINE_SECONDS:
            return
        self._line_at = (max(step, last_step), now)
        left = self.left()
        line = (
            f"{self.description}: {100 * self.done / self.total:.0f} % ({self.done:.1f} of "
            f"{self.prefix}{self.total:g} {self.unit}), {clock(now - self.started)} elapsed"
        )
        if left is not None:
            line += f", about {clock(left)} left" + (" at most" if self.prefix else "")
        err.print(line, highlight=False, soft_wrap=True)
