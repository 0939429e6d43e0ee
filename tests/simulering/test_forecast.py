"""The forecast document on hand-built scenarios whose answers are known: no capacity
(the queue grows by the arrivals, every referral breaches in its deadline week), ample
capacity (nobody breaches); intervals in range, the worklist, reproducibility, bad input
and the back-test arithmetic."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import numpy as np
import pytest

from scenarios.schema import Scenario
from simulering.executors import ProcessExecutor
from simulering.forecast import ForecastError, backtest, run_forecast
from simulering.forecast.uncertainty import arrival_counts, with_drawn_arrivals
from simulering.streams import replication_stream
from tests.conftest import compile_dict
from tests.scenarios.test_forecast_inputs import forecast_doc

START = dt.date(2026, 6, 1)  # a Monday: week 0 starts on day 0
WEEKS = 10


def listed(n: int = 40) -> list[dict[str, Any]]:
    """``n`` first-visit referrals at u1, waited 10..88 days (standard: 90-day limit)."""
    return [
        {
            "id": f"r-{i:03d}",
            "unit": ["u1", "u2", "u3"][i % 3],
            "area": "a1",
            "priority": "standard",
            "clock_start": (START - dt.timedelta(days=10 + 2 * i)).isoformat(),
        }
        for i in range(n)
    ]


def scenario(slots: float, **over: Any) -> Scenario:
    units = [{"unit": u, "first_visit": {"slots_per_week": slots}} for u in ("u1", "u2", "u3")]
    doc = forecast_doc(
        units=units,
        pathway={"decision_share": 0.0},
        behaviour={"travel": {"limit_km": 1000}},
        priorities=[{"name": "standard", "share": 1.0}],
        waiting_list=listed(),
        demand={"split": "counts", "referrals_per_week": {"a1": 5.0, "a2": 2.0}},
        run={"start_date": START.isoformat(), "horizon_days": 70, "warmup_days": 0, "seed": 11},
    )
    doc.update(over)
    return Scenario.model_validate(doc)


def forecast(sc: Scenario, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "specialty": "gallsten",
        "stage": "first_visit",
        "weeks": WEEKS,
        "replications": 6,
        "policies": ["separate", "shared"],
    }
    args.update(kw)
    return run_forecast(sc, **args)


def test_no_capacity_queue_grows_by_the_arrivals_and_everyone_breaches_on_time() -> None:
    doc = forecast(scenario(0.0))
    assert doc["weeks"][0] == START.isoformat() and len(doc["weeks"]) == WEEKS
    assert doc["initial_waiting"] == 40
    for p in ("separate", "shared"):
        pol = doc["policies"][p]
        queue = [w["mean"] for w in pol["queue"]["region"]]
        assert queue[0] == 40  # nothing arrived before day 0, nothing served
        assert all(b >= a for a, b in itertools.pairwise(queue))  # no capacity: only grows
        assert queue[-1] == pytest.approx(40 + 7 * (WEEKS - 1), rel=0.15)
        # the listed referral r-i breaches on day 80 - 2i: week (80 - 2i) // 7
        breaches = [w["mean"] for w in pol["breaches"]["region"]]
        expected = np.bincount(
            [(80 - 2 * i) // 7 for i in range(40) if 80 - 2 * i >= 0], minlength=WEEKS
        )[:WEEKS]
        assert breaches == pytest.approx(expected.tolist())  # arrivals are not late yet
        worklist = pol["worklist"]
        assert len(worklist) == 34 and all(w["probability"] == 1.0 for w in worklist)
        first = worklist[0]
        assert first["referral_id"] == "r-037" and first["expected_breach_week"] == "2026-06-01"
        assert first["unit"] == "u2"  # ids tie-break within a week; r-037 is on u2's list
        assert {w["referral_id"]: w["expected_breach_week"] for w in worklist}["r-006"] == (
            START + dt.timedelta(days=63)
        ).isoformat()  # day 68: the last forecast week; r-000..r-005 breach after it
        by_unit = pol["queue"]["by_unit"]
        assert by_unit["u1"][0]["mean"] + by_unit["u2"][0]["mean"] + by_unit["u3"][0]["mean"] == 40


def test_ample_capacity_nobody_breaches() -> None:
    doc = forecast(scenario(500.0))
    for pol in doc["policies"].values():
        assert all(w["mean"] == 0 and w["hi"] == 0 for w in pol["breaches"]["region"])
        assert pol["worklist"] == []
        assert pol["queue"]["region"][-1]["mean"] < 15
        assert all(
            m["mean"] == 1.0 for m in pol["share_waiting_within_guarantee"] if m["mean"] is not None
        )


def test_intervals_are_in_range_and_contain_the_mean() -> None:
    doc = forecast(scenario(6.0))
    for pol in doc["policies"].values():
        points = pol["queue"]["region"] + pol["breaches"]["region"]
        points += [p for s in pol["queue"]["by_unit"].values() for p in s]
        for p in points:
            assert 0 <= p["lo"] <= p["mean"] <= p["hi"]
        for m in pol["share_waiting_within_guarantee"]:
            assert 0 <= m["lo"] <= m["mean"] <= m["hi"] <= 1
        assert [m["month_end"] for m in pol["share_waiting_within_guarantee"]] == [
            "2026-06-30",
            "2026-07-31",
        ]
        probs = [w["probability"] for w in pol["worklist"]]
        assert probs == sorted(probs, reverse=True) and all(0.5 <= p <= 1 for p in probs)


ESTIMATED = {
    "arrivals": {"value": {"a1": 5.0, "a2": 2.0}, "weeks_of_history": 4.0, "n": 28},
}
"""Arrival rates as estimated from 4 weeks of history: 20 and 8 referrals."""


def test_same_seed_same_document_serial_or_parallel() -> None:
    sc = scenario(6.0, forecast_estimates=ESTIMATED)
    serial = forecast(sc)
    with ProcessExecutor(2) as ex:
        parallel = forecast(sc, executor=ex)
    assert serial == parallel and serial == forecast(sc)
    assert serial["estimates"] == ESTIMATED and serial["uncertain_estimates"] == ["arrivals"]
    assert serial["seed"] == 11 and serial["replications"] == 6


def test_estimated_arrival_rates_widen_the_intervals_by_their_error() -> None:
    # no capacity: the queue is the arrivals, so its spread is theirs. At the estimate
    # alone week 9 has Poisson(9 · 7) arrivals (sd 7.9); with 28 referrals behind the
    # estimate the rate's own error adds 9 · 7 / √28 (sd 11.9): together sd 14.3
    known = forecast(scenario(0.0), replications=60, policies=["shared"])
    estimated = forecast(
        scenario(0.0, forecast_estimates=ESTIMATED), replications=60, policies=["shared"]
    )
    assert known["uncertain_estimates"] == []

    def half_width(doc: dict[str, Any]) -> float:
        last = doc["policies"]["shared"]["queue"]["region"][-1]
        return float(last["hi"] - last["lo"]) / 2

    # the 95 % prediction half-width is about 2 sd: 16 at the estimate, 29 with its error
    assert 11 < half_width(known) < 21
    assert 22 < half_width(estimated) < 37
    mean = estimated["policies"]["shared"]["queue"]["region"][-1]["mean"]
    assert mean == pytest.approx(40 + 7 * (WEEKS - 1), rel=0.15)  # the estimate's mean


def test_drawn_rates_have_the_estimate_as_mean_and_its_poisson_error() -> None:
    sc = scenario(6.0, forecast_estimates=ESTIMATED)
    spec = compile_dict(sc.model_dump(mode="json"))
    counts = arrival_counts(ESTIMATED, spec.area_ids)
    assert counts is not None and counts.tolist()[:2] == [20.0, 8.0]
    assert arrival_counts({"arrivals": {"value": {"a1": 5.0}, "from": "override"}}, ("a1",)) is None
    rates = np.array(
        [
            with_drawn_arrivals(spec, counts, replication_stream(11, i)).daily_arrivals[0, :2]
            for i in range(4000)
        ]
    )
    base = spec.daily_arrivals[0, :2]
    assert rates.mean(axis=0) == pytest.approx(base, rel=0.03)
    assert rates.std(axis=0) == pytest.approx(base / np.sqrt([20.0, 8.0]), rel=0.06)
    again = with_drawn_arrivals(spec, counts, replication_stream(11, 3)).daily_arrivals
    assert (again[0, :2] == rates[3]).all()  # its own stream: the same draw every time


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"stage": "surgery"}, "stage: unknown stage 'surgery'"),
        ({"weeks": 0}, "weeks: 0 is not in 1..52"),
        ({"weeks": 53}, "weeks: 53 is not in 1..52"),
        ({"policies": ["magic"]}, "policies: unknown policy 'magic'"),
        ({"policies": []}, "policies: none given"),
        ({"replications": 0}, "replications: 0"),
        ({"specialty": ""}, "specialty: empty"),
    ],
)
def test_bad_arguments_name_what_is_wrong(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ForecastError, match=message):
        forecast(scenario(1.0), **kw)


def test_a_scenario_without_a_waiting_list_is_refused() -> None:
    with pytest.raises(ForecastError, match="waiting_list: missing"):
        forecast(scenario(1.0, waiting_list=None))


def test_backtest_compares_week_by_week() -> None:
    doc = forecast(scenario(0.0), replications=3, policies=["separate"])
    q = doc["policies"]["separate"]["queue"]["region"]
    realised = {
        doc["weeks"][0]: {"queue": 40, "breaches": 0},
        doc["weeks"][1]: {"queue": int(q[1]["hi"]) + 10, "breaches": 99},
        "2030-01-07": {"queue": 1, "breaches": 1},  # not a forecast week: ignored
    }
    result = backtest(doc, realised, "separate")
    assert result["weeks_compared"] == 2 and result["policy"] == "separate"
    assert result["queue_coverage"] == 0.5
    assert [w["week"] for w in result["weeks"]] == doc["weeks"][:2]
    expected_mae = (0 + abs(int(q[1]["hi"]) + 10 - q[1]["mean"])) / 2
    assert result["queue_mae"] == pytest.approx(expected_mae)
    assert result["weeks"][0]["forecast_queue"] == {"mean": 40, "lo": 40, "hi": 40}
    with pytest.raises(ForecastError, match="policy: 'shared' is not in the forecast"):
        backtest(doc, realised, "shared")
    with pytest.raises(ForecastError, match="no 'breaches'"):
        backtest(doc, {doc["weeks"][0]: {"queue": 1}}, "separate")
