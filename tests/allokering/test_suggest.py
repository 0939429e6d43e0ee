"""suggest() agrees with the residual capacity left by a plan."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings

from allokering.problem import AllocationProblem, Referral
from allokering.solve import solve
from allokering.suggest import ResidualState, suggest
from tests.allokering.allocation_strategies import make_problem, problems


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_suggest_matches_residual(problem: AllocationProblem) -> None:
    result = solve(problem, "flow")
    state = ResidualState(problem, result)
    used: dict[tuple[str, int], int] = {}
    for a in result.assignments:
        used[a.unit, a.week] = used.get((a.unit, a.week), 0) + 1
    new = Referral(id="new", area=problem.areas[0].id, deadline_day=7)
    options = suggest(state, new)
    for unit in problem.units:
        free = [
            w
            for w in range(problem.horizon_weeks)
            if unit.capacity[w] - used.get((unit.id, w), 0) > 0
        ]
        match = [o for o in options if o.unit == unit.id]
        if not free:
            assert not match
        else:
            assert len(match) == 1 and match[0].earliest_week == free[0]
            assert match[0].on_time == (7 * free[0] <= 7)
    costs = [o.cost for o in options]
    assert costs == sorted(costs)


def test_ranking_booking_and_speed() -> None:
    p = make_problem(
        horizon=4,
        capacity=[[0, 1, 1, 1], [1, 1, 1, 1], [1, 0, 0, 0]],
        km=[[5, 63, 300]],
        referrals=[],
        units_extra=[{"name": "home"}, {}, {}],
    )
    state = ResidualState(p)
    r = Referral(id="x", area="a0", deadline_day=3, max_travel_km=100)
    opts = suggest(state, r)
    assert [(o.unit, o.earliest_week, o.on_time, o.km) for o in opts] == [
        ("u1", 0, True, 63),
        ("u0", 1, False, 5),
    ]
    state.book("u1", 0)
    assert suggest(state, r)[0].unit == "u0" or suggest(state, r)[0].earliest_week == 1
    assert (
        suggest(state, Referral(id="y", area="a0", deadline_day=3, eligible_units=["u2"]))[0].unit
        == "u2"
    )
    n = 2000
    t0 = time.perf_counter()
    for _ in range(n):
        suggest(state, r)
    assert (time.perf_counter() - t0) / n < 1e-3
