"""One experiment object: the run plan's defaults in one place, loaded once."""

from __future__ import annotations

import pytest

from scenarios.experiment import Experiment, RunPlan
from scenarios.loader import LIBRARY_DIR, ScenarioError, load_scenario


def test_plan_defaults_come_from_the_scenario_run_section() -> None:
    exp = Experiment.load("gallsten")
    run = exp.scenario.run
    assert exp.plan == RunPlan(tuple(run.policies), run.replications, run.seed)
    assert (exp.spec.horizon_days, exp.spec.warmup_days) == (run.horizon_days, run.warmup_days)
    assert exp.region.areas and exp.overrides == ()


def test_what_is_asked_for_wins() -> None:
    exp = Experiment.load(
        "gallsten",
        ["demand.trend_per_year=0.02"],
        horizon_days=100,
        warmup_days=10,
        policies=["shared"],
        replications=3,
        seed=0,
    )
    assert exp.plan == RunPlan(("shared",), 3, 0)  # seed 0 is a seed, not "unset"
    assert (exp.spec.horizon_days, exp.spec.warmup_days) == (100, 10)
    assert exp.scenario.demand.trend_per_year == 0.02
    assert exp.overrides == ("demand.trend_per_year=0.02",)


def test_run_records_how_it_was_made() -> None:
    exp = Experiment.load(
        "textbook_mmc", ["demand.trend_per_year=0"], horizon_days=60, warmup_days=10,
        policies=["separate", "shared"], replications=2, seed=5,
    )  # fmt: skip
    result = exp.run()
    info = result.run
    assert (info.scenario, info.seed, info.replications) == ("textbook_mmc", 5, 2)
    assert (info.horizon_days, info.warmup_days, info.executor) == (60, 10, "serial")
    assert info.overrides == ("demand.trend_per_year=0",)
    assert tuple(result.policies) == ("separate", "shared")
    assert result.paired.baseline == "separate"


def test_of_scenario_checks_references() -> None:
    sc = load_scenario("gallsten")
    path = LIBRARY_DIR / "gallsten.yaml"
    assert Experiment.of_scenario(sc, path, replications=4).plan.replications == 4
    broken = sc.model_copy(update={"units": [sc.units[0].model_copy(update={"unit": "nope"})]})
    with pytest.raises(ScenarioError, match="nope"):
        Experiment.of_scenario(broken, path)
