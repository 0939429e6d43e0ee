"""The array-level entry point gives the plans of the public contract, exactly."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allokering.arrays import (
    PlanColumns,
    PlanInputError,
    PlanningFrame,
    compile_columns,
    make_frame,
    plan,
    plan_of_result,
    to_problem,
    to_result,
)
from allokering.compiled import compile_problem
from allokering.problem import Status, Weights
from allokering.solve import solve
from allokering.solvers.network import build_network
from allokering.validate import validate
from tests.allokering.allocation_strategies import lp_optimum

MANY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def states(draw: st.DrawFn, max_referrals: int = 40) -> tuple[PlanningFrame, PlanColumns]:
    """Random frames and columns: every feature the array entry point takes."""
    h = draw(st.integers(1, 5))
    n_units = draw(st.integers(1, 9))  # > 8 units: two bytes of packed allowed units
    n_areas = draw(st.integers(1, 4))
    kms = st.sampled_from([0, 0.5, 3.4, 12.5, 40, 77.7, 150, 249.5])
    km = [[draw(kms) for _ in range(n_units)] for _ in range(n_areas)]
    area_home = [draw(st.integers(-1, n_units - 1)) for _ in range(n_areas)]
    weights = Weights(
        breach=draw(st.sampled_from([0, 50, 1000, 10_000])),
        wait_per_day=draw(st.integers(0, 12)),
        travel_per_km=draw(st.integers(0, 4)),
        move=draw(st.sampled_from([0, 30, 300])),
        priority_step=draw(st.sampled_from([1, 2, 10])),
        overdue_per_week=draw(st.sampled_from([0, 1, 3])),
        away_from_home=draw(st.sampled_from([0, 5, 70, 2000])),
    )
    frame = make_frame(km, area_home, h, weights)
    n = draw(st.integers(0, max_referrals))
    ints = st.integers
    capacity = [[draw(ints(0, 4)) for _ in range(h)] for _ in range(n_units)]
    booked = [draw(ints(-1, n_units - 1)) if draw(st.booleans()) else -1 for _ in range(n)]
    every = draw(st.booleans())  # often every unit, as in the simulation
    allowed = [
        [True] * n_units
        if every and draw(ints(0, 3))
        else [draw(st.booleans()) for _ in range(n_units)]
        for _ in range(n)
    ]
    cols = PlanColumns(
        capacity=np.asarray(capacity, np.int64).reshape(n_units, h),
        area=np.asarray([draw(ints(0, n_areas - 1)) for _ in range(n)], np.int64),
        deadline=np.asarray(
            [draw(st.one_of(ints(-10, 7 * h + 7), ints(-400, -8))) for _ in range(n)], np.int64
        ),
        priority=np.asarray([draw(ints(1, 5)) for _ in range(n)], np.int64),
        allowed=np.asarray(allowed, dtype=bool).reshape(n, n_units),
        booked_unit=np.asarray(booked, np.int64),
        booked_week=np.asarray([draw(ints(0, h - 1)) if b >= 0 else -1 for b in booked], np.int64),
        weight=np.asarray([draw(ints(1, 3)) for _ in range(n)], np.int64)
        if draw(st.booleans())
        else None,
    )
    return frame, cols


def _network_arrays(net: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(net).items()}


@MANY
@given(states())
def test_same_network_and_plan_as_the_public_contract(
    state: tuple[PlanningFrame, PlanColumns],
) -> None:
    frame, cols = state
    problem = to_problem(frame, cols)
    # the compiled views lay out the very same network ...
    ours, theirs = (
        build_network(compile_columns(frame, cols)),
        build_network(compile_problem(problem)),
    )
    for name, value in _network_arrays(theirs).items():
        np.testing.assert_array_equal(getattr(ours, name), value, err_msg=name)
    # ... so the plans are the same, placement for placement, at the same optimal cost
    got = plan(frame, cols)
    want = solve(problem, "flow", reasons=False)
    assert got.status is Status.OPTIMAL and want.status is Status.OPTIMAL
    assert got.cost == got.lower_bound == want.cost == want.lower_bound
    expected = plan_of_result(problem, want)
    np.testing.assert_array_equal(got.unit, expected.unit)
    np.testing.assert_array_equal(got.week, expected.week)
    np.testing.assert_array_equal(got.on_time, expected.on_time)
    # and the array plan is a valid contract result
    report = validate(problem, to_result(problem, got))
    assert report.ok, report.errors


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(states(max_referrals=10))
def test_optimal_against_an_independent_lp(state: tuple[PlanningFrame, PlanColumns]) -> None:
    frame, cols = state
    assert plan(frame, cols).cost == round(lp_optimum(to_problem(frame, cols)))


def test_plan_as_arrays_in_column_order() -> None:
    """Two units 10 / 60 km away, one slot each in week 0: the P1 referral is placed
    on time at the near unit, the routine one goes to the far unit, the third waits."""
    frame = make_frame([[10, 60]], [0], 2)
    cols = PlanColumns(
        capacity=np.asarray([[1, 0], [1, 0]]),
        area=np.zeros(3, np.int64),
        deadline=np.asarray([3, 5, 100]),
        priority=np.asarray([5, 1, 5]),
        allowed=np.ones((3, 2), dtype=bool),
        booked_unit=np.full(3, -1),
        booked_week=np.full(3, -1),
    )
    got = plan(frame, cols)
    assert got.unit.tolist() == [1, 0, -1]
    assert got.week.tolist() == [0, 0, -1]
    assert got.on_time.tolist() == [True, True, False]


def _columns(**changes: Any) -> tuple[PlanningFrame, PlanColumns]:
    frame = make_frame([[10, 60]], [0], 2)
    cols = PlanColumns(
        capacity=np.ones((2, 2), np.int64),
        area=np.zeros(2, np.int64),
        deadline=np.asarray([3, 5]),
        priority=np.asarray([5, 1]),
        allowed=np.ones((2, 2), dtype=bool),
        booked_unit=np.asarray([-1, 1]),
        booked_week=np.asarray([-1, 1]),
    )
    return frame, replace(cols, **changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"capacity": np.ones((2, 3), np.int64)}, r"capacity: shape \(2, 3\), expected \(2, 2\)"),
        ({"area": np.asarray([0, 1])}, "area: value out of range"),
        ({"deadline": np.asarray([3, 100_001])}, "deadline: value out of range"),
        ({"priority": np.asarray([0, 1])}, "priority: value out of range"),
        ({"allowed": np.ones((2, 3), bool)}, "allowed: shape"),
        ({"booked_unit": np.asarray([-1, 2])}, "booked_unit: value out of range"),
        ({"booked_week": np.asarray([-1, 2])}, "booked_week: value out of range"),
        ({"booked_week": np.asarray([0, 1])}, "booked_week: value out of range"),
        ({"weight": np.asarray([1, 1001])}, "weight: value out of range"),
    ],
)
def test_bad_columns_name_the_field(changes: dict[str, Any], message: str) -> None:
    frame, cols = _columns(**changes)
    with pytest.raises(PlanInputError, match=message):
        plan(frame, cols)


def test_bad_frames_name_the_field() -> None:
    with pytest.raises(PlanInputError, match="km: distances"):
        make_frame([[-1.0]], [0], 2)
    with pytest.raises(PlanInputError, match="area_home"):
        make_frame([[1.0]], [1], 2)
    with pytest.raises(PlanInputError, match="horizon"):
        make_frame([[1.0]], [0], 0)


def test_weights_that_could_overflow_are_refused() -> None:
    frame, cols = _columns()
    frame = replace(frame, weights=Weights(breach=10**9, wait_per_day=10**6, priority_step=100))
    with pytest.raises(PlanInputError, match="weights too large"):
        plan(frame, cols)
