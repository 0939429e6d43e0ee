"""One stage of one replication as columns: clock starts, service, the patient-chosen
waits, units, home units and areas, with the period masks derived once, and who is
waiting at a month end — what every KPI of :mod:`simulering.kpis` is computed from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from simulering.catchment import home_units
from simulering.model import Records
from simulering.patients import Patients
from simulering.spec import FloatArray, IntArray, ModelSpec


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
    """Cache of :func:`waiting_rows` by (day, PVV included): every breakdown reuses the
    same snapshot."""


def stage_view(spec: ModelSpec, pts: Patients, rec: Records, s: int) -> StageView:
    """Stage ``s``'s columns of one replication's records, with its period masks, home
    units and sub-regions."""
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


def month_end_days(spec: ModelSpec) -> list[int]:
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


def waiting_rows(
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
