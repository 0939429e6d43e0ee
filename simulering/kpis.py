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

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from allokering.domain import Stage
from simulering import catalogue
from simulering.model import Records
from simulering.patients import Patients
from simulering.results import PolicyResult, StageKpis, StageSeries
from simulering.series import stage_series
from simulering.spec import FloatArray, IntArray, ModelSpec
from simulering.stage_view import (
    StageView,
    month_end_days,
    other_region,
    stage_view,
    waiting_at,
    waiting_rows,
)

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

__all__ = [
    "BANDS",
    "BAND_NAMES",
    "KPI_NAMES",
    "KPI_RANGE",
    "STAGES",
    "Kpis",
    "StageView",
    "other_region",
    "replication_kpis",
    "stage_view",
    "waiting_at",
]


@dataclass(frozen=True)
class _Waiting:
    """Figures of the patients waiting at the month ends, per group."""

    share: FloatArray
    """Mean over the month ends of the share within the limit, PVV excluded."""
    share_all: FloatArray
    """The same with PVV included."""
    bands: FloatArray
    """Wait-band counts pooled over the month ends (groups × bands)."""
    months: int


@dataclass(frozen=True)
class _Served:
    """Figures of the patients served in the period, per group."""

    n_done: FloatArray
    n_other: FloatArray
    share_completed: FloatArray
    share_completed_all: FloatArray
    mean_wait: FloatArray
    mean_km: FloatArray
    share_outside: FloatArray
    share_other: FloatArray
    waits: FloatArray
    order: IntArray
    """Rows of ``waits`` sorted by group, then wait."""
    bounds: IntArray
    """Group ``g``'s sorted rows are ``order[bounds[g] : bounds[g + 1]]``."""

    def sorted_waits(self, g: int) -> FloatArray:
        return self.waits[self.order[self.bounds[g] : self.bounds[g + 1]]]


@dataclass(frozen=True)
class _Flows:
    """Counts per group in the period: arrivals, withdrawals, PVV, and at the horizon."""

    arrived: IntArray
    withdrawn: IntArray
    patient_chosen: IntArray
    patient_chosen_of_arrived: IntArray
    at_horizon: IntArray


def _ratio(num: npt.NDArray[Any], den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def _month_end_share(
    v: StageView,
    days: list[int],
    wait_group: IntArray,
    n: int,
    limit: IntArray,
    include_patient_chosen: bool,
) -> FloatArray:
    """Per group the mean over the month ends of the share waiting within its limit."""
    monthly = np.full((len(days), n), np.nan)
    for i, day in enumerate(days):
        rows, ww = waiting_rows(v, day, include_patient_chosen)
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


def _waiting(
    v: StageView, days: list[int], wait_group: IntArray, n: int, limit: IntArray
) -> _Waiting:
    """The month-end figures: wait bands and the shares within the limit."""
    nb = len(BANDS)
    edges = np.array([lo for lo, _ in BANDS[1:]], dtype=float)
    bands = np.zeros((n, nb))
    for day in days:
        rows, ww = waiting_rows(v, day)
        grp = wait_group[rows]
        band = np.searchsorted(edges, ww, side="right")
        bands += np.bincount(grp * nb + band, minlength=n * nb).reshape(n, nb)
    return _Waiting(
        share=_month_end_share(v, days, wait_group, n, limit, include_patient_chosen=False),
        share_all=_month_end_share(v, days, wait_group, n, limit, include_patient_chosen=True),
        bands=bands,
        months=len(days),
    )


@dataclass(frozen=True)
class _Completed:
    """The columns of those served in the period, taken out once per stage for all its
    breakdowns."""

    rows: IntArray
    waits: FloatArray
    by_wait: IntArray
    """``waits`` in ascending order (stable): a breakdown sorts it by group only."""
    not_patient_chosen: npt.NDArray[np.bool_]
    calendar_wait: FloatArray
    km: FloatArray
    outside: npt.NDArray[np.bool_]
    other_region: npt.NDArray[np.bool_]


def _completed(spec: ModelSpec, v: StageView) -> _Completed:
    rows = np.flatnonzero(v.completed)
    waits = v.wait[rows]
    return _Completed(
        rows=rows,
        waits=waits,
        by_wait=np.argsort(waits, kind="stable"),
        not_patient_chosen=~(v.patient_chosen[rows] <= v.served[rows]),
        calendar_wait=v.calendar_wait[rows],
        km=spec.km[v.area[rows], v.unit[rows]],
        outside=v.unit[rows] != v.home[rows],
        other_region=v.other_region[rows],
    )


def _served(c: _Completed, done_group: IntArray, n: int, limit: IntArray) -> _Served:
    """The figures of those served in the period: shares on time, waits, travel."""
    dg = done_group[c.rows]
    waits, not_patient_chosen, km, outside = c.waits, c.not_patient_chosen, c.km, c.outside
    on_time = c.calendar_wait <= limit[dg]
    n_done = np.bincount(dg, minlength=n).astype(float)
    n_other: FloatArray = np.asarray(
        np.bincount(dg, weights=c.other_region, minlength=n), dtype=float
    )
    n_np = np.bincount(dg[not_patient_chosen], minlength=n).astype(float)
    # by group, then wait: the stable sort by group of the rows already sorted by wait
    order = c.by_wait[np.argsort(dg[c.by_wait], kind="stable")]
    return _Served(
        n_done=n_done,
        n_other=n_other,
        share_completed=_ratio(np.bincount(dg[not_patient_chosen & on_time], minlength=n), n_np),
        share_completed_all=_ratio(np.bincount(dg[on_time], minlength=n), n_done),
        mean_wait=_ratio(np.bincount(dg, weights=waits, minlength=n), n_done),
        mean_km=_ratio(np.bincount(dg, weights=km, minlength=n), n_done),
        share_outside=_ratio(np.bincount(dg, weights=outside, minlength=n), n_done),
        share_other=_ratio(n_other, n_done),
        waits=waits,
        order=order,
        bounds=np.searchsorted(dg[order], np.arange(n + 1)),
    )


def _flows(spec: ModelSpec, v: StageView, rec: Records, s: int, wait_group: IntArray,
           n: int) -> _Flows:  # fmt: skip
    """Arrivals, withdrawals and PVV in the period, and those waiting at the horizon."""
    lo, hi = spec.warmup_days, spec.horizon_days
    in_period = (v.first_start >= lo) & (v.first_start < hi)
    withdrawn_mask = (v.end == rec.withdraw[s]) & (v.end >= lo) & (v.end < hi)
    withdrawn_mask &= ~(v.served <= v.end)
    horizon_rows, _ = waiting_rows(v, hi - 1, include_patient_chosen=True)
    return _Flows(
        arrived=np.bincount(wait_group[in_period], minlength=n),
        withdrawn=np.bincount(wait_group[withdrawn_mask], minlength=n),
        patient_chosen=np.bincount(
            wait_group[(v.patient_chosen >= lo) & (v.patient_chosen < hi)], minlength=n
        ),
        patient_chosen_of_arrived=np.bincount(
            wait_group[in_period & (v.patient_chosen < hi)], minlength=n
        ),
        at_horizon=np.bincount(wait_group[horizon_rows], minlength=n),
    )


def _utilisation(spec: ModelSpec, rec: Records, s: int, columns: list[int]) -> float:
    """Slots used / offered at the units ``columns`` over the stage's pools."""
    stage_pools = [0] if s == 0 else list(range(1, len(spec.pools)))
    offered = rec.offered_slots[stage_pools][:, columns].sum()
    used = rec.used_slots[stage_pools][:, columns].sum()
    return float(used / offered) if offered else np.nan


def _group_kpis(
    spec: ModelSpec,
    v: StageView,
    done: _Completed,
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
    waiting = _waiting(v, month_end_days(spec), wait_group, n, limit)
    served = _served(done, done_group, n, limit)
    flows = _flows(spec, v, rec, s, wait_group, n)
    result: list[Kpis] = []
    for g in range(n):
        k = _kpis_of_group(g, waiting, served, flows, spec.cross_region_price_sek[s])
        if unit_columns is not None and unit_columns[g]:
            k["utilisation"] = _utilisation(spec, rec, s, unit_columns[g])
        k["no_shows"] = float(rec.no_shows[s]) if n == 1 else np.nan
        result.append(k)
    return result


def _kpis_of_group(g: int, waiting: _Waiting, served: _Served, flows: _Flows,
                   price: float) -> Kpis:  # fmt: skip
    """Group ``g``'s KPIs from the figures of all groups (``equity_gap``, ``utilisation``
    and ``no_shows`` NaN, filled in by the caller where they apply)."""
    k: Kpis = {}
    k["share_waiting_within_guarantee"] = float(waiting.share[g])
    k["share_completed_within_guarantee"] = float(served.share_completed[g])
    k["mean_wait_days"] = float(served.mean_wait[g])
    sorted_waits = served.sorted_waits(g)
    k["median_wait_days"] = float(np.median(sorted_waits)) if sorted_waits.size else np.nan
    k["p90_wait_days"] = float(np.percentile(sorted_waits, 90)) if sorted_waits.size else np.nan
    total = waiting.bands[g].sum()
    for name, c in zip(BAND_NAMES, waiting.bands[g], strict=True):
        k[name] = float(c / total) if total else np.nan
    k["equity_gap"] = np.nan
    k["mean_travel_km"] = float(served.mean_km[g])
    k["share_outside_home_unit"] = float(served.share_outside[g])
    k["share_other_region"] = float(served.share_other[g])
    k["cross_region_cost_sek"] = float(served.n_other[g] * price)
    k["utilisation"] = np.nan
    arrived = flows.arrived[g]
    k["arrived"] = float(arrived)
    k["completed"] = float(served.n_done[g])
    k["withdrawn"] = float(flows.withdrawn[g])
    k["patient_chosen_waits"] = float(flows.patient_chosen[g])
    k["share_patient_chosen"] = (
        float(flows.patient_chosen_of_arrived[g] / arrived) if arrived else np.nan
    )
    k["no_shows"] = np.nan
    k["waiting_at_horizon"] = float(flows.at_horizon[g])
    k["waiting_at_month_end"] = float(total / waiting.months) if waiting.months else np.nan
    k["share_waiting_within_guarantee_incl_pvv"] = float(waiting.share_all[g])
    k["share_completed_within_guarantee_incl_pvv"] = float(served.share_completed_all[g])
    return k


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
        v = stage_view(spec, pts, rec, s)
        done = _completed(spec, v)
        overall = _group_kpis(spec, v, done, rec, s, zeros, zeros, 1, [all_units])[0]
        by_sub = _group_kpis(
            spec, v, done, rec, s, v.subregion, v.subregion, len(spec.subregions), None
        )
        shares = np.array([k["share_waiting_within_guarantee"] for k in by_sub])
        if np.count_nonzero(~np.isnan(shares)) >= 2:
            overall["equity_gap"] = float(np.nanmax(shares) - np.nanmin(shares))
        n_groups = len(spec.priority_names)
        by_priority = _group_kpis(
            spec, v, done, rec, s, pts.priority, pts.priority, n_groups,
            [all_units] * n_groups, spec.priority_limit[:, s],
        )  # fmt: skip
        for k in by_priority:
            k["utilisation"] = np.nan  # capacity is not split by priority
        kpis[stage] = StageKpis(
            values=overall, by_priority=dict(zip(spec.priority_names, by_priority, strict=True))
        )
        unit_done = np.where(v.unit >= 0, v.unit, 0)
        by_unit = _group_kpis(
            spec, v, done, rec, s, v.home, unit_done, spec.n_units, [[u] for u in all_units]
        )
        by_area = _group_kpis(spec, v, done, rec, s, v.area, v.area, spec.n_areas, None)
        for groups, ids, key in (
            (by_unit, spec.unit_ids, "by_unit"),
            (by_area, spec.area_ids, "by_area"),
            (by_sub, spec.subregions, "by_subregion"),
        ):
            for gid, k in zip(ids, groups, strict=True):
                breakdowns[key].setdefault(gid, {})[stage] = k
        series[stage] = stage_series(spec, v, all_days, s)
        del v, done  # one stage's columns at a time (peak memory)
    return PolicyResult(
        kpis=kpis,
        by_unit=breakdowns["by_unit"],
        by_area=breakdowns["by_area"],
        by_subregion=breakdowns["by_subregion"],
        month_end_day=tuple(all_days),
        series=series,
    )
