"""The forecast document: replications summarised week by week with the project's
95 % t-interval (:func:`simulering.results.estimate`), cut to ≥ 0 for counts and to
[0, 1] for shares. Key names are written here and nowhere else (Interface B)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from simulering.forecast.weekly import WeeklySeries
from simulering.forecast.worklist import worklist
from simulering.results import BOUNDS, estimate
from simulering.spec import FloatArray, ModelSpec


def band(values: FloatArray, share: bool = False) -> dict[str, float | None]:
    """Mean and 95 % interval across replications (``values``: one per replication)."""
    est = estimate(values, bounds=BOUNDS["share" if share else "non_negative"])
    lo = None if est.lo is None else max(0.0, est.lo)
    return {"mean": est.mean, "lo": lo, "hi": est.hi}


def series(weeks: list[str], values: FloatArray) -> list[dict[str, Any]]:
    """``values`` (replications × weeks) as ``[{week, mean, lo, hi}]``."""
    return [{"week": w, **band(values[:, i])} for i, w in enumerate(weeks)]


def policy_document(
    spec: ModelSpec,
    reps: Sequence[WeeklySeries],
    weeks: list[str],
    month_ends: list[str],
) -> dict[str, Any]:
    """One policy's part of the document from its replications."""
    queue = np.stack([r.queue for r in reps])
    by_unit = np.stack([r.queue_by_unit for r in reps])
    breaches = np.stack([r.breaches for r in reps])
    breaches_by_unit = np.stack([r.breaches_by_unit for r in reps])
    shares = np.stack([r.share_within for r in reps])
    wl = spec.waiting_list
    ids = wl.ids if wl is not None else ()
    units = [spec.unit_ids[u] for u in wl.unit.tolist()] if wl is not None else []
    units_ids = spec.unit_ids
    return {
        "queue": {
            "region": series(weeks, queue),
            "by_unit": {u: series(weeks, by_unit[:, :, i]) for i, u in enumerate(units_ids)},
        },
        "breaches": {
            "region": series(weeks, breaches),
            "by_unit": {
                u: series(weeks, breaches_by_unit[:, :, i]) for i, u in enumerate(units_ids)
            },
        },
        "share_waiting_within_guarantee": [
            {"month_end": m, **band(shares[:, i], share=True)} for i, m in enumerate(month_ends)
        ],
        "worklist": worklist(np.stack([r.breach_week for r in reps]), ids, units, weeks),
    }


def iso_days(start: dt.date, days: Sequence[int]) -> list[str]:
    """Day offsets from ``start`` as ISO dates."""
    return [(start + dt.timedelta(days=int(d))).isoformat() for d in days]
