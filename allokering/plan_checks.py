"""The checks of :func:`allokering.validate.validate` as array operations.

A plan arrives as :class:`PlanRows` — one entry per assignment row (referral index,
unit index, week, ``on_time``; -1 for an unknown id) and the unassigned referral
indices — and is checked against the problem's own referral columns, with the
validator's own distances and home units (not the solvers' compiled view). Every
error is counted; only the first :data:`MAX_REPORTED` in row order are worded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from allokering.columns import IntArray, ReferralColumns, eligibility_codes
from allokering.problem import AllocationProblem

BoolArray = npt.NDArray[np.bool_]
MAX_REPORTED = 50
"""At most this many errors are listed (the count is always exact)."""


@dataclass(frozen=True, eq=False)
class PlanRows:
    """A result's assignment rows and unassigned list as arrays (index -1: unknown id).

    ``label(i)`` names row ``i`` (its referral and unit ids) and ``unassigned_label(j)``
    the ``j``-th unassigned id, for the error messages.
    """

    referral: IntArray
    unit: IntArray
    week: IntArray
    on_time: BoolArray
    unassigned: IntArray
    label: Callable[[int], tuple[str, str]]
    unassigned_label: Callable[[int], str]


@dataclass(frozen=True, eq=False)
class Placed:
    """The plan the valid rows make: unit index (-1: not placed) and week per referral."""

    unit: IntArray
    week: IntArray
    covered: BoolArray
    """Placed or listed as unassigned."""


class Errors:
    """Errors as (row order key, message); counted exactly, worded for the first few."""

    def __init__(self) -> None:
        self.count = 0
        self.items: list[tuple[float, str]] = []

    def add(self, keys: IntArray, word: Callable[[int], str], order: float = 0.0) -> None:
        """Count ``len(keys)`` errors at row positions ``keys``; word the first few."""
        self.count += len(keys)
        for k in keys[:MAX_REPORTED].tolist():
            self.items.append((k + order, word(k)))

    def add_one(self, key: float, message: str) -> None:
        self.count += 1
        self.items.append((key, message))

    def worded(self) -> list[str]:
        return [m for _, m in sorted(self.items, key=lambda x: x[0])][:MAX_REPORTED]


def check_rows(
    problem: AllocationProblem,
    cols: ReferralColumns,
    km: IntArray,
    rows: PlanRows,
    errors: Errors,
) -> Placed:
    """Ids, repeats, the horizon, eligibility, travel limits, ``on_time`` and coverage;
    the plan of the valid rows (``km``: whole km, shape (areas, units))."""
    h, n = problem.horizon_weeks, cols.n
    ref, unit, week = rows.referral, rows.unit, rows.week
    m = len(ref)
    idx = np.arange(m, dtype=np.int64)
    known = ref >= 0
    basic = known & (unit >= 0) & (week >= 0) & (week < h)
    first = np.full(n + 1, m, dtype=np.int64)
    np.minimum.at(first, np.where(basic, ref, n), idx)
    dup = known & (idx > first[np.where(known, ref, n)])
    name = rows.label
    errors.add(np.nonzero(~known)[0], lambda i: f"{_where(i, name)}: unknown referral")
    errors.add(np.nonzero(dup)[0], lambda i: f"{_where(i, name)}: referral placed more than once")
    bad_unit = known & ~dup & (unit < 0)
    errors.add(np.nonzero(bad_unit)[0], lambda i: f"{_where(i, name)}: unknown unit {name(i)[1]!r}")
    bad_week = known & ~dup & (unit >= 0) & ~((week >= 0) & (week < h))
    errors.add(
        np.nonzero(bad_week)[0],
        lambda i: f"{_where(i, name)}: week {int(week[i])} outside 0..{h - 1}",
    )
    ok = basic & ~dup
    at = np.nonzero(ok)[0]
    r, u, w = ref[at], unit[at], week[at]
    _row_errors(problem, cols, km, rows, at, errors)
    placed_unit = np.full(n, -1, dtype=np.int64)
    placed_week = np.zeros(n, dtype=np.int64)
    placed_unit[r], placed_week[r] = u, w
    covered = placed_unit >= 0
    _unassigned_errors(cols, rows, covered, errors)
    missing = n - int(covered.sum())
    if missing:
        example = cols.ids[int(np.argmin(covered))]
        errors.add_one(
            float(m) + len(rows.unassigned),
            f"{missing} referral(s) neither placed nor unassigned, e.g. {example}",
        )
    return Placed(placed_unit, placed_week, covered)


def _where(i: int, name: Callable[[int], tuple[str, str]]) -> str:
    return f"assignments[{i}] ({name(i)[0]})"


def _row_errors(
    problem: AllocationProblem,
    cols: ReferralColumns,
    km: IntArray,
    rows: PlanRows,
    at: IntArray,
    errors: Errors,
) -> None:
    """Eligibility, the travel limit and ``on_time`` of the valid rows ``at``."""
    r, u, w = rows.referral[at], rows.unit[at], rows.week[at]
    name = rows.label
    uidx = {x: i for i, x in enumerate(cols.unit_ids)}
    code, masks = eligibility_codes(cols.eligible, uidx)
    table = np.stack(masks)
    not_eligible = ~table[code[r], u]
    errors.add(
        at[not_eligible],
        lambda i: f"{_where(i, name)}: unit {name(i)[1]} is not eligible",
        0.1,
    )
    dist = km[cols.area[r], u]
    too_far = dist > cols.max_km[r]
    far_km = dict(zip(at[too_far].tolist(), dist[too_far].tolist(), strict=True))
    errors.add(
        at[too_far],
        lambda i: (
            f"{_where(i, name)}: {far_km[i]} km exceeds max_travel_km "
            f"{problem.referrals[int(rows.referral[i])].max_travel_km}"
        ),
        0.2,
    )
    wrong = rows.on_time[at] != (7 * w <= cols.deadline[r])
    errors.add(
        at[wrong],
        lambda i: (
            f"{_where(i, name)}: on_time is {bool(rows.on_time[i])}, "
            f"should be {not rows.on_time[i]}"
        ),
        0.3,
    )


def _unassigned_errors(
    cols: ReferralColumns, rows: PlanRows, covered: BoolArray, errors: Errors
) -> None:
    """Unknown or repeated unassigned ids (also placed, or listed twice); marks the
    others as covered."""
    un = rows.unassigned
    base = float(len(rows.referral))
    known = un >= 0
    errors.add(
        np.nonzero(~known)[0],
        lambda j: f"unassigned: unknown referral {rows.unassigned_label(j)!r}",
        base,
    )
    k = np.nonzero(known)[0]
    _, first = np.unique(un[k], return_index=True)
    repeated = np.ones(len(k), dtype=bool)
    repeated[first] = False
    repeated |= covered[un[k]]
    errors.add(
        k[repeated],
        lambda j: f"unassigned: {rows.unassigned_label(j)} is also placed or listed twice",
        base,
    )
    covered[un[k[~repeated]]] = True


def capacity_errors(
    problem: AllocationProblem, unit: IntArray, week: IntArray, errors: Errors
) -> None:
    """(unit, week) cells holding more referrals than their capacity."""
    h, units = problem.horizon_weeks, problem.units
    placed = unit >= 0
    used = np.bincount(unit[placed] * h + week[placed], minlength=len(units) * h)
    cap = np.asarray([x.capacity for x in units], dtype=np.int64).reshape(-1)
    over = np.nonzero(used > cap)[0].tolist()
    over.sort(key=lambda cell: (units[cell // h].id, cell % h))
    for cell in over:
        uid, w = units[cell // h].id, cell % h
        errors.add_one(
            1e18, f"capacity: {int(used[cell])} placed at {uid} week {w}, capacity {cap[cell]}"
        )


def home_index(problem: AllocationProblem, cols: ReferralColumns) -> IntArray:
    """Home unit index per referral (its own, else the first unit whose catchment lists
    its area), -1 when it has none."""
    uidx = {u.id: j for j, u in enumerate(problem.units)}
    area_home: dict[str, int] = {}
    for u in problem.units:
        for a in u.catchment:
            area_home.setdefault(a, uidx[u.id])
    per_area = np.asarray([area_home.get(a.id, -1) for a in problem.areas], dtype=np.int64)
    home = per_area[cols.area]
    own = cols.home_unit >= 0
    home[own] = cols.home_unit[own]
    return home


def km_array(problem: AllocationProblem, km: dict[tuple[str, str], int]) -> IntArray:
    """The validator's distances as an (areas, units) array."""
    return np.asarray(
        [[km[a.id, u.id] for u in problem.units] for a in problem.areas], dtype=np.int64
    ).reshape(len(problem.areas), len(problem.units))


def ids_to_index(ids: Sequence[str], index: dict[str, int]) -> IntArray:
    """Indices of ``ids`` in ``index``, -1 for unknown ones."""
    get = index.get
    return np.fromiter((get(x, -1) for x in ids), np.int64, len(ids))
