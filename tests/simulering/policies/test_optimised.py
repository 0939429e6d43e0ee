"""The ``optimised`` policy: rolling-horizon allocation with the allokering solvers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from allokering.domain import Stage
from allokering.problem import AllocationProblem, AllocationResult
from allokering.validate import validate
from scenarios.loader import Overrides, load_spec
from simulering.kpis import replication_kpis
from simulering.model import Model, Records
from simulering.patients import Patients, draw_patients
from simulering.policies import RoutingPolicy, make_policy
from simulering.policies.optimised import OptimisedPolicy
from simulering.results import PolicyResult
from simulering.spec import ModelSpec
from simulering.streams import replication_stream
from tests.conftest import compile_dict, small_scenario
from tests.simulering.result_json import policy_json

FV, TR = Stage.FIRST_VISIT, Stage.TREATMENT


def _run(spec: ModelSpec, policy: RoutingPolicy, seed: int = 3) -> tuple[Patients, Records]:
    streams = replication_stream(seed, 0)
    patients = draw_patients(spec, streams)
    return patients, Model(spec, patients, policy, streams.get("policy")).run()


def _kpis(spec: ModelSpec, policy: RoutingPolicy, seed: int = 3) -> PolicyResult[float]:
    patients, records = _run(spec, policy, seed)
    return replication_kpis(spec, patients, records)


def _overloaded(**options: Any) -> ModelSpec:
    """u1 gets far more referrals than it has slots; u2 (~50 km) has room; all travel."""
    doc = small_scenario()
    doc["units"][0]["first_visit"] = {"slots_per_week": 5}
    doc["units"][1]["first_visit"] = {"slots_per_week": 20}
    doc["units"][2]["first_visit"] = {"slots_per_week": 9}
    doc["demand"] = {"split": "population", "referrals_per_year": 1400}
    doc["backlog"] = []
    doc["reductions"] = []
    doc["behaviour"] = {"travel": {"limit_km": 500}, "no_show_share": 0.0}
    doc["run"] = {"horizon_days": 300, "warmup_days": 60}
    if options:
        doc["policy_options"] = options
    return compile_dict(doc)


def test_registered_and_runs_on_the_small_scenario() -> None:
    spec = compile_dict(small_scenario())
    policy = make_policy("optimised", spec)
    assert policy.name == "optimised"
    kpis = _kpis(spec, policy)
    assert kpis.kpis[FV]["completed"] > 0
    assert kpis.kpis[TR]["completed"] > 0
    assert isinstance(policy, OptimisedPolicy) and policy.plans > 0


def test_same_seed_same_result() -> None:
    spec = compile_dict(small_scenario())
    a = _kpis(spec, make_policy("optimised", spec))
    b = _kpis(spec, make_policy("optimised", spec))
    assert policy_json(a) == policy_json(b)


def test_gallsten_short_horizon_every_plan_validates() -> None:
    _, spec = load_spec("gallsten", Overrides(horizon_days=120, warmup_days=30))
    plans: list[tuple[int, AllocationProblem, AllocationResult]] = []
    policy = OptimisedPolicy(spec.policy_options, on_plan=lambda *p: plans.append(p))
    patients, records = _run(spec, policy)
    # one plan per pool and week, on the days the pool has slots
    assert {pool for pool, _, _ in plans} == {0, 1, 2}
    assert len(plans) >= 3 * (120 // 7)
    for _pool, problem, result in plans:
        report = validate(problem, result)
        assert report.ok, report.errors
        assert result.status == "optimal"
    assert any(r.booked is not None for _, p, _ in plans for r in p.referrals)
    kpis = replication_kpis(spec, patients, records)
    assert kpis.kpis[FV]["completed"] > 0


def test_plans_respect_known_travel_limits_and_the_week_capacity() -> None:
    spec = compile_dict(small_scenario())
    seen: list[tuple[int, AllocationProblem, AllocationResult]] = []
    policy = OptimisedPolicy(spec.policy_options, on_plan=lambda *p: seen.append(p))
    _run(spec, policy)
    # the acceptance curve reaches 0.1 at 120 km but never 0: nobody is excluded up
    # front; after declines some referrals carry the units they may still be offered
    assert any(r.eligible_units is not None for _, p, _ in seen for r in p.referrals)
    pool0 = spec.pools[0].slots
    assert pool0 is not None
    first = next(p for pool, p, _ in seen if pool == 0)
    assert [u.capacity[0] for u in first.units] == pool0[0:7].sum(axis=0).tolist()


def test_beats_separate_when_a_neighbour_has_room() -> None:
    spec = _overloaded()
    sep = _kpis(spec, make_policy("separate", spec)).kpis[FV]
    opt = _kpis(spec, make_policy("optimised", spec)).kpis[FV]
    assert opt["share_completed_within_guarantee"] > sep["share_completed_within_guarantee"] + 0.05
    assert opt["share_waiting_within_guarantee"] > sep["share_waiting_within_guarantee"]
    assert opt["share_outside_home_unit"] > 0.0


def test_fewer_declines_and_less_travel_than_shared() -> None:
    """The plan sends patients only as far as a breach or a long wait is worth."""
    spec = compile_dict(small_scenario())
    shared = _kpis(spec, make_policy("shared", spec)).kpis[FV]
    opt = _kpis(spec, make_policy("optimised", spec)).kpis[FV]
    assert opt["mean_travel_km"] < shared["mean_travel_km"]
    assert opt["patient_chosen_waits"] < shared["patient_chosen_waits"]


@pytest.mark.parametrize("solver", ["greedy", "cpsat"])
def test_any_solver_by_name(solver: str) -> None:
    spec = _overloaded(solver=solver, planning_horizon_weeks=6)
    spec = replace(spec, horizon_days=120, warmup_days=30)
    plans: list[AllocationResult] = []
    policy = OptimisedPolicy(spec.policy_options, on_plan=lambda _p, _q, r: plans.append(r))
    _run(spec, policy)
    assert plans and all(r.solver.startswith(solver) for r in plans)


def test_planning_period_is_configurable() -> None:
    weekly = OptimisedPolicy(_overloaded().policy_options)
    fortnightly = OptimisedPolicy(_overloaded(planning_period_days=14).policy_options)
    _run(_overloaded(), weekly)
    _run(_overloaded(planning_period_days=14), fortnightly)
    assert fortnightly.plans < 0.6 * weekly.plans


def test_server_pools_fall_back_to_shared() -> None:
    _, spec = load_spec("textbook_mmc", Overrides(horizon_days=60, warmup_days=10))
    _, shared = _run(spec, make_policy("shared", spec))
    policy = make_policy("optimised", spec)
    _, opt = _run(spec, policy)
    assert isinstance(policy, OptimisedPolicy) and policy.plans == 0
    np.testing.assert_array_equal(shared.served, opt.served)


def test_policy_options_come_from_the_scenario() -> None:
    doc = small_scenario(
        policy_options={
            "planning_period_days": 14,
            "planning_horizon_weeks": 6,
            "solver": "greedy",
            "travel_days_per_km": 0.5,
            "choice_refresh_days": 60,
        }
    )
    doc["run"]["policies"] = ["separate", "optimised", "patient_choice"]
    opts = compile_dict(doc).policy_options
    assert (opts.planning_period_days, opts.planning_horizon_weeks, opts.solver) == (
        14,
        6,
        "greedy",
    )
    assert (opts.travel_days_per_km, opts.choice_refresh_days) == (0.5, 60)
    defaults = compile_dict(small_scenario()).policy_options
    assert (defaults.planning_period_days, defaults.solver) == (7, "flow")


def test_unknown_solver_is_a_scenario_error() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown solver 'simplex'"):
        compile_dict(small_scenario(policy_options={"solver": "simplex"}))
    with pytest.raises(ValidationError, match="planning_period_days"):
        compile_dict(small_scenario(policy_options={"planning_period_days": 0}))
