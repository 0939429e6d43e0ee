"""The file path of `remiss allocate`: columns read from JSON bytes, the vectorised
validator and the streamed result writer agree with the model-based path."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from allokering.columns import ReferralRows
from allokering.compiled import compile_problem
from allokering.file_plan import plan_arrays, plan_rows
from allokering.problem import AllocationProblem, AllocationResult, Assignment, Status
from allokering.read import problem_from_json
from allokering.result_json import row_tails, write_result
from allokering.solve import solve
from allokering.validate import objective_of, validate, validate_rows
from tests.allokering.allocation_strategies import problems


def _doc() -> dict[str, Any]:
    return {
        "horizon_weeks": 3,
        "units": [
            {"id": "u0", "capacity": [1, 2, 1], "lat": 57.7, "lon": 11.97, "catchment": ["a0"]},
            {"id": 'u"1', "name": "Ünit \\ one", "capacity": [2, 0, 3], "lat": 58.3, "lon": 12.3},
        ],
        "areas": [{"id": "a0", "lat": 57.72, "lon": 12.94}, {"id": "a1", "lat": 58.0, "lon": 12.0}],
        "referrals": [
            {"id": "r0", "area": "a0", "deadline_day": 3, "priority": 2, "weight": 3},
            {"id": 'r"1', "area": "a1", "deadline_day": -20, "booked": {"unit": 'u"1', "week": 0}},
            {"id": "r2", "area": "a0", "deadline_day": 9, "max_travel_km": 30, "home_unit": 'u"1'},
            {"id": "r3", "area": "a1", "deadline_day": 30, "eligible_units": ["u0"]},
            {"id": "r4", "area": "a0", "deadline_day": 0, "max_travel_km": 500.5},
            {"id": "rö5", "area": "a1", "deadline_day": 5, "procedure_minutes": 30},
        ],
    }


def _bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


def test_columns_match_the_model() -> None:
    data = _bytes(_doc())
    fast = problem_from_json(data)
    model = AllocationProblem.model_validate_json(data)
    assert isinstance(fast.referrals, ReferralRows)
    assert list(fast.referrals) == model.referrals
    a, b = compile_problem(fast), compile_problem(model)
    for name in ("area", "deadline", "eff_weight", "cost_home", "allow_code", "booked_unit"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.allowed, b.allowed) and a.referral_ids == b.referral_ids


EDITS: list[tuple[Callable[[dict[str, Any]], Any], str]] = [
    (lambda d: d["referrals"][3].update(area="Atlantis"), "referrals.3.area"),
    (lambda d: d["referrals"][1].update(deadline_day=10**6), "referrals.1.deadline_day"),
    (lambda d: d["referrals"][0].update(weight=1.5), "referrals.0.weight"),
    (lambda d: d["referrals"][0].update(priority=9), "referrals.0.priority"),
    (lambda d: d["referrals"][2].update(max_travel_km=-1), "referrals.2.max_travel_km"),
    (lambda d: d["referrals"][2].update(id="r0"), "referrals.2.id"),
    (lambda d: d["referrals"][1]["booked"].update(week=3), "referrals.1.booked.week"),
    (lambda d: d["referrals"][1]["booked"].update(unit="x"), "referrals.1.booked.unit"),
    (lambda d: d["referrals"][3].update(eligible_units=["zz"]), "referrals.3.eligible_units.0"),
    (lambda d: d["referrals"][2].update(home_unit="zz"), "referrals.2.home_unit"),
    (lambda d: d["referrals"][4].pop("deadline_day"), "referrals.4.deadline_day"),
    (lambda d: d["units"][0].update(capacity=[1]), "units.0.capacity"),
    (lambda d: d.update(weights={"breach": 10**9, "wait_per_day": 10**6}), "weights"),
]


@pytest.mark.parametrize(("edit", "where"), EDITS)
def test_bad_input_gives_the_models_errors(
    edit: Callable[[dict[str, Any]], Any], where: str
) -> None:
    doc = copy.deepcopy(_doc())
    edit(doc)
    data = _bytes(doc)
    with pytest.raises(ValidationError) as fast:
        problem_from_json(data)
    with pytest.raises(ValidationError) as model:
        AllocationProblem.model_validate_json(data)
    assert fast.value.errors() == model.value.errors()
    locs = [".".join(map(str, e["loc"])) for e in fast.value.errors()]
    assert any(loc.startswith(where) for loc in locs), locs


def test_lax_input_is_still_accepted() -> None:
    doc = _doc()
    doc["referrals"][0]["deadline_day"] = "3"  # the model's lax mode takes it
    fast = problem_from_json(_bytes(doc))
    assert fast.referrals[0].deadline_day == 3


@pytest.mark.parametrize("reasons", [True, False])
def test_streamed_result_is_the_models_json(reasons: bool) -> None:
    problem = problem_from_json(_bytes(_doc()))
    result = solve(problem, "flow", reasons=reasons)
    plan = plan_arrays(problem, "flow")
    summary = plan.summary.model_copy(update={"solve_seconds": result.solve_seconds})
    out = io.StringIO()
    tails = row_tails(plan.compiled, plan.unit, plan.week, reasons=reasons)
    write_result(out, summary, plan.compiled, plan.unit, tails)
    assert out.getvalue() == result.model_dump_json()
    assert validate_rows(problem, plan.summary, plan_rows(plan)).ok


@settings(max_examples=60, deadline=None)
@given(problems(), st.data())
def test_vectorised_recount_is_the_scalar_reference(
    problem: AllocationProblem, data: st.DataObject
) -> None:
    units = [u.id for u in problem.units]
    plan: dict[str, tuple[str, int] | None] = {}
    rows = []
    for r in problem.referrals:
        if data.draw(st.booleans()):
            unit = data.draw(st.sampled_from(units))
            week = data.draw(st.integers(0, problem.horizon_weeks - 1))
            plan[r.id] = (unit, week)
            rows.append(Assignment(r.id, unit, week, 7 * week <= r.deadline_day, ""))
        else:
            plan[r.id] = None
    unassigned = [rid for rid, place in plan.items() if place is None]
    result = AllocationResult(
        status=Status.FEASIBLE, solver="drawn", assignments=rows, unassigned=unassigned
    )
    report = validate(problem, result)
    assert (report.cost, report.objective) == objective_of(problem, plan)
