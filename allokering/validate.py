"""Re-check any solver's answer against the problem, from scratch.

Independent of the solvers on purpose: its own distance lookup and home units, the
problem's referral columns (:mod:`allokering.columns`) rather than the solvers'
compiled view, the checks as numpy array operations (:mod:`allokering.plan_checks`)
so that a million rows take a fraction of a second. :func:`objective_of` is the
row-by-row reference on the scalar cost functions; the tests hold the vectorised
recount to it. Every test and benchmark result goes through :func:`validate` (or
:func:`validate_rows` for a plan already held as arrays).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from allokering.columns import IntArray, ReferralColumns, columns_of
from allokering.cost import (
    assignment_cost,
    assignment_costs,
    effective_weights,
    unassigned_cost,
    unassigned_costs,
)
from allokering.plan_checks import (
    MAX_REPORTED,
    Errors,
    Placed,
    PlanRows,
    capacity_errors,
    check_rows,
    home_index,
    ids_to_index,
    km_array,
)
from allokering.problem import (
    AllocationProblem,
    AllocationResult,
    Assignment,
    Objective,
    Status,
    gc_paused,
)
from allokering.travel import road_km

__all__ = [
    "MAX_REPORTED",
    "PlanRows",
    "ValidationReport",
    "distances",
    "home_units",
    "objective_of",
    "validate",
    "validate_rows",
]


class ValidationReport(BaseModel):
    """What :func:`validate` found."""

    model_config = ConfigDict(frozen=True)

    ok: bool = Field(description="No errors.")
    n_errors: int = Field(ge=0, description="Number of errors found.")
    errors: list[str] = Field(description=f"The first {MAX_REPORTED} errors.")
    cost: int | None = Field(description="Recomputed total cost (None without a plan).")
    objective: Objective | None = Field(description="Recomputed unweighted parts.")


def distances(problem: AllocationProblem) -> dict[tuple[str, str], int]:
    """Whole-km distance per (area id, unit id): given, else great-circle × 1.3."""
    given = problem.travel_km or {}
    out: dict[tuple[str, str], int] = {}
    for a in problem.areas:
        row = given.get(a.id, {})
        for u in problem.units:
            if u.id in row:
                km = row[u.id]
            else:
                assert a.lat is not None and a.lon is not None
                assert u.lat is not None and u.lon is not None
                km = road_km(a.lat, a.lon, u.lat, u.lon)
            out[a.id, u.id] = math.floor(km + 0.5)
    return out


def home_units(problem: AllocationProblem) -> dict[str, str]:
    """Home unit per area id: the first unit whose catchment lists the area (areas that
    no unit lists are absent — no away cost applies to them)."""
    out: dict[str, str] = {}
    for u in problem.units:
        for a in u.catchment:
            out.setdefault(a, u.id)
    return out


def objective_of(
    problem: AllocationProblem,
    plan: Mapping[str, tuple[str, int] | None],
    km: Mapping[tuple[str, str], int] | None = None,
) -> tuple[int, Objective]:
    """Cost and parts of a plan ``{referral id: (unit id, week) or None}``.

    Referrals missing from ``plan`` count as unassigned. Costs come from the scalar
    functions of :mod:`allokering.cost`, row by row.
    """
    km = distances(problem) if km is None else km
    w = problem.weights
    h = problem.horizon_weeks
    homes = home_units(problem)
    cost = breaches = wait = travel = moves = 0
    for r in problem.referrals:
        place = plan.get(r.id)
        if place is None:
            late = r.deadline_day < 7 * h
            moved = r.booked is not None
            days = 7 * h
            dist = 0
            cost += unassigned_cost(r, h, w)
        else:
            unit, week = place
            late = 7 * week > r.deadline_day
            moved = r.booked is not None and (r.booked.unit, r.booked.week) != (unit, week)
            days = 7 * week
            dist = km[r.area, unit]
            home = r.home_unit if r.home_unit is not None else homes.get(r.area)
            cost += assignment_cost(r, unit, week, dist, home, w)
        breaches += late
        wait += days
        travel += dist
        moves += moved
    return cost, Objective(
        breaches=breaches, total_wait_days=wait, total_travel_km=travel, moves=moves
    )


def validate(problem: AllocationProblem, result: AllocationResult) -> ValidationReport:
    """Check ids, coverage, capacity, eligibility, travel limits, side constraints and
    the reported objective; return every problem found."""
    no_plan = result.status is Status.TIME_LIMIT and result.cost is None
    if result.status in (Status.INFEASIBLE, Status.ERROR) or no_plan:
        errors: list[str] = []
        if result.assignments:
            errors.append(f"status {result.status.value} but the result has assignments")
        return ValidationReport(
            ok=not errors, n_errors=len(errors), errors=errors, cost=None, objective=None
        )
    unit_ids = [u.id for u in problem.units]
    cols = columns_of(problem.referrals, unit_ids, [a.id for a in problem.areas])
    with gc_paused():
        rows = _rows_of(cols, unit_ids, result.assignments, result.unassigned)
    return validate_rows(problem, result, rows, cols)


def _rows_of(
    cols: ReferralColumns,
    unit_ids: list[str],
    assignments: list[Assignment],
    unassigned: list[str],
) -> PlanRows:
    """A result's rows as index arrays (-1 for unknown ids)."""
    rindex = dict(zip(cols.ids, range(cols.n), strict=True))
    uindex = {u: j for j, u in enumerate(unit_ids)}
    refs = [a.referral for a in assignments]
    units = [a.unit for a in assignments]
    return PlanRows(
        referral=ids_to_index(refs, rindex),
        unit=ids_to_index(units, uindex),
        week=np.fromiter((a.week for a in assignments), np.int64, len(assignments)),
        on_time=np.fromiter((a.on_time for a in assignments), bool, len(assignments)),
        unassigned=ids_to_index(unassigned, rindex),
        label=lambda i: (refs[i], units[i]),
        unassigned_label=unassigned.__getitem__,
    )


def validate_rows(
    problem: AllocationProblem,
    result: AllocationResult,
    rows: PlanRows,
    cols: ReferralColumns | None = None,
) -> ValidationReport:
    """:func:`validate` for a plan given as :class:`~allokering.plan_checks.PlanRows`
    (``result`` supplies the status and the reported figures; its own rows are not
    read)."""
    if cols is None:
        cols = columns_of(
            problem.referrals, [u.id for u in problem.units], [a.id for a in problem.areas]
        )
    errors = Errors()
    km = km_array(problem, distances(problem))
    placed = check_rows(problem, cols, km, rows, errors)
    capacity_errors(problem, placed.unit, placed.week, errors)
    if problem.has_side_constraints:
        for e in _side_errors(problem, _plan_dict(cols, placed)):
            errors.add_one(2e18, e)
    cost, objective = _recount(problem, cols, km, placed)
    for e in _reported_errors(result, cost, objective):
        errors.add_one(3e18, e)
    return ValidationReport(
        ok=errors.count == 0,
        n_errors=errors.count,
        errors=errors.worded(),
        cost=cost,
        objective=objective,
    )


def _plan_dict(cols: ReferralColumns, placed: Placed) -> dict[str, tuple[str, int] | None]:
    """``{referral id: (unit id, week) or None}`` of the covered referrals."""
    at = np.nonzero(placed.covered)[0]
    return {
        cols.ids[i]: (cols.unit_ids[u], w) if u >= 0 else None
        for i, u, w in zip(
            at.tolist(), placed.unit[at].tolist(), placed.week[at].tolist(), strict=True
        )
    }


def _recount(
    problem: AllocationProblem, cols: ReferralColumns, km: IntArray, placed: Placed
) -> tuple[int, Objective]:
    """Cost and parts of the plan, from the referral columns (uncovered = unassigned)."""
    h, w = problem.horizon_weeks, problem.weights
    unit, week = placed.unit, placed.week
    on = unit >= 0
    u = np.where(on, unit, 0)
    eff = effective_weights(cols.weight, cols.priority, cols.deadline, w)
    booked = cols.booked_unit >= 0
    moved = booked & ~(on & (unit == cols.booked_unit) & (week == cols.booked_week))
    dist = np.where(on, km[cols.area, u], 0)
    home = home_index(problem, cols)
    assigned = assignment_costs(eff, cols.deadline, u, week, dist, home, moved, w)
    unplaced = unassigned_costs(eff, cols.deadline, booked, h, w)
    late = np.where(on, 7 * week > cols.deadline, cols.deadline < 7 * h)
    return int(np.where(on, assigned, unplaced).sum()), Objective(
        breaches=int(late.sum()),
        total_wait_days=int(np.where(on, 7 * week, 7 * h).sum()),
        total_travel_km=int(dist.sum()),
        moves=int(moved.sum()),
    )


def _reported_errors(result: AllocationResult, cost: int, objective: Objective) -> list[str]:
    """Where the reported cost, objective, lower bound or status disagree with the plan."""
    errors: list[str] = []
    if result.cost is not None and result.cost != cost:
        errors.append(f"cost: reported {result.cost}, recomputed {cost}")
    if result.objective is not None and result.objective != objective:
        errors.append(f"objective: reported {result.objective}, recomputed {objective}")
    if result.lower_bound is not None and result.lower_bound > cost:
        errors.append(f"lower_bound {result.lower_bound} exceeds the recomputed cost {cost}")
    if result.status is Status.OPTIMAL and result.lower_bound not in (None, cost):
        errors.append(f"status optimal but lower_bound {result.lower_bound} != cost {cost}")
    return errors


def _side_errors(
    problem: AllocationProblem, plan: Mapping[str, tuple[str, int] | None]
) -> list[str]:
    """Violations of the CP-SAT side constraints that the problem sets."""
    if not problem.has_side_constraints:
        return []
    errors: list[str] = []
    refs = {r.id: r for r in problem.referrals}
    minutes: Counter[tuple[str, int]] = Counter()
    placed: Counter[str] = Counter()
    external: Counter[str] = Counter()
    catchment = {u.id: set(u.catchment) for u in problem.units}
    eligible: Counter[str] = Counter()
    on_time: Counter[str] = Counter()
    for r in problem.referrals:
        if r.deadline_day >= 0:
            eligible[r.area] += 1
    for rid, place in plan.items():
        if place is None:
            continue
        r = refs[rid]
        unit, week = place
        minutes[unit, week] += r.procedure_minutes
        placed[unit] += 1
        external[unit] += r.area not in catchment[unit]
        if r.deadline_day >= 0 and 7 * week <= r.deadline_day:
            on_time[r.area] += 1
    for u in problem.units:
        if u.session_minutes is not None:
            for w, limit in enumerate(u.session_minutes):
                if minutes[u.id, w] > limit:
                    errors.append(
                        f"session minutes: {minutes[u.id, w]} at {u.id} week {w}, limit {limit}"
                    )
        pct = u.max_external_percent
        if pct is not None and 100 * external[u.id] > pct * placed[u.id]:
            errors.append(
                f"external share: {external[u.id]} of {placed[u.id]} at {u.id} come from "
                f"outside its catchment, limit {pct} %"
            )
    for a in problem.areas:
        pct = a.min_on_time_percent
        if pct is not None and 100 * on_time[a.id] < pct * eligible[a.id]:
            errors.append(
                f"fairness floor: {on_time[a.id]} of {eligible[a.id]} not yet breached "
                f"referrals of {a.id} on time, floor {pct} %"
            )
    return errors
