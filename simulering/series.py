"""The monthly series of one stage (every month end of the run, warm-up included): the
share waiting within the guarantee and the queue length per home unit and for the whole
region, one scalar per replication so that every month gets its own mean and 95 % CI."""

from __future__ import annotations

import numpy as np

from simulering.results import StageSeries
from simulering.spec import FloatArray, IntArray, ModelSpec
from simulering.stage_view import StageView, waiting_rows


def monthly_series(
    v: StageView, days: list[int], groups: IntArray, n: int, limit: int
) -> FloatArray:
    """Monthly series per group: ``[0]`` share waiting within ``limit`` and ``[1]``
    queue length (months × groups)."""
    shares = np.full((len(days), n), np.nan)
    lengths = np.zeros((len(days), n))
    for i, day in enumerate(days):
        rows, w = waiting_rows(v, day)
        grp = groups[rows]
        count = np.bincount(grp, minlength=n).astype(float)
        within = np.bincount(grp[w <= limit], minlength=n)
        lengths[i] = count
        with np.errstate(invalid="ignore", divide="ignore"):
            shares[i] = np.where(count > 0, within / np.maximum(count, 1), np.nan)
    return np.stack([shares, lengths])


def stage_series(spec: ModelSpec, v: StageView, days: list[int], s: int) -> StageSeries[float]:
    """The monthly series of one stage: per home unit, and for the whole region keyed by
    month-end day — each month a scalar per replication, so the replication summary
    gives every month its own mean and 95 % CI, which the report draws as bands."""
    limit = spec.guarantee_days[s]
    units = monthly_series(v, days, v.home, spec.n_units, limit)
    zeros = np.zeros(v.start.shape[0], dtype=np.int64)
    region = monthly_series(v, days, zeros, 1, limit)
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
