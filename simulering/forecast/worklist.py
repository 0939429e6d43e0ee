"""The coordinator's worklist: the listed referrals that breach in at least half of the
replications, with the week they are expected to breach in and how likely it is."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from simulering.forecast.weekly import NO_BREACH

WORKLIST_PROBABILITY = 0.5
"""A referral is on the worklist when it breaches in at least this share of replications."""


def worklist(
    breach_weeks: npt.NDArray[np.int16],
    ids: tuple[str, ...],
    units: list[str],
    mondays: list[str],
) -> list[dict[str, Any]]:
    """``breach_weeks`` (replications × listed referrals, ``NO_BREACH`` where none):
    ``{referral_id, unit, expected_breach_week, probability}`` for each referral that
    breaches in ≥ 50 % of replications; the expected week is the (lower) median of its
    breach weeks over the replications in which it breaches. Sorted by probability
    (highest first), then week, then id."""
    reps = breach_weeks.shape[0]
    if reps == 0 or breach_weeks.shape[1] == 0:
        return []
    breaches = breach_weeks != NO_BREACH
    probability = breaches.sum(axis=0) / reps
    rows: list[tuple[float, int, str, str]] = []
    for ref in np.flatnonzero(probability >= WORKLIST_PROBABILITY).tolist():
        weeks = np.sort(breach_weeks[breaches[:, ref], ref])
        week = int(weeks[(weeks.size - 1) // 2])
        rows.append((float(probability[ref]), week, ids[ref], units[ref]))
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    return [
        {"referral_id": rid, "unit": unit, "expected_breach_week": mondays[w], "probability": p}
        for p, w, rid, unit in rows
    ]
