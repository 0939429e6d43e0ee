"""CP-SAT: each side constraint holds (feasible and infeasible cases); equals flow
when no side constraint binds."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from allokering.problem import AllocationProblem, Status
from allokering.solve import solve
from allokering.solvers.cpsat import solve_cpsat
from allokering.validate import validate
from tests.allokering.allocation_strategies import make_problem, problems


def _refs(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"id": f"r{i}", "area": "a0", "deadline_day": 3, **extra} for i in range(n)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_referrals=8))
def test_cpsat_model_equals_flow_without_side_constraints(problem: AllocationProblem) -> None:
    flow = solve(problem, "flow")
    cp = solve_cpsat(problem, time_limit=20, shortcut=False, workers=1)
    assert validate(problem, cp).ok
    assert cp.status is Status.OPTIMAL and cp.cost == flow.cost


def test_session_minutes_respected() -> None:
    refs = [
        {"id": f"r{i}", "area": "a0", "deadline_day": 20, "procedure_minutes": m}
        for i, m in enumerate([60, 60, 90, 30])
    ]
    p = make_problem(
        horizon=3,
        capacity=[[4, 4, 4]],
        km=[[0]],
        referrals=refs,
        units_extra=[{"session_minutes": [120, 100, 0]}],
    )
    r = solve(p, "cpsat", time_limit=10)
    report = validate(p, r)
    assert report.ok, report.errors
    assert r.status is Status.OPTIMAL
    minutes = {f"r{i}": m for i, m in enumerate([60, 60, 90, 30])}
    per_week = [sum(minutes[a.referral] for a in r.assignments if a.week == w) for w in range(3)]
    assert per_week[0] <= 120 and per_week[1] <= 100 and per_week[2] == 0
    # 240 minutes do not fit into 220: someone stays unassigned
    assert r.unassigned
    # flow alone would break it, and validate says so
    plain = make_problem(horizon=3, capacity=[[4, 4, 4]], km=[[0]], referrals=refs)
    flow = solve(plain, "flow")
    broken = validate(p, flow.model_copy(update={"cost": None, "objective": None}))
    assert any("session minutes" in e for e in broken.errors)


def test_external_share_respected() -> None:
    # u0 serves a0; a1 patients are external there. u0 may take at most 50 % external.
    refs = [{"id": f"h{i}", "area": "a0", "deadline_day": 3} for i in range(1)] + [
        {"id": f"x{i}", "area": "a1", "deadline_day": 3} for i in range(3)
    ]
    p = make_problem(
        horizon=1,
        capacity=[[4], [0]],
        km=[[0, 10], [5, 10]],
        referrals=refs,
        units_extra=[{"catchment": ["a0"], "max_external_percent": 50}, {"catchment": ["a1"]}],
    )
    r = solve(p, "cpsat", time_limit=10)
    assert validate(p, r).ok and r.status is Status.OPTIMAL
    ext = sum(a.referral.startswith("x") for a in r.assignments)
    assert ext == 1 and len(r.assignments) == 2
    zero = make_problem(
        horizon=1,
        capacity=[[4], [0]],
        km=[[0, 10], [5, 10]],
        referrals=refs,
        units_extra=[{"catchment": ["a0"], "max_external_percent": 0}, {"catchment": ["a1"]}],
    )
    r0 = solve(zero, "cpsat", time_limit=10)
    assert validate(zero, r0).ok and {a.referral for a in r0.assignments} == {"h0"}


def test_fairness_floor_feasible_and_infeasible() -> None:
    # one slot in week 0; a1's referral is further away, a0's would win on travel.
    refs = [
        {"id": "near", "area": "a0", "deadline_day": 3},
        {"id": "far", "area": "a1", "deadline_day": 3},
    ]
    base: dict[str, Any] = {"horizon": 1, "capacity": [[1]], "km": [[0], [80]], "referrals": refs}
    free = solve(make_problem(**base), "flow")
    assert [a.referral for a in free.assignments] == ["near"]
    p = make_problem(**base, areas_extra=[{}, {"min_on_time_percent": 100}])
    r = solve(p, "cpsat", time_limit=10)
    assert validate(p, r).ok and [a.referral for a in r.assignments] == ["far"]
    assert r.status is Status.OPTIMAL and r.cost is not None and free.cost is not None
    assert r.cost > free.cost
    impossible = make_problem(
        **base, areas_extra=[{"min_on_time_percent": 100}, {"min_on_time_percent": 100}]
    )
    bad = solve(impossible, "cpsat", time_limit=10)
    assert bad.status is Status.INFEASIBLE and validate(impossible, bad).ok


def test_shortcut_when_flow_already_satisfies() -> None:
    p = make_problem(
        horizon=2,
        capacity=[[2, 2]],
        km=[[0]],
        referrals=_refs(3),
        units_extra=[{"max_external_percent": 0, "catchment": ["a0"]}],
    )
    r = solve(p, "auto")
    assert r.solver == "cpsat" and r.status is Status.OPTIMAL and r.gap == 0
    assert validate(p, r).ok
