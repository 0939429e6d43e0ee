"""Capacity search: scaling keeps the calendar's carry rule, the bisection finds the
smallest multiplier that reaches the goal, and an impossible goal is reported cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from api.cli import app
from scenarios.loader import Overrides, load_spec
from simulering.spec import ModelSpec
from simulering.target import (
    analytic_estimate,
    capacity,
    scale_capacity,
    scale_slots,
    search_target,
)


def _textbook() -> ModelSpec:  # M/M/2 per unit at utilisation 0.8: mean wait 1.78 days
    return load_spec("textbook_mmc", Overrides(horizon_days=365, warmup_days=30))[1]


def test_scale_slots_carries_fractions() -> None:
    slots = np.array([[3], [3], [0], [3], [3]] * 4, dtype=np.int64)
    out = scale_slots(slots, 1.1)
    running = np.cumsum(slots[:, 0]) * 1.1
    assert (np.cumsum(out[:, 0]) == np.floor(running + 1e-9)).all()
    assert (out[slots[:, 0] == 0] == 0).all()
    assert (scale_slots(slots, 1.0) == slots).all()


def test_scale_capacity_named_units_only() -> None:
    spec = load_spec("gallsten", Overrides(horizon_days=364, warmup_days=0))[1]
    more = scale_capacity(spec, 1.5, "first_visit", ["su_ostra"])
    before, after = capacity(spec, "first_visit"), capacity(more, "first_visit")
    assert after["su_ostra"] == pytest.approx(1.5 * before["su_ostra"], rel=0.01)
    assert all(after[u] == before[u] for u in spec.unit_ids if u != "su_ostra")
    assert more.pools[1] is spec.pools[1]  # treatment untouched
    treated = scale_capacity(spec, 2.0, "treatment")
    assert treated.pools[0] is spec.pools[0]
    assert capacity(treated, "treatment")["nu_nal"] == pytest.approx(
        2 * capacity(spec, "treatment")["nu_nal"], rel=0.01
    )


def test_servers_scale_down_to_whole_servers() -> None:
    spec = _textbook()
    assert list(scale_capacity(spec, 1.49).pools[0].servers) == [2, 2, 2, 2]  # type: ignore[arg-type]
    assert list(scale_capacity(spec, 1.5).pools[0].servers) == [3, 3, 3, 3]  # type: ignore[arg-type]


def test_search_finds_the_smallest_multiplier() -> None:
    r = search_target(
        _textbook(), "separate", "mean_wait_days", 0.5, seed=1, replications=3, executor="serial"
    )
    assert r.reachable and r.multiplier == 1.5  # the third server per unit
    assert r.at_answer is not None and r.at_answer.reached and r.at_answer.mean is not None
    assert r.at_answer.mean <= 0.5
    assert r.step_below is not None and r.step_below.multiplier == 1.49
    assert not r.step_below.reached
    # monotone along the evaluated grid
    evals = sorted(r.evaluations, key=lambda e: e.multiplier)
    flags = [e.reached for e in evals]
    assert flags == sorted(flags)
    assert r.capacity_after == {u: 3.0 for u in ("unit_a", "unit_b", "unit_c", "unit_d")}
    assert r.estimate is not None and r.estimate["multiplier"] == 1.5  # M/M/3 agrees


def test_goal_already_met() -> None:
    r = search_target(_textbook(), "shared", "mean_wait_days", 5.0, replications=2)
    assert r.reachable and r.multiplier == 1.0 and r.step_below is None
    assert len(r.evaluations) == 1


def test_not_reachable_within_bounds() -> None:
    r = search_target(
        _textbook(), "separate", "mean_wait_days", 0.5, replications=2, max_multiplier=1.4
    )
    assert not r.reachable and r.multiplier is None and r.at_answer is None
    assert [e.multiplier for e in r.evaluations] == [1.0, 1.4]
    assert r.as_dict()["reachable"] is False


def test_bad_kpi_or_units() -> None:
    spec = _textbook()
    with pytest.raises(ValueError, match="no better direction"):
        search_target(spec, "separate", "arrived", 1.0)
    with pytest.raises(ValueError, match="unknown unit"):
        search_target(spec, "separate", "mean_wait_days", 1.0, units=["nope"])


def test_fong_estimate_on_slots() -> None:
    spec = load_spec("gallsten")[1]
    sep = analytic_estimate(spec, "separate", "share_waiting_within_guarantee", 0.9)
    pooled = analytic_estimate(spec, "shared", "share_waiting_within_guarantee", 0.9)
    assert sep is not None and pooled is not None
    assert sep["multiplier"] >= pooled["multiplier"] >= 1.0  # pooling needs less
    assert analytic_estimate(spec, "shared", "mean_travel_km", 10.0) is None


def test_cli_target(tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    args = ["target", "textbook_mmc", "--policy", "separate", "--kpi", "mean_wait_days"]
    args += ["--goal", "0.5", "--replications", "2", "--horizon-days", "365"]
    args += ["--executor", "serial", "--json", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "answer: capacity × 1.50" in result.output and "mmc_erlang_c" in result.output
    doc = json.loads(out.read_text())
    assert doc["multiplier"] == 1.5 and doc["reachable"] and doc["step_below"]["multiplier"] == 1.49
    assert doc["warnings"] and "only 2 replications" in doc["warnings"][0]
    assert "warning: only 2 replications" in result.stderr
    lo, hi = doc["at_answer"]["ci95"]
    assert 0.0 <= lo <= doc["at_answer"]["mean"] <= hi  # a wait: never below 0
    bad = CliRunner().invoke(app, ["target", "textbook_mmc", "--goal", "1", "--kpi", "nope"])
    assert bad.exit_code == 2 and "unknown KPI" in bad.output
    unreachable = CliRunner().invoke(
        app, [*args[:-2], "--max-multiplier", "1.2", "--json", str(out)]
    )
    assert unreachable.exit_code == 0 and "not reachable" in unreachable.output
    assert json.loads(out.read_text())["reachable"] is False
