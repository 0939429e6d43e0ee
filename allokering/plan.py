"""A plan — a unit and week per referral as index arrays — and what it comes to: the
cost of each referral, the objective, and the :class:`AllocationResult` with its
coordinator reasons. Every solver builds its result here.
"""

from __future__ import annotations

import time

import numpy as np

from allokering.compiled import Compiled, IntArray
from allokering.cost import assignment_costs, unassigned_costs
from allokering.problem import (
    AllocationProblem,
    AllocationResult,
    Assignment,
    Objective,
    Status,
    gc_paused,
)
from allokering.reasons import explain


def referral_costs(c: Compiled, unit: IntArray, week: IntArray) -> IntArray:
    """Cost of each referral under a plan (unit -1 = unassigned), per :mod:`allokering.cost`."""
    w = c.weights
    placed = unit >= 0
    u = np.where(placed, unit, 0)
    moved = (c.booked_unit >= 0) & ~((unit == c.booked_unit) & (week == c.booked_week))
    assigned = assignment_costs(
        c.eff_weight, c.deadline, u, week, c.km[c.area, u], c.cost_home, moved, w
    )
    unplaced = unassigned_costs(c.eff_weight, c.deadline, c.booked_unit >= 0, c.horizon, w)
    out: IntArray = np.where(placed, assigned, unplaced).astype(np.int64)
    return out


def objective_of_plan(c: Compiled, unit: IntArray, week: IntArray) -> tuple[int, Objective]:
    """Total cost and its unweighted parts for a plan given as index arrays."""
    h = c.horizon
    placed = unit >= 0
    k = c.time_class()
    wk = np.where(placed, week, h)
    late = np.where(placed, wk >= k, k <= h)
    booked = c.booked_unit >= 0
    moved = booked & ~(placed & (unit == c.booked_unit) & (week == c.booked_week))
    travel = c.km[c.area[placed], unit[placed]]
    objective = Objective(
        breaches=int(late.sum()),
        total_wait_days=int(7 * wk.sum()),
        total_travel_km=int(travel.sum()),
        moves=int(moved.sum()),
    )
    return int(referral_costs(c, unit, week).sum()), objective


def make_result(
    problem: AllocationProblem,
    c: Compiled,
    unit: IntArray,
    week: IntArray,
    *,
    status: Status,
    solver: str,
    started: float,
    lower_bound: int | None = None,
    message: str = "",
    reasons: bool = True,
) -> AllocationResult:
    """Build the result (objective, reasons, rows) from per-referral unit/week arrays.

    ``started`` is the ``time.perf_counter()`` at the solver's start; the result's
    ``solve_seconds`` runs to the end of this function.
    """
    cost, objective = objective_of_plan(c, unit, week)
    placed = np.nonzero(unit >= 0)[0]
    with gc_paused():
        ids = c.referral_ids
        ref_ids = [ids[i] for i in placed.tolist()]
        unit_ids = np.asarray(c.unit_ids, dtype=object)[unit[placed]].tolist()
        weeks = week[placed].tolist()
        on_time = (7 * week[placed] <= c.deadline[placed]).tolist()
        texts = explain(c, unit, week)[placed].tolist() if reasons else [""] * len(placed)
        rows = list(map(Assignment, ref_ids, unit_ids, weeks, on_time, texts))
        unassigned = [ids[i] for i in np.nonzero(unit < 0)[0].tolist()]
    gap = None
    if lower_bound is not None:
        gap = max(0.0, (cost - lower_bound) / max(1, abs(cost)))
    return AllocationResult.model_construct(
        status=status,
        cost=cost,
        objective=objective,
        lower_bound=lower_bound,
        gap=gap,
        assignments=rows,
        unassigned=unassigned,
        solve_seconds=time.perf_counter() - started,
        solver=solver,
        message=message,
    )
