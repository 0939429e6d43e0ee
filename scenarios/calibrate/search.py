"""The calibration search: per-row safeguarded secant steps on ``log r`` within an
epoch (the same patients), a new epoch rescaling the catchments whose queue is off."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.calibrate.document import StartScenario, build_document, compile_document
from scenarios.calibrate.measure import Measured
from scenarios.calibrate.targets import Target
from simulering.spec import ModelSpec

X_BOUNDS = (math.log(0.05), math.log(20.0))
"""Capacity-to-demand multiplier ``r`` stays within ×0.05 … ×20 of the start."""
A_BOUNDS = (math.log(0.05), math.log(20.0))
"""Catchment size multiplier ``a`` stays within ×0.05 … ×20 of the start."""
MAX_STEP = 0.5
"""Largest secant step in ``log r`` before the goal is bracketed (×/÷1.65)."""
MAX_A_STEP = math.log(4.0)
"""Largest change of ``log a`` in one epoch."""
FIRST_SLOPE = 1.0
"""First guess of d share / d log r: +10 % capacity ≈ +10 percentage points."""


@dataclass
class RowSearch:
    """Search state of one row."""

    log_r: float = 0.0
    log_a: float = 0.0
    slope: float = FIRST_SLOPE
    points: list[tuple[float, float]] = field(default_factory=list)
    """(log r, share) evaluated in the current epoch (same patients)."""
    last_sides: list[int] = field(default_factory=list)
    stuck: str = ""
    """Why the share cannot be reached, when it cannot."""


@dataclass(frozen=True)
class Iteration:
    """One simulation of the search."""

    number: int
    epoch: int
    capacity: tuple[float, ...]
    """Capacity multiplier ``a × r`` per row."""
    demand: tuple[float, ...]
    """Demand multiplier ``a`` per row."""
    measured: tuple[Measured, ...]


@dataclass(frozen=True)
class SearchOutcome:
    """Where the search stopped: the last document simulated and its figures."""

    converged: bool
    document: dict[str, Any]
    measured: list[Measured]
    iterations: list[Iteration]


def next_log_r(row: RowSearch, goal: float) -> float:
    """The next ``log r`` of a row: secant steps until the goal is bracketed, then
    regula falsi with a bisection after two new points on the same side."""
    x, s = row.points[-1]
    below = [pt for pt in row.points if pt[1] < goal]
    above = [pt for pt in row.points if pt[1] > goal]
    if len(row.points) >= 2:
        (x0, s0), (x1, s1) = row.points[-2], row.points[-1]
        if x1 != x0 and (s1 - s0) / (x1 - x0) > 1e-3:
            row.slope = (s1 - s0) / (x1 - x0)
    if below and above:
        lo = max(below)
        hi = min(above)
        if lo[0] < hi[0]:
            width = hi[0] - lo[0]
            if width < 1e-4:
                row.stuck = "the share jumps across the goal between two capacities 0.01 % apart"
                return x
            if len(row.last_sides) >= 2 and row.last_sides[-1] == row.last_sides[-2]:
                row.last_sides.clear()
                return (lo[0] + hi[0]) / 2.0
            new = lo[0] + (goal - lo[1]) * width / (hi[1] - lo[1])
            margin = 0.05 * width
            return min(max(new, lo[0] + margin), hi[0] - margin)
    step = max(-MAX_STEP, min(MAX_STEP, (goal - s) / row.slope))
    new = min(max(x + step, X_BOUNDS[0]), X_BOUNDS[1])
    if new == x:
        side = "more" if step > 0 else "less"
        row.stuck = f"needs {side} than ×{math.exp(x):.2f} the start capacity-to-demand ratio"
    return new


def queue_within(m: Measured, t: Target, tolerance: float) -> bool | None:
    """Is the queue within tolerance (None when it is not fitted)."""
    w = t.observation.waiting
    if not t.fit_demand or w is None:
        return None
    if w == 0:
        return m.waiting < 0.5
    return abs(m.waiting / w - 1.0) <= tolerance


def search(
    base: StartScenario,
    targets: Sequence[Target],
    rows: Sequence[RowSearch],
    path: Path,
    tolerances: tuple[float, float],
    max_iterations: int,
    simulate: Callable[[ModelSpec], list[Measured]],
    on_iteration: Callable[[Iteration], None] | None = None,
) -> SearchOutcome:
    """Simulate, compare and step every row until all are within ``tolerances`` (share
    as a fraction, queue as a relative error), nothing can move, or ``max_iterations``
    simulations are done."""
    tol_s, tol_q = tolerances
    iterations: list[Iteration] = []
    epoch = 0
    doc = base.doc
    measured: list[Measured] = []
    for number in range(1, max_iterations + 1):
        doc = build_document(base, targets, [r.log_r for r in rows], [r.log_a for r in rows])
        measured = simulate(compile_document(base, doc, path)[1])
        it = Iteration(
            number,
            epoch,
            tuple(math.exp(r.log_r + r.log_a) for r in rows),
            tuple(math.exp(r.log_a) for r in rows),
            tuple(measured),
        )
        iterations.append(it)
        if on_iteration:
            on_iteration(it)
        pairs = list(zip(measured, targets, strict=True))
        share_ok = [abs(m.share - t.observation.share) <= tol_s for m, t in pairs]
        queue_ok = [queue_within(m, t, tol_q) for m, t in pairs]
        for row, (m, t) in zip(rows, pairs, strict=True):
            row.points.append((row.log_r, m.share))
            row.last_sides.append(1 if m.share > t.observation.share else -1)
        if all(share_ok) and all(q is not False for q in queue_ok):
            return SearchOutcome(True, doc, measured, iterations)
        if number == max_iterations:
            break
        if all(share_ok):
            epoch += 1
            if not _new_epoch(rows, measured, targets, queue_ok):
                break  # every catchment that is off is at its bound
        elif not _step_shares(rows, share_ok, targets):
            break  # nothing can move any more
    return SearchOutcome(False, doc, measured, iterations)


def _new_epoch(
    rows: Sequence[RowSearch],
    measured: Sequence[Measured],
    targets: Sequence[Target],
    queue_ok: Sequence[bool | None],
) -> bool:
    """Rescale the catchments whose queue is off (the share search starts over on the
    new patients); False when none of them could move."""
    moved = False
    for row, m, t, q in zip(rows, measured, targets, queue_ok, strict=True):
        if q is False and t.observation.waiting is not None:
            ratio = (t.observation.waiting + 0.5) / (m.waiting + 0.5)
            step = max(-MAX_A_STEP, min(MAX_A_STEP, math.log(ratio)))
            new_a = min(max(row.log_a + step, A_BOUNDS[0]), A_BOUNDS[1])
            moved = moved or new_a != row.log_a
            if new_a == row.log_a:
                row.stuck = f"demand needs to go beyond ×{math.exp(new_a):.2f}"
            row.log_a = new_a
        row.points.clear()
        row.last_sides.clear()
    return moved


def _step_shares(
    rows: Sequence[RowSearch], share_ok: Sequence[bool], targets: Sequence[Target]
) -> bool:
    """The next ``log r`` of every row whose share is off; False when all of them are
    stuck."""
    for row, ok, t in zip(rows, share_ok, targets, strict=True):
        if not ok:
            row.stuck = ""
            row.log_r = next_log_r(row, t.observation.share)
    return not all(r.stuck for r, ok in zip(rows, share_ok, strict=True) if not ok)
