"""Scenario files: the library loads, bad files give one clear message and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from api.cli import app
from scenarios.loader import ScenarioError, list_library, load_scenario, load_spec
from tests.conftest import SMALL_REGION, compile_dict, small_scenario

runner = CliRunner()


@pytest.mark.parametrize("path", list_library(), ids=lambda p: p.stem)
def test_library_scenarios_load_and_compile(path: Path) -> None:
    scenario, spec = load_spec(path)
    assert scenario.name == path.stem
    assert spec.daily_arrivals.sum() > 0
    assert scenario.sources and scenario.assumptions


def test_vgr_region_has_all_49_municipalities() -> None:
    scenario = load_scenario("gallsten")
    from scenarios.loader import load_region

    region = load_region(scenario, Path("scenarios/library/gallsten.yaml"))
    assert len(region.areas) == 49
    assert sum(a.population for a in region.areas) == 1_773_197
    owned = [a for g in region.hospital_groups for a in g.catchment]
    assert sorted(owned) == sorted(a.id for a in region.areas)  # each area exactly once
    assert {g.id for g in region.hospital_groups} >= {"SU", "SiV", "SÄS", "NU", "SkaS"}


def _write(tmp_path: Path, doc: dict, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (
            lambda d: d["demand"].update(referrals_per_year=-5),
            "demand.referrals_per_year",
            "greater than or equal to 0",
        ),
        (lambda d: d["units"][0].update(unit="nowhere"), "units.0.unit", "unknown unit"),
        (
            lambda d: d["units"][0]["first_visit"].update(slots_per_week="many"),
            "units.0.first_visit.slots.slots_per_week",
            "valid number",
        ),
        (lambda d: d.update(colour="red"), "colour", "Extra inputs"),
        (lambda d: d["run"].update(policies=["magic"]), "(top level)", "unknown policy 'magic'"),
        (lambda d: d["backlog"][0].update(unit="u9"), "backlog.0.unit", "not in this scenario"),
        (
            lambda d: d["pathway"]["treatment_pools"][0].update(share=0.9),
            "pathway",
            "shares must sum to 1",
        ),
        (
            lambda d: d["priorities"][0].update(first_visit_days=120),
            "priorities.0.first_visit_days",
            "less than or equal to 90",
        ),
    ],
)
def test_bad_file_names_file_field_and_problem(
    tmp_path: Path, mutate, field: str, words: str
) -> None:
    doc = small_scenario()
    mutate(doc)
    path = _write(tmp_path, doc)
    with pytest.raises(ScenarioError) as exc:
        load_spec(path)
    assert exc.value.file == str(path)
    assert exc.value.field == field
    assert words in exc.value.problem
    result = runner.invoke(app, ["scenarios", "validate", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML: line"):
        load_spec(path)
    result = runner.invoke(app, ["simulate", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "file not found" in result.output


def test_simulate_bad_policy_exit_2() -> None:
    result = runner.invoke(app, ["simulate", "textbook_mmc", "--policy", "magic"])
    assert result.exit_code == 2
    assert "unknown policy 'magic'" in result.output


def test_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["scenarios", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "Scenario"
    assert "demand" in schema["properties"]


def test_scenarios_list_and_validate() -> None:
    result = runner.invoke(app, ["scenarios", "list"])
    assert result.exit_code == 0 and "gallsten" in result.output
    result = runner.invoke(app, ["scenarios", "validate", "gallsten"])
    assert result.exit_code == 0 and "ok" in result.output


def test_calendar_reductions_and_demand_steps() -> None:
    doc = small_scenario()
    doc["demand"]["steps"] = [{"from_date": "2026-07-01", "factor": 0.5, "areas": ["a1"]}]
    doc["demand"]["seasonality"] = [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    spec = compile_dict(doc)
    slots = spec.pools[0].slots
    assert slots is not None
    # 12 slots a week at u1 on weekdays; summer keeps half
    assert slots[:140, 0].sum() == pytest.approx(12 * 20, abs=1)
    assert slots[:, 0][[d for d in range(7)]].tolist().count(0) == 2  # a weekend
    summer = slots[171:221, 0].sum()
    assert summer == pytest.approx(12 * 50 / 7 * 0.5, abs=2)
    # step change halves a1 from 1 July (day 181); January doubled by seasonality
    a1 = spec.daily_arrivals[:, 0]
    assert a1[200] == pytest.approx(a1[150] * 0.5, rel=0.01)
    assert a1[10] == pytest.approx(2 * a1[40], rel=0.01)
    assert spec.home_unit.tolist() == [0, 1, 2]


def test_rates_split_and_given_travel() -> None:
    region = dict(SMALL_REGION, travel_km={"a1": {"u3": 99.0}})
    doc = small_scenario(region=region)
    doc["demand"] = {"split": "rates", "rates_per_1000": {"a1": 10}, "default_rate_per_1000": 1}
    spec = compile_dict(doc)
    per_year = spec.daily_arrivals[:365].sum(axis=0)
    assert per_year[0] == pytest.approx(300, rel=0.01)
    assert per_year[1] == pytest.approx(20, rel=0.01)
    assert spec.km[0, 2] == 99.0
