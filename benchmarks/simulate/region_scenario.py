"""The region-scale benchmark scenario: a year of 500,000 referrals over 40 units on the
VGR geography (``benchmarks/scenarios/region_scale.yaml``), built from ``vgr.yaml``:
its 16 sites plus local units at the largest municipalities without a site nearby,
explicit catchments, and slot calendars sized to each unit's demand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from allokering.travel import great_circle_km
from benchmarks import BENCH_DIR
from scenarios.loader import REGION_DIR, compile_scenario, load_region_file
from scenarios.schema import RegionSpec, Scenario
from simulering.model import home_units
from simulering.spec import ModelSpec

REGION_SCENARIO = BENCH_DIR / "scenarios" / "region_scale.yaml"
NEW_UNIT_MIN_KM = 8.0
"""A municipality gets its own unit only if no VGR site is within this distance."""
FORCED_CATCHMENT = {"1440": "siv_angered", "1407": "siv_frolunda"}
"""Ale to Angered, Öckerö to Frölunda: so that every public site owns a catchment."""
CENTRAL_SITES = 14
"""Central operations at the public VGR hospital sites (the first units of vgr.yaml)."""
CAPACITY_MARGIN = 1.05
PRIVATE_SHARE = 0.02
"""Extra first-visit and day-surgery capacity of each contracted private provider, as a
share of regional demand (reachable from the shared list only: they own no catchment)."""
SEASONALITY = [1.05, 1.05, 1.05, 1.0, 1.0, 0.95, 0.8, 0.9, 1.05, 1.05, 1.05, 1.05]
REDUCTIONS: list[dict[str, Any]] = [
    {"name": "sommar", "start": "06-22", "end": "08-09", "factor": 0.5},
    {"name": "jul", "start": "12-22", "end": "01-06", "factor": 0.6},
]
DECISION_SHARE = 0.4
TREATMENT_POOLS: list[dict[str, Any]] = [
    {"name": "day_surgery", "share": 0.6},
    {"name": "central", "share": 0.4},
]


def _slug(name: str) -> str:
    """A name as an id part: lower case, no Swedish letters, spaces or hyphens."""
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", " ": "_", "-": "_"})
    return name.lower().translate(table)


def effective_weeks(start: dt.date, days: int) -> float:
    """Weekday slots in a year after the reductions, in weeks of five weekdays."""
    total = 0.0
    for i in range(days):
        day = start + dt.timedelta(days=i)
        if day.weekday() >= 5:
            continue
        md = f"{day.month:02d}-{day.day:02d}"
        factor = 1.0
        for r in REDUCTIONS:
            s, e = str(r["start"]), str(r["end"])
            if (s <= md <= e) if s <= e else (md >= s or md <= e):
                factor *= float(r["factor"])
        total += factor
    return total / 5.0


def build_region_scenario(
    referrals_per_year: float = 500_000, n_units: int = 40, start: dt.date = dt.date(2026, 1, 1)
) -> dict[str, Any]:
    """A region-scale scenario on the VGR geography, as a scenario-file mapping.

    Units: the 16 sites of ``vgr.yaml`` plus new local units at the main towns of the
    largest municipalities that have no site within ``NEW_UNIT_MIN_KM`` (up to
    ``n_units``). Every area belongs to the nearest public unit of its hospital group
    (explicit catchments). Slot calendars are sized to each unit's demand × 1.05 over the
    year, allowing for the summer and Christmas reductions.
    """
    vgr = load_region_file(REGION_DIR / "vgr.yaml")
    units = region_units(vgr, n_units)
    catchment = catchments(vgr, units)
    central = {u.id for u in vgr.units if not u.private}
    assert len(central) == CENTRAL_SITES
    region = vgr.model_dump(exclude_none=True) | {
        "id": "vgr_region_scale",
        "name": f"VGR with {len(units)} units (benchmark)",
        "units": units,
    }
    scenario = scenario_document(referrals_per_year, len(vgr.units), region, start)
    calendars = UnitCalendars(units, catchment, central)
    # Compile once with placeholder capacity to learn where demand lands, then size.
    scenario["units"] = [calendars.entry(u, 1, 1, 1) for u in units]
    draft = compile_scenario(Scenario.model_validate(scenario), RegionSpec.model_validate(region))
    fv_demand, tr_demand = first_visit_and_treatment_demand(draft, referrals_per_year, len(units))
    scenario["units"] = calendars.sized(
        fv_demand, tr_demand, referrals_per_year, effective_weeks(start, 365)
    )
    scenario["backlog"] = [
        {
            "unit": u["id"],
            "count": round(float(fv_demand[i]) * 3 / 52),
            "age_profile": [{"from_days": 0, "to_days": 90, "share": 1.0}],
        }
        for i, u in enumerate(units)
        if not u["private"]
    ]
    Scenario.model_validate(scenario)
    return scenario


def region_units(vgr: RegionSpec, n_units: int) -> list[dict[str, Any]]:
    """The VGR sites, then a local unit at each of the largest municipalities that has
    no unit within ``NEW_UNIT_MIN_KM`` (up to ``n_units`` in all)."""
    group_of = {a: g.id for g in vgr.hospital_groups for a in g.catchment}
    units: list[dict[str, Any]] = [u.model_dump() for u in vgr.units]
    for area in sorted(vgr.areas, key=lambda a: -a.population):
        if len(units) >= n_units:
            break
        near = min(great_circle_km(area.lat, area.lon, u["lat"], u["lon"]) for u in units)
        if near < NEW_UNIT_MIN_KM or area.id in FORCED_CATCHMENT:
            continue
        group = group_of[area.id]
        units.append(
            {
                "id": f"{_slug(group)}_{_slug(area.name)}",
                "name": f"{area.name} närsjukvård",
                "hospital_group": group,
                "site": area.name,
                "lat": area.lat,
                "lon": area.lon,
                "private": False,
                "region": "",
            }
        )
    return units


def catchments(vgr: RegionSpec, units: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each area to the nearest public unit of its hospital group (Ale to Angered,
    Öckerö to Frölunda); every public unit owns at least one area."""
    group_of = {a: g.id for g in vgr.hospital_groups for a in g.catchment}
    public = [u for u in units if not u["private"]]
    catchment: dict[str, list[str]] = {u["id"]: [] for u in units}
    for area in vgr.areas:
        if area.id in FORCED_CATCHMENT:
            catchment[FORCED_CATCHMENT[area.id]].append(area.id)
            continue
        same = [u for u in public if u["hospital_group"] == group_of[area.id]]
        best = min(same, key=lambda u: great_circle_km(area.lat, area.lon, u["lat"], u["lon"]))
        catchment[best["id"]].append(area.id)
    empty = [u["id"] for u in public if not catchment[u["id"]]]
    assert not empty, f"public units without a catchment: {empty}"
    return catchment


def scenario_document(
    referrals_per_year: float, vgr_sites: int, region: dict[str, Any], start: dt.date
) -> dict[str, Any]:
    """The scenario mapping without its unit calendars and backlog (sized afterwards)."""
    n_units = len(region["units"])
    return {
        "name": "region_scale",
        "title": f"Region-scale benchmark year: {referrals_per_year:,.0f} referrals, "
        f"{n_units} units",
        "description": "Generated by benchmarks/simulate.py (build_region_scenario) for the "
        "simulation benchmark. Synthetic volumes on the real VGR geography.",
        "sources": ["Geography: scenarios/regioner/vgr.yaml (../shared/data/vgr_kommuner.csv)"],
        "assumptions": assumptions(referrals_per_year, vgr_sites),
        "region": region,
        "priorities": [
            {"name": "P1", "share": 0.15, "first_visit_days": 30, "treatment_days": 30},
            {"name": "standard", "share": 0.85},
        ],
        "demand": {
            "split": "population",
            "referrals_per_year": referrals_per_year,
            "seasonality": SEASONALITY,
        },
        "pathway": {
            "assessment": {
                "delay_days": {"kind": "lognormal", "mean": 7, "sd": 4},
                "returned_share": 0.05,
                "completion_days": {"kind": "exponential", "mean": 14},
            },
            "decision_share": DECISION_SHARE,
            "treatment_pools": TREATMENT_POOLS,
        },
        "units": [],
        "reductions": REDUCTIONS,
        "behaviour": {
            "travel": {"acceptance": [[0, 1.0], [30, 0.9], [80, 0.6], [150, 0.3], [250, 0.1]]},
            "no_show_share": 0.03,
            "withdrawal_share_per_year": 0.10,
        },
        "run": {
            "start_date": start.isoformat(),
            "horizon_days": 365,
            "warmup_days": 0,
            "seed": 500_000,
            "replications": 1,
            "policies": ["separate", "shared"],
        },
    }


def assumptions(referrals_per_year: float, vgr_sites: int) -> list[str]:
    """The scenario's stated assumptions."""
    return [
        f"{referrals_per_year:,.0f} referrals a year split by population",
        f"Units: the {vgr_sites} VGR sites plus local units at the largest "
        f"municipalities without a site within {NEW_UNIT_MIN_KM:g} km",
        "Each area belongs to the nearest public unit of its hospital group "
        "(Ale to Angered, Öckerö to Frölunda)",
        f"Slot calendars sized to demand × {CAPACITY_MARGIN} over the year after the "
        "summer (50 %) and Christmas (60 %) reductions",
        f"Private providers: {PRIVATE_SHARE:.0%} of regional demand each in first "
        "visits and day surgery, no catchment",
        f"{DECISION_SHARE:.0%} decided for treatment: day surgery at every unit, "
        "central operations at the 14 public hospital sites",
    ]


def first_visit_and_treatment_demand(
    draft: ModelSpec, referrals_per_year: float, n_units: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Referrals a year at each unit of the compiled ``draft``: first visits at the
    patients' home units, and each treatment pool's share of those decided for treatment
    at that pool's home units."""
    per_area = draft.daily_arrivals.sum(axis=0)
    per_year = per_area / per_area.sum() * referrals_per_year
    fv_demand = np.bincount(draft.home_unit, weights=per_year, minlength=n_units)
    homes = home_units(draft)
    tr_demand = [
        np.bincount(
            np.asarray(homes[p + 1]),
            weights=per_year * DECISION_SHARE * pool["share"],
            minlength=n_units,
        )
        for p, pool in enumerate(TREATMENT_POOLS)
    ]
    return fv_demand, tr_demand


class UnitCalendars:
    """The scenario's unit entries: catchment, first-visit and treatment slot calendars."""

    def __init__(
        self, units: list[dict[str, Any]], catchment: dict[str, list[str]], central: set[str]
    ):
        self.units, self.catchment, self.central = units, catchment, central

    def entry(self, u: dict[str, Any], fv: float, ds: float, ce: float) -> dict[str, Any]:
        """Unit ``u`` with these slots a week (central operations at central sites only)."""
        entry: dict[str, Any] = {"unit": u["id"]}
        if self.catchment[u["id"]]:
            entry["catchment"] = self.catchment[u["id"]]
        entry["first_visit"] = {"slots_per_week": round(fv, 1)}
        entry["treatment"] = {"day_surgery": {"slots_per_week": round(ds, 1)}}
        if u["id"] in self.central:
            entry["treatment"]["central"] = {"slots_per_week": round(ce, 1)}
        return entry

    def sized(
        self,
        fv_demand: np.ndarray,
        tr_demand: list[np.ndarray],
        referrals_per_year: float,
        weeks: float,
    ) -> list[dict[str, Any]]:
        """Public units at demand × ``CAPACITY_MARGIN``; private providers at
        ``PRIVATE_SHARE`` of regional demand (``weeks``: effective weeks in the year)."""
        entries = []
        for i, u in enumerate(self.units):
            if u["private"]:
                fv = ds = PRIVATE_SHARE * referrals_per_year
                ds *= DECISION_SHARE * float(TREATMENT_POOLS[0]["share"])
                entries.append(self.entry(u, fv / weeks, ds / weeks, 0.0))
                continue
            entries.append(
                self.entry(
                    u,
                    *(
                        CAPACITY_MARGIN * float(d[i]) / weeks
                        for d in (fv_demand, tr_demand[0], tr_demand[1])
                    ),
                )
            )
        return entries


def write_region_scenario(path: Path = REGION_SCENARIO, **kwargs: Any) -> Path:
    """Build the region-scale scenario and store it as a YAML file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Region-scale simulation benchmark scenario, generated by\n"
        "# benchmarks/simulate.py (build_region_scenario). Regenerate with\n"
        "# `python -m benchmarks.simulate --rebuild-scenario`.\n"
    )
    text = yaml.safe_dump(
        build_region_scenario(**kwargs), allow_unicode=True, sort_keys=False, width=100
    )
    path.write_text(header + text, encoding="utf-8")
    return path
