"""Interface A: the waiting list, weekly referral counts, the arrival stage and dated
capacity changes — compiled to the right day offsets, and each wrong field named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from scenarios.loader import ScenarioError, load_spec
from scenarios.schema import Scenario
from tests.conftest import compile_dict, small_scenario

START = dt.date(2026, 6, 3)  # a Wednesday


def forecast_doc(**over: Any) -> dict[str, Any]:
    """A small forecast scenario: counts demand, a three-row waiting list."""
    doc = small_scenario(
        backlog=[],
        reductions=[],
        demand={"split": "counts", "referrals_per_week": {"a1": 7.0, "a2": 3.5}},
        waiting_list=[
            {
                "id": "r-1",
                "unit": "u1",
                "area": "a1",
                "priority": "P1",
                "clock_start": "2026-05-01",
            },
            {
                "id": "r-2",
                "unit": "u2",
                "area": "a3",
                "priority": "standard",
                "clock_start": "2026-03-04",
                "excluded_days": 10,
                "pvv_until": "2026-06-13",
                "mov_until": "2026-06-10",
            },
            {
                "id": "r-3",
                "unit": "u3",
                "area": "a3",
                "priority": "standard",
                "stage": "treatment",
                "clock_start": "2026-06-01",
                "booked_week": "2026-06-01",
            },
        ],
        run={
            "start_date": START.isoformat(),
            "horizon_days": 70,
            "warmup_days": 0,
            "seed": 3,
            "replications": 2,
        },
    )
    doc.update(over)
    return doc


def test_waiting_list_compiles_to_day_offsets() -> None:
    spec = compile_dict(forecast_doc())
    wl = spec.waiting_list
    assert wl is not None and wl.ids == ("r-1", "r-2", "r-3")
    assert wl.unit.tolist() == [0, 1, 2]
    assert wl.area.tolist() == [0, 2, 2]
    assert wl.priority.tolist() == [0, 1, 1]
    assert wl.stage.tolist() == [0, 0, 1]
    # r-2: waited 91 days, 10 excluded, PVV for 10 more days (the later of PVV and MOV)
    assert wl.clock.tolist() == [-33.0, -91.0 + 10 + 10, -2.0]
    assert wl.ready.tolist() == [0.0, 10.0, 0.0]
    assert wl.excluded_until.tolist() == [0.0, 10.0, 0.0]
    assert wl.booked.tolist() == [False, False, True]
    assert wl.booked_monday[2] == -2
    assert spec.backlog.home_unit.size == 0


def test_counts_demand_is_the_weekly_rate_per_area() -> None:
    spec = compile_dict(forecast_doc())
    assert np.allclose(spec.daily_arrivals[:, 0], 1.0)
    assert np.allclose(spec.daily_arrivals[:, 1], 0.5)
    assert np.allclose(spec.daily_arrivals[:, 2], 0.0)
    assert spec.arrival_stage == 0
    treated = compile_dict(
        forecast_doc(demand={"split": "counts", "referrals_per_week": {}, "stage": "treatment"})
    )
    assert treated.arrival_stage == 1 and treated.daily_arrivals.sum() == 0


def test_capacity_changes_override_the_base_calendar() -> None:
    doc = forecast_doc(
        capacity_changes=[
            {
                "unit": "u1",
                "pool": "first_visit",
                "from_date": "2026-06-08",
                "to_date": "2026-06-21",
                "slots_per_week": 0,
            },
            {
                "unit": "u1",
                "pool": "first_visit",
                "from_date": "2026-06-15",
                "to_date": "2026-06-21",
                "slots_per_week": 20,
            },
            {"unit": "u2", "pool": "day", "from_date": "2026-06-22", "slots_per_week": 10},
        ]
    )
    base, changed = compile_dict(forecast_doc()), compile_dict(doc)
    fv_base, fv = base.pools[0].slots, changed.pools[0].slots
    assert fv is not None and fv_base is not None
    assert fv[5:12, 0].sum() == 0  # 2026-06-08 .. 06-14 closed
    assert fv[12:19, 0].sum() == 20  # the later entry wins: 06-15 .. 06-21
    assert (fv[:5, 0] == fv_base[:5, 0]).all()  # before the change: the base
    assert fv[19:, 0].sum() == fv_base[19:, 0].sum()  # after to_date: the base again
    assert (fv[:, 1:] == fv_base[:, 1:]).all()  # other units untouched
    day = changed.pools[1].slots
    assert day is not None and day[19:26, 1].sum() == 10 and day[-7:, 1].sum() == 10


def test_forecast_estimates_are_kept_and_ignored_by_the_model() -> None:
    est = {"arrivals": {"value": 10.5, "from": "history", "weeks_of_history": 26, "n": 273}}
    scenario = Scenario.model_validate(forecast_doc(forecast_estimates=est))
    assert scenario.forecast_estimates == est
    assert "waiting_list" in Scenario.model_json_schema()["properties"]


def _rows(**change: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = forecast_doc()["waiting_list"]
    rows[1] = {**rows[1], **change}
    return rows


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        (
            {"waiting_list": _rows(priority="P9")},
            "waiting_list.1.priority",
            "unknown priority 'P9'",
        ),
        ({"waiting_list": _rows(unit="u9")}, "waiting_list.1.unit", "not in this scenario"),
        ({"waiting_list": _rows(area="zz")}, "waiting_list.1.area", "unknown area 'zz'"),
        (
            {"waiting_list": _rows(clock_start="2026-07-01")},
            "waiting_list.1.clock_start",
            "after run.start_date",
        ),
        (
            {"waiting_list": _rows(booked_week="2026-06-10")},
            "waiting_list.1.booked_week",
            "not a Monday",
        ),
        (
            {"waiting_list": _rows(booked_week="2026-05-25")},
            "waiting_list.1.booked_week",
            "ended before run.start_date",
        ),
        ({"waiting_list": _rows(id="r-1")}, "waiting_list.1.id", "duplicate id 'r-1'"),
        (
            {"waiting_list": _rows(excluded_days=-1)},
            "waiting_list.1.excluded_days",
            "greater than or equal to 0",
        ),
        ({"demand": {"split": "counts"}}, "demand", "needs referrals_per_week"),
        (
            {"demand": {"split": "counts", "referrals_per_week": {"a1": -1}}},
            "demand.referrals_per_week.a1",
            "greater than or equal to 0",
        ),
        (
            {"demand": {"split": "counts", "referrals_per_week": {"zz": 1}}},
            "demand.referrals_per_week.zz",
            "unknown area 'zz'",
        ),
        (
            {
                "capacity_changes": [
                    {
                        "unit": "u9",
                        "pool": "first_visit",
                        "from_date": "2026-06-08",
                        "slots_per_week": 1,
                    }
                ]
            },
            "capacity_changes.0.unit",
            "not in this scenario",
        ),
        (
            {
                "capacity_changes": [
                    {"unit": "u1", "pool": "nope", "from_date": "2026-06-08", "slots_per_week": 1}
                ]
            },
            "capacity_changes.0.pool",
            "unknown pool 'nope'",
        ),
        (
            {
                "capacity_changes": [
                    {
                        "unit": "u1",
                        "pool": "day",
                        "from_date": "2026-06-08",
                        "to_date": "2026-06-01",
                        "slots_per_week": 1,
                    }
                ]
            },
            "capacity_changes.0",
            "to_date: before from_date",
        ),
        ({"backlog": [{"unit": "u1", "count": 3}]}, "backlog", "either backlog or waiting_list"),
    ],
)
def test_a_wrong_field_is_named(
    tmp_path: Path, over: dict[str, Any], field: str, message: str
) -> None:
    path = tmp_path / "forecast.yaml"
    path.write_text(yaml.safe_dump(forecast_doc(**over)), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_spec(path)
    text = str(err.value)
    assert text.startswith(f"{path}: ") and field in text and message in text
    assert "\n" not in text
