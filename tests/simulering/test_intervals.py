"""Confidence intervals across replications stay inside each KPI's range.

The interval is the Student-t interval cut to the range (``simulering.results.estimate``):
the same coverage, never an impossible value — also with 2 replications and extreme
data, where the t-quantile is 12.7.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from allokering.domain import Stage
from simulering.kpis import KPI_NAMES, KPI_RANGE
from simulering.paired import compare_kpi
from simulering.results import (
    BOUNDS,
    DIFFERENCE_BOUNDS,
    PolicyResult,
    StageKpis,
    StageSeries,
    estimate,
    estimate_kpi,
    summarise_policy,
    warnings_for,
)

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
    ci = estimate(values, bounds=BOUNDS[kind])
    lo, hi, mean = ci.lo, ci.hi, ci.mean
    assert lo is not None and hi is not None and mean is not None
    low, high = BOUNDS[kind]
    assert low <= lo <= mean <= hi <= high
    t_lo, t_hi = _t_interval(values)
    # the t-interval, cut to the range: the same where the t-interval is possible
    tol = 1e-9 * max(1.0, abs(mean))
    assert lo == pytest.approx(max(t_lo, low), abs=tol) or lo == mean
    assert hi == pytest.approx(min(t_hi, high), abs=tol) or hi == mean


@settings(max_examples=150, deadline=None)
@given(a=shares, b=shares)
def test_two_replications_of_a_share(a: float, b: float) -> None:
    for kpi in SHARE_KPIS:
        s = estimate_kpi(kpi, [a, b])
        assert s.lo is not None and s.mean is not None and s.hi is not None
        assert 0.0 <= s.lo <= s.mean <= s.hi <= 1.0


@settings(max_examples=150, deadline=None)
@given(a=non_negative, b=non_negative)
def test_two_replications_of_a_non_negative_kpi(a: float, b: float) -> None:
    for kpi in NON_NEGATIVE_KPIS:
        s = estimate_kpi(kpi, [a, b])
        assert s.lo is not None and s.mean is not None and s.hi is not None
        assert 0.0 <= s.lo <= s.mean <= s.hi


@settings(max_examples=150, deadline=None)
@given(base=st.lists(shares, min_size=2, max_size=8), data=st.data())
def test_paired_share_difference_inside_minus_one_one(
    base: list[float], data: st.DataObject
) -> None:
    policy = data.draw(st.lists(shares, min_size=len(base), max_size=len(base)))
    c = compare_kpi(base, policy, "higher", "p", "b", kind="share")
    lo, hi, mean = c.difference.lo, c.difference.hi, c.difference.mean
    assert lo is not None and hi is not None and mean is not None
    assert -1.0 <= lo <= mean <= hi <= 1.0
    # cutting to [-1, 1] does not change significance: the uncut interval excludes 0
    # exactly when the cut one does
    diffs = [p - b for p, b in zip(policy, base, strict=True)]
    if len(set(diffs)) > 1:
        t_lo, t_hi = _t_interval(diffs)
        assert c.significant == (t_lo > 0 or t_hi < 0)
    assert DIFFERENCE_BOUNDS["share"] == (-1.0, 1.0)


def test_the_measured_impossible_intervals_are_gone() -> None:
    # 2 replications: the plain t-interval was 75.3 % [-216.6 % – 367.2 %]
    s = estimate_kpi("share_completed_within_guarantee", [0.523, 0.983])
    assert (s.lo, s.hi) == (0.0, 1.0) and s.mean == pytest.approx(0.753)
    w = estimate_kpi("mean_wait_days", [0.0, 20.0])
    assert w.lo == 0.0 and w.hi is not None and w.hi > 20.0
    high = estimate_kpi("share_waiting_within_guarantee", [1.0] * 9 + [0.85])
    assert high.lo is not None and high.mean is not None
    assert high.hi == 1.0 and 0.9 < high.lo < high.mean


@pytest.mark.parametrize("value", [0.0, 1.0, 0.37])
@pytest.mark.parametrize("n", [1, 2, 5])
def test_degenerate_cases_give_the_point(value: float, n: int) -> None:
    s = estimate_kpi("share_waiting_within_guarantee", [value] * n)
    assert (s.mean, s.lo, s.hi) == (value, value, value)
    c = compare_kpi([value] * n, [value] * n, "higher", kind="share")
    assert (c.difference.lo, c.difference.hi) == (0.0, 0.0) and not c.significant


def test_empty_and_nan() -> None:
    empty = estimate_kpi("utilisation", [])
    assert (empty.mean, empty.lo, empty.hi) == (None, None, None)
    half = estimate_kpi("utilisation", [math.nan, 0.5])
    assert (half.mean, half.lo, half.hi) == (0.5, 0.5, 0.5)


def test_unknown_name_is_the_plain_t_interval() -> None:
    s = estimate_kpi("not_a_kpi", [-1.0, 3.0])
    assert [s.lo, s.hi] == pytest.approx(list(_t_interval([-1.0, 3.0])))


def test_policy_summary_keeps_each_kpis_range() -> None:
    def rep(v: float) -> PolicyResult[float]:
        fv = Stage.FIRST_VISIT
        return PolicyResult(
            kpis={
                fv: StageKpis(
                    values={"share_waiting_within_guarantee": v, "withdrawn": 100 * v},
                    by_priority={"P1": {"share_completed_within_guarantee": v}},
                )
            },
            by_unit={"u1": {fv: {"utilisation": v}}},
            by_area={},
            by_subregion={},
            month_end_day=(30,),
            series={
                fv: StageSeries(
                    unit_share_waiting={},
                    unit_queue_length={},
                    region_share_waiting={30: v},
                    region_queue_length={30: 10 * v},
                )
            },
        )

    out = summarise_policy([rep(v) for v in (0.0, 1.0)])
    stage = out.kpis[Stage.FIRST_VISIT]
    share = stage["share_waiting_within_guarantee"]
    assert (share.lo, share.hi) == (0.0, 1.0)
    assert stage["withdrawn"].lo == 0.0
    p1 = stage.by_priority["P1"]["share_completed_within_guarantee"]
    assert (p1.lo, p1.hi) == (0.0, 1.0)
    util = out.by_unit["u1"][Stage.FIRST_VISIT]["utilisation"]
    assert (util.lo, util.hi) == (0.0, 1.0)
    region = out.series[Stage.FIRST_VISIT]
    assert (region.region_share_waiting[30].lo, region.region_share_waiting[30].hi) == (0.0, 1.0)
    assert region.region_queue_length[30].lo == 0.0


def test_warning_below_five_replications() -> None:
    assert warnings_for(5) == [] and warnings_for(10) == []
    (line,) = warnings_for(2)
    assert "only 2 replications" in line and "12.7" in line
    (one,) = warnings_for(1)
    assert "only 1 replication " in one
