"""Paired policy comparisons over common random numbers.

Every policy runs on the same patients in a replication, so the difference of a KPI
between two policies *within* a replication removes the noise they share; its mean over
replications with a 95 % t-interval is much tighter than comparing two independent
confidence intervals. For each KPI of each stage, and for each policy against the
baseline (the first policy):

- ``difference``: mean of ``policy − baseline`` per replication, with its ``ci95``
  (Student t, ``n − 1`` degrees of freedom, cut to the range a difference can have:
  [−1, 1] for shares; replications where either value is undefined, e.g. nobody
  served, are left out and ``n`` says how many were used);
- ``significant``: the interval excludes 0;
- ``better``: which policy is better — by the KPI's direction
  (:data:`KPI_DIRECTION`) — when the difference is significant, else ``None``.

The document (``paired`` in ``remiss simulate --json``)::

    {"baseline": "separate", "confidence": 0.95,
     "direction": {kpi: "higher" | "lower" | null},
     "comparisons": {policy: {stage: {kpi: {
         "baseline_mean": float | null, "policy_mean": float | null,
         "difference": {"mean": float | null, "ci95": [lo, hi]},
         "n": int, "significant": bool, "better": policy | baseline | null}}}}}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
from scipy import stats

from simulering.catalogue import KPIS
from simulering.catalogue import Direction as Direction  # re-exported
from simulering.catalogue import RangeKind as RangeKind  # re-exported
from simulering.kpis import KPI_RANGE

CONFIDENCE: Final = 0.95
MIN_REPLICATIONS: Final = 5
"""Fewer replications than this give a warning: with 2 the t-quantile is 12.7 and the
intervals say little."""

KPI_DIRECTION: Final[dict[str, Direction]] = {k.name: k.direction for k in KPIS}
"""Which way is better for each KPI (declared in :mod:`simulering.catalogue`). ``None``
(no verdict): ``arrived`` (demand, the same under every policy), ``patient_chosen_waits``
(a declined offer is the patient's choice, neither good nor bad for the region; its
*share* of the arrivals, by contrast, is lower-is-better: a policy that offers times the
patients decline makes them wait by choice), the bands within 90 days (a shift between
them is not better or worse by itself), and ``share_other_region`` and
``cross_region_cost_sek`` (care bought from a neighbouring region is a transfer between
regions and the point of sharing capacity, not a loss by itself)."""


BOUNDS: Final[dict[str, tuple[float, float]]] = {
    "share": (0.0, 1.0),
    "non_negative": (0.0, math.inf),
    "real": (-math.inf, math.inf),
}
"""The closed range of a KPI of each kind."""

DIFFERENCE_BOUNDS: Final[dict[str, tuple[float, float]]] = {
    "share": (-1.0, 1.0),
    "non_negative": (-math.inf, math.inf),
    "real": (-math.inf, math.inf),
}
"""The range of a paired difference of two KPIs of each kind."""


def kpi_range(kpi: str | None) -> RangeKind:
    """The range kind of a KPI name (``real`` when unknown)."""
    return KPI_RANGE.get(kpi, "real") if kpi is not None else "real"


def mean_ci(
    values: Sequence[float] | np.ndarray,
    confidence: float = CONFIDENCE,
    bounds: tuple[float, float] = BOUNDS["real"],
) -> dict[str, Any]:
    """Mean and two-sided Student-t interval of finite ``values`` (NaN/inf dropped),
    cut to ``bounds`` (the range the mean can have, :data:`BOUNDS`).

    ``{"mean": m, "ci95": [lo, hi], "n": n}``; with one value, or when every value is
    the same (all 0, all 1), the interval is the point; with none everything is ``None``.

    Cutting the t-interval to the range keeps its coverage exactly: the true mean lies
    in the range, so it is inside the cut interval exactly when it is inside the
    t-interval. The cut interval always contains the mean. (Values outside ``bounds``
    widen the bounds to include them, so the mean is never cut off.)
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    n = int(arr.size)
    if n == 0:
        return {"mean": None, "ci95": [None, None], "n": 0}
    if n < 2 or float(arr.min()) == float(arr.max()):
        x = float(arr[0])  # all equal: the mean without rounding, and no spread
        return {"mean": x, "ci95": [x, x], "n": n}
    mean = float(arr.mean())
    sd = float(arr.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    floor = min(bounds[0], float(arr.min()))
    ceiling = max(bounds[1], float(arr.max()))
    lo = min(max(mean - half, floor), mean)
    hi = max(min(mean + half, ceiling), mean)
    return {"mean": mean, "ci95": [lo, hi], "n": n}


def replication_warning(replications: int) -> str | None:
    """A one-line warning when there are fewer than :data:`MIN_REPLICATIONS`."""
    if replications >= MIN_REPLICATIONS:
        return None
    t = float(stats.t.ppf(0.975, replications - 1)) if replications >= 2 else math.inf
    why = (
        "one replication has no confidence interval (shown as the point)"
        if replications < 2
        else f"the 95 % intervals use a t-quantile of {t:.1f} and say little"
    )
    return (
        f"only {replications} replication{'s' if replications != 1 else ''} "
        f"(fewer than {MIN_REPLICATIONS}): {why}; use --replications {MIN_REPLICATIONS * 2} "
        "or more"
    )


def verdict(
    diff: dict[str, Any], direction: Direction, policy: str, baseline: str
) -> tuple[bool, str | None]:
    """(significant, better policy or None) for a ``policy − baseline`` summary."""
    lo, hi = diff["ci95"]
    if diff["mean"] is None or lo is None or hi is None or diff.get("n", 2) < 2:
        return False, None
    significant = bool(lo > 0 or hi < 0)
    if not significant or direction is None:
        return significant, None
    policy_higher = diff["mean"] > 0
    return True, policy if policy_higher == (direction == "higher") else baseline


def compare_kpi(
    baseline_values: Sequence[float],
    policy_values: Sequence[float],
    direction: Direction,
    policy: str = "policy",
    baseline: str = "baseline",
    kind: RangeKind = "real",
) -> dict[str, Any]:
    """The paired comparison of one KPI: values per replication, in the same order.

    ``kind`` is the KPI's range: the interval of the difference is cut to what a
    difference can be (:data:`DIFFERENCE_BOUNDS`: [−1, 1] for shares), which changes
    neither its coverage nor whether it excludes 0."""
    b = np.asarray(baseline_values, dtype=float)
    p = np.asarray(policy_values, dtype=float)
    if b.shape != p.shape:
        raise ValueError("paired values need one value per replication for both policies")
    both = np.isfinite(b) & np.isfinite(p)
    diff = mean_ci(p[both] - b[both], bounds=DIFFERENCE_BOUNDS[kind])
    significant, better = verdict(diff, direction, policy, baseline)
    return {
        "baseline_mean": mean_ci(b)["mean"],
        "policy_mean": mean_ci(p)["mean"],
        "difference": {"mean": diff["mean"], "ci95": diff["ci95"]},
        "n": diff["n"],
        "significant": significant,
        "better": better,
    }


def compare(
    replications: Sequence[dict[str, dict[str, dict[str, float]]]],
    policies: Sequence[str],
    baseline: str | None = None,
) -> dict[str, Any]:
    """Paired comparison of every policy against ``baseline`` (default the first).

    ``replications[i][policy][stage][kpi]`` is a replication's overall KPI value.
    """
    policies = list(policies)
    base = baseline or (policies[0] if policies else "")
    doc: dict[str, Any] = {
        "baseline": base,
        "confidence": CONFIDENCE,
        "direction": dict(KPI_DIRECTION),
        "comparisons": {},
    }
    if not replications or not policies:
        return doc
    for name in policies:
        if name != base:
            doc["comparisons"][name] = _compare_kpis(
                [r[base] for r in replications], [r[name] for r in replications], name, base
            )
    return doc


def _compare_kpis(
    base_reps: Sequence[dict[str, Any]],
    policy_reps: Sequence[dict[str, Any]],
    name: str,
    base: str,
) -> dict[str, Any]:
    """``{kpi: comparison}`` at every leaf of the nested KPI dicts (stages, and groups
    such as ``by_priority`` inside them)."""
    out: dict[str, Any] = {}
    for kpi, first in base_reps[0].items():
        base_values = [r[kpi] for r in base_reps]
        policy_values = [r[kpi] for r in policy_reps]
        if isinstance(first, dict):  # a stage, by_priority, or one group of it
            out[kpi] = _compare_kpis(base_values, policy_values, name, base)
        else:
            direction, bounds = KPI_DIRECTION.get(kpi), kpi_range(kpi)
            out[kpi] = compare_kpi(base_values, policy_values, direction, name, base, bounds)
    return out


OFFICIAL_SHARES: Final = ("share_completed_within_guarantee", "share_waiting_within_guarantee")
"""The official SKR shares set against the mean wait by :func:`opposite_directions`."""


def opposite_directions(paired: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Where an official share within the guarantee and the mean wait move in opposite
    directions (one better, the other worse) between a policy and the baseline.

    From the paired comparison's mean differences (``policy − baseline``); differences
    that round to 0 at the printed precision (0.05 pp, 0.05 days) are not a direction.
    One entry per (policy, stage, share)::

        {"policy", "baseline", "stage", "kpi", "share_difference", "wait_difference",
         "share_better": bool, "pvv": bool}

    ``pvv`` is true when the same share with PVV included does not improve with it
    (share better, wait worse): the official share excludes patient-chosen waiting,
    and that is where the waiting went.
    """
    out: list[dict[str, Any]] = []
    base = paired.get("baseline")
    comparisons = paired.get("comparisons")
    if not isinstance(comparisons, Mapping):
        return out

    def diff(stage_doc: Mapping[str, Any], kpi: str) -> float | None:
        node = stage_doc.get(kpi)
        d = node.get("difference") if isinstance(node, Mapping) else None
        m = d.get("mean") if isinstance(d, Mapping) else None
        return float(m) if isinstance(m, int | float) and math.isfinite(m) else None

    for policy, stages in comparisons.items():
        if not isinstance(stages, Mapping):
            continue
        for stage, doc in stages.items():
            if not isinstance(doc, Mapping):
                continue
            wait = diff(doc, "mean_wait_days")
            if wait is None or abs(wait) < 0.05:
                continue
            for kpi in OFFICIAL_SHARES:
                share = diff(doc, kpi)
                if share is None or abs(share) < 0.0005 or (share > 0) != (wait > 0):
                    continue
                incl = diff(doc, f"{kpi}_incl_pvv")
                out.append(
                    {
                        "policy": policy,
                        "baseline": base,
                        "stage": stage,
                        "kpi": kpi,
                        "share_difference": share,
                        "wait_difference": wait,
                        "share_better": share > 0,
                        "pvv": share > 0 and incl is not None and incl < 0.0005,
                    }
                )
    return out
