"""The forecast document: replications summarised week by week with the project's
95 % prediction interval (:func:`band`), cut to ≥ 0 for counts and to [0, 1] for
shares. Key names are written here and nowhere else (Interface B)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from math import inf, sqrt
from typing import Any

import numpy as np

from simulering.forecast.weekly import WeeklySeries
from simulering.forecast.worklist import worklist
from simulering.results.estimate import BOUNDS, estimate, t_quantile
from simulering.spec import FloatArray, ModelSpec


def band(values: FloatArray, share: bool = False) -> dict[str, float | None]:
    """Mean and 95 % *prediction* interval across replications (``values``: one per
    replication): where one more run falls — and the weeks that will actually happen are
    one run — mean ± t(n-1)·s·√(1 + 1/n), cut to the range (≥ 0, shares to [0, 1]).
    The t-interval of the mean (:func:`simulering.results.estimate`) narrows with more
    replications and would not cover a realised week (issue 13 §4's back-test)."""
    est = estimate(values, bounds=BOUNDS["share" if share else "non_negative"])
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if est.mean is None or arr.size < 2:
        return {"mean": est.mean, "lo": est.lo, "hi": est.hi}
    half = t_quantile(arr.size - 1, 0.975) * float(arr.std(ddof=1)) * sqrt(1 + 1 / arr.size)
    ceiling = 1.0 if share else inf
    lo = min(max(0.0, est.mean - half), est.mean)
    return {"mean": est.mean, "lo": lo, "hi": max(min(ceiling, est.mean + half), est.mean)}


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
