"""The one cost model (allokering.cost): scalar = vectorised, the old objective as a
special case, no starvation of the long overdue, priority, home unit, overflow guard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from allokering.compiled import compile_problem
from allokering.cost import (
    MAX_EFFECTIVE_WEIGHT,
    assignment_cost,
    effective_weight,
    effective_weights,
    unassigned_cost,
)
from allokering.plan import referral_costs
from allokering.problem import (
    AllocationProblem,
    Referral,
    Weights,
    priority_level,
    priority_levels,
)
from allokering.solve import solve
from allokering.suggest import ResidualState, suggest
from allokering.validate import distances, home_units, validate
from tests.allokering.allocation_strategies import lp_optimum, make_problem, problems

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LEGACY = {"priority_step": 1, "overdue_per_week": 0, "away_from_home": 0}


def _with_weights(problem: AllocationProblem, **weights: int) -> AllocationProblem:
    data = problem.model_dump()
    data["weights"] = {**data["weights"], **weights}
    return AllocationProblem.model_validate(data)


def _plan(result: Any) -> dict[str, tuple[str, int]]:
    return {a.referral: (a.unit, a.week) for a in result.assignments}


# --- the formula ------------------------------------------------------------------------
@FAST
@given(problems(max_referrals=12), st.data())
def test_vectorised_and_scalar_costs_agree(problem: AllocationProblem, data: st.DataObject) -> None:
    c = compile_problem(problem)
    h, n = problem.horizon_weeks, len(problem.referrals)
    unit = np.asarray(
        [data.draw(st.integers(-1, len(problem.units) - 1)) for _ in range(n)], dtype=np.int64
    )
    week = np.asarray([data.draw(st.integers(0, h - 1)) for _ in range(n)], dtype=np.int64)
    vec = referral_costs(c, unit, week).tolist()
    km, homes = distances(problem), home_units(problem)
    w = problem.weights
    for i, r in enumerate(problem.referrals):
        if unit[i] < 0:
            expected = unassigned_cost(r, h, w)
        else:
            uid = problem.units[int(unit[i])].id
            home = r.home_unit if r.home_unit is not None else homes.get(r.area)
            expected = assignment_cost(r, uid, int(week[i]), km[r.area, uid], home, w)
        assert vec[i] == expected


@FAST
@given(
    st.lists(
        st.tuples(st.integers(1, 1000), st.integers(1, 5), st.integers(-100_000, 100_000)),
        min_size=1,
        max_size=20,
    ),
    st.integers(1, 100),
    st.integers(0, 1000),
)
def test_effective_weight_scalar_equals_vectorised(
    rows: list[tuple[int, int, int]], step: int, overdue: int
) -> None:
    w = Weights(priority_step=step, overdue_per_week=overdue)
    weight, prio, dl = (np.asarray(x, dtype=np.int64) for x in zip(*rows, strict=True))
    vec = effective_weights(weight, prio, dl, w).tolist()
    assert vec == [effective_weight(a, b, d, w) for a, b, d in rows]
    assert max(vec) <= MAX_EFFECTIVE_WEIGHT


def test_effective_weight_examples() -> None:
    w = Weights()
    assert effective_weight(1, 5, 10, w) == 1
    assert effective_weight(1, 1, 10, w) == 10_000  # P1 = step^4 × routine
    assert effective_weight(1, 5, -300, w) == 43  # 42 full weeks overdue
    assert effective_weight(2, 4, -7, w) == 2 * 10 * 2
    assert effective_weight(1000, 1, -100_000, w) == MAX_EFFECTIVE_WEIGHT
    assert effective_weight(3, 1, -300, Weights(**LEGACY)) == 3


@FAST
@given(problems())
def test_legacy_weights_reproduce_the_old_objective(problem: AllocationProblem) -> None:
    p = _with_weights(problem, **LEGACY)
    result = solve(p, "flow")
    assert validate(p, result).ok
    assert result.cost == round(lp_optimum(p, legacy=True))


def test_legacy_weights_by_hand() -> None:
    # one unit, one slot in week 0, 2 weeks; the old formula written out
    p = make_problem(
        horizon=2,
        capacity=[[1, 0]],
        km=[[12]],
        referrals=[
            {"id": "late", "area": "a0", "deadline_day": -300, "priority": 1},
            {"id": "new", "area": "a0", "deadline_day": 3, "weight": 2},
        ],
        weights={"breach": 1000, "wait_per_day": 10, "travel_per_km": 1, "move": 0, **LEGACY},
        units_extra=[{"catchment": ["a0"]}],
    )
    r = solve(p, "flow")
    # old: "new" in week 0 (2·0 + 12), "late" unassigned (1·(1000 + 10·14))
    assert _plan(r) == {"new": ("u0", 0)}
    assert r.cost == 12 + 1000 + 140
    assert validate(p, r).ok


@FAST
@given(problems())
def test_flow_exact_with_default_weights(problem: AllocationProblem) -> None:
    p = _with_weights(problem, **Weights().model_dump())
    result = solve(p, "flow")
    assert validate(p, result).ok
    assert result.cost == result.lower_bound == round(lp_optimum(p))


# --- behaviour ------------------------------------------------------------------------
def _starvation(**weights: int) -> AllocationProblem:
    refs: list[dict[str, Any]] = [{"id": "old", "area": "a0", "deadline_day": -300}]
    refs += [{"id": f"new{i}", "area": "a0", "deadline_day": 27} for i in range(4)]
    return make_problem(
        horizon=4,
        capacity=[[1, 1, 1, 1]],
        km=[[10]],
        referrals=refs,
        weights=weights or None,
        units_extra=[{"catchment": ["a0"]}],
    )


def test_no_starvation_of_the_long_overdue() -> None:
    p = _starvation()
    r = solve(p, "flow")
    assert validate(p, r).ok
    assert _plan(r)["old"] == ("u0", 0)
    # the old, sunk-breach objective leaves it waiting: the test can fail
    p0 = _starvation(overdue_per_week=0)
    r0 = solve(p0, "flow")
    assert validate(p0, r0).ok
    assert r0.unassigned == ["old"]


def test_priority_first() -> None:
    refs: list[dict[str, Any]] = [
        {"id": "p1", "area": "a0", "deadline_day": 20, "priority": 1},
        {"id": "late1", "area": "a0", "deadline_day": -30},
        {"id": "late2", "area": "a0", "deadline_day": -30},
    ]

    def run(**weights: int) -> dict[str, tuple[str, int]]:
        p = make_problem(
            horizon=2, capacity=[[1, 1]], km=[[5]], referrals=refs, weights=weights or None
        )
        r = solve(p, "flow")
        assert validate(p, r).ok
        return _plan(r)

    assert run()["p1"] == ("u0", 0)
    assert "p1" not in run(priority_step=1)  # without priority the overdue take both slots


def _home(home_capacity: list[int], **extra: Any) -> AllocationProblem:
    return make_problem(
        horizon=4,
        capacity=[home_capacity, [1, 0, 0, 0]],
        km=[[10, 10]],
        referrals=[{"id": "r", "area": "a0", "deadline_day": 20, **extra}],
        units_extra=[{"catchment": ["a0"]}, {}],
    )


def test_away_from_home() -> None:
    # home u0 meets the limit in week 1; u1 is a week earlier: stay home
    r = solve(_home([0, 1, 0, 0]), "flow")
    assert _plan(r) == {"r": ("u0", 1)}
    # home only in week 3 (late: 21 > 20): move to u1
    r = solve(_home([0, 0, 0, 1]), "flow")
    assert _plan(r) == {"r": ("u1", 0)}
    # without the away cost the earlier unit wins
    p = _with_weights(_home([0, 1, 0, 0]), away_from_home=0)
    assert _plan(solve(p, "flow")) == {"r": ("u1", 0)}
    # a referral's home_unit overrides the catchment
    p = _home([0, 1, 0, 0], home_unit="u1")
    r = solve(p, "flow")
    assert _plan(r) == {"r": ("u1", 0)} and validate(p, r).ok


def test_no_home_no_away_cost() -> None:
    p = make_problem(
        horizon=2,
        capacity=[[0, 1], [1, 0]],
        km=[[10, 10]],
        referrals=[{"id": "r", "area": "a0", "deadline_day": 20}],
    )
    r = solve(p, "flow")
    assert _plan(r) == {"r": ("u1", 0)} and r.cost == 10


def test_suggest_uses_priority_overdue_and_home() -> None:
    p = _home([0, 1, 0, 0])
    state = ResidualState(p)
    best = suggest(state, Referral("x", "a0", 20))[0]
    assert (best.unit, best.earliest_week) == ("u0", 1)
    best = suggest(state, Referral("x", "a0", 20, home_unit="u1"))[0]
    assert best.unit == "u1"
    urgent = suggest(state, Referral("x", "a0", 20, priority=1))
    routine = suggest(state, Referral("x", "a0", 20))
    assert urgent[0].cost > routine[0].cost
    # of_residual with home units given per area
    s2 = ResidualState.of_residual(
        ["u0", "u1"],
        ["a0"],
        np.array([[10, 10]]),
        np.array([[0, 1], [1, 0]]),
        Weights(),
        {"a0": "u0"},
    )
    assert suggest(s2, Referral("x", "a0", 20))[0].unit == "u0"


# --- bounds and helpers ---------------------------------------------------------------
def test_weights_that_could_overflow_are_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        make_problem(
            horizon=26,
            capacity=[[1] * 26],
            km=[[10]],
            referrals=[{"id": "r", "area": "a0", "deadline_day": 3, "weight": 1000, "priority": 1}],
            weights={"breach": 10**9},
        )
    err = exc.value.errors()[0]
    assert err["loc"] == ("weights", "breach")
    assert "weights.breach" in err["msg"]
    # the same weights on a routine weight-1 referral are fine
    make_problem(
        horizon=26,
        capacity=[[1] * 26],
        km=[[10]],
        referrals=[{"id": "r", "area": "a0", "deadline_day": 3}],
        weights={"breach": 10**9},
    )


def test_default_weights_accept_the_extremes() -> None:
    p = make_problem(
        horizon=520,
        capacity=[[1] * 520],
        km=[[10_000]],
        referrals=[
            {"id": "r", "area": "a0", "deadline_day": -100_000, "weight": 1000, "priority": 1}
        ],
    )
    r = solve(p, "flow")
    assert validate(p, r).ok and r.cost is not None


def test_priority_level_and_levels() -> None:
    assert [priority_level(x) for x in ("P1", "p2", " P3 ", "P4")] == [1, 2, 3, 4]
    assert [priority_level(x) for x in ("standard", "routine", "P5", "P0", "")] == [5] * 5
    assert priority_levels([90, 14, 30]) == [5, 1, 2]
    assert priority_levels([90]) == [5]
    assert priority_levels([14, 14, 90]) == [1, 2, 5]
    assert priority_levels([7, 14, 21, 28, 35, 90]) == [1, 2, 3, 4, 4, 5]
    assert priority_levels([]) == []


# --- the CLI --------------------------------------------------------------------------
def test_cli_plans_the_overdue_referral(tmp_path: Path) -> None:
    import typer

    from api.cli.allocate import app

    root = typer.Typer()
    root.add_typer(app, name="allocate")

    @root.command()
    def other() -> None:
        """Unrelated."""

    path = tmp_path / "p.json"
    path.write_text(_starvation().model_dump_json())
    out = tmp_path / "r.json"
    res = CliRunner().invoke(root, ["allocate", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    placed = {a["referral"]: a["week"] for a in data["assignments"]}
    assert placed.get("old") == 0 and "old" not in data["unassigned"]
