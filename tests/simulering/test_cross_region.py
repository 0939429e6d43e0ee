"""The south-east region file, the cross-region KPIs and the ``sydost_robot`` scenario."""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from allokering.domain import Stage
from api.cli import app
from scenarios.loader import (
    REGION_DIR,
    Overrides,
    load_region,
    load_spec,
    resolve_scenario_path,
)
from scenarios.schema import RegionSpec
from simulering.kpis import KPI_NAMES, other_region, replication_kpis
from simulering.model import Records, home_units
from simulering.patients import Patients, draw_patients
from simulering.runner import run_policy, run_replication
from simulering.streams import replication_stream
from tests.conftest import SMALL_REGION, compile_dict, small_scenario

NAN = math.nan
INF = math.inf
FV, TR = Stage.FIRST_VISIT, Stage.TREATMENT
REGIONS = ("ostergotland", "jonkoping", "kalmar")


def _region(name: str) -> RegionSpec:
    text = (REGION_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    return RegionSpec.model_validate(yaml.safe_load(text))


# --- the region file -------------------------------------------------------------------
def test_sydost_has_38_municipalities_in_three_regions() -> None:
    region = _region("sydost")
    assert len(region.areas) == 38
    per_region = {r: [a for a in region.areas if a.region == r] for r in REGIONS}
    assert {r: len(a) for r, a in per_region.items()} == {
        "ostergotland": 13,
        "jonkoping": 13,
        "kalmar": 12,
    }
    pops = {r: sum(a.population for a in areas) for r, areas in per_region.items()}
    # SCB county totals: Östergötland and Jönköping 31 Dec 2024, Kalmar 31 Dec 2022
    assert pops == {"ostergotland": 472_446, "jonkoping": 370_009, "kalmar": 247_711}
    assert sum(pops.values()) == 1_090_166
    for a in region.areas:
        assert a.subregion == a.region
        county = {"ostergotland": "05", "jonkoping": "06", "kalmar": "08"}[a.region]
        assert a.id.startswith(county) and len(a.id) == 4  # municipality code of its county
        assert 56.3 < a.lat < 58.9 and 13.4 < a.lon < 16.8  # inside the south-east
    by_name = {a.name: a for a in region.areas}
    assert by_name["Linköping"].population > by_name["Norrköping"].population > 140_000
    assert by_name["Jönköping"].population > 140_000
    assert by_name["Kalmar"].population > 70_000


def test_sydost_units_and_catchments_belong_to_their_region() -> None:
    region = _region("sydost")
    area_region = {a.id: a.region for a in region.areas}
    units = {u.id: u for u in region.units}
    assert {u.region for u in region.units} == set(REGIONS)
    for u in region.units:
        assert u.region == u.hospital_group  # one hospital group per region
    expected = {
        "og_linkoping": "ostergotland",
        "og_norrkoping": "ostergotland",
        "og_motala": "ostergotland",
        "jl_ryhov": "jonkoping",
        "jl_eksjo": "jonkoping",
        "jl_varnamo": "jonkoping",
        "kl_kalmar": "kalmar",
        "kl_vastervik": "kalmar",
    }
    for uid, r in expected.items():
        assert units[uid].region == r
    owned = [a for g in region.hospital_groups for a in g.catchment]
    assert sorted(owned) == sorted(area_region)  # every area exactly once
    for g in region.hospital_groups:
        assert {area_region[a] for a in g.catchment} == {g.id}


def test_vgr_areas_have_no_administrative_region() -> None:
    region = _region("vgr")
    assert all(a.region == "" for a in region.areas)


# --- validation ------------------------------------------------------------------------
def _regional(**over: Any) -> dict[str, Any]:
    """The small test region with administrative regions: a1, a2, u1, u2 in r1; a3, u3 in r2."""
    region = copy.deepcopy(SMALL_REGION)
    for a, r in zip(region["areas"], ("r1", "r1", "r2"), strict=True):
        a["region"] = r
    for u, r in zip(region["units"], ("r1", "r1", "r2"), strict=True):
        u["region"] = r
    region.update(over)
    return region


def test_unit_without_region_is_refused_when_areas_have_one() -> None:
    region = _regional()
    region["units"][1]["region"] = ""
    with pytest.raises(ValidationError, match=r"units\.1\.region: missing"):
        RegionSpec.model_validate(region)
    region = _regional()
    region["areas"][2]["region"] = ""
    with pytest.raises(ValidationError, match=r"areas\.2\.region: missing"):
        RegionSpec.model_validate(region)


def test_prices_need_regions_and_the_error_names_the_field(tmp_path: Path) -> None:
    doc = small_scenario(cross_region={"price_per_referral_sek": 1000})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    result = CliRunner().invoke(app, ["scenarios", "validate", str(path)])
    assert result.exit_code == 2
    assert "cross_region" in result.output and "no administrative 'region'" in result.output
    doc = small_scenario(cross_region={"price_per_referral_sek": -1})
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    result = CliRunner().invoke(app, ["scenarios", "validate", str(path)])
    assert result.exit_code == 2
    assert "cross_region.price_per_referral_sek" in result.output


# --- the KPIs on hand-made records -----------------------------------------------------
FV_PRICE, TR_PRICE = 1_000.0, 50_000.0


def _setup() -> tuple[Any, Any, Records]:
    doc = small_scenario(
        region=_regional(),
        cross_region={"price_per_first_visit_sek": FV_PRICE, "price_per_referral_sek": TR_PRICE},
    )
    doc["run"] = {"start_date": "2026-01-01", "horizon_days": 365, "warmup_days": 31}
    doc["backlog"] = []
    spec = compile_dict(doc)
    assert spec.area_region == ("r1", "r1", "r2")
    assert spec.unit_region == ("r1", "r1", "r2")
    assert spec.cross_region_price_sek == (FV_PRICE, TR_PRICE)
    n = 7
    arrival = np.array([0.5, 10.0, 40.0, 50.2, 60.0, 100.0, 1.0])
    pts = Patients(
        arrival=arrival,
        ready=arrival,
        area=np.array([0, 0, 1, 2, 2, 0, 2]),
        priority=np.zeros(n, dtype=np.int64),
        returned=np.zeros(n, dtype=bool),
        tolerance_km=np.full(n, INF),
        decided=np.array([True, False, False, True, False, False, False]),
        pool=np.ones(n, dtype=np.int64),
        withdraw_after=np.full((2, n), INF),
        service=np.zeros((2, n)),
        no_show_draw=np.ones((2, n)),
        backlog_stage=np.full(n, -1, dtype=np.int64),
        backlog_home=np.full(n, -1, dtype=np.int64),
        choice_draw=np.ones(n),
    )
    # first visit: r0 home region (u1); r1 (area r1) at u3 → other region; r2 waits;
    # r3 (area r2) at u1 → other; r4 at u3 (own); r5 at u2 (own); r6 (area r2) at u1 → other,
    # but on day 10, inside the warm-up: not counted.
    fv_served = np.array([95.0, 45.0, NAN, 70.0, 80.0, 120.0, 10.0])
    fv_unit = [0, 2, -1, 0, 2, 1, 0]
    # treatment: r0 (area r1) at u3 → other region; r3 (area r2) at u3 → own
    tr_start = np.array([95.0, NAN, NAN, 70.0, NAN, NAN, NAN])
    tr_served = np.array([150.0, NAN, NAN, 100.0, NAN, NAN, NAN])
    tr_unit = [2, -1, -1, 2, -1, -1, -1]
    rec = Records(
        clock_start=np.array([arrival, tr_start]),
        clock_restart=np.full_like(np.array([arrival, tr_start]), NAN),
        served=np.array([fv_served, tr_served]),
        unit=np.array([fv_unit, tr_unit], dtype=np.int64),
        patient_chosen=np.full((2, n), NAN),
        withdraw=np.full((2, n), INF),
        limit=np.full((2, n), 90),
        no_shows=np.array([0, 0]),
        home_unit=np.array([0, 0, 1, 2, 2, 0, 2]),
        pool=pts.pool,
        used_slots=np.zeros((3, 3)),
        offered_slots=np.ones((3, 3)),
    )
    return spec, pts, rec


def test_new_kpis_are_listed() -> None:
    assert "share_other_region" in KPI_NAMES
    assert "cross_region_cost_sek" in KPI_NAMES


def test_share_other_region_and_cost_overall_and_by_group() -> None:
    spec, pts, rec = _setup()
    k = replication_kpis(spec, pts, rec)
    fv, tr = k.kpis[FV], k.kpis[TR]
    # served in [31, 365): r0, r1, r3, r4, r5 — of them r1 and r3 in another region
    assert fv["completed"] == 5
    assert fv["share_other_region"] == pytest.approx(2 / 5)
    assert fv["cross_region_cost_sek"] == pytest.approx(2 * FV_PRICE)
    # treatment: r0 (other) and r3 (own), at the treatment price
    assert tr["completed"] == 2
    assert tr["share_other_region"] == pytest.approx(0.5)
    assert tr["cross_region_cost_sek"] == pytest.approx(1 * TR_PRICE)

    def kpi(group: str, gid: str, stage: str, name: str) -> float:
        return float(k.breakdown(group)[gid][Stage(stage)][name])

    # by unit: what each unit billed other regions (u1: r3; u3: r1; u2: nobody)
    assert kpi("by_unit", "u1", "first_visit", "share_other_region") == pytest.approx(0.5)
    assert kpi("by_unit", "u1", "first_visit", "cross_region_cost_sek") == FV_PRICE
    assert kpi("by_unit", "u2", "first_visit", "share_other_region") == 0.0
    assert kpi("by_unit", "u2", "first_visit", "cross_region_cost_sek") == 0.0
    assert kpi("by_unit", "u3", "first_visit", "cross_region_cost_sek") == FV_PRICE
    assert kpi("by_unit", "u3", "treatment", "cross_region_cost_sek") == TR_PRICE
    assert kpi("by_unit", "u3", "treatment", "share_other_region") == pytest.approx(0.5)
    # by area and sub-region: what the home region pays
    assert kpi("by_area", "a1", "first_visit", "share_other_region") == pytest.approx(1 / 3)
    assert kpi("by_area", "a1", "first_visit", "cross_region_cost_sek") == FV_PRICE
    assert math.isnan(kpi("by_area", "a2", "first_visit", "share_other_region"))  # none served
    assert kpi("by_area", "a2", "first_visit", "cross_region_cost_sek") == 0.0
    assert kpi("by_area", "a3", "first_visit", "share_other_region") == pytest.approx(0.5)
    assert kpi("by_subregion", "north", "treatment", "cross_region_cost_sek") == TR_PRICE
    assert kpi("by_subregion", "south", "treatment", "cross_region_cost_sek") == 0.0
    # the cost is always the count times the price
    for stage, price in ((FV, FV_PRICE), (TR, TR_PRICE)):
        for uid in spec.unit_ids:
            u = k.by_unit[uid][stage]
            if u["completed"]:
                count = u["share_other_region"] * u["completed"]
                assert u["cross_region_cost_sek"] == pytest.approx(count * price)


def test_other_region_mask() -> None:
    spec, _, _ = _setup()
    area = np.array([0, 0, 2, 2, 1], dtype=np.int64)
    unit = np.array([0, 2, 2, 1, -1], dtype=np.int64)
    assert other_region(spec, area, unit).tolist() == [False, True, False, True, False]


def test_without_administrative_regions_the_new_kpis_are_zero() -> None:
    spec, pts, rec = _setup()
    for plain in (
        replace(spec, area_region=(), unit_region=()),
        replace(spec, area_region=("", "", ""), unit_region=("", "", "")),
    ):
        k = replication_kpis(plain, pts, rec)
        for stage in (FV, TR):
            assert k.kpis[stage]["share_other_region"] == 0.0
            assert k.kpis[stage]["cross_region_cost_sek"] == 0.0


def test_gallsten_in_vgr_has_no_cross_region_care() -> None:
    _, spec = load_spec("gallsten", Overrides(horizon_days=120, warmup_days=30))
    assert not any(spec.area_region) and spec.cross_region_price_sek == (0.0, 0.0)
    k = run_replication(spec, ["shared"], 1, 0)["shared"].kpis[FV]
    assert k["completed"] > 0
    assert k["share_other_region"] == 0.0 and k["cross_region_cost_sek"] == 0.0


# --- the scenario ----------------------------------------------------------------------
ROBOTS = {"og_linkoping": "ostergotland", "jl_ryhov": "jonkoping", "kl_kalmar": "kalmar"}


def _short_spec() -> Any:
    _, spec = load_spec("sydost_robot", Overrides(horizon_days=300, warmup_days=90))
    return spec


def test_robot_pool_only_at_robot_hospitals_and_home_robot_in_own_region() -> None:
    scenario, spec = load_spec("sydost_robot")
    region = load_region(scenario, resolve_scenario_path("sydost_robot"))
    assert len(spec.unit_ids) == 9
    robot = spec.pools[1]
    assert robot.name == "robot"
    serves = robot.serves()
    assert {spec.unit_ids[u] for u in np.flatnonzero(serves)} == set(ROBOTS)
    assert spec.pools[0].serves().all()  # first visit at every local hospital
    home = home_units(spec)
    for a, area in enumerate(region.areas):
        assert spec.unit_region[home[0][a]] == area.region  # local hospital of own region
        assert ROBOTS[spec.unit_ids[home[1][a]]] == area.region  # own region's robot
    assert spec.cross_region_price_sek == (4_000.0, 120_000.0)


def test_separate_keeps_every_region_on_its_own_robot() -> None:
    spec = _short_spec()
    patients = draw_patients(spec, replication_stream(11, 0))
    rec = run_policy(spec, patients, "separate", 11, 0)
    treated = np.flatnonzero(rec.unit[1] >= 0)
    assert treated.size > 100
    for ref in treated.tolist():
        unit = spec.unit_ids[int(rec.unit[1][ref])]
        assert unit in ROBOTS
        assert ROBOTS[unit] == spec.area_region[int(patients.area[ref])]
    k = replication_kpis(spec, patients, rec)
    assert k.kpis[TR]["share_other_region"] == 0.0
    assert k.kpis[TR]["cross_region_cost_sek"] == 0.0
    assert k.kpis[FV]["share_other_region"] == 0.0


def test_shared_and_optimised_share_the_robots_across_regions() -> None:
    spec = _short_spec()
    k = run_replication(spec, ["separate", "shared", "optimised"], 11, 0)
    for policy in ("shared", "optimised"):
        tr = k[policy].kpis[TR]
        assert tr["share_other_region"] > 0.02
        count = tr["share_other_region"] * tr["completed"]
        assert tr["cross_region_cost_sek"] == pytest.approx(count * 120_000.0)
        # some robot treats patients of another region
        imports = [k[policy].by_unit[u][TR]["share_other_region"] for u in ROBOTS]
        assert max(imports) > 0.0
    assert k["separate"].kpis[TR]["share_other_region"] == 0.0
