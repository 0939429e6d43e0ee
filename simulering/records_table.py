"""Per-referral records as an Arrow table (written as Parquet by ``remiss simulate --out``)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from allokering.domain import Stage
from simulering.model import Records
from simulering.patients import Patients
from simulering.spec import ModelSpec


def records_table(
    spec: ModelSpec, pts: Patients, rec: Records, policy: str, replication: int
) -> pa.Table:
    """One row per referral: who, where from, and per stage when the clock started,
    when and where they were served, patient-chosen waiting and withdrawal."""
    n = pts.n
    unit_names = np.array([*list(spec.unit_ids), ""], dtype=object)
    cols: dict[str, pa.Array] = {
        "policy": pa.array([policy] * n, pa.string()),
        "replication": pa.array(np.full(n, replication, dtype=np.int32)),
        "referral": pa.array(np.arange(n, dtype=np.int64)),
        "area": pa.array(np.array(spec.area_ids, dtype=object)[pts.area], pa.string()),
        "priority": pa.array(
            np.array(spec.priority_names, dtype=object)[pts.priority], pa.string()
        ),
        "backlog": pa.array(pts.backlog_stage >= 0),
        "home_unit": pa.array(unit_names[rec.home_unit], pa.string()),
        "arrival_day": pa.array(pts.arrival),
        "returned_for_completion": pa.array(pts.returned),
        "decided_for_treatment": pa.array(pts.decided),
        "treatment_pool": pa.array(
            np.array([p.name for p in spec.pools], dtype=object)[pts.pool], pa.string()
        ),
    }
    for s, stage in enumerate(Stage):
        prefix = stage.value
        served = rec.served[s]
        served_or_inf = np.where(np.isnan(served), np.inf, served)
        withdrawn = (rec.withdraw[s] < served_or_inf) & (rec.withdraw[s] < spec.horizon_days)
        cols[f"{prefix}_clock_start_day"] = pa.array(rec.clock_start[s], from_pandas=True)
        cols[f"{prefix}_day"] = pa.array(served, from_pandas=True)
        cols[f"{prefix}_unit"] = pa.array(unit_names[rec.unit[s]], pa.string())
        cols[f"{prefix}_patient_chosen_wait_from_day"] = pa.array(
            rec.patient_chosen[s], from_pandas=True
        )
        cols[f"{prefix}_withdrawn_day"] = pa.array(
            np.where(withdrawn, rec.withdraw[s], np.nan), from_pandas=True
        )
    return pa.table(cols)
