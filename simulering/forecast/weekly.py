"""One replication of one policy, read week by week from the model's records.

What a coordinator asks of a forecast, per replication:

- the **queue** at the start of each forecast Monday: referrals on the stage's list
  (received and not yet served or withdrawn), for the region and by the unit whose list
  each is on (a listed referral's unit; a new one's home unit for the stage);
- the **breaches** of each week: referrals whose limit — clock start + the priority's
  limit + the PVV/MOV days not counted — falls in that week while they still wait
  (not served by the limit day, not withdrawn, not in patient-chosen waiting);
- the **share waiting within the guarantee** at each month end (SKR's *andel väntande
  inom vårdgarantin*), computed by the KPI code (:func:`simulering.stage_view.waiting_at`,
  PVV excluded) with the listed referrals still in PVV/MOV excluded as well;
- for each listed referral, the forecast week in which it breaches (-1: none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simulering.catchment import home_units
from simulering.model import Records
from simulering.patients import Patients
from simulering.spec import FloatArray, IntArray, ModelSpec
from simulering.stage_view import stage_view, waiting_at

NO_BREACH = -1
"""A listed referral's breach week when it does not breach within the forecast."""


@dataclass(frozen=True)
class Calendar:
    """The forecast's days: the Monday of each forecast week and the month ends, as day
    offsets from the start date (day 0)."""

    mondays: IntArray
    month_ends: IntArray

    @property
    def weeks(self) -> int:
        return int(self.mondays.shape[0])


@dataclass(frozen=True)
class WeeklySeries:
    """One replication's forecast of one policy."""

    queue: FloatArray
    """Waiting at the start of each week (weeks)."""
    queue_by_unit: FloatArray
    """Waiting at the start of each week by list unit (weeks × units)."""
    breaches: FloatArray
    """Referrals passing their limit in each week (weeks)."""
    breaches_by_unit: FloatArray
    """Breaches in each week by list unit (weeks × units)."""
    share_within: FloatArray
    """Share waiting within the guarantee at each month end (NaN: nobody waiting)."""
    breach_week: npt.NDArray[np.int16]
    """Per listed referral of the stage: the week it breaches in (``NO_BREACH``: none)."""


def list_units(spec: ModelSpec, pts: Patients, rec: Records, stage: int) -> IntArray:
    """The unit whose list each referral is on in ``stage``: a listed referral's unit;
    else the home unit (the first visit's unit for treatment when it offers the pool)."""
    listed = np.arange(pts.n) < pts.n_listed
    if stage == 0:
        unit = rec.home_unit.copy()
    else:
        table = np.array(home_units(spec), dtype=np.int64)
        unit = table[rec.pool, pts.area]
        fv = rec.unit[0]
        serves = np.array([p.serves() for p in spec.pools])  # pools × units
        own = (fv >= 0) & serves[rec.pool, np.maximum(fv, 0)]
        unit = np.where(own, fv, unit)
    return np.asarray(np.where(listed, pts.backlog_home, unit), dtype=np.int64)


def weekly_series(
    spec: ModelSpec, pts: Patients, rec: Records, stage: int, cal: Calendar
) -> WeeklySeries:
    """The forecast figures of one replication of one policy in ``stage``."""
    n_listed, weeks, n_units = pts.n_listed, cal.weeks, spec.n_units
    listed = np.arange(pts.n) < n_listed
    in_stage = ~np.isnan(rec.clock_start[stage])
    if stage == 1:  # listed referrals waiting for a first visit are not on this list yet
        in_stage &= ~listed | (pts.backlog_stage == 1)
    else:
        in_stage &= ~listed | (pts.backlog_stage == 0)
    entered = np.where(listed, -np.inf, rec.clock_start[stage])
    served = np.where(np.isnan(rec.served[stage]), np.inf, rec.served[stage])
    gone = np.minimum(served, rec.withdraw[stage])  # served, or withdrawn before service
    unit = list_units(spec, pts, rec, stage)
    queue_by_unit = np.zeros((weeks, n_units))
    for w, monday in enumerate(cal.mondays.tolist()):
        waiting = in_stage & (entered < monday) & (gone >= monday)
        queue_by_unit[w] = np.bincount(unit[waiting], minlength=n_units)
    week = _breach_weeks(rec, stage, in_stage, cal)
    hit = week >= 0
    breaches_by_unit = np.zeros((weeks, n_units))
    np.add.at(breaches_by_unit, (week[hit], unit[hit]), 1.0)
    of_stage = (pts.backlog_stage[:n_listed] == stage) if n_listed else np.zeros(0, dtype=bool)
    return WeeklySeries(
        queue=queue_by_unit.sum(axis=1),
        queue_by_unit=queue_by_unit,
        breaches=breaches_by_unit.sum(axis=1),
        breaches_by_unit=breaches_by_unit,
        share_within=_month_end_shares(spec, pts, rec, stage, cal),
        breach_week=np.where(of_stage, week[:n_listed], NO_BREACH).astype(np.int16),
    )


def _breach_weeks(
    rec: Records, stage: int, in_stage: npt.NDArray[np.bool_], cal: Calendar
) -> IntArray:
    """Per referral the forecast week its limit falls in while it still waits (-1:
    none). Served on the limit day is in time (a wait of exactly the limit)."""
    deadline = rec.clock_start[stage] + rec.limit[stage]
    served = rec.served[stage]
    waits = (
        in_stage
        & ~(served <= deadline)  # not served by the limit day (NaN: never served)
        & (rec.withdraw[stage] > deadline)
        & ~(rec.patient_chosen[stage] <= deadline)
    )
    first, end = float(cal.mondays[0]), float(cal.mondays[0] + 7 * cal.weeks)
    waits &= (deadline >= first) & (deadline < end)
    week = np.full(deadline.shape[0], -1, dtype=np.int64)
    week[waits] = np.floor((deadline[waits] - first) / 7.0).astype(np.int64)
    return week


def _month_end_shares(
    spec: ModelSpec, pts: Patients, rec: Records, stage: int, cal: Calendar
) -> FloatArray:
    """SKR's share waiting within the guarantee at each month end: the KPI code's
    waiting (PVV excluded), less the listed referrals still in PVV/MOV."""
    view = stage_view(spec, pts, rec, stage)
    limit = spec.guarantee_days[stage]
    excluded_until = _excluded_until(spec, pts)
    shares = np.full(cal.month_ends.shape[0], np.nan)
    for i, day in enumerate(cal.month_ends.tolist()):
        waiting, waits = waiting_at(view, day)
        waiting &= ~(excluded_until > day + 1.0)
        count = int(waiting.sum())
        if count:
            shares[i] = float((waits[waiting] <= limit).sum()) / count
    return shares


def _excluded_until(spec: ModelSpec, pts: Patients) -> FloatArray:
    """Per referral the day its PVV/MOV at the start ends (-inf: none)."""
    out = np.full(pts.n, -np.inf)
    if spec.waiting_list is not None and pts.n_listed:
        out[: pts.n_listed] = spec.waiting_list.excluded_until
    return out
