"""The simulation benchmark runs at tiny sizes and reports sane figures (no timing checks)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.cli import app
from benchmarks.simulate import (
    REGION_SCENARIO,
    BenchmarkReport,
    bare_simpy_mmc,
    build_region_scenario,
    machine_info,
    markdown,
    memory_benchmark,
    region_benchmark,
    scaled_spec,
    scaling_benchmark,
    textbook_benchmark,
    write_results,
)
from scenarios.loader import load_spec
from scenarios.schema import Scenario


@pytest.mark.parametrize("policy", ["separate", "shared"])
def test_textbook_peer_does_the_same_work(policy: str) -> None:
    t = textbook_benchmark(horizon_days=60, warmup_days=5, repeats=2, policy=policy)
    assert t.referrals == t.peer_customers > 0
    assert t.remiss_served == t.peer_served > 0
    for rate in (
        t.remiss_per_second,
        t.remiss_model_only_per_second,
        t.remiss_with_kpis_per_second,
        t.peer_per_second,
    ):
        assert rate > 0 and math.isfinite(rate)
    assert t.ratio > 0 and t.ratio_with_kpis > 0
    assert t.remiss_with_kpis_per_second <= t.remiss_per_second
    # the same customers in the same order: the waits are the same numbers
    assert t.remiss_mean_wait == pytest.approx(t.peer_mean_wait, rel=1e-9, abs=1e-12)
    assert t.erlang_c_wait == pytest.approx(1.7778 if policy == "separate" else 0.2860, abs=1e-4)


def test_bare_simpy_loop_counts_and_waits() -> None:
    # one server, arrivals at 0, 1, 1.5 with service 2: waits 0, 1, 2.5
    run = bare_simpy_mmc([(1, [0.0, 1.0, 1.5], [2.0, 2.0, 2.0])], horizon=10, warmup=0)
    assert run.customers == 3 and run.served == 3
    assert run.mean_wait == pytest.approx((0 + 1 + 2.5) / 3)


def test_region_benchmark_tiny() -> None:
    results = region_benchmark(horizon_days=5)
    assert [r.policy for r in results] == ["separate", "shared"]
    first = results[0]
    assert first.units == 40 and first.referrals > first.arrivals > 0
    for r in results:
        assert r.referrals == first.referrals  # common random numbers: same patients
        assert r.served_first_visit > 0
        assert r.draw_seconds > 0 and r.run_seconds > 0 and r.kpi_seconds > 0
        assert r.total_seconds == pytest.approx(r.draw_seconds + r.run_seconds + r.kpi_seconds)
        assert r.referrals_per_second > 0


def test_scaled_spec_multiplies_demand_capacity_and_backlog() -> None:
    _, spec = load_spec(REGION_SCENARIO)
    double = scaled_spec(spec, 2)
    assert double.n_units == spec.n_units
    assert double.daily_arrivals.sum() == pytest.approx(2 * spec.daily_arrivals.sum())
    for pool, pool2 in zip(spec.pools, double.pools, strict=True):
        assert pool.slots is not None and pool2.slots is not None
        assert pool2.slots.sum(axis=0).tolist() == (2 * pool.slots.sum(axis=0)).tolist()
    assert double.backlog.home_unit.shape[0] == 2 * spec.backlog.home_unit.shape[0]


def test_scaling_benchmark_tiny() -> None:
    runs = scaling_benchmark(factors=(1, 2), policies=("separate",), horizon_days=5)
    assert [(r.policy, r.factor) for r in runs] == [("separate", 1), ("separate", 2)]
    assert runs[1].referrals == pytest.approx(2 * runs[0].referrals, rel=0.05)
    assert runs[0].cpu_per_doubling is None
    growth = runs[1].run_cpu_seconds / runs[0].run_cpu_seconds
    assert runs[1].cpu_per_doubling == pytest.approx(growth)


def test_memory_benchmark_in_a_fresh_process() -> None:
    (m,) = memory_benchmark(policies=("shared",), horizon_days=3)
    assert m.policy == "shared" and m.referrals > 0
    # arrival, ready, area, priority, tolerance, pool, backlog stage and home, the
    # choice draw (8 bytes each), two flags, and three draws per stage
    assert m.patient_bytes_per_referral == 9 * 8 + 2 + 3 * 16
    assert 0 < m.start_rss_mib < m.peak_rss_mib
    assert m.peak_ratio == pytest.approx(m.peak_rss_mib / m.arrays_mib)


def test_stored_region_scenario_is_current() -> None:
    """The YAML file is what the builder makes (regenerate with --rebuild-scenario)."""
    scenario, spec = load_spec(REGION_SCENARIO)
    assert spec.n_units == 40
    assert spec.daily_arrivals.sum() == pytest.approx(500_000, rel=0.01)
    assert {p.name for p in spec.pools} == {"first_visit", "day_surgery", "central"}
    assert scenario == Scenario.model_validate(build_region_scenario())


def test_results_files(tmp_path: Path) -> None:
    t = textbook_benchmark(horizon_days=40, warmup_days=0, repeats=1)
    report = BenchmarkReport(date="2026-01-01", machine=machine_info(), quick=True, textbook=[t])
    md, js = write_results(report, tmp_path)
    assert "| benchmark | measure | value | target |" in md.read_text()
    doc = json.loads(js.read_text())
    assert doc["textbook"][0]["referrals"] == t.referrals
    assert doc["machine"]["cpu_count"] >= 1
    assert "ratio remiss / peer" in markdown(report)


def test_cli_quick(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--quick",
            "--textbook-days",
            "40",
            "--region-days",
            "3",
            "--write",
            "--results-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "simulate.json").is_file() and (tmp_path / "simulate.md").is_file()
