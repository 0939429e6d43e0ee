"""The ``patient_choice`` policy: choose by published median wait plus travel."""

from __future__ import annotations

import json
import statistics
from typing import Any

import numpy as np

from scenarios.loader import Overrides, load_spec
from simulering.kpis import replication_kpis
from simulering.model import Model, Records
from simulering.patients import Patients, draw_patients
from simulering.policies import RoutingPolicy, make_policy
from simulering.policy_choice import PatientChoice
from simulering.spec import ModelSpec
from simulering.streams import replication_stream
from tests.conftest import compile_dict, small_scenario


def _run(spec: ModelSpec, policy: RoutingPolicy, seed: int = 5) -> tuple[Patients, Records]:
    streams = replication_stream(seed, 0)
    patients = draw_patients(spec, streams)
    return patients, Model(spec, patients, policy, streams.get("policy")).run()


def _kpis(spec: ModelSpec, policy: RoutingPolicy, seed: int = 5) -> dict[str, Any]:
    patients, records = _run(spec, policy, seed)
    return replication_kpis(spec, patients, records)


def _uneven(**options: Any) -> ModelSpec:
    """u1 is short of slots, u2 and u3 have room; everyone accepts any unit."""
    doc = small_scenario()
    doc["units"][0]["first_visit"] = {"slots_per_week": 6}
    doc["units"][1]["first_visit"] = {"slots_per_week": 16}
    doc["units"][2]["first_visit"] = {"slots_per_week": 14}
    doc["demand"] = {"split": "population", "referrals_per_year": 1400}
    doc["behaviour"] = {"travel": {"limit_km": 1000}, "no_show_share": 0.05}
    doc["run"] = {"horizon_days": 360, "warmup_days": 60}
    if options:
        doc["policy_options"] = options
    return compile_dict(doc)


def test_registered_and_runs_on_the_small_scenario() -> None:
    spec = compile_dict(small_scenario())
    policy = make_policy("patient_choice", spec)
    assert policy.name == "patient_choice"
    kpis = _kpis(spec, policy)["kpis"]
    assert kpis["first_visit"]["completed"] > 0 and kpis["treatment"]["completed"] > 0
    assert kpis["first_visit"]["patient_chosen_waits"] == 0


def test_same_seed_same_result_and_gallsten_runs() -> None:
    spec = compile_dict(small_scenario())
    a = _kpis(spec, make_policy("patient_choice", spec))
    b = _kpis(spec, make_policy("patient_choice", spec))
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    _, gallsten = load_spec("gallsten", Overrides(horizon_days=150, warmup_days=30))
    kpis = _kpis(gallsten, make_policy("patient_choice", gallsten))["kpis"]
    assert kpis["first_visit"]["completed"] > 0


def test_high_travel_disutility_is_separate() -> None:
    """In the small region every area's home unit is also its nearest: all stay home."""
    spec = _uneven(travel_days_per_km=1e6)
    _, sep = _run(spec, make_policy("separate", spec))
    _, choice = _run(spec, make_policy("patient_choice", spec))
    np.testing.assert_array_equal(sep.served, choice.served)
    np.testing.assert_array_equal(sep.unit, choice.unit)


def test_zero_travel_disutility_goes_to_the_shortest_published_wait() -> None:
    spec = _uneven(travel_days_per_km=0.0)
    policy = PatientChoice(spec.policy_options)
    patients, rec = _run(spec, policy)
    _, sep = _run(spec, make_policy("separate", spec))
    # u1's published wait is long, so its own patients leave it
    a1_new = (patients.area == 0) & (patients.backlog_stage < 0) & ~np.isnan(rec.served[0])
    assert (rec.unit[0][a1_new] != 0).mean() > 0.3
    assert (sep.unit[0][a1_new & ~np.isnan(sep.served[0])] == 0).all()
    published = policy.published[0]
    assert published[0] > max(published[1], published[2])
    # a choice now: the unit with the shortest published wait (ties to the nearer)
    ref = int(np.flatnonzero(patients.area == 0)[-1])
    best = min(range(3), key=lambda u: (published[u], spec.km[0, u]))
    assert policy.choose(ref, 0) == best
    kpi_choice = replication_kpis(spec, patients, rec)["kpis"]["first_visit"]
    kpi_sep = replication_kpis(spec, patients, sep)["kpis"]["first_visit"]
    assert kpi_choice["share_outside_home_unit"] > kpi_sep["share_outside_home_unit"]


def test_published_wait_is_the_median_of_the_last_period() -> None:
    spec = _uneven(travel_days_per_km=0.1, choice_refresh_days=30)
    policy = PatientChoice(spec.policy_options)
    _, rec = _run(spec, policy)
    end = policy.next_refresh - 30  # the last refresh: waits served in [end - 30, end)
    served, unit, start = rec.served[0], rec.unit[0], rec.clock_start[0]
    checked = 0
    for u in range(3):
        mask = (served >= end - 30) & (served < end) & (unit == u)
        if mask.any():
            expected = statistics.median((served[mask] - start[mask]).tolist())
            assert policy.published[0][u] == expected
            checked += 1
    assert checked >= 2


def test_refusing_units_are_not_chosen() -> None:
    """Patients choose among units they accept: with no travel at all, everyone stays."""
    doc = small_scenario()
    doc["behaviour"] = {"travel": {"limit_km": 0}}
    doc["policy_options"] = {"travel_days_per_km": 0.0}
    spec = compile_dict(doc)
    _, sep = _run(spec, make_policy("separate", spec))
    _, choice = _run(spec, make_policy("patient_choice", spec))
    np.testing.assert_array_equal(sep.unit, choice.unit)
