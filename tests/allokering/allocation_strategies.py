"""Shared helpers for the allocation tests: small random problems and an independent LP."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from scipy.optimize import linprog

from allokering.problem import AllocationProblem, Referral


def make_problem(
    *,
    horizon: int,
    capacity: list[list[int]],
    km: list[list[float]],
    referrals: list[dict[str, Any]],
    weights: dict[str, int] | None = None,
    units_extra: list[dict[str, Any]] | None = None,
    areas_extra: list[dict[str, Any]] | None = None,
) -> AllocationProblem:
    """A problem with units u0.., areas a0.. and explicit distances."""
    n_units, n_areas = len(capacity), len(km)
    units = [
        {"id": f"u{j}", "capacity": capacity[j], **((units_extra or [{}] * n_units)[j])}
        for j in range(n_units)
    ]
    areas = [{"id": f"a{i}", **((areas_extra or [{}] * n_areas)[i])} for i in range(n_areas)]
    travel = {f"a{i}": {f"u{j}": km[i][j] for j in range(n_units)} for i in range(n_areas)}
    data: dict[str, Any] = {
        "horizon_weeks": horizon,
        "units": units,
        "areas": areas,
        "travel_km": travel,
        "referrals": referrals,
    }
    if weights is not None:
        data["weights"] = weights
    return AllocationProblem.model_validate(data)


@st.composite
def problems(draw: st.DrawFn, max_referrals: int = 10) -> AllocationProblem:
    """Small random problems covering every feature of the contract."""
    h = draw(st.integers(1, 4))
    n_units = draw(st.integers(1, 4))
    n_areas = draw(st.integers(1, 3))
    capacity = [[draw(st.integers(0, 3)) for _ in range(h)] for _ in range(n_units)]
    km = [
        [draw(st.sampled_from([0, 3.4, 12.5, 40, 77.7, 150])) for _ in range(n_units)]
        for _ in range(n_areas)
    ]
    catchments: list[list[str]] = [[] for _ in range(n_units)]
    for i in range(n_areas):
        j = draw(st.integers(-1, n_units - 1))  # -1: no unit lists the area
        if j >= 0:
            catchments[j].append(f"a{i}")
    n_refs = draw(st.integers(0, max_referrals))
    refs: list[dict[str, Any]] = []
    for i in range(n_refs):
        r: dict[str, Any] = {
            "id": f"r{i}",
            "area": f"a{draw(st.integers(0, n_areas - 1))}",
            "deadline_day": draw(st.one_of(st.integers(-10, 7 * h + 7), st.integers(-400, -8))),
            "weight": draw(st.integers(1, 3)),
            "priority": draw(st.integers(1, 5)),
        }
        if draw(st.integers(0, 3)) == 0:
            r["home_unit"] = f"u{draw(st.integers(0, n_units - 1))}"
        if draw(st.booleans()) and draw(st.booleans()):
            r["eligible_units"] = sorted(
                draw(st.sets(st.sampled_from([f"u{j}" for j in range(n_units)]), max_size=n_units))
            )
        if draw(st.integers(0, 3)) == 0:
            r["max_travel_km"] = draw(st.sampled_from([0, 10, 40, 100]))
        if draw(st.integers(0, 2)) == 0:
            r["booked"] = {
                "unit": f"u{draw(st.integers(0, n_units - 1))}",
                "week": draw(st.integers(0, h - 1)),
            }
        refs.append(r)
    weights = {
        "breach": draw(st.sampled_from([0, 50, 1000, 10_000])),
        "wait_per_day": draw(st.integers(0, 12)),
        "travel_per_km": draw(st.integers(0, 4)),
        "move": draw(st.sampled_from([0, 30, 300])),
        "priority_step": draw(st.sampled_from([1, 2, 10])),
        "overdue_per_week": draw(st.sampled_from([0, 1, 3])),
        "away_from_home": draw(st.sampled_from([0, 5, 70, 2000])),
    }
    return make_problem(
        horizon=h,
        capacity=capacity,
        km=km,
        referrals=refs,
        weights=weights,
        units_extra=[{"catchment": c} for c in catchments],
    )


def home_of(problem: AllocationProblem, r: Referral) -> str | None:
    """The contract's home unit: ``home_unit``, else the first unit listing the area."""
    if r.home_unit is not None:
        return r.home_unit
    return next((u.id for u in problem.units if r.area in u.catchment), None)


def effective_weight(problem: AllocationProblem, r: Referral) -> int:
    """The contract's effective weight, written out again (independent of allokering)."""
    w = problem.weights
    overdue = max(0, -r.deadline_day) // 7
    raw = r.weight * w.priority_step ** (5 - r.priority) * (1 + w.overdue_per_week * overdue)
    return min(1_000_000, raw)


def contract_costs(
    problem: AllocationProblem, r: Referral, legacy: bool = False
) -> tuple[dict[tuple[str, int], int], int]:
    """Cost of every allowed (unit, week) of ``r`` and of leaving it unassigned, from
    the contract. ``legacy=True``: the older formula (plain weight, no away cost)."""
    h = problem.horizon_weeks
    w = problem.weights
    given = problem.travel_km or {}
    eff = r.weight if legacy else effective_weight(problem, r)
    away_cost = 0 if legacy else w.away_from_home
    home = home_of(problem, r)
    out: dict[tuple[str, int], int] = {}
    for u in problem.units:
        uid = u.id
        dist = int(np.floor(given[r.area][uid] + 0.5))
        if r.eligible_units is not None and uid not in r.eligible_units:
            continue
        if r.max_travel_km is not None and dist > r.max_travel_km:
            continue
        for week in range(h):
            late = 7 * week > r.deadline_day
            moved = r.booked is not None and (r.booked.unit, r.booked.week) != (uid, week)
            away = home is not None and uid != home
            out[uid, week] = (
                eff * (w.breach * late + w.wait_per_day * 7 * week)
                + w.travel_per_km * dist
                + away_cost * away
                + w.move * moved
            )
    unassigned = eff * (w.breach * (r.deadline_day < 7 * h) + w.wait_per_day * 7 * h) + w.move * (
        r.booked is not None
    )
    return out, unassigned


def lp_optimum(problem: AllocationProblem, legacy: bool = False) -> float:
    """Optimal cost of the disaggregated LP x[r,u,w] + z[r], solved by scipy's HiGHS.

    Written from the contract only (no solver code). The constraint matrix is that of a
    transportation problem, so the LP optimum is the integer optimum.
    """
    h = problem.horizon_weeks
    unit_ids = [u.id for u in problem.units]
    u_index = {u: j for j, u in enumerate(unit_ids)}
    costs: list[float] = []
    rows_r: list[int] = []
    rows_slot: list[int] = []
    for i, r in enumerate(problem.referrals):
        placed, unassigned = contract_costs(problem, r, legacy)
        for (uid, week), c in placed.items():
            costs.append(c)
            rows_r.append(i)
            rows_slot.append(u_index[uid] * h + week)
        costs.append(unassigned)
        rows_r.append(i)
        rows_slot.append(-1)
    n_r, n_vars = len(problem.referrals), len(costs)
    if n_r == 0:
        return 0.0
    a_eq = np.zeros((n_r, n_vars))
    a_eq[rows_r, np.arange(n_vars)] = 1.0
    n_slots = len(unit_ids) * h
    a_ub = np.zeros((n_slots, n_vars))
    for v, s in enumerate(rows_slot):
        if s >= 0:
            a_ub[s, v] = 1.0
    b_ub = np.array([c for u in problem.units for c in u.capacity], dtype=float)
    res = linprog(
        np.array(costs, dtype=float),
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=np.ones(n_r),
        bounds=(0, 1),
        method="highs",
    )
    assert res.status == 0, res.message
    return float(res.fun)
