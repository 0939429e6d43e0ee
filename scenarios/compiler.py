"""Compile a validated scenario and its region to the model's plain-number
specification (:class:`~simulering.spec.ModelSpec`), one named step per section: the
run's days, the geography and catchments, demand, capacity pools, behaviour, backlog
and the guarantee with its priority groups."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from allokering.domain import CapacityPlan, CareGuarantee, Priority, Stage
from allokering.travel import TravelMatrix
from scenarios.errors import ScenarioError
from scenarios.schema import AreaSpec, RegionSpec, Scenario, Servers, SlotCalendar, UnitSpec
from simulering.spec import (
    Backlog,
    Behaviour,
    FloatArray,
    IntArray,
    ModelSpec,
    Pool,
    WaitingList,
)


@dataclass(frozen=True)
class Overrides:
    """Run settings given on the command line, which win over the file."""

    horizon_days: int | None = None
    warmup_days: int | None = None


def compile_scenario(
    s: Scenario, region: RegionSpec, overrides: Overrides | None = None
) -> ModelSpec:
    """Turn a validated scenario into the model's plain-number specification."""
    horizon, warmup = _run_length(s, overrides or Overrides())
    days = [s.run.start_date + dt.timedelta(days=i) for i in range(horizon)]
    region_units = {u.id: u for u in region.units}
    units = [region_units[u.unit] for u in s.units]
    areas = region.areas
    km = _distances(region, units)
    tp_share = np.array([p.share for p in s.pathway.treatment_pools], dtype=float)
    return ModelSpec(
        name=s.name,
        area_ids=tuple(a.id for a in areas),
        area_subregion=tuple(a.subregion for a in areas),
        subregions=tuple(dict.fromkeys(a.subregion for a in areas)),
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
        home_unit=_home_units(s, region, units, km),
        daily_arrivals=_daily_arrivals(s, areas, days),
        priority_names=tuple(p.name for p in s.priorities),
        priority_share=np.array([p.share for p in s.priorities], dtype=float),
        priority_limit=_priority_limits(s),
        assessment=s.pathway.assessment.delay_days,
        returned_share=s.pathway.assessment.returned_share,
        completion=s.pathway.assessment.completion_days,
        decision_share=s.pathway.decision_share,
        pools=_pools(s, days),
        treatment_pool_share=tp_share / tp_share.sum() if tp_share.sum() else tp_share,
        behaviour=_behaviour(s),
        backlog=_backlog(s),
        horizon_days=horizon,
        warmup_days=warmup,
        month_ends=_month_ends(days),
        guarantee_days=_guarantee_days(s),
        offer_scan_limit=s.offer_scan_limit,
        priority_rule=s.priority_rule,
        offers=s.offers,
        policy_options=s.policy_options,
        waiting_list=_waiting_list(s, region),
        arrival_stage=0 if s.demand.stage is Stage.FIRST_VISIT else 1,
    )


def _run_length(s: Scenario, ov: Overrides) -> tuple[int, int]:
    """Horizon and warm-up days: the overrides win; a shorter horizon given on the
    command line shortens the warm-up with it."""
    horizon = ov.horizon_days or s.run.horizon_days
    warmup = ov.warmup_days if ov.warmup_days is not None else s.run.warmup_days
    warmup = min(warmup, max(0, horizon - 1)) if ov.horizon_days else warmup
    return horizon, warmup


def _distances(region: RegionSpec, units: list[UnitSpec]) -> FloatArray:
    """Road km from every area to every scenario unit (given, else estimated)."""
    tm = TravelMatrix.build(
        [(a.id, a.lat, a.lon) for a in region.areas],
        [(u.id, u.lat, u.lon) for u in units],
        region.travel_km,
        region.road_factor,
    )
    return np.asarray(tm.km)


def _home_units(s: Scenario, region: RegionSpec, units: list[UnitSpec], km: FloatArray) -> IntArray:
    """Each area's home unit: explicit catchment lists win; else the nearest public
    scenario unit of the area's hospital group (else of any group, else any unit)."""
    group_of_area = {a: g.id for g in region.hospital_groups for a in g.catchment}
    home = np.empty(len(region.areas), dtype=np.int64)
    explicit = {a: i for i, u in enumerate(s.units) for a in (u.catchment or [])}
    for ai, a in enumerate(region.areas):
        if a.id in explicit:
            home[ai] = explicit[a.id]
            continue
        group = group_of_area.get(a.id)
        same = [i for i, u in enumerate(units) if u.hospital_group == group and not u.private]
        cands = same or [i for i, u in enumerate(units) if not u.private] or list(range(len(units)))
        home[ai] = min(cands, key=lambda i: km[ai, i])
    return home


def _daily_arrivals(s: Scenario, areas: list[AreaSpec], days: list[dt.date]) -> FloatArray:
    """Expected referrals per day and area: the yearly volume split over areas, times
    seasonality, trend and step changes."""
    d = s.demand
    pops = np.array([a.population for a in areas], dtype=float)
    if d.split == "population":
        per_year = (d.referrals_per_year or 0.0) * pops / pops.sum()
    elif d.split == "counts":
        weekly = d.referrals_per_week or {}
        per_year = np.array([weekly.get(a.id, 0.0) for a in areas]) * 365.25 / 7.0
    else:
        rates = np.array([d.rates_per_1000.get(a.id, d.default_rate_per_1000) for a in areas])
        per_year = rates * pops / 1000.0
    months = np.array([day.month for day in days])
    season = np.array(d.seasonality) / np.mean(d.seasonality)
    t_years = np.arange(len(days)) / 365.25
    factor = season[months - 1] * (1.0 + d.trend_per_year) ** t_years
    daily = np.outer(factor, per_year / 365.25)
    area_index = {a.id: i for i, a in enumerate(areas)}
    for st in d.steps:
        on = np.array([day >= st.from_date for day in days])
        cols = [area_index[a] for a in st.areas] if st.areas else list(range(len(areas)))
        daily[np.ix_(on, np.array(cols, dtype=np.int64))] *= st.factor
    return daily


def _pools(s: Scenario, days: list[dt.date]) -> tuple[Pool, ...]:
    """The first-visit pool and one pool per treatment pool of the pathway: server pools,
    or slot calendars per day and unit."""
    pool_names = ["first_visit"] + [p.name for p in s.pathway.treatment_pools]
    pools: list[Pool] = []
    for pi, pname in enumerate(pool_names):
        caps = [u.first_visit if pi == 0 else u.treatment.get(pname) for u in s.units]
        present = [c for c in caps if c is not None]
        stage = Stage.FIRST_VISIT if pi == 0 else Stage.TREATMENT
        if present and isinstance(present[0], Servers):
            pools.append(_server_pool(s, pname, stage, caps, present[0]))
        else:
            pools.append(_slot_pool(s, pname, stage, caps, days))
    return tuple(pools)


def _server_pool(
    s: Scenario,
    pname: str,
    stage: Stage,
    caps: list[SlotCalendar | Servers | None],
    first: Servers,
) -> Pool:
    """A pool of parallel servers per unit, with the one service time they share."""
    servers = np.array([c.servers if isinstance(c, Servers) else 0 for c in caps])
    service = first.service_days
    if any(isinstance(c, Servers) and c.service_days != first.service_days for c in caps):
        raise ScenarioError(
            s.name, f"units.*.{pname}", "all server units of a pool need one service time"
        )
    return Pool(pname, stage, "servers", servers=servers, service=service)


def _slot_pool(
    s: Scenario,
    pname: str,
    stage: Stage,
    caps: list[SlotCalendar | Servers | None],
    days: list[dt.date],
) -> Pool:
    """Slots per day and unit from each unit's calendar, reduced in its reduction
    periods and replaced where a dated capacity change covers a day (fractional slots
    carried over as :class:`~allokering.domain.CapacityPlan` does)."""
    horizon = len(days)
    weekdays = [d.weekday() for d in days]
    slots = np.zeros((horizon, len(caps)), dtype=np.int64)
    for ui, cap in enumerate(caps):
        uid = s.units[ui].unit
        changes = [c for c in s.capacity_changes if c.unit == uid and c.pool == pname]
        if cap is None and not changes:
            continue
        factors = np.ones(horizon)
        for r in s.reductions:
            if (r.units is None or uid in r.units) and (r.pools is None or pname in r.pools):
                on = np.array([_in_period(day, r.start, r.end) for day in days])
                factors[on] *= r.factor
        calendar = cap if isinstance(cap, SlotCalendar) else SlotCalendar(slots_per_week=0)
        if changes:  # per day: the week's slots (the change's, else the base reduced)
            weekly = factors * calendar.slots_per_week
            for c in changes:
                on = np.array([c.from_date <= day <= (c.to_date or day) for day in days])
                weekly[on] = c.slots_per_week
            per_week, factors = 1.0, weekly
        else:
            per_week = calendar.slots_per_week
        plan = CapacityPlan.from_calendar(
            uid, pname, per_week, frozenset(calendar.weekdays), weekdays, factors.tolist()
        )
        slots[:, ui] = plan.slots_per_day
    slots.setflags(write=False)
    return Pool(pname, stage, "slots", slots=slots)


def _in_period(day: dt.date, start: str, end: str) -> bool:
    """Is ``day`` within the yearly period ``start``–``end`` (MM-DD, may wrap the year)."""
    md = f"{day.month:02d}-{day.day:02d}"
    return start <= md <= end if start <= end else (md >= start or md <= end)


def _behaviour(s: Scenario) -> Behaviour:
    """Travel acceptance as a curve, no-shows, and withdrawal as a daily rate."""
    b = s.behaviour
    if b.travel.limit_km is not None:
        lim = b.travel.limit_km
        accept_km, accept_prob = np.array([lim, lim + 1e-6]), np.array([1.0, 0.0])
    else:
        pts = np.array(b.travel.acceptance, dtype=float)
        accept_km, accept_prob = pts[:, 0], pts[:, 1]
    rate = -math.log(1.0 - b.withdrawal_share_per_year) / 365.0
    return Behaviour(
        accept_km=accept_km,
        accept_prob=accept_prob,
        no_show_share=b.no_show_share,
        no_show_restarts_clock=b.no_show_restarts_clock,
        withdrawal_rate_per_day=rate,
    )


def _backlog(s: Scenario) -> Backlog:
    """The patients waiting at the start: deterministic ages spread evenly over each
    band of the age profile (no random numbers needed)."""
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
    return Backlog(
        home_unit=np.array(bl_home, dtype=np.int64),
        stage=np.array(bl_stage, dtype=np.int64),
        age_days=np.array(bl_age, dtype=float),
    )


def _waiting_list(s: Scenario, region: RegionSpec) -> WaitingList | None:
    """The actual list as day offsets from the start date: clocks moved later by the
    PVV/MOV days SKR does not count (passed and still to come), the day each may be
    served from, and the Monday of each booking."""
    if s.waiting_list is None:
        return None
    start = s.run.start_date
    area_index = {a.id: i for i, a in enumerate(region.areas)}
    unit_index = {u.unit: i for i, u in enumerate(s.units)}
    priority_index = {p.name: i for i, p in enumerate(s.priorities)}
    rows = s.waiting_list
    until = [r.excluded_until() for r in rows]
    ahead = np.array([max(0, (u - start).days) if u else 0 for u in until], dtype=float)
    clock = np.array([(r.clock_start - start).days + r.excluded_days for r in rows], dtype=float)
    booked = [r.booked_week for r in rows]
    return WaitingList(
        ids=tuple(r.id for r in rows),
        unit=np.array([unit_index[r.unit] for r in rows], dtype=np.int64),
        area=np.array([area_index[r.area] for r in rows], dtype=np.int64),
        priority=np.array([priority_index[r.priority] for r in rows], dtype=np.int64),
        stage=np.array([0 if r.stage is Stage.FIRST_VISIT else 1 for r in rows], dtype=np.int64),
        clock=clock + ahead,
        ready=ahead,
        excluded_until=np.array([(u - start).days if u else 0 for u in until], dtype=float),
        booked_monday=np.array([(b - start).days if b else 0 for b in booked], dtype=np.int64),
        booked=np.array([b is not None for b in booked], dtype=bool),
    )


def _largest_remainder(shares: list[float], total: int) -> list[int]:
    """``total`` split by ``shares`` in whole numbers (largest remainder)."""
    raw = np.array(shares) * total
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts))[: total - counts.sum()]:
        counts[i] += 1
    return [int(c) for c in counts]


def _month_ends(days: list[dt.date]) -> IntArray:
    """The run's days (from 0) that are the last of their month."""
    return np.array(
        [i for i, day in enumerate(days) if day.day == calendar.monthrange(day.year, day.month)[1]],
        dtype=np.int64,
    )


def _priority_limits(s: Scenario) -> IntArray:
    """Each priority group's limit per stage, days (groups × stages)."""
    priorities = [
        Priority(p.name, p.share, p.first_visit_days, p.treatment_days) for p in s.priorities
    ]
    return np.array(
        [[p.limit(Stage.FIRST_VISIT), p.limit(Stage.TREATMENT)] for p in priorities],
        dtype=np.int64,
    )


def _guarantee_days(s: Scenario) -> tuple[int, int]:
    """The care guarantee per stage, days."""
    guarantee = CareGuarantee(s.guarantee.first_visit_days, s.guarantee.treatment_days)
    return guarantee.limit(Stage.FIRST_VISIT), guarantee.limit(Stage.TREATMENT)
