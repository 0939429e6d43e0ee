"""Confidence intervals across replications stay inside each KPI's range.

The interval is the Student-t interval cut to the range (``simulering.paired.mean_ci``):
the same coverage, never an impossible value — also with 2 replications and extreme
data, where the t-quantile is 12.7.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulering.kpis import KPI_NAMES, KPI_RANGE
from simulering.paired import BOUNDS, DIFFERENCE_BOUNDS, compare_kpi, mean_ci
from simulering.runner import _combine, summarise, warnings_for

SHARE_KPIS = [k for k in KPI_NAMES if KPI_RANGE[k] == "share"]
NON_NEGATIVE_KPIS = [k for k in KPI_NAMES if KPI_RANGE[k] == "non_negative"]

shares = st.floats(0.0, 1.0, allow_nan=False)
non_negative = st.floats(0.0, 1e6, allow_nan=False)
reals = st.floats(-1e6, 1e6, allow_nan=False)
VALUES = {"share": shares, "non_negative": non_negative, "real": reals}


def _t_interval(values: list[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return mean - half, mean + half


def test_every_kpi_has_a_range() -> None:
    assert set(KPI_RANGE) == set(KPI_NAMES)
    for k in ("utilisation", "equity_gap", "band_0_30", "share_patient_chosen"):
        assert KPI_RANGE[k] == "share"
    for k in ("mean_wait_days", "mean_travel_km", "withdrawn", "cross_region_cost_sek"):
        assert KPI_RANGE[k] == "non_negative"


@pytest.mark.parametrize("kind", ["share", "non_negative", "real"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_interval_inside_the_range_and_around_the_mean(kind: str, data: st.DataObject) -> None:
    values = data.draw(st.lists(VALUES[kind], min_size=2, max_size=12))
    ci = mean_ci(values, bounds=BOUNDS[kind])
    lo, hi = ci["ci95"]
    low, high = BOUNDS[kind]
    assert low <= lo <= ci["mean"] <= hi <= high
    t_lo, t_hi = _t_interval(values)
    # the t-interval, cut to the range: the same where the t-interval is possible
    tol = 1e-9 * max(1.0, abs(ci["mean"]))
    assert lo == pytest.approx(max(t_lo, low), abs=tol) or lo == ci["mean"]
    assert hi == pytest.approx(min(t_hi, high), abs=tol) or hi == ci["mean"]


@settings(max_examples=150, deadline=None)
@given(a=shares, b=shares)
def test_two_replications_of_a_share(a: float, b: float) -> None:
    for kpi in SHARE_KPIS:
        s = summarise([a, b], kpi)
        assert 0.0 <= s["ci95"][0] <= s["mean"] <= s["ci95"][1] <= 1.0


@settings(max_examples=150, deadline=None)
@given(a=non_negative, b=non_negative)
def test_two_replications_of_a_non_negative_kpi(a: float, b: float) -> None:
    for kpi in NON_NEGATIVE_KPIS:
        s = summarise([a, b], kpi)
        assert 0.0 <= s["ci95"][0] <= s["mean"] <= s["ci95"][1]


@settings(max_examples=150, deadline=None)
@given(base=st.lists(shares, min_size=2, max_size=8), data=st.data())
def test_paired_share_difference_inside_minus_one_one(
    base: list[float], data: st.DataObject
) -> None:
    policy = data.draw(st.lists(shares, min_size=len(base), max_size=len(base)))
    c = compare_kpi(base, policy, "higher", "p", "b", kind="share")
    lo, hi = c["difference"]["ci95"]
    assert -1.0 <= lo <= c["difference"]["mean"] <= hi <= 1.0
    # cutting to [-1, 1] does not change significance: the uncut interval excludes 0
    # exactly when the cut one does
    diffs = [p - b for p, b in zip(policy, base, strict=True)]
    if len(set(diffs)) > 1:
        t_lo, t_hi = _t_interval(diffs)
        assert c["significant"] == (t_lo > 0 or t_hi < 0)
    assert DIFFERENCE_BOUNDS["share"] == (-1.0, 1.0)


def test_the_measured_impossible_intervals_are_gone() -> None:
    # 2 replications: the plain t-interval was 75.3 % [-216.6 % – 367.2 %]
    s = summarise([0.523, 0.983], "share_completed_within_guarantee")
    assert s["ci95"] == [0.0, 1.0] and s["mean"] == pytest.approx(0.753)
    w = summarise([0.0, 20.0], "mean_wait_days")
    assert w["ci95"][0] == 0.0 and w["ci95"][1] > 20.0
    high = summarise([1.0] * 9 + [0.85], "share_waiting_within_guarantee")
    assert high["ci95"][1] == 1.0 and 0.9 < high["ci95"][0] < high["mean"]


@pytest.mark.parametrize("value", [0.0, 1.0, 0.37])
@pytest.mark.parametrize("n", [1, 2, 5])
def test_degenerate_cases_give_the_point(value: float, n: int) -> None:
    s = summarise([value] * n, "share_waiting_within_guarantee")
    assert s == {"mean": value, "ci95": [value, value]}
    c = compare_kpi([value] * n, [value] * n, "higher", kind="share")
    assert c["difference"]["ci95"] == [0.0, 0.0] and not c["significant"]


def test_empty_and_nan() -> None:
    assert summarise([], "utilisation") == {"mean": None, "ci95": [None, None]}
    assert summarise([math.nan, 0.5], "utilisation") == {"mean": 0.5, "ci95": [0.5, 0.5]}


def test_unknown_name_is_the_plain_t_interval() -> None:
    s = summarise([-1.0, 3.0], "not_a_kpi")
    assert s["ci95"] == pytest.approx(list(_t_interval([-1.0, 3.0])))


def test_nested_walk_keeps_each_kpis_range() -> None:
    reps = [
        {
            "kpis": {
                "first_visit": {
                    "share_waiting_within_guarantee": v,
                    "withdrawn": 100 * v,
                    "by_priority": {"P1": {"share_completed_within_guarantee": v}},
                }
            },
            "by_unit": {"u1": {"first_visit": {"utilisation": v}}},
            "series": {
                "region": {
                    "share_waiting_within_guarantee": {"30": v},
                    "queue_length": {"30": 10 * v},
                }
            },
        }
        for v in (0.0, 1.0)
    ]
    out = _combine(reps)
    stage = out["kpis"]["first_visit"]
    assert stage["share_waiting_within_guarantee"]["ci95"] == [0.0, 1.0]
    assert stage["withdrawn"]["ci95"][0] == 0.0
    assert stage["by_priority"]["P1"]["share_completed_within_guarantee"]["ci95"] == [0.0, 1.0]
    assert out["by_unit"]["u1"]["first_visit"]["utilisation"]["ci95"] == [0.0, 1.0]
    region = out["series"]["region"]
    assert region["share_waiting_within_guarantee"]["30"]["ci95"] == [0.0, 1.0]
    assert region["queue_length"]["30"]["ci95"][0] == 0.0


def test_warning_below_five_replications() -> None:
    assert warnings_for(5) == [] and warnings_for(10) == []
    (line,) = warnings_for(2)
    assert "only 2 replications" in line and "12.7" in line
    (one,) = warnings_for(1)
    assert "only 1 replication " in one
