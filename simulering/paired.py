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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from allokering.domain import Stage
from simulering.catalogue import KPIS, Direction, RangeKind
from simulering.results import (
    BOUNDS,
    CONFIDENCE,
    DIFFERENCE_BOUNDS,
    MIN_REPLICATIONS,
    Comparison,
    Estimate,
    KpiValues,
    PairedComparison,
    ReplicationKpis,
    StageKpis,
    estimate,
    kpi_range,
)

__all__ = [
    "BOUNDS",
    "CONFIDENCE",
    "DIFFERENCE_BOUNDS",
    "KPI_DIRECTION",
    "MIN_REPLICATIONS",
    "OppositeMove",
    "compare",
    "compare_kpi",
    "opposite_directions",
    "verdict",
]

KPI_DIRECTION: Final[dict[str, Direction]] = {k.name: k.direction for k in KPIS}
"""Which way is better for each KPI (declared in :mod:`simulering.catalogue`). ``None``
(no verdict): ``arrived`` (demand, the same under every policy), ``patient_chosen_waits``
(a declined offer is the patient's choice, neither good nor bad for the region; its
*share* of the arrivals, by contrast, is lower-is-better: a policy that offers times the
patients decline makes them wait by choice), the bands within 90 days (a shift between
them is not better or worse by itself), and ``share_other_region`` and
``cross_region_cost_sek`` (care bought from a neighbouring region is a transfer between
regions and the point of sharing capacity, not a loss by itself)."""


def verdict(
    diff: Estimate, direction: Direction, policy: str, baseline: str
) -> tuple[bool, str | None]:
    """(significant, better policy or None) for a ``policy − baseline`` estimate."""
    if diff.mean is None or diff.lo is None or diff.hi is None or diff.n < 2:
        return False, None
    significant = bool(diff.lo > 0 or diff.hi < 0)
    if not significant or direction is None:
        return significant, None
    policy_higher = diff.mean > 0
    return True, policy if policy_higher == (direction == "higher") else baseline


def compare_kpi(
    baseline_values: Sequence[float],
    policy_values: Sequence[float],
    direction: Direction,
    policy: str = "policy",
    baseline: str = "baseline",
    kind: RangeKind = "real",
) -> Comparison:
    """The paired comparison of one KPI: values per replication, in the same order.

    ``kind`` is the KPI's range: the interval of the difference is cut to what a
    difference can be (:data:`DIFFERENCE_BOUNDS`: [−1, 1] for shares), which changes
    neither its coverage nor whether it excludes 0."""
    b = np.asarray(baseline_values, dtype=float)
    p = np.asarray(policy_values, dtype=float)
    if b.shape != p.shape:
        raise ValueError("paired values need one value per replication for both policies")
    both = np.isfinite(b) & np.isfinite(p)
    diff = estimate(p[both] - b[both], bounds=DIFFERENCE_BOUNDS[kind])
    significant, better = verdict(diff, direction, policy, baseline)
    return Comparison(
        baseline_mean=estimate(b).mean,
        policy_mean=estimate(p).mean,
        difference=diff,
        significant=significant,
        better=better,
    )


def compare(
    replications: Sequence[ReplicationKpis],
    policies: Sequence[str],
    baseline: str | None = None,
) -> PairedComparison:
    """Paired comparison of every policy against ``baseline`` (default the first).

    ``replications[i][policy][stage]`` is a replication's overall KPIs of a stage.
    """
    policies = list(policies)
    base = baseline or (policies[0] if policies else "")
    comparisons: dict[str, dict[Stage, StageKpis[Comparison]]] = {}
    if replications and policies:
        for name in policies:
            if name != base:
                comparisons[name] = {
                    stage: _compare_stage(
                        [r[base][stage] for r in replications],
                        [r[name][stage] for r in replications],
                        name,
                        base,
                    )
                    for stage in replications[0][base]
                }
    return PairedComparison(
        baseline=base,
        confidence=CONFIDENCE,
        direction=dict(KPI_DIRECTION),
        comparisons=comparisons,
    )


def _compare_stage(
    base_reps: Sequence[StageKpis[float]],
    policy_reps: Sequence[StageKpis[float]],
    name: str,
    base: str,
) -> StageKpis[Comparison]:
    """Every KPI of a stage, overall and per priority group, paired by replication."""
    return StageKpis(
        values=_compare_values(
            [r.values for r in base_reps], [r.values for r in policy_reps], name, base
        ),
        by_priority={
            group: _compare_values(
                [r.by_priority[group] for r in base_reps],
                [r.by_priority[group] for r in policy_reps],
                name,
                base,
            )
            for group in base_reps[0].by_priority
        },
    )


def _compare_values(
    base_reps: Sequence[KpiValues[float]],
    policy_reps: Sequence[KpiValues[float]],
    name: str,
    base: str,
) -> dict[str, Comparison]:
    return {
        kpi: compare_kpi(
            [r[kpi] for r in base_reps],
            [r[kpi] for r in policy_reps],
            KPI_DIRECTION.get(kpi),
            name,
            base,
            kpi_range(kpi),
        )
        for kpi in base_reps[0]
    }


OFFICIAL_SHARES: Final = ("share_completed_within_guarantee", "share_waiting_within_guarantee")
"""The official SKR shares set against the mean wait by :func:`opposite_directions`."""


@dataclass(frozen=True, slots=True)
class OppositeMove:
    """An official share within the guarantee and the mean wait moving in opposite
    directions between a policy and the baseline in one stage."""

    policy: str
    baseline: str
    stage: Stage
    kpi: str
    """The official share (:data:`OFFICIAL_SHARES`)."""
    share_difference: float
    wait_difference: float
    share_better: bool
    patient_chosen: bool
    """The same share with PVV included does not improve with it (share better, wait
    worse): the official share excludes patient-chosen waiting, and that is where the
    waiting went."""


def opposite_directions(paired: PairedComparison) -> list[OppositeMove]:
    """Where an official share within the guarantee and the mean wait move in opposite
    directions (one better, the other worse) between a policy and the baseline.

    From the paired comparison's mean differences (``policy − baseline``); differences
    that round to 0 at the printed precision (0.05 pp, 0.05 days) are not a direction.
    One entry per (policy, stage, share).
    """
    out: list[OppositeMove] = []
    for policy, stages in paired.comparisons.items():
        for stage, kpis in stages.items():
            wait = _mean_difference(kpis, "mean_wait_days")
            if wait is None or abs(wait) < 0.05:
                continue
            for kpi in OFFICIAL_SHARES:
                share = _mean_difference(kpis, kpi)
                if share is None or abs(share) < 0.0005 or (share > 0) != (wait > 0):
                    continue
                incl = _mean_difference(kpis, f"{kpi}_incl_pvv")
                out.append(
                    OppositeMove(
                        policy=policy,
                        baseline=paired.baseline,
                        stage=stage,
                        kpi=kpi,
                        share_difference=share,
                        wait_difference=wait,
                        share_better=share > 0,
                        patient_chosen=share > 0 and incl is not None and incl < 0.0005,
                    )
                )
    return out


def _mean_difference(kpis: StageKpis[Comparison], kpi: str) -> float | None:
    c = kpis.values.get(kpi)
    return c.difference.mean if c is not None else None
