"""Care-guarantee KPIs, each computed once, here, by its official definition.

Each KPI is declared once in :mod:`simulering.catalogue` (name, number kind, range,
direction, labels, definition); this module computes them.

Definitions (SKR, "Väntetider i vården"; DESIGN.md):

- ``share_waiting_within_guarantee`` (*andel väntande inom 90 dagar*): at each month
  end in the collection period, of the patients still waiting, the share who have
  waited ≤ 90 calendar days; patient-chosen waiting (PVV) excluded. The KPI is the mean
  of the monthly shares.
- ``share_completed_within_guarantee`` (*andel genomförda inom 90 dagar*): of the
  visits/treatments carried out in the collection period, the share within 90 calendar
  days, PVV excluded.
- ``mean_wait_days``, ``median_wait_days``, ``p90_wait_days``: waiting time (days,
  continuous) of everyone served in the collection period, PVV included — what
  patients actually experienced.
- ``band_*``: SKR wait bands of the patients waiting at month ends (PVV excluded),
  pooled over the month ends: 0–30, 31–60, 61–90, 91–120, 121–180, 181–365, 366+ days.
- ``equity_gap``: max − min across sub-regions of ``share_waiting_within_guarantee``.
- ``mean_travel_km``, ``share_outside_home_unit``: of those served in the period.
- ``share_other_region``: of those served in the period, the share served at a unit of
  another administrative region (county council) than that of their home area
  (*utomlänsvård*); 0 when the areas have no administrative region (a one-region file).
- ``cross_region_cost_sek``: the number of those patients × the scenario's price per
  referral for the stage (``cross_region``), over the measured period (after warm-up),
  per replication. By unit it is what the unit bills other regions, by area and
  sub-region what the home region pays.
- ``utilisation``: capacity used / capacity offered in the period (slots, or server
  time); a no-show wastes its slot.
- counts in the period: ``arrived`` (clock started), ``completed``, ``withdrawn``,
  ``patient_chosen_waits`` (PVV began), ``no_shows``; ``share_patient_chosen``: of the
  referrals that arrived in the period, the share whose PVV began before the horizon.
- ``waiting_at_month_end`` (*antal väntande*): the number waiting at the month ends in
  the collection period (PVV excluded), the mean over the month ends.
- ``waiting_at_horizon``: referrals still waiting (not served, not withdrawn, PVV
  included) at the end of the last day — not served within the horizon.
- ``share_waiting_within_guarantee_incl_pvv``, ``share_completed_within_guarantee_incl_pvv``:
  the two official shares with PVV *included* (everyone counted), shown beside them.
- ``by_priority`` (``kpis[stage]["by_priority"][group]``): every KPI above for one
  priority group, with the shares measured against the group's *own* limit (a P1
  group with 30 days: waiting/completed within 30 days); utilisation is not split.

A no-show that restarts the clock (``no_show_restarts_clock``) counts the wait from the
restart from then on; before it the patient is waiting on their first clock, so the
month ends before the restart still count them (and ``arrived`` counts them once).

Monthly series (``series[stage]``, every month end of the run, warm-up included):
``queue_length`` and ``share_waiting_within_guarantee`` per unit, and ``region`` with
both for the whole region keyed by month-end day, one scalar per replication, so that
the replication summary gives each month a mean and a 95 % CI (the report's bands).

Waiting patients are attributed to their home (catchment) unit, served ones to the
unit that served them. The guarantee clock of the first visit starts when the referral
is received and keeps running through assessment and return for completion; that of
treatment starts at the decision to treat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from allokering.domain import Stage
from simulering import catalogue
from simulering.model import Records, home_units
from simulering.patients import Patients
from simulering.results import PolicyResult, StageKpis, StageSeries
from simulering.spec import FloatArray, IntArray, ModelSpec

STAGES = (Stage.FIRST_VISIT, Stage.TREATMENT)
BANDS = catalogue.BANDS
BAND_NAMES = catalogue.BAND_NAMES
KPI_NAMES: tuple[str, ...] = tuple(catalogue.CATALOGUE)
"""Every KPI, in report order (:data:`simulering.catalogue.KPIS`)."""

KPI_RANGE: dict[str, catalogue.RangeKind] = {k.name: k.range for k in catalogue.KPIS}
"""The range of each KPI: ``share`` in [0, 1], ``non_negative`` ≥ 0, ``real`` anything
(declared in :mod:`simulering.catalogue`). Confidence intervals across replications are
kept inside it (:mod:`simulering.paired`)."""

Kpis = dict[str, float]


@dataclass(frozen=True)
class StageView:
    """One stage's columns with the period masks derived once."""

    start: FloatArray
    """The clock start that counts at the end (the restart after a no-show, if any)."""
    first_start: FloatArray
    """The first clock start (entering the stage)."""
    restart: FloatArray
    """The last clock restart (NaN: none)."""
    served: FloatArray
    end: FloatArray
    patient_chosen: FloatArray
    unit: IntArray
    home: IntArray
    area: IntArray
    subregion: IntArray
    completed: npt.NDArray[np.bool_]
    other_region: npt.NDArray[np.bool_]
    """Served at a unit of another administrative region than the home area's."""
    wait: FloatArray
    calendar_wait: FloatArray
    snapshots: dict[tuple[int, bool], tuple[IntArray, FloatArray]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Cache of :func:`_waiting_rows` by (day, PVV included): every breakdown reuses the
    same snapshot."""


def _view(spec: ModelSpec, pts: Patients, rec: Records, s: int) -> StageView:
    first_start, restart = rec.clock_start[s], rec.clock_restart[s]
    start = np.where(np.isnan(restart), first_start, restart)
    served, patient_chosen = rec.served[s], rec.patient_chosen[s]
    served_or_inf = np.where(np.isnan(served), np.inf, served)
    end = np.minimum(served_or_inf, rec.withdraw[s])
    lo, hi = spec.warmup_days, spec.horizon_days
    completed = (served >= lo) & (served < hi)
    if s == 0:
        home = rec.home_unit
    else:
        table = np.array(home_units(spec), dtype=np.int64)
        home = table[rec.pool, pts.area] if table.shape[0] > 1 else rec.home_unit
    sub_index = np.array(
        [spec.subregions.index(spec.area_subregion[a]) for a in range(spec.n_areas)]
    )
    unit = rec.unit[s]
    return StageView(
        start=start,
        first_start=first_start,
        restart=restart,
        served=served,
        end=end,
        patient_chosen=patient_chosen,
        unit=unit,
        home=home,
        area=pts.area,
        subregion=sub_index[pts.area],
        completed=completed,
        other_region=other_region(spec, pts.area, unit),
        wait=served - start,
        calendar_wait=np.floor(served) - np.floor(start),
    )


def other_region(spec: ModelSpec, area: IntArray, unit: IntArray) -> npt.NDArray[np.bool_]:
    """Which patients were served (``unit`` ≥ 0) at a unit of another administrative
    region than their home ``area``'s. Areas or units without a region never count."""
    if not any(spec.area_region) or not any(spec.unit_region):
        return np.zeros(area.shape[0], dtype=bool)
    names = sorted(set(spec.area_region) | set(spec.unit_region))
    code = {r: i for i, r in enumerate(names)}
    none = code.get("", -1)
    area_code = np.array([code[r] for r in spec.area_region], dtype=np.int64)[area]
    # index -1 (not served) picks the appended "no region" code
    unit_code = np.array([code[r] for r in spec.unit_region] + [none], dtype=np.int64)[unit]
    other: npt.NDArray[np.bool_] = (
        (unit >= 0) & (area_code != none) & (unit_code != none) & (area_code != unit_code)
    )
    return other


def _snapshots(spec: ModelSpec) -> list[int]:
    """Month-end days inside the collection period."""
    return [int(d) for d in spec.month_ends if spec.warmup_days <= d < spec.horizon_days]


def waiting_at(
    v: StageView, day: int, include_patient_chosen: bool = False
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Who is waiting at the end of ``day`` (PVV excluded unless ``include_patient_chosen``) and
    their calendar waits, counted from the clock start valid on that day (the first one
    until a no-show restarted it)."""
    t = day + 1.0
    waiting = (v.first_start < t) & (v.end >= t)
    if not include_patient_chosen:
        waiting &= ~(v.patient_chosen < t)
    start = np.where(v.restart < t, v.restart, v.first_start)
    return waiting, day - np.floor(start)


def _waiting_rows(
    v: StageView, day: int, include_patient_chosen: bool = False
) -> tuple[IntArray, FloatArray]:
    """:func:`waiting_at` as row indices and their calendar waits, computed once per day."""
    key = (day, include_patient_chosen)
    hit = v.snapshots.get(key)
    if hit is None:
        waiting, w = waiting_at(v, day, include_patient_chosen)
        rows = np.flatnonzero(waiting)
        hit = v.snapshots[key] = (rows, w[rows])
    return hit


def _monthly_series(
    v: StageView, days: list[int], groups: IntArray, n: int, limit: int
) -> FloatArray:
    """Monthly series per group: ``[0]`` share waiting within ``limit`` and ``[1]``
    queue length (months × groups)."""
    shares = np.full((len(days), n), np.nan)
    lengths = np.zeros((len(days), n))
    for i, day in enumerate(days):
        rows, w = _waiting_rows(v, day)
        grp = groups[rows]
        count = np.bincount(grp, minlength=n).astype(float)
        within = np.bincount(grp[w <= limit], minlength=n)
        lengths[i] = count
        with np.errstate(invalid="ignore", divide="ignore"):
            shares[i] = np.where(count > 0, within / np.maximum(count, 1), np.nan)
    return np.stack([shares, lengths])


def _stage_series(spec: ModelSpec, v: StageView, days: list[int], s: int) -> StageSeries[float]:
    """The monthly series of one stage: per home unit, and for the whole region keyed by
    month-end day — each month a scalar per replication, so the replication summary
    gives every month its own mean and 95 % CI, which the report draws as bands."""
    limit = spec.guarantee_days[s]
    units = _monthly_series(v, days, v.home, spec.n_units, limit)
    zeros = np.zeros(v.start.shape[0], dtype=np.int64)
    region = _monthly_series(v, days, zeros, 1, limit)
    return StageSeries(
        unit_share_waiting={
            uid: tuple(units[0][:, u].tolist()) for u, uid in enumerate(spec.unit_ids)
        },
        unit_queue_length={
            uid: tuple(units[1][:, u].tolist()) for u, uid in enumerate(spec.unit_ids)
        },
        region_share_waiting={d: float(x) for d, x in zip(days, region[0][:, 0], strict=True)},
        region_queue_length={d: float(x) for d, x in zip(days, region[1][:, 0], strict=True)},
    )


def _group_kpis(
    spec: ModelSpec,
    v: StageView,
    rec: Records,
    s: int,
    wait_group: IntArray,
    done_group: IntArray,
    n: int,
    unit_columns: list[list[int]] | None,
    limits: IntArray | None = None,
) -> list[Kpis]:
    """All KPIs of one stage for ``n`` groups at once (bincount, one pass per month end).

    ``wait_group`` places waiting patients and arrivals, ``done_group`` served ones;
    ``unit_columns[g]`` lists the units whose capacity counts for group ``g``;
    ``limits[g]`` is the limit the shares of group ``g`` are measured against (default
    the stage's guarantee, as SKR measures; a priority group's own limit by priority).
    """
    limit = np.full(n, spec.guarantee_days[s]) if limits is None else limits
    days = _snapshots(spec)
    nb = len(BANDS)
    edges = np.array([lo for lo, _ in BANDS[1:]], dtype=float)

    def month_end_share(include_patient_chosen: bool) -> FloatArray:
        monthly = np.full((len(days), n), np.nan)
        for i, day in enumerate(days):
            rows, ww = _waiting_rows(v, day, include_patient_chosen)
            grp = wait_group[rows]
            count = np.bincount(grp, minlength=n)
            within = np.bincount(grp[ww <= limit[grp]], minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                monthly[i] = np.where(count > 0, within / np.maximum(count, 1), np.nan)
        share = np.full(n, np.nan)
        has = ~np.all(np.isnan(monthly), axis=0) if days else np.zeros(n, dtype=bool)
        if has.any():
            share[has] = np.nanmean(monthly[:, has], axis=0)
        return share

    bands = np.zeros((n, nb))
    for day in days:
        rows, ww = _waiting_rows(v, day)
        grp = wait_group[rows]
        band = np.searchsorted(edges, ww, side="right")
        bands += np.bincount(grp * nb + band, minlength=n * nb).reshape(n, nb)
    share_waiting = month_end_share(include_patient_chosen=False)
    share_waiting_all = month_end_share(include_patient_chosen=True)

    done = v.completed
    dg = done_group[done]
    waits = v.wait[done]
    not_patient_chosen = ~(v.patient_chosen[done] <= v.served[done])
    on_time = v.calendar_wait[done] <= limit[dg]
    km = spec.km[v.area[done], v.unit[done]]
    outside = v.unit[done] != v.home[done]
    n_done = np.bincount(dg, minlength=n).astype(float)
    n_other = np.bincount(dg, weights=v.other_region[done], minlength=n)
    price = spec.cross_region_price_sek[s]
    n_np = np.bincount(dg[not_patient_chosen], minlength=n).astype(float)

    def ratio(num: npt.NDArray[Any], den: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / np.maximum(den, 1), np.nan)

    share_completed = ratio(np.bincount(dg[not_patient_chosen & on_time], minlength=n), n_np)
    share_completed_all = ratio(np.bincount(dg[on_time], minlength=n), n_done)
    mean_wait = ratio(np.bincount(dg, weights=waits, minlength=n), n_done)
    mean_km = ratio(np.bincount(dg, weights=km, minlength=n), n_done)
    share_outside = ratio(np.bincount(dg, weights=outside, minlength=n), n_done)
    share_other = ratio(n_other, n_done)
    order = np.lexsort((waits, dg))
    bounds = np.searchsorted(dg[order], np.arange(n + 1))
    lo, hi = spec.warmup_days, spec.horizon_days
    in_period = (v.first_start >= lo) & (v.first_start < hi)
    arrived = np.bincount(wait_group[in_period], minlength=n)
    withdrawn_mask = (v.end == rec.withdraw[s]) & (v.end >= lo) & (v.end < hi)
    withdrawn_mask &= ~(v.served <= v.end)
    withdrawn = np.bincount(wait_group[withdrawn_mask], minlength=n)
    patient_chosen = np.bincount(
        wait_group[(v.patient_chosen >= lo) & (v.patient_chosen < hi)], minlength=n
    )
    patient_chosen_of_arrived = np.bincount(
        wait_group[in_period & (v.patient_chosen < hi)], minlength=n
    )
    horizon_rows, _ = _waiting_rows(v, hi - 1, include_patient_chosen=True)
    at_horizon = np.bincount(wait_group[horizon_rows], minlength=n)
    stage_pools = [0] if s == 0 else list(range(1, len(spec.pools)))

    result: list[Kpis] = []
    for g in range(n):
        k: Kpis = {}
        k["share_waiting_within_guarantee"] = float(share_waiting[g])
        k["share_completed_within_guarantee"] = float(share_completed[g])
        k["mean_wait_days"] = float(mean_wait[g])
        sorted_waits = waits[order[bounds[g] : bounds[g + 1]]]
        k["median_wait_days"] = float(np.median(sorted_waits)) if sorted_waits.size else np.nan
        k["p90_wait_days"] = float(np.percentile(sorted_waits, 90)) if sorted_waits.size else np.nan
        total = bands[g].sum()
        for name, c in zip(BAND_NAMES, bands[g], strict=True):
            k[name] = float(c / total) if total else np.nan
        k["equity_gap"] = np.nan
        k["mean_travel_km"] = float(mean_km[g])
        k["share_outside_home_unit"] = float(share_outside[g])
        k["share_other_region"] = float(share_other[g])
        k["cross_region_cost_sek"] = float(n_other[g] * price)
        k["utilisation"] = np.nan
        if unit_columns is not None and unit_columns[g]:
            offered = rec.offered_slots[stage_pools][:, unit_columns[g]].sum()
            used = rec.used_slots[stage_pools][:, unit_columns[g]].sum()
            k["utilisation"] = float(used / offered) if offered else np.nan
        k["arrived"] = float(arrived[g])
        k["completed"] = float(n_done[g])
        k["withdrawn"] = float(withdrawn[g])
        k["patient_chosen_waits"] = float(patient_chosen[g])
        k["share_patient_chosen"] = (
            float(patient_chosen_of_arrived[g] / arrived[g]) if arrived[g] else np.nan
        )
        k["no_shows"] = float(rec.no_shows[s]) if n == 1 else np.nan
        k["waiting_at_horizon"] = float(at_horizon[g])
        k["waiting_at_month_end"] = float(total / len(days)) if days else np.nan
        k["share_waiting_within_guarantee_incl_pvv"] = float(share_waiting_all[g])
        k["share_completed_within_guarantee_incl_pvv"] = float(share_completed_all[g])
        result.append(k)
    return result


def replication_kpis(spec: ModelSpec, pts: Patients, rec: Records) -> PolicyResult[float]:
    """KPIs of one replication: overall (and per priority group), by unit, area and
    sub-region, and the monthly series."""
    kpis: dict[Stage, StageKpis[float]] = {}
    breakdowns: dict[str, dict[str, dict[Stage, Kpis]]] = {
        "by_unit": {}, "by_area": {}, "by_subregion": {}
    }  # fmt: skip
    series: dict[Stage, StageSeries[float]] = {}
    all_days = [int(d) for d in spec.month_ends if d < spec.horizon_days]
    all_units = list(range(spec.n_units))
    zeros = np.zeros(pts.n, dtype=np.int64)
    for s, stage in enumerate(STAGES):
        v = _view(spec, pts, rec, s)
        overall = _group_kpis(spec, v, rec, s, zeros, zeros, 1, [all_units])[0]
        by_sub = _group_kpis(spec, v, rec, s, v.subregion, v.subregion, len(spec.subregions), None)
        shares = np.array([k["share_waiting_within_guarantee"] for k in by_sub])
        if np.count_nonzero(~np.isnan(shares)) >= 2:
            overall["equity_gap"] = float(np.nanmax(shares) - np.nanmin(shares))
        n_groups = len(spec.priority_names)
        by_priority = _group_kpis(
            spec, v, rec, s, pts.priority, pts.priority, n_groups,
            [all_units] * n_groups, spec.priority_limit[:, s],
        )  # fmt: skip
        for k in by_priority:
            k["utilisation"] = np.nan  # capacity is not split by priority
        kpis[stage] = StageKpis(
            values=overall, by_priority=dict(zip(spec.priority_names, by_priority, strict=True))
        )
        unit_done = np.where(v.unit >= 0, v.unit, 0)
        by_unit = _group_kpis(
            spec, v, rec, s, v.home, unit_done, spec.n_units, [[u] for u in all_units]
        )
        by_area = _group_kpis(spec, v, rec, s, v.area, v.area, spec.n_areas, None)
        for groups, ids, key in (
            (by_unit, spec.unit_ids, "by_unit"),
            (by_area, spec.area_ids, "by_area"),
            (by_sub, spec.subregions, "by_subregion"),
        ):
            for gid, k in zip(ids, groups, strict=True):
                breakdowns[key].setdefault(gid, {})[stage] = k
        series[stage] = _stage_series(spec, v, all_days, s)
    return PolicyResult(
        kpis=kpis,
        by_unit=breakdowns["by_unit"],
        by_area=breakdowns["by_area"],
        by_subregion=breakdowns["by_subregion"],
        month_end_day=tuple(all_days),
        series=series,
    )
