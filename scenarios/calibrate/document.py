"""The calibrated document: the start file with each row's capacity and catchment
multipliers applied, and its compilation against the start file's region."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from scenarios.calibrate.measure import POLICY
from scenarios.calibrate.observed import STAGES
from scenarios.calibrate.targets import Target
from scenarios.experiment import Experiment
from scenarios.loader import ScenarioError, check_references, compile_scenario, read_yaml
from scenarios.schema import RegionSpec, Scenario, Servers
from simulering.spec import ModelSpec


@dataclass(frozen=True)
class StartScenario:
    """The start scenario's numbers the multipliers apply to."""

    doc: dict[str, Any]
    """The start file as written (the fitted file is this with the new numbers)."""
    experiment: Experiment
    area_rate: dict[str, float]
    """Referrals per 1,000 inhabitants a year per area, as the start file gives them."""

    @property
    def scenario(self) -> Scenario:
        return self.experiment.scenario

    @property
    def region(self) -> RegionSpec:
        return self.experiment.region

    @property
    def spec(self) -> ModelSpec:
        return self.experiment.spec


def load_start(path: Path, replications: int | None, seed: int | None) -> StartScenario:
    """Load the start file for ``separate`` with its area referral rates."""
    raw = read_yaml(path)
    experiment = Experiment.load(path, policies=[POLICY], replications=replications, seed=seed)
    region = experiment.region
    d = experiment.scenario.demand
    pops = {a.id: a.population for a in region.areas}
    if d.split == "population":
        total = sum(pops.values())
        base = (d.referrals_per_year or 0.0) * 1000.0 / total if total else 0.0
        rates = {a: base for a in pops}
    else:
        rates = {a: d.rates_per_1000.get(a, d.default_rate_per_1000) for a in pops}
    return StartScenario(copy.deepcopy(raw), experiment, rates)


def _round_sig(x: float, digits: int = 5) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, max(0, digits - 1 - math.floor(math.log10(abs(x)))))


def build_document(
    base: StartScenario,
    targets: Sequence[Target],
    log_r: Sequence[float],
    log_a: Sequence[float],
) -> dict[str, Any]:
    """The start document with each row's multipliers applied (numbers rounded as they
    will be written: slots to 0.01, rates to 5 significant digits, backlog to whole
    patients), so the file written is exactly the one simulated."""
    doc = copy.deepcopy(base.doc)
    n_units = len(base.scenario.units)
    a_unit = np.ones(n_units)
    r_unit = {stage: np.ones(n_units) for stage in STAGES}
    for t, target in enumerate(targets):
        for u in target.units:
            r_unit[target.observation.stage][u] = math.exp(log_r[t])
            if target.observation.stage == "first_visit":
                a_unit[u] = math.exp(log_a[t])
    for u, unit in enumerate(base.scenario.units):
        raw_unit = doc["units"][u]
        # server pools are never fitted (resolve_targets refuses them) and never scaled
        if unit.first_visit is not None and not isinstance(unit.first_visit, Servers):
            m = float(a_unit[u] * r_unit["first_visit"][u])
            if m != 1.0:
                raw_unit["first_visit"]["slots_per_week"] = round(
                    unit.first_visit.slots_per_week * m, 2
                )
        for pool, cap in unit.treatment.items():
            m = float(a_unit[u] * r_unit["treatment"][u])
            if m != 1.0 and not isinstance(cap, Servers):
                raw_unit["treatment"][pool]["slots_per_week"] = round(cap.slots_per_week * m, 2)
    if np.any(a_unit != 1.0):
        _scale_catchments(base, doc, a_unit)
    return doc


def _scale_catchments(base: StartScenario, doc: dict[str, Any], a_unit: np.ndarray) -> None:
    """Scale each unit's backlog counts and its catchment's referral rates by the unit's
    catchment multiplier (demand written as per-area rates)."""
    unit_index = {u.unit: i for i, u in enumerate(base.scenario.units)}
    for j, entry in enumerate(base.scenario.backlog):
        factor = float(a_unit[unit_index[entry.unit]])
        if factor != 1.0:
            doc["backlog"][j]["count"] = round(entry.count * factor)
    home = base.spec.home_unit
    demand = dict(doc["demand"])
    rates: dict[str, float] = {}
    for ai, area in enumerate(base.spec.area_ids):
        rate = base.area_rate[area] * float(a_unit[int(home[ai])])
        rates[area] = _round_sig(rate)
    demand.pop("referrals_per_year", None)
    demand["split"] = "rates"
    demand["default_rate_per_1000"] = 0.0
    demand["rates_per_1000"] = rates
    doc["demand"] = _ordered_demand(demand)


def _ordered_demand(demand: dict[str, Any]) -> dict[str, Any]:
    order = ["split", "referrals_per_year", "default_rate_per_1000", "rates_per_1000"]
    out = {k: demand[k] for k in order if k in demand}
    out.update({k: v for k, v in demand.items() if k not in out})
    return out


def compile_document(
    base: StartScenario, doc: dict[str, Any], path: Path
) -> tuple[Scenario, ModelSpec]:
    """Validate and compile a calibrated document against the start file's region."""
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:  # pragma: no cover - the multipliers keep it valid
        raise ScenarioError(path, "", f"calibrated scenario is invalid: {exc}") from None
    check_references(scenario, base.region, path)
    return scenario, compile_scenario(scenario, base.region)
