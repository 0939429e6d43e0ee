"""Typed results: the document is written and read in one place, losslessly."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allokering.domain import Stage
from simulering.kpis import replication_kpis
from simulering.patients import draw_patients
from simulering.results import (
    BOUNDS,
    NO_ESTIMATE,
    Estimate,
    SimulationResult,
    estimate,
    estimate_kpi,
)
from simulering.runner import run_policy, run_simulation
from simulering.streams import replication_stream
from tests.conftest import compile_dict, small_scenario


@pytest.fixture(scope="module")
def result() -> SimulationResult:
    spec = compile_dict(small_scenario())
    return run_simulation(
        spec, ["separate", "shared"], seed=7, replications=3, scenario="small", overrides=["x=1"]
    )


def test_document_round_trip_is_lossless(result: SimulationResult) -> None:
    doc = json.loads(json.dumps(result.to_document()))
    again = SimulationResult.from_document(doc)
    assert again.to_document() == doc
    assert again.run == result.run
    assert again.policies.keys() == result.policies.keys()


def test_document_has_run_information(result: SimulationResult) -> None:
    doc = result.to_document()
    assert (doc["scenario"], doc["seed"], doc["replications"]) == ("small", 7, 3)
    assert doc["overrides"] == ["x=1"] and doc["executor"] == "serial"
    assert doc["warnings"] == result.warnings and len(doc["warnings"]) == 1  # 3 < 5


def test_typed_access_matches_the_document(result: SimulationResult) -> None:
    doc = result.to_document()
    shared = result.policies["shared"]
    kpi = shared.kpis[Stage.FIRST_VISIT]["share_waiting_within_guarantee"]
    written = doc["policies"]["shared"]["kpis"]["first_visit"]["share_waiting_within_guarantee"]
    assert written == {"mean": kpi.mean, "ci95": [kpi.lo, kpi.hi]}
    comparison = result.paired.comparisons["shared"][Stage.TREATMENT]["mean_wait_days"]
    assert comparison.difference.n == 3
    assert len(result.replication_kpis) == 3


def test_per_replication_values_are_the_summary_inputs(result: SimulationResult) -> None:
    values = [r["shared"][Stage.FIRST_VISIT]["completed"] for r in result.replication_kpis]
    summary = result.policies["shared"].kpis[Stage.FIRST_VISIT]["completed"]
    assert summary == estimate_kpi("completed", values)


def test_nan_is_written_as_null() -> None:
    assert NO_ESTIMATE.to_document() == {"mean": None, "ci95": [None, None]}
    assert estimate([math.nan, math.inf]) == NO_ESTIMATE


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_share_estimate_stays_in_range_and_contains_the_mean(values: list[float]) -> None:
    e = estimate(values, BOUNDS["share"])
    assert e.mean is not None and e.lo is not None and e.hi is not None
    assert 0.0 <= e.lo <= e.mean <= e.hi <= 1.0
    assert e.n == len(values)


def test_estimate_round_trip() -> None:
    e = Estimate(0.5, 0.25, 0.75)
    assert Estimate.from_document(e.to_document()) == e


def test_number_waiting_is_the_mean_queue_at_collection_month_ends() -> None:
    """``waiting_at_month_end`` (SKR *antal väntande*) agrees with the region's monthly
    queue-length series over the month ends after the warm-up (two computations)."""
    spec = compile_dict(small_scenario())
    pts = draw_patients(spec, replication_stream(3, 0))
    rep = replication_kpis(spec, pts, run_policy(spec, pts, "shared", 3, 0))
    for stage in Stage:
        queue = rep.series[stage].region_queue_length
        days = [d for d in queue if spec.warmup_days <= d < spec.horizon_days]
        expected = sum(queue[d] for d in days) / len(days)
        assert rep.kpis[stage]["waiting_at_month_end"] == pytest.approx(expected)
        assert expected > 0
