"""Re-check any solver's answer against the problem, from scratch.

Independent of the solvers on purpose: plain Python over the rows, its own distance
lookup, no shared arrays. Every test and benchmark result goes through
:func:`validate`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from allokering.cost import assignment_cost, unassigned_cost
from allokering.problem import AllocationProblem, AllocationResult, Objective, Status
from allokering.travel import road_km

MAX_REPORTED = 50
"""At most this many errors are listed (the count is always exact)."""


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
    errors: list[str] = []
    no_plan = result.status is Status.TIME_LIMIT and result.cost is None
    if result.status in (Status.INFEASIBLE, Status.ERROR) or no_plan:
        if result.assignments:
            errors.append(f"status {result.status.value} but the result has assignments")
        return ValidationReport(
            ok=not errors, n_errors=len(errors), errors=errors, cost=None, objective=None
        )
    km = distances(problem)
    plan, used = _placements(problem, result, km, errors)
    _coverage(problem, result, plan, errors)
    units = {u.id: u for u in problem.units}
    for (uid, week), n in sorted(used.items()):
        cap = units[uid].capacity[week]
        if n > cap:
            errors.append(f"capacity: {n} placed at {uid} week {week}, capacity {cap}")
    errors.extend(_side_errors(problem, plan))
    cost, objective = objective_of(problem, plan, km)
    errors.extend(_reported_errors(result, cost, objective))
    return ValidationReport(
        ok=not errors,
        n_errors=len(errors),
        errors=errors[:MAX_REPORTED],
        cost=cost,
        objective=objective,
    )


def _placements(
    problem: AllocationProblem,
    result: AllocationResult,
    km: Mapping[tuple[str, str], int],
    errors: list[str],
) -> tuple[dict[str, tuple[str, int] | None], Counter[tuple[str, int]]]:
    """The plan of the valid assignments and the referrals placed per (unit, week); an
    error for each assignment that is unknown, repeated, outside the horizon, not
    eligible, too far or with a wrong ``on_time``."""
    h = problem.horizon_weeks
    refs = {r.id: r for r in problem.referrals}
    units = {u.id for u in problem.units}
    used: Counter[tuple[str, int]] = Counter()
    plan: dict[str, tuple[str, int] | None] = {}
    for i, a in enumerate(result.assignments):
        where = f"assignments[{i}] ({a.referral})"
        r = refs.get(a.referral)
        if r is None:
            errors.append(f"{where}: unknown referral")
            continue
        if a.referral in plan:
            errors.append(f"{where}: referral placed more than once")
            continue
        if a.unit not in units:
            errors.append(f"{where}: unknown unit {a.unit!r}")
            continue
        if not 0 <= a.week < h:
            errors.append(f"{where}: week {a.week} outside 0..{h - 1}")
            continue
        if r.eligible_units is not None and a.unit not in r.eligible_units:
            errors.append(f"{where}: unit {a.unit} is not eligible")
        dist = km[r.area, a.unit]
        if r.max_travel_km is not None and dist > r.max_travel_km:
            errors.append(f"{where}: {dist} km exceeds max_travel_km {r.max_travel_km}")
        if a.on_time != (7 * a.week <= r.deadline_day):
            errors.append(f"{where}: on_time is {a.on_time}, should be {not a.on_time}")
        plan[a.referral] = (a.unit, a.week)
        used[a.unit, a.week] += 1
    return plan, used


def _coverage(
    problem: AllocationProblem,
    result: AllocationResult,
    plan: dict[str, tuple[str, int] | None],
    errors: list[str],
) -> None:
    """Add the unassigned referrals to ``plan``; an error for an unknown or repeated one
    and for referrals neither placed nor unassigned."""
    refs = {r.id for r in problem.referrals}
    for rid in result.unassigned:
        if rid not in refs:
            errors.append(f"unassigned: unknown referral {rid!r}")
        elif rid in plan:
            errors.append(f"unassigned: {rid} is also placed or listed twice")
        else:
            plan[rid] = None
    missing = len(refs) - len(plan)
    if missing:
        example = next(r.id for r in problem.referrals if r.id not in plan)
        errors.append(f"{missing} referral(s) neither placed nor unassigned, e.g. {example}")


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
