"""Golden back-tests: stored result documents that the model must reproduce exactly.

Each case runs a small scenario with fixed seeds under every policy and compares the
summary document (every KPI overall, per priority group, unit and sub-region, the
region's monthly series, each with its interval, and the paired comparison) with the
one stored in ``tests/simulering/golden/``. A change that moves any number fails here;
when the change is meant to move numbers, regenerate the files and say why in the
commit:

    REMISS_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/simulering/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from scenarios.loader import Overrides, load_spec
from simulering.runner import run_simulation
from simulering.spec import ModelSpec
from tests.conftest import compile_dict, small_scenario

GOLDEN = Path(__file__).parent / "golden"
POLICIES = (
    "separate_by_hospital_group",
    "separate",
    "shared",
    "shared_within_subregion",
    "optimised",
    "patient_choice",
)


def _small() -> ModelSpec:
    return compile_dict(small_scenario())


def _gallsten_short() -> ModelSpec:
    return load_spec("gallsten", Overrides(horizon_days=240, warmup_days=60))[1]


def _textbook_short() -> ModelSpec:
    return load_spec("textbook_mmc", Overrides(horizon_days=200, warmup_days=20))[1]


CASES = {
    "small": (_small, POLICIES),
    "gallsten_short": (_gallsten_short, POLICIES),
    "textbook_short": (_textbook_short, ("separate", "shared")),
}


def _document(case: str) -> dict[str, Any]:
    """Per policy the KPIs, by unit and sub-region, the region's monthly series, and
    the paired comparison (by area and the per-unit series are left out for size)."""
    make, policies = CASES[case]
    doc = run_simulation(make(), policies, seed=20261201, replications=2).to_document()
    kept = {
        name: {
            "kpis": p["kpis"],
            "by_unit": p["by_unit"],
            "by_subregion": p["by_subregion"],
            "region_series": {s: p["series"][s]["region"] for s in ("first_visit", "treatment")},
        }
        for name, p in doc["policies"].items()
    }
    return {"policies": kept, "paired": doc["paired"]}


@pytest.mark.parametrize("case", sorted(CASES))
def test_reproduces_the_stored_document(case: str) -> None:
    path = GOLDEN / f"{case}.json"
    doc = json.loads(json.dumps(_document(case)))  # the JSON round trip the file had
    if os.environ.get("REMISS_REGENERATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(doc, sort_keys=True) + "\n", encoding="utf-8")
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert doc == stored, f"{path.name}: the results moved; see the module docstring"
