"""Shared test helpers: small inline scenarios."""

from __future__ import annotations

from typing import Any

from scenarios.loader import compile_scenario
from scenarios.schema import RegionSpec, Scenario
from simulering.spec import ModelSpec

SMALL_REGION: dict[str, Any] = {
    "id": "small",
    "name": "Small test region",
    "areas": [
        {
            "id": "a1",
            "name": "A1",
            "population": 30000,
            "lat": 58.0,
            "lon": 12.0,
            "subregion": "north",
        },
        {
            "id": "a2",
            "name": "A2",
            "population": 20000,
            "lat": 58.1,
            "lon": 12.6,
            "subregion": "north",
        },
        {
            "id": "a3",
            "name": "A3",
            "population": 25000,
            "lat": 57.6,
            "lon": 12.2,
            "subregion": "south",
        },
    ],
    "hospital_groups": [
        {"id": "G1", "name": "G1", "catchment": ["a1", "a2"]},
        {"id": "G2", "name": "G2", "catchment": ["a3"]},
    ],
    "units": [
        {"id": "u1", "name": "U1", "hospital_group": "G1", "site": "s1", "lat": 58.0, "lon": 12.0},
        {"id": "u2", "name": "U2", "hospital_group": "G1", "site": "s2", "lat": 58.1, "lon": 12.6},
        {"id": "u3", "name": "U3", "hospital_group": "G2", "site": "s3", "lat": 57.6, "lon": 12.2},
    ],
}


def small_scenario(**over: Any) -> dict[str, Any]:
    """A valid scenario dict with a calendar pathway; keyword arguments replace sections."""
    doc: dict[str, Any] = {
        "name": "small",
        "region": SMALL_REGION,
        "priorities": [
            {"name": "P1", "share": 0.2, "first_visit_days": 30, "treatment_days": 30},
            {"name": "standard", "share": 0.8},
        ],
        "demand": {"split": "population", "referrals_per_year": 1500},
        "pathway": {
            "assessment": {
                "delay_days": {"kind": "fixed", "mean": 3},
                "returned_share": 0.1,
                "completion_days": {"kind": "exponential", "mean": 10},
            },
            "decision_share": 0.5,
            "treatment_pools": [{"name": "day", "share": 0.6}, {"name": "central", "share": 0.4}],
        },
        "units": [
            {
                "unit": "u1",
                "first_visit": {"slots_per_week": 12},
                "treatment": {"day": {"slots_per_week": 4}, "central": {"slots_per_week": 3}},
            },
            {
                "unit": "u2",
                "first_visit": {"slots_per_week": 8},
                "treatment": {"day": {"slots_per_week": 3}},
            },
            {
                "unit": "u3",
                "first_visit": {"slots_per_week": 10},
                "treatment": {"day": {"slots_per_week": 4}, "central": {"slots_per_week": 2}},
            },
        ],
        "reductions": [{"name": "summer", "start": "06-20", "end": "08-10", "factor": 0.5}],
        "behaviour": {
            "travel": {"acceptance": [[0, 1.0], [40, 0.7], [120, 0.1]]},
            "no_show_share": 0.05,
            "withdrawal_share_per_year": 0.1,
        },
        "backlog": [
            {
                "unit": "u1",
                "count": 40,
                "age_profile": [
                    {"from_days": 0, "to_days": 60, "share": 0.5},
                    {"from_days": 61, "to_days": 200, "share": 0.5},
                ],
            },
            {"unit": "u3", "stage": "treatment", "count": 15},
        ],
        "run": {"horizon_days": 400, "warmup_days": 60, "seed": 7, "replications": 2},
    }
    doc.update(over)
    return doc


def compile_dict(doc: dict[str, Any]) -> ModelSpec:
    scenario = Scenario.model_validate(doc)
    assert isinstance(scenario.region, RegionSpec)
    return compile_scenario(scenario, scenario.region)
