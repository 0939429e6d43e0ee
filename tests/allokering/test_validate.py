"""Problem validation (field paths) and the result validator catching broken results."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from allokering.problem import AllocationProblem, Assignment
from allokering.solve import solve
from allokering.validate import objective_of, validate
from tests.allokering.allocation_strategies import make_problem


def _data() -> dict[str, Any]:
    return {
        "horizon_weeks": 2,
        "units": [
            {"id": "u0", "capacity": [1, 1], "lat": 57.7, "lon": 11.97},
            {"id": "u1", "capacity": [2, 0], "lat": 58.3, "lon": 12.3},
        ],
        "areas": [{"id": "a0", "lat": 57.72, "lon": 12.94}],
        "referrals": [
            {"id": "r0", "area": "a0", "deadline_day": 3},
            {"id": "r1", "area": "a0", "deadline_day": 20, "booked": {"unit": "u1", "week": 0}},
        ],
    }


def _locs(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as info:
        AllocationProblem.model_validate(data)
    return [e["loc"] for e in info.value.errors()]


@pytest.mark.parametrize(
    ("edit", "loc"),
    [
        (lambda d: d["referrals"][1].update(area="nowhere"), ("referrals", 1, "area")),
        (
            lambda d: d["referrals"][0].update(eligible_units=["u9"]),
            ("referrals", 0, "eligible_units", 0),
        ),
        (
            lambda d: d["referrals"][1]["booked"].update(unit="u9"),
            ("referrals", 1, "booked", "unit"),
        ),
        (lambda d: d["referrals"][1]["booked"].update(week=2), ("referrals", 1, "booked", "week")),
        (lambda d: d["referrals"][1].update(id="r0"), ("referrals", 1, "id")),
        (lambda d: d["units"][1].update(id="u0"), ("units", 1, "id")),
        (lambda d: d["units"][0].update(capacity=[1, 1, 1]), ("units", 0, "capacity")),
        (lambda d: d["units"][0]["capacity"].__setitem__(1, -1), ("units", 0, "capacity", 1)),
        (lambda d: d["referrals"][0].update(weight=0), ("referrals", 0, "weight")),
        (lambda d: d["referrals"][0].update(max_travel_km=-5), ("referrals", 0, "max_travel_km")),
        (lambda d: d.update(weights={"breach": -1}), ("weights", "breach")),
        (lambda d: d.update(travel_km={"a0": {"u7": 3}}), ("travel_km", "a0", "u7")),
        (lambda d: d["units"][0].pop("lat"), ("travel_km", "a0", "u0")),
        (lambda d: d["units"][0].update(catchment=["zz"]), ("units", 0, "catchment", 0)),
    ],
)
def test_bad_problem_names_the_field(edit: Any, loc: tuple[Any, ...]) -> None:
    data = copy.deepcopy(_data())
    edit(data)
    assert loc in _locs(data)


def test_duplicate_ids_are_both_reported() -> None:
    data = _data()
    data["referrals"][1]["id"] = "r0"
    assert _locs(data) == [("referrals", 0, "id"), ("referrals", 1, "id")]


def _solved() -> tuple[AllocationProblem, Any]:
    p = make_problem(
        horizon=2,
        capacity=[[1, 1], [1, 1]],
        km=[[10, 200]],
        referrals=[
            {
                "id": f"r{i}",
                "area": "a0",
                "deadline_day": 7 * i,
                "eligible_units": ["u0"] if i == 0 else None,
                "max_travel_km": 50 if i == 1 else None,
            }
            for i in range(3)
        ],
    )
    r = solve(p, "flow")
    assert validate(p, r).ok
    return p, r


def test_validator_catches_over_capacity() -> None:
    p, r = _solved()
    bad = r.model_copy(deep=True)
    for a in bad.assignments:
        a.unit, a.week = "u0", 0
    report = validate(p, bad)
    assert not report.ok and any("capacity" in e for e in report.errors)


def test_validator_catches_ineligible_and_too_far() -> None:
    p, r = _solved()
    bad = r.model_copy(deep=True)
    by_id = {a.referral: a for a in bad.assignments}
    by_id["r0"].unit = "u1"
    by_id["r1"].unit = "u1"
    errors = " ".join(validate(p, bad).errors)
    assert "not eligible" in errors and "max_travel_km" in errors


def test_validator_catches_duplicates_missing_and_unknown() -> None:
    p, r = _solved()
    bad = r.model_copy(deep=True)
    bad.assignments.append(Assignment(bad.assignments[0].referral, "u1", 1, True, ""))
    bad.assignments.append(Assignment("ghost", "u1", 1, True, ""))
    bad.unassigned.append(bad.assignments[1].referral)
    errors = " ".join(validate(p, bad).errors)
    assert "more than once" in errors and "unknown referral" in errors
    assert "also placed" in errors
    missing = r.model_copy(deep=True)
    missing.assignments.pop()
    assert any("neither placed" in e for e in validate(p, missing).errors)


def test_validator_catches_wrong_objective_and_flags() -> None:
    p, r = _solved()
    bad = r.model_copy(update={"cost": (r.cost or 0) + 1}, deep=True)
    assert any(e.startswith("cost:") for e in validate(p, bad).errors)
    flag = r.model_copy(deep=True)
    flag.assignments[0].on_time = not flag.assignments[0].on_time
    assert any("on_time" in e for e in validate(p, flag).errors)
    bound = r.model_copy(update={"lower_bound": (r.cost or 0) + 5}, deep=True)
    assert not validate(p, bound).ok


def test_objective_of_follows_the_contract() -> None:
    p = make_problem(
        horizon=2,
        capacity=[[5, 5]],
        km=[[12.5]],
        referrals=[
            {
                "id": "a",
                "area": "a0",
                "deadline_day": 6,
                "weight": 2,
                "booked": {"unit": "u0", "week": 0},
            },
            {"id": "b", "area": "a0", "deadline_day": 20},
        ],
        weights={"breach": 1000, "wait_per_day": 3, "travel_per_km": 2, "move": 50},
    )
    cost, obj = objective_of(p, {"a": ("u0", 1), "b": None})
    # a: late in week 1 (7 > 6), 7 days, 13 km (12.5 rounds up), moved;
    # b: unassigned, no breach since its limit (day 20) lies beyond 7H = 14
    assert cost == 2 * (1000 + 3 * 7) + 2 * 13 + 50 + 3 * 14
    assert (obj.breaches, obj.total_wait_days, obj.total_travel_km, obj.moves) == (1, 21, 13, 1)
