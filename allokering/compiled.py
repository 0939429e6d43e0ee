"""A columnar (numpy) view of an :class:`AllocationProblem`, shared by the solvers.

Compiling once turns a million referral rows into a few integer arrays, so that
aggregation into referral classes, costs and result objectives are vectorised
(:mod:`allokering.plan` turns a plan on this view into costs and a result).
The validator does **not** use this module: it recomputes everything on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from allokering.columns import ReferralColumns, columns_of, eligibility_codes
from allokering.cost import effective_weights
from allokering.problem import AllocationProblem, Weights, gc_paused

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Compiled:
    """Integer arrays describing a problem (indices instead of ids)."""

    horizon: int
    unit_ids: tuple[str, ...]
    unit_labels: tuple[str, ...]
    area_ids: tuple[str, ...]
    weights: Weights
    km: IntArray
    """Whole km, shape (areas, units)."""
    capacity: IntArray
    """Slots, shape (units, H)."""
    home: IntArray
    """Home unit per area: the first unit whose catchment lists it, else the nearest."""
    referral_ids: list[str]
    area: IntArray
    deadline: IntArray
    weight: IntArray
    priority: IntArray
    """Priority level 1..5 per referral."""
    eff_weight: IntArray
    """Effective weight ``W_r`` per referral (:func:`allokering.cost.effective_weights`)."""
    cost_home: IntArray
    """Home unit per referral for the away cost (its ``home_unit``, else the first unit
    whose catchment lists its area), -1 when it has none."""
    allow_code: IntArray
    """Per referral: row of ``allowed`` (one row per distinct area/eligibility/max km)."""
    allowed: BoolArray
    """Allowed units, shape (allow codes, units)."""
    allow_area: IntArray
    """Area of each allow code."""
    booked_unit: IntArray
    """Booked unit index or -1."""
    booked_week: IntArray
    """Booked week or -1."""
    minutes: IntArray
    catchment: BoolArray
    """Unit j lists area i in its catchment, shape (units, areas)."""
    session_minutes: IntArray
    """Session minutes per (unit, week); -1 where the unit sets none."""
    max_external_percent: IntArray
    """Per unit; -1 where unset."""
    min_on_time_percent: IntArray
    """Per area; -1 where unset."""

    @property
    def n_referrals(self) -> int:
        return len(self.referral_ids)

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    def time_class(self) -> IntArray:
        """k = number of on-time weeks, clipped to 0..H+1 (H+1: no breach even unplaced).

        Late in week w iff w >= k; unplaced counts as a breach iff k <= H.
        """
        k = np.floor_divide(self.deadline, 7) + 1
        out: IntArray = np.clip(k, 0, self.horizon + 1).astype(np.int64)
        return out

    def booked_allowed(self) -> BoolArray:
        """Booked referrals whose booked unit is allowed for them."""
        has = self.booked_unit >= 0
        ok = np.zeros(self.n_referrals, dtype=bool)
        idx = np.nonzero(has)[0]
        ok[idx] = self.allowed[self.allow_code[idx], self.booked_unit[idx]]
        return ok


def compile_problem(problem: AllocationProblem) -> Compiled:
    """Compile (and cache on the problem) the columnar view."""
    cached = problem.__pydantic_private__.get("_compiled") if problem.__pydantic_private__ else None
    if isinstance(cached, Compiled):
        return cached
    with gc_paused():
        compiled = _compile(problem)
    if problem.__pydantic_private__ is not None:
        problem.__pydantic_private__["_compiled"] = compiled
    return compiled


def _compile(problem: AllocationProblem) -> Compiled:
    """The columnar view: units, areas and distances, then the referral columns."""
    h = problem.horizon_weeks
    unit_ids = tuple(u.id for u in problem.units)
    area_ids = tuple(a.id for a in problem.areas)
    n_units = len(unit_ids)
    uidx = {u: i for i, u in enumerate(unit_ids)}
    aidx = {a: i for i, a in enumerate(area_ids)}
    km = np.asarray(problem.km_table(), dtype=np.int64).reshape(len(area_ids), n_units)
    capacity = np.asarray([u.capacity for u in problem.units], dtype=np.int64).reshape(n_units, h)
    home, area_home = _home_units(problem, km, aidx)
    cols = columns_of(problem.referrals, unit_ids, area_ids)
    allow_code, allowed, allow_area = _allowed_units(cols, km, uidx)
    side = _side_constraints(problem, aidx)
    cost_home = area_home[cols.area]
    own = cols.home_unit >= 0
    cost_home[own] = cols.home_unit[own]
    return Compiled(
        horizon=h,
        unit_ids=unit_ids,
        unit_labels=tuple(u.label for u in problem.units),
        area_ids=area_ids,
        weights=problem.weights,
        km=km,
        capacity=capacity,
        home=home,
        referral_ids=cols.ids,
        area=cols.area,
        deadline=cols.deadline,
        weight=cols.weight,
        priority=cols.priority,
        eff_weight=effective_weights(cols.weight, cols.priority, cols.deadline, problem.weights),
        cost_home=cost_home,
        allow_code=allow_code,
        allowed=allowed,
        allow_area=allow_area,
        booked_unit=cols.booked_unit,
        booked_week=cols.booked_week,
        minutes=cols.minutes,
        catchment=side.catchment,
        session_minutes=side.session_minutes,
        max_external_percent=side.max_external_percent,
        min_on_time_percent=side.min_on_time_percent,
    )


def _home_units(
    problem: AllocationProblem, km: IntArray, aidx: dict[str, int]
) -> tuple[IntArray, IntArray]:
    """Per area: its home unit (the first unit whose catchment lists it, else the
    nearest) and its home unit for the cost (-1 when no catchment lists it)."""
    home = np.argmin(km, axis=1).astype(np.int64)
    seen: set[int] = set()
    for j, u in enumerate(problem.units):
        for a in u.catchment:
            i = aidx[a]
            if i not in seen:
                seen.add(i)
                home[i] = j
    area_home = np.full(len(aidx), -1, dtype=np.int64)
    for i in seen:
        area_home[i] = home[i]
    return home, area_home


def _allowed_units(
    cols: ReferralColumns, km: IntArray, uidx: dict[str, int]
) -> tuple[IntArray, BoolArray, IntArray]:
    """One code per distinct (area, allowed units) — eligibility and the longest
    distance accepted — as (code per referral, allowed units per code, area per code)."""
    elig_code, elig_masks = eligibility_codes(cols.eligible, uidx)
    km_values, km_code = np.unique(cols.max_km, return_inverse=True)
    triples = np.stack([cols.area, elig_code, km_code.reshape(-1).astype(np.int64)])
    codes, triple_code = _group(triples)
    t_area, t_elig, t_km = triples[:, codes]
    allowed = np.zeros((len(codes), len(uidx)), dtype=bool)
    if len(codes):
        allowed = np.stack([elig_masks[e] for e in t_elig])
        allowed &= km[t_area] <= km_values[t_km][:, None]
    # one code per distinct (area, allowed units): merge triples that allow the same units
    packed = np.packbits(allowed, axis=1).astype(np.int64).T
    rows, merged = _group(np.vstack([t_area[None, :], packed]))
    return merged[triple_code], allowed[rows], t_area[rows].astype(np.int64)


@dataclass(frozen=True, eq=False)
class _SideConstraints:
    """Per unit: catchment, session minutes, external share; per area: floor (-1: unset)."""

    catchment: BoolArray
    session_minutes: IntArray
    max_external_percent: IntArray
    min_on_time_percent: IntArray


def _side_constraints(problem: AllocationProblem, aidx: dict[str, int]) -> _SideConstraints:
    """The CP-SAT side-constraint data: catchments, session minutes, external shares and
    fairness floors (-1 where not set)."""
    h, n_units = problem.horizon_weeks, len(problem.units)
    catchment = np.zeros((n_units, len(aidx)), dtype=bool)
    for j, u in enumerate(problem.units):
        catchment[j, [aidx[a] for a in u.catchment]] = True
    session = np.asarray(
        [u.session_minutes if u.session_minutes is not None else [-1] * h for u in problem.units],
        dtype=np.int64,
    ).reshape(n_units, h)
    external = [
        -1 if u.max_external_percent is None else u.max_external_percent for u in problem.units
    ]
    floors = [-1 if a.min_on_time_percent is None else a.min_on_time_percent for a in problem.areas]
    return _SideConstraints(
        catchment,
        session,
        np.asarray(external, dtype=np.int64),
        np.asarray(floors, dtype=np.int64),
    )


def _group(rows: IntArray) -> tuple[IntArray, IntArray]:
    """Group the columns of ``rows`` (k × n): first index of each group and group ids."""
    n = rows.shape[1]
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort(rows[::-1])
    srt = rows[:, order]
    new = np.ones(n, dtype=bool)
    new[1:] = np.any(srt[:, 1:] != srt[:, :-1], axis=0)
    gid_sorted = np.cumsum(new) - 1
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = gid_sorted
    first = order[new]
    return first.astype(np.int64), inverse


def group_columns(*cols: IntArray) -> tuple[IntArray, IntArray]:
    """Group referrals by equal values in all ``cols``: (first index per group, group id)."""
    return _group(np.stack([np.asarray(c, dtype=np.int64) for c in cols]))
