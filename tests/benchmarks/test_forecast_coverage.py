"""``remiss-bench forecast-coverage`` on one history, few weeks and replications: the
year is written through the service's HTTP API, the forecast from the midpoint sees
the queue the end-to-end back-test sees, the figures are in range, and taking the
arrival rates as known changes the forecast."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from benchmarks.cli import app
from benchmarks.forecast_coverage import Backtest, Report, SeedResult, run, write_results
from benchmarks.forecast_history import SEED

WEEKS = 6
REPLICATIONS = 4


def test_one_history_backtested_with_and_without_the_rates_uncertainty(tmp_path: Path) -> None:
    report = run([SEED], weeks=WEEKS, replications=REPLICATIONS)
    [seed] = report.seeds
    # the history of tests/api/forecast/test_backtest_e2e.py (docs/forecast-service.md)
    assert seed.initial_waiting == 99
    assert seed.arrivals_per_week == 22.69
    assert seed.requests > 3000
    for bt in (seed.drawn, seed.known):
        assert bt.weeks_compared == WEEKS
        assert 0.0 <= bt.queue_coverage <= 1.0 and 0.0 <= bt.breaches_coverage <= 1.0
        assert bt.queue_mae >= 0.0 and bt.breaches_mae >= 0.0
        assert bt.queue_interval_width > 0.0
    assert seed.drawn.rates_drawn and not seed.known.rates_drawn
    # the rates drawn per replication move every replication's queue
    assert seed.drawn.queue_interval_width != seed.known.queue_interval_width
    assert seed.drawn.queue_mae != seed.known.queue_mae
    assert report.cpu_seconds > 0 and report.wall_seconds > 0 and len(report.load_after) == 3

    md, js = write_results(report, tmp_path)
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert doc["summary"]["drawn"]["queue_coverage_mean"] == seed.drawn.queue_coverage
    assert doc["summary"]["known"]["queue_mae_mean"] == seed.known.queue_mae
    assert doc["seeds"][0]["seed"] == SEED and doc["weeks"] == WEEKS
    text = md.read_text(encoding="utf-8")
    assert f"| {SEED} | 99 | 22.7 | {seed.drawn.queue_coverage:.1%} |" in text
    assert "| mean |" in text and "| min (MAE: max) |" in text


def backtest(inside: int, weeks: int, mae: float, width: float) -> Backtest:
    return Backtest(weeks, inside / weeks, mae, 0.5, 1.0, width, rates_drawn=True)


def test_summary_means_minima_and_pooled_weeks() -> None:
    report = Report(26, 20, "separate", "2026-05-04")
    for seed, (a, b) in enumerate([(25, 13), (20, 26)], start=1):
        with_, known = backtest(a, 26, 10.0 * seed, 70.0), backtest(b, 26, 30.0, 60.0)
        report.seeds.append(SeedResult(seed, 3000, 99, 22.0, with_, known, 1.0, 1.0))
    drawn = report.summary("drawn")
    assert drawn["queue_coverage_pooled"] == 45 / 52
    assert drawn["queue_coverage_mean"] == (25 / 26 + 20 / 26) / 2
    assert drawn["queue_coverage_min"] == 20 / 26
    assert drawn["queue_coverage_sd"] == (25 / 26 - 20 / 26) / 2
    assert drawn["queue_mae_mean"] == 15.0 and drawn["queue_mae_max"] == 20.0
    assert drawn["seeds_meeting_target"] == 1  # 20/26 = 76.9 % < 85 %
    assert report.summary("known")["seeds_meeting_target"] == 1  # 26/26; 13/26 is not


def test_bad_seeds_exit_2() -> None:
    result = CliRunner().invoke(app, ["forecast-coverage", "--seeds", "0"])
    assert result.exit_code == 2 and "--seeds" in result.output
