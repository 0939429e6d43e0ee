"""The allocation cost: one closed formula, used by every solver, the validator and
:mod:`allokering.suggest`.

For referral ``r`` (``weight`` ω, ``priority`` p ∈ 1..5, ``deadline_day`` d) and the
problem's :class:`~allokering.problem.Weights`:

- **effective weight** ``W_r = min(MAX_EFFECTIVE_WEIGHT, ω · priority_step^(5 − p) ·
  (1 + overdue_per_week · floor(max(0, −d) / 7)))`` — priority 1 (P1) counts
  ``priority_step⁴`` times a routine referral, and every full week already past the
  limit adds ``overdue_per_week`` to the factor, so a breach is never "sunk";
- **assigned** to unit u in week w: ``W_r·(breach·[7w > d] + wait_per_day·7w)
  + travel_per_km·km(area_r, u) + away_from_home·[home_r is set and u ≠ home_r]
  + move·[booked_r and (u, w) ≠ booked_r]``;
- **unassigned**: ``W_r·(breach·[d < 7H] + wait_per_day·7H) + move·[booked_r]``.

``home_r`` is the referral's ``home_unit`` when given, else the unit whose
``catchment`` lists its area (the first one), else none (no away cost).

With ``priority_step=1, overdue_per_week=0, away_from_home=0`` this is exactly the
earlier objective ``ω·(breach·[late] + wait_per_day·7w) + travel + move``.

Scalar functions (plain Python ints, used by :mod:`allokering.validate`) and
vectorised numpy ones (used by the compiled view and the solvers) are built from the
same parts (:func:`time_cost`, :func:`site_cost`, :func:`move_cost` and their
``*_v`` twins); nothing else in the package writes the formula.

**Bounds.** ``W_r ≤ MAX_EFFECTIVE_WEIGHT = 10⁶``; a problem is accepted only when the
costliest possible referral (its largest effective weight times
``breach + wait_per_day·7H``, plus the largest travel, away and move costs) is at most
``MAX_REFERRAL_COST = 2·10¹²`` and the number of referrals times that bound at most
``MAX_TOTAL_COST = 2⁶²``. So no single cost, network arc cost or total overflows int64
in numpy, the min-cost flow (whose node count × arc cost must fit) or CP-SAT.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from allokering.referral import Referral
from allokering.weights import Weights

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

ROUTINE = 5
"""The routine priority level (the lowest); 1 is the most urgent (P1)."""
MAX_EFFECTIVE_WEIGHT = 1_000_000
"""Cap on the effective weight ``W_r``."""
MAX_REFERRAL_COST = 2 * 10**12
"""Largest accepted worst-case cost of one referral (see the module docstring)."""
MAX_TOTAL_COST = 2**62
"""Largest accepted worst-case total cost (referrals × the worst referral)."""


# --- scalar (plain Python ints) ---------------------------------------------------------
def effective_weight(weight: int, priority: int, deadline_day: int, w: Weights) -> int:
    """``W_r`` of one referral."""
    overdue_weeks = max(0, -deadline_day) // 7
    base = min(MAX_EFFECTIVE_WEIGHT, weight * int(w.priority_step ** (ROUTINE - priority)))
    return min(MAX_EFFECTIVE_WEIGHT, base * (1 + w.overdue_per_week * overdue_weeks))


def time_cost(eff_weight: int, late: bool, week: int, w: Weights) -> int:
    """``W·(breach·[late] + wait_per_day·7·week)`` (week = H when unassigned)."""
    return eff_weight * (w.breach * int(late) + w.wait_per_day * 7 * week)


def site_cost(km: int, away: bool, w: Weights) -> int:
    """``travel_per_km·km + away_from_home·[away]``."""
    return w.travel_per_km * km + w.away_from_home * int(away)


def move_cost(moved: bool, w: Weights) -> int:
    """``move·[moved]``."""
    return w.move * int(moved)


def is_away(unit: str, home: str | None) -> bool:
    """Whether placing at ``unit`` is away from the home unit (never without a home)."""
    return home is not None and unit != home


def assignment_cost(
    referral: Referral, unit: str, week: int, km: int, home: str | None, w: Weights
) -> int:
    """Cost of placing ``referral`` at ``unit`` in ``week`` (``km`` = whole km from its
    area to the unit; ``home`` = its home unit or None)."""
    eff = effective_weight(referral.weight, referral.priority, referral.deadline_day, w)
    b = referral.booked
    moved = b is not None and (b.unit, b.week) != (unit, week)
    return (
        time_cost(eff, 7 * week > referral.deadline_day, week, w)
        + site_cost(km, is_away(unit, home), w)
        + move_cost(moved, w)
    )


def unassigned_cost(referral: Referral, horizon: int, w: Weights) -> int:
    """Cost of leaving ``referral`` unplaced over a horizon of ``horizon`` weeks."""
    eff = effective_weight(referral.weight, referral.priority, referral.deadline_day, w)
    late = referral.deadline_day < 7 * horizon
    return time_cost(eff, late, horizon, w) + move_cost(referral.booked is not None, w)


# --- vectorised (numpy int64) -----------------------------------------------------------
def effective_weights(
    weight: IntArray, priority: IntArray, deadline: IntArray, w: Weights
) -> IntArray:
    """``W_r`` per referral (capped in two steps so that no product overflows)."""
    step = np.int64(w.priority_step) ** (ROUTINE - np.asarray(priority, dtype=np.int64))
    base = np.minimum(MAX_EFFECTIVE_WEIGHT, np.asarray(weight, dtype=np.int64) * step)
    overdue_weeks = np.maximum(0, -np.asarray(deadline, dtype=np.int64)) // 7
    factor = 1 + w.overdue_per_week * overdue_weeks
    out: IntArray = np.minimum(MAX_EFFECTIVE_WEIGHT, base * factor).astype(np.int64)
    return out


def time_cost_v(eff_weight: IntArray, late: BoolArray, week: IntArray, w: Weights) -> IntArray:
    """Vectorised :func:`time_cost`."""
    out: IntArray = np.asarray(eff_weight, dtype=np.int64) * (
        w.breach * np.asarray(late, dtype=np.int64)
        + w.wait_per_day * 7 * np.asarray(week, dtype=np.int64)
    )
    return out


def site_cost_v(km: IntArray, away: BoolArray, w: Weights) -> IntArray:
    """Vectorised :func:`site_cost`."""
    travel = w.travel_per_km * np.asarray(km, dtype=np.int64)
    out: IntArray = travel + w.away_from_home * np.asarray(away, dtype=np.int64)
    return out


def move_cost_v(moved: BoolArray, w: Weights) -> IntArray:
    """Vectorised :func:`move_cost`."""
    out: IntArray = w.move * np.asarray(moved, dtype=np.int64)
    return out


def is_away_v(unit: IntArray, home: IntArray) -> BoolArray:
    """Vectorised :func:`is_away` on unit indices (home -1 = none)."""
    out: BoolArray = (np.asarray(home) >= 0) & (np.asarray(unit) != np.asarray(home))
    return out


def late_v(deadline: IntArray, week: IntArray) -> BoolArray:
    """``7·week > deadline_day`` (a placement is late)."""
    out: BoolArray = 7 * np.asarray(week, dtype=np.int64) > np.asarray(deadline)
    return out


def assignment_costs(
    eff_weight: IntArray,
    deadline: IntArray,
    unit: IntArray,
    week: IntArray,
    km: IntArray,
    home: IntArray,
    moved: BoolArray,
    w: Weights,
) -> IntArray:
    """Vectorised :func:`assignment_cost` (units as indices, ``home`` -1 = none)."""
    return (
        time_cost_v(eff_weight, late_v(deadline, week), week, w)
        + site_cost_v(km, is_away_v(unit, home), w)
        + move_cost_v(moved, w)
    )


def unassigned_costs(
    eff_weight: IntArray, deadline: IntArray, booked: BoolArray, horizon: int, w: Weights
) -> IntArray:
    """Vectorised :func:`unassigned_cost`."""
    deadline = np.asarray(deadline, dtype=np.int64)
    weeks = np.full(deadline.shape, horizon, dtype=np.int64)
    return time_cost_v(eff_weight, deadline < 7 * horizon, weeks, w) + move_cost_v(booked, w)


# --- bounds ----------------------------------------------------------------------------
def worst_referral_cost(max_eff_weight: int, horizon: int, max_km: int, w: Weights) -> int:
    """An upper bound on any one referral's cost (assigned or not)."""
    return (
        max_eff_weight * (w.breach + w.wait_per_day * 7 * horizon)
        + w.travel_per_km * max_km
        + w.away_from_home
        + w.move
    )


def cost_bound_errors(
    n_referrals: int, max_eff_weight: int, horizon: int, max_km: int, w: Weights
) -> list[tuple[tuple[str, ...], str]]:
    """Why the costs of such a problem could overflow: ``[(field path, message)]``."""
    worst = worst_referral_cost(max_eff_weight, horizon, max_km, w)
    if worst <= MAX_REFERRAL_COST and n_referrals * worst <= MAX_TOTAL_COST:
        return []
    parts = {
        "breach": max_eff_weight * w.breach,
        "wait_per_day": max_eff_weight * w.wait_per_day * 7 * horizon,
        "travel_per_km": w.travel_per_km * max_km,
        "away_from_home": w.away_from_home,
        "move": w.move,
    }
    field = max(parts, key=lambda k: parts[k])
    if worst > MAX_REFERRAL_COST:
        why = f"one referral could cost {worst:,} > {MAX_REFERRAL_COST:,}"
    else:
        why = f"{n_referrals:,} referrals could cost {n_referrals * worst:,} > 2^62"
    msg = (
        f"weights too large for int64 arithmetic: {why} (largest effective weight "
        f"{max_eff_weight:,}, horizon {horizon} weeks, {max_km:,} km); lower "
        f"weights.{field} (or the referral weights / priority_step / overdue_per_week)"
    )
    return [(("weights", field), msg)]
