"""The simulation against queueing theory (Erlang C) and functional expectations."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pytest

from allokering.domain import Stage
from scenarios.loader import Overrides, load_spec
from simulering.estimate import mmc
from simulering.results import Estimate, PolicyResult
from simulering.runner import run_replication, run_simulation

Summaries = Mapping[str, PolicyResult[Estimate]]
FV = Stage.FIRST_VISIT

REPS = 12


@pytest.fixture(scope="module")
def textbook() -> Summaries:
    _, spec = load_spec("textbook_mmc", Overrides(horizon_days=2500, warmup_days=150))
    run = run_simulation(spec, ["separate", "shared"], seed=11, replications=REPS, workers=1)
    return run.policies


def _close_to(summary: Estimate, theory: float) -> None:
    """Within the 95 % CI widened to 3 standard errors, and within 10 % relative."""
    mean, lo, hi = summary.mean, summary.lo, summary.hi
    assert mean is not None and lo is not None and hi is not None
    half = (hi - lo) / 2
    se = half / 2.2  # t(0.975, 11) ≈ 2.2
    assert abs(mean - theory) <= max(3 * se, 1e-9), (mean, theory, lo, hi)
    assert abs(mean - theory) / theory < 0.10, (mean, theory)


def test_separate_is_mm2_per_unit(textbook: Summaries) -> None:
    theory = mmc(arrival_rate=1.6, service_rate=1.0, servers=2).mean_wait
    assert theory == pytest.approx(16 / 9)
    _close_to(textbook["separate"].kpis[FV]["mean_wait_days"], theory)
    for unit in ("unit_a", "unit_b", "unit_c", "unit_d"):
        by_unit = textbook["separate"].by_unit[unit][FV]["mean_wait_days"]
        assert by_unit.mean is not None
        assert abs(by_unit.mean - theory) / theory < 0.2


def test_shared_is_mm8_for_the_region(textbook: Summaries) -> None:
    theory = mmc(arrival_rate=6.4, service_rate=1.0, servers=8).mean_wait
    _close_to(textbook["shared"].kpis[FV]["mean_wait_days"], theory)


def test_utilisation_matches_offered_load(textbook: Summaries) -> None:
    for policy in ("separate", "shared"):
        util = textbook[policy].kpis[FV]["utilisation"].mean
        assert util == pytest.approx(0.8, abs=0.02)


def test_shared_no_worse_than_separate_in_symmetric_region(textbook: Summaries) -> None:
    sep = textbook["separate"].kpis[FV]
    sha = textbook["shared"].kpis[FV]
    sha_hi, sep_lo = sha["mean_wait_days"].hi, sep["mean_wait_days"].lo
    assert sha_hi is not None and sep_lo is not None and sha_hi < sep_lo
    sha_p90, sep_p90 = sha["p90_wait_days"].mean, sep["p90_wait_days"].mean
    assert sha_p90 is not None and sep_p90 is not None and sha_p90 <= sep_p90
    # same patients under both policies (common random numbers)
    assert sha["arrived"].mean == sep["arrived"].mean


def test_more_capacity_means_shorter_waits() -> None:
    _, spec = load_spec("textbook_mmc", Overrides(horizon_days=1500, warmup_days=100))
    pool = spec.pools[0]
    assert pool.servers is not None
    from dataclasses import replace

    bigger = replace(spec, pools=(replace(pool, servers=pool.servers + 1),))
    base = run_replication(spec, ["separate"], 3, 0)["separate"].kpis[FV]
    more = run_replication(bigger, ["separate"], 3, 0)["separate"].kpis[FV]
    assert more["mean_wait_days"] < base["mean_wait_days"]
    assert more["utilisation"] < base["utilisation"]


def test_more_slots_means_shorter_waits_in_gallsten() -> None:
    from dataclasses import replace

    _, spec = load_spec("gallsten", Overrides(horizon_days=500, warmup_days=120))
    pools = tuple(
        replace(p, slots=(p.slots * 13 + 9) // 10) if p.slots is not None else p for p in spec.pools
    )
    bigger = replace(spec, pools=pools)
    for policy in ("separate", "shared"):
        base = run_replication(spec, [policy], 5, 0)[policy].kpis
        more = run_replication(bigger, [policy], 5, 0)[policy].kpis
        for stage in (Stage.FIRST_VISIT, Stage.TREATMENT):
            assert more[stage]["mean_wait_days"] < base[stage]["mean_wait_days"]
            assert (
                more[stage]["share_waiting_within_guarantee"]
                >= base[stage]["share_waiting_within_guarantee"]
            )


def test_share_waiting_within_guarantee_matches_erlang_tail() -> None:
    """With a 1-day 'guarantee' equivalent: P(Wq > t) = C · exp(-(cμ-λ)t) for M/M/c."""
    _, spec = load_spec("textbook_mmc", Overrides(horizon_days=2000, warmup_days=100))
    result = run_replication(spec, ["separate"], 21, 0)["separate"].kpis[FV]
    # Everyone waits far less than 90 days at utilisation 0.8.
    assert result["share_completed_within_guarantee"] == 1.0
    assert result["p90_wait_days"] == pytest.approx(mmc(1.6, 1.0, 2).wait_quantile(0.9), rel=0.25)
    assert math.isfinite(result["median_wait_days"])
    assert np.isclose(result["band_0_30"], 1.0)
