"""Load scenario and region files, check cross-references, compile to a ModelSpec."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import yaml
from pydantic import BaseModel, ValidationError

from allokering.domain import CapacityPlan, CareGuarantee, Priority, Stage
from allokering.travel import TravelMatrix
from scenarios.schema import (
    RegionSpec,
    Scenario,
    Servers,
    SlotCalendar,
)
from simulering.spec import Backlog, Behaviour, ModelSpec, Pool

M = TypeVar("M", bound=BaseModel)

PACKAGE_DIR = Path(__file__).resolve().parent
REGION_DIR = PACKAGE_DIR / "regioner"
LIBRARY_DIR = PACKAGE_DIR / "library"


class ScenarioError(Exception):
    """A scenario or region file is wrong: names the file, the field path and the problem."""

    def __init__(self, file: str | Path, field: str, problem: str) -> None:
        self.file, self.field, self.problem = str(file), field, problem
        where = f"{self.file}: {field}: " if field else f"{self.file}: "
        super().__init__(where + problem)


def read_yaml(path: Path) -> Any:
    """A YAML file's contents; a missing, unreadable or malformed file is a
    :class:`ScenarioError` naming it (and the line and column of a syntax error)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, "", f"cannot read file ({exc})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError(
            path, "", f"not valid YAML: {at}{getattr(exc, 'problem', exc)}"
        ) from None


def validate_as(model: type[M], data: Any, path: Path) -> M:
    """``data`` (read from ``path``) validated as ``model``; the first wrong field is a
    :class:`ScenarioError` with its dotted path."""
    if not isinstance(data, dict):
        raise ScenarioError(path, "", "expected a mapping of fields at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
        raise ScenarioError(path, field or "(top level)", msg + more) from None


# The names these had before they were public, for modules not yet moved to the public
# ones (api/service/app.py, scenarios/calibrate.py).
_read_yaml = read_yaml
_validate = validate_as


def load_region_file(path: Path) -> RegionSpec:
    """Read and validate a region file (``REGION_DIR / "vgr.yaml"``, or any path)."""
    return validate_as(RegionSpec, read_yaml(path), path)


def resolve_scenario_path(ref: str | Path) -> Path:
    """A path as given, or the name of a scenario in the library."""
    path = Path(ref)
    if path.exists() or path.suffix in (".yaml", ".yml") or "/" in str(ref):
        return path
    return LIBRARY_DIR / f"{ref}.yaml"


def load_scenario(ref: str | Path) -> Scenario:
    """Read and validate a scenario file (or a library scenario by name)."""
    path = resolve_scenario_path(ref)
    scenario = validate_as(Scenario, read_yaml(path), path)
    check_references(scenario, load_region(scenario, path), path)
    return scenario


def load_region(scenario: Scenario, scenario_path: Path) -> RegionSpec:
    """The scenario's region: inline, a region file name, or a path beside the scenario."""
    if isinstance(scenario.region, RegionSpec):
        return scenario.region
    ref = scenario.region
    candidates = [REGION_DIR / f"{ref}.yaml", scenario_path.parent / ref, Path(ref)]
    for candidate in candidates:
        if candidate.is_file():
            return load_region_file(candidate)
    raise ScenarioError(scenario_path, "region", f"no region file {ref!r} in {REGION_DIR}")


def list_library() -> list[Path]:
    """The library scenarios."""
    return sorted(LIBRARY_DIR.glob("*.yaml"))


def check_references(s: Scenario, region: RegionSpec, path: Path) -> None:
    """Every id a scenario names must exist in its region."""
    areas = {a.id for a in region.areas}
    units = {u.id for u in region.units}
    used = {u.unit for u in s.units}
    pools = {"first_visit"} | {p.name for p in s.pathway.treatment_pools}

    def need(ok: bool, field: str, problem: str) -> None:
        if not ok:
            raise ScenarioError(path, field, problem)

    for i, u in enumerate(s.units):
        need(u.unit in units, f"units.{i}.unit", f"unknown unit {u.unit!r} in region {region.id}")
        for j, a in enumerate(u.catchment or []):
            need(a in areas, f"units.{i}.catchment.{j}", f"unknown area {a!r}")
    for i, b in enumerate(s.backlog):
        need(b.unit in used, f"backlog.{i}.unit", f"unit {b.unit!r} is not in this scenario")
    for i, st in enumerate(s.demand.steps):
        for j, a in enumerate(st.areas or []):
            need(a in areas, f"demand.steps.{i}.areas.{j}", f"unknown area {a!r}")
    for rate_area in s.demand.rates_per_1000:
        need(
            rate_area in areas,
            f"demand.rates_per_1000.{rate_area}",
            f"unknown area {rate_area!r}",
        )
    for i, r in enumerate(s.reductions):
        for j, uid in enumerate(r.units or []):
            need(uid in used, f"reductions.{i}.units.{j}", f"unit {uid!r} is not in this scenario")
        for j, p in enumerate(r.pools or []):
            need(p in pools, f"reductions.{i}.pools.{j}", f"unknown pool {p!r}")
    prices = s.cross_region.price_per_referral_sek or s.cross_region.price_per_first_visit_sek
    need(
        not prices or any(a.region for a in region.areas),
        "cross_region",
        f"prices given, but the areas of region {region.id} have no administrative 'region'",
    )
    fv = [u for u in s.units if u.first_visit is not None]
    need(bool(fv), "units", "no unit has first_visit capacity")
    for name in pools - {"first_visit"}:
        if s.pathway.decision_share > 0:
            need(
                any(name in u.treatment for u in s.units),
                "units",
                f"no unit has capacity for treatment pool {name!r}",
            )


# --- compilation -----------------------------------------------------------------------
def _dates(start: dt.date, days: int) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(days)]


def _in_period(day: dt.date, start: str, end: str) -> bool:
    md = f"{day.month:02d}-{day.day:02d}"
    return start <= md <= end if start <= end else (md >= start or md <= end)


@dataclass(frozen=True)
class Overrides:
    """Run settings given on the command line, which win over the file."""

    horizon_days: int | None = None
    warmup_days: int | None = None


def compile_scenario(
    s: Scenario, region: RegionSpec, overrides: Overrides | None = None
) -> ModelSpec:
    """Turn a validated scenario into the model's plain-number specification."""
    ov = overrides or Overrides()
    horizon = ov.horizon_days or s.run.horizon_days
    warmup = ov.warmup_days if ov.warmup_days is not None else s.run.warmup_days
    warmup = min(warmup, max(0, horizon - 1)) if ov.horizon_days else warmup
    days = _dates(s.run.start_date, horizon)
    months = np.array([d.month for d in days])
    weekdays = np.array([d.weekday() for d in days])
    region_units = {u.id: u for u in region.units}
    units = [region_units[u.unit] for u in s.units]
    areas = region.areas
    tm = TravelMatrix.build(
        [(a.id, a.lat, a.lon) for a in areas],
        [(u.id, u.lat, u.lon) for u in units],
        region.travel_km,
        region.road_factor,
    )
    km = np.asarray(tm.km)

    # catchment: explicit lists win; else the nearest scenario unit of the area's group
    group_of_area = {a: g.id for g in region.hospital_groups for a in g.catchment}
    home = np.empty(len(areas), dtype=np.int64)
    explicit = {a: i for i, u in enumerate(s.units) for a in (u.catchment or [])}
    for ai, a in enumerate(areas):
        if a.id in explicit:
            home[ai] = explicit[a.id]
            continue
        group = group_of_area.get(a.id)
        same = [i for i, u in enumerate(units) if u.hospital_group == group and not u.private]
        cands = same or [i for i, u in enumerate(units) if not u.private] or list(range(len(units)))
        home[ai] = min(cands, key=lambda i: km[ai, i])

    # demand
    d = s.demand
    pops = np.array([a.population for a in areas], dtype=float)
    if d.split == "population":
        per_year = (d.referrals_per_year or 0.0) * pops / pops.sum()
    else:
        rates = np.array([d.rates_per_1000.get(a.id, d.default_rate_per_1000) for a in areas])
        per_year = rates * pops / 1000.0
    season = np.array(d.seasonality) / np.mean(d.seasonality)
    t_years = np.arange(horizon) / 365.25
    factor = season[months - 1] * (1.0 + d.trend_per_year) ** t_years
    daily = np.outer(factor, per_year / 365.25)
    area_index = {a.id: i for i, a in enumerate(areas)}
    for st in d.steps:
        on = np.array([day >= st.from_date for day in days])
        cols = [area_index[a] for a in st.areas] if st.areas else list(range(len(areas)))
        daily[np.ix_(on, np.array(cols, dtype=np.int64))] *= st.factor

    # capacity pools
    pool_names = ["first_visit"] + [p.name for p in s.pathway.treatment_pools]
    pools: list[Pool] = []
    for pi, pname in enumerate(pool_names):
        caps = [u.first_visit if pi == 0 else u.treatment.get(pname) for u in s.units]
        present = [c for c in caps if c is not None]
        stage = Stage.FIRST_VISIT if pi == 0 else Stage.TREATMENT
        if present and isinstance(present[0], Servers):
            servers = np.array([c.servers if isinstance(c, Servers) else 0 for c in caps])
            service = present[0].service_days
            if any(
                isinstance(c, Servers) and c.service_days != present[0].service_days for c in caps
            ):
                raise ScenarioError(
                    s.name, f"units.*.{pname}", "all server units of a pool need one service time"
                )
            pools.append(Pool(pname, stage, "servers", servers=servers, service=service))
            continue
        slots = np.zeros((horizon, len(units)), dtype=np.int64)
        for ui, cap in enumerate(caps):
            if cap is None:
                continue
            factors = np.ones(horizon)
            for r in s.reductions:
                if (r.units is None or s.units[ui].unit in r.units) and (
                    r.pools is None or pname in r.pools
                ):
                    on = np.array([_in_period(day, r.start, r.end) for day in days])
                    factors[on] *= r.factor
            assert isinstance(cap, SlotCalendar)
            plan = CapacityPlan.from_calendar(
                s.units[ui].unit,
                pname,
                cap.slots_per_week,
                frozenset(cap.weekdays),
                weekdays.tolist(),
                factors.tolist(),
            )
            slots[:, ui] = plan.slots_per_day
        slots.setflags(write=False)
        pools.append(Pool(pname, stage, "slots", slots=slots))

    # behaviour
    b = s.behaviour
    if b.travel.limit_km is not None:
        lim = b.travel.limit_km
        accept_km, accept_prob = np.array([lim, lim + 1e-6]), np.array([1.0, 0.0])
    else:
        pts = np.array(b.travel.acceptance, dtype=float)
        accept_km, accept_prob = pts[:, 0], pts[:, 1]
    rate = -math.log(1.0 - b.withdrawal_share_per_year) / 365.0
    behaviour = Behaviour(
        accept_km=accept_km,
        accept_prob=accept_prob,
        no_show_share=b.no_show_share,
        no_show_restarts_clock=b.no_show_restarts_clock,
        withdrawal_rate_per_day=rate,
    )

    # backlog: deterministic ages spread evenly over each band (no random numbers needed)
    unit_index = {u.unit: i for i, u in enumerate(s.units)}
    bl_home: list[int] = []
    bl_stage: list[int] = []
    bl_age: list[float] = []
    for entry in s.backlog:
        counts = _largest_remainder([band.share for band in entry.age_profile], entry.count)
        for band, c in zip(entry.age_profile, counts, strict=True):
            ages = band.from_days + (np.arange(c) + 0.5) / max(c, 1) * (
                band.to_days - band.from_days
            )
            bl_age.extend(ages.tolist())
            bl_home.extend([unit_index[entry.unit]] * c)
            bl_stage.extend([0 if entry.stage is Stage.FIRST_VISIT else 1] * c)
    backlog = Backlog(
        home_unit=np.array(bl_home, dtype=np.int64),
        stage=np.array(bl_stage, dtype=np.int64),
        age_days=np.array(bl_age, dtype=float),
    )

    month_ends = np.array(
        [i for i, day in enumerate(days) if day.day == calendar.monthrange(day.year, day.month)[1]],
        dtype=np.int64,
    )
    subregions = tuple(dict.fromkeys(a.subregion for a in areas))
    guarantee = CareGuarantee(s.guarantee.first_visit_days, s.guarantee.treatment_days)
    priorities = [
        Priority(p.name, p.share, p.first_visit_days, p.treatment_days) for p in s.priorities
    ]
    limits = np.array(
        [[p.limit(Stage.FIRST_VISIT), p.limit(Stage.TREATMENT)] for p in priorities],
        dtype=np.int64,
    )
    tp_share = np.array([p.share for p in s.pathway.treatment_pools], dtype=float)
    return ModelSpec(
        name=s.name,
        area_ids=tuple(a.id for a in areas),
        area_subregion=tuple(a.subregion for a in areas),
        subregions=subregions,
        unit_ids=tuple(u.id for u in units),
        unit_names=tuple(u.name for u in units),
        unit_group=tuple(u.hospital_group for u in units),
        area_region=tuple(a.region for a in areas),
        unit_region=tuple(u.region for u in units),
        cross_region_price_sek=(
            s.cross_region.price_per_first_visit_sek,
            s.cross_region.price_per_referral_sek,
        ),
        km=km,
        home_unit=home,
        daily_arrivals=daily,
        priority_names=tuple(p.name for p in s.priorities),
        priority_share=np.array([p.share for p in s.priorities], dtype=float),
        priority_limit=limits,
        assessment=s.pathway.assessment.delay_days,
        returned_share=s.pathway.assessment.returned_share,
        completion=s.pathway.assessment.completion_days,
        decision_share=s.pathway.decision_share,
        pools=tuple(pools),
        treatment_pool_share=tp_share / tp_share.sum() if tp_share.sum() else tp_share,
        behaviour=behaviour,
        backlog=backlog,
        horizon_days=horizon,
        warmup_days=warmup,
        month_ends=month_ends,
        guarantee_days=(
            guarantee.limit(Stage.FIRST_VISIT),
            guarantee.limit(Stage.TREATMENT),
        ),
        offer_scan_limit=s.offer_scan_limit,
        priority_rule=s.priority_rule,
        offers=s.offers,
        policy_options=s.policy_options,
    )


def _largest_remainder(shares: list[float], total: int) -> list[int]:
    raw = np.array(shares) * total
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts))[: total - counts.sum()]:
        counts[i] += 1
    return [int(c) for c in counts]


def load_spec(ref: str | Path, overrides: Overrides | None = None) -> tuple[Scenario, ModelSpec]:
    """Load, check and compile a scenario in one step."""
    path = resolve_scenario_path(ref)
    scenario = validate_as(Scenario, read_yaml(path), path)
    region = load_region(scenario, path)
    check_references(scenario, region, path)
    return scenario, compile_scenario(scenario, region, overrides)
