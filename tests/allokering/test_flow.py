"""The exact flow solver against an independent LP, edge cases and the baselines."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from allokering.problem import AllocationProblem, Status
from allokering.solve import SolverError, solve
from allokering.validate import validate
from tests.allokering.allocation_strategies import lp_optimum, make_problem, problems

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(problems())
def test_flow_matches_independent_lp(problem: AllocationProblem) -> None:
    result = solve(problem, "flow")
    report = validate(problem, result)
    assert report.ok, report.errors
    assert result.status is Status.OPTIMAL
    assert result.cost == result.lower_bound
    assert result.cost == round(lp_optimum(problem))


@FAST
@given(problems(max_referrals=14))
def test_greedy_never_beats_flow(problem: AllocationProblem) -> None:
    best = solve(problem, "flow").cost
    assert best is not None
    for name in ("greedy_home", "greedy_edd"):
        result = solve(problem, name)
        report = validate(problem, result)
        assert report.ok, (name, report.errors)
        assert result.status is Status.FEASIBLE
        assert result.cost is not None and result.cost >= best


def _one(deadline: int, **extra: object) -> dict[str, object]:
    return {"id": f"r{deadline}", "area": "a0", "deadline_day": deadline, **extra}


def test_no_capacity_leaves_everyone_unassigned() -> None:
    p = make_problem(
        horizon=3,
        capacity=[[0, 0, 0]],
        km=[[10]],
        referrals=[_one(5), _one(100), _one(-3, booked={"unit": "u0", "week": 1})],
    )
    r = solve(p, "flow")
    assert validate(p, r).ok
    assert r.assignments == [] and sorted(r.unassigned) == ["r-3", "r100", "r5"]
    w = p.weights
    # breach only for deadlines inside the horizon; move for the booked one
    expected = (2 * w.breach + 3 * w.wait_per_day * 21) + w.move
    assert r.cost == expected and r.objective is not None and r.objective.breaches == 2


def test_everything_already_breached() -> None:
    p = make_problem(
        horizon=2,
        capacity=[[1, 1], [1, 0]],
        km=[[5, 50]],
        referrals=[_one(-1), _one(-10), _one(0 - 20)],
    )
    r = solve(p, "flow")
    assert validate(p, r).ok and r.objective is not None
    assert r.objective.breaches == 3
    assert all(not a.on_time for a in r.assignments)
    # placing costs less than leaving (waiting 7H), so all three slots are used
    assert len(r.assignments) == 3
    assert r.cost == round(lp_optimum(p))


def test_eligibility_leaving_no_unit() -> None:
    p = make_problem(
        horizon=2,
        capacity=[[5, 5]],
        km=[[500]],
        referrals=[_one(10, eligible_units=[]), _one(11, max_travel_km=100)],
    )
    r = solve(p, "flow")
    assert validate(p, r).ok
    assert sorted(r.unassigned) == ["r10", "r11"]


def test_single_week_horizon() -> None:
    p = make_problem(
        horizon=1, capacity=[[1], [1]], km=[[0, 30]], referrals=[_one(3), _one(6), _one(-2)]
    )
    r = solve(p, "flow")
    assert validate(p, r).ok
    assert r.cost == round(lp_optimum(p))
    # the two that can still be on time take the two slots
    assert {a.referral for a in r.assignments} == {"r3", "r6"}


def test_on_time_boundary_is_inclusive() -> None:
    p = make_problem(horizon=3, capacity=[[0, 1, 0]], km=[[0]], referrals=[_one(7)])
    r = solve(p, "flow")
    assert r.assignments[0].week == 1 and r.assignments[0].on_time


def test_booking_kept_when_free() -> None:
    p = make_problem(
        horizon=3,
        capacity=[[1, 1, 1]],
        km=[[0]],
        referrals=[_one(20, booked={"unit": "u0", "week": 2})],
    )
    r = solve(p, "flow")
    a = r.assignments[0]
    assert (a.unit, a.week) == ("u0", 2) and r.objective is not None
    assert r.objective.moves == 0 and a.reason.startswith("kept booked time")


def test_reason_names_full_home_unit() -> None:
    p = make_problem(
        horizon=3,
        capacity=[[1, 0, 0], [2, 2, 2]],
        km=[[0, 63]],
        referrals=[_one(1), _one(2)],
        units_extra=[{"name": "SÄS Skene", "catchment": ["a0"]}, {"name": "SÄS Borås"}],
    )
    r = solve(p, "flow")
    reasons = sorted(a.reason for a in r.assignments)
    assert "home unit SÄS Skene full all 3 weeks; on time at SÄS Borås, week 0, 63 km" in reasons


def test_flow_refuses_side_constraints() -> None:
    p = make_problem(
        horizon=1,
        capacity=[[1]],
        km=[[0]],
        referrals=[_one(3)],
        units_extra=[{"max_external_percent": 50}],
    )
    with pytest.raises(SolverError):
        solve(p, "flow")
    with pytest.raises(SolverError):
        solve(p, "nonsense")


def test_generated_instance_is_valid_and_optimal() -> None:
    from allokering.generate import generate
    from scenarios.geography import VGR_UNIT_SITES, vgr_areas

    areas = vgr_areas()
    p = generate(3000, areas, VGR_UNIT_SITES, n_units=12, weeks=10, seed=4)
    again = generate(3000, areas, VGR_UNIT_SITES, n_units=12, weeks=10, seed=4)
    assert p == again
    r = solve(p)
    assert r.status is Status.OPTIMAL and validate(p, r).ok
    edd = solve(p, "greedy")
    assert validate(p, edd).ok and edd.cost is not None and r.cost is not None
    assert edd.cost >= r.cost
    late = sum(x.deadline_day < 0 for x in p.referrals) / len(p.referrals)
    assert 0.05 < late < 0.4
