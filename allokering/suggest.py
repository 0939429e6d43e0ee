"""Ranked options for one new referral against the residual capacity.

Built once from a problem (and optionally the plan already made), a
:class:`ResidualState` keeps the slots left per unit and week and, per unit, the
first week with room. :func:`suggest` then costs each allowed unit at that week with
the problem's own weights (:func:`allokering.cost.assignment_costs`: effective weight
from weight, priority and weeks overdue, travel, and the away-from-home cost against
the referral's ``home_unit`` or its area's catchment unit) — the cheapest week at a
unit, since cost never falls with the week — and ranks the options, in tens of
microseconds. A booking the referral holds is ignored (no move cost).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from allokering.compiled import IntArray
from allokering.cost import assignment_costs, effective_weight
from allokering.problem import AllocationProblem, AllocationResult, Referral, Weights


@dataclass(frozen=True, slots=True)
class Option:
    """One place a referral could go."""

    unit: str
    earliest_week: int
    on_time: bool
    km: int
    cost: int
    """The referral's cost there, by the problem's weights (the ranking key)."""


class ResidualState:
    """Slots left per (unit, week) and each unit's first week with room."""

    def __init__(self, problem: AllocationProblem, result: AllocationResult | None = None):
        self.horizon = problem.horizon_weeks
        self.weights: Weights = problem.weights
        self.unit_ids: tuple[str, ...] = tuple(u.id for u in problem.units)
        self._unit_index = {u: j for j, u in enumerate(self.unit_ids)}
        self._area_index = {a.id: i for i, a in enumerate(problem.areas)}
        self.home_units: dict[str, str] = {}
        """Home unit per area id (the first unit whose catchment lists it)."""
        for u in problem.units:
            for a_id in u.catchment:
                self.home_units.setdefault(a_id, u.id)
        self.km: IntArray = np.asarray(problem.km_table(), dtype=np.int64)
        self.residual: IntArray = np.asarray(
            [u.capacity for u in problem.units], dtype=np.int64
        ).reshape(len(self.unit_ids), self.horizon)
        if result is not None:
            for a in result.assignments:
                self.residual[self._unit_index[a.unit], a.week] -= 1
            if (self.residual < 0).any():
                raise ValueError("the result exceeds the problem's capacity")
        self.first_free: IntArray = self._first_free()

    @classmethod
    def of_residual(
        cls,
        unit_ids: Sequence[str],
        area_ids: Sequence[str],
        km: IntArray,
        residual: IntArray,
        weights: Weights,
        home_units: Mapping[str, str] | None = None,
    ) -> ResidualState:
        """A state from slots already known to be left (``residual[unit, week]``) and
        whole-km distances ``km[area, unit]``, e.g. from a database of bookings.
        ``home_units`` maps an area id to its home unit (a referral's own ``home_unit``
        takes precedence)."""
        if residual.ndim != 2 or residual.shape[0] != len(unit_ids):
            raise ValueError("residual must be units × weeks")
        if km.shape != (len(area_ids), len(unit_ids)):
            raise ValueError("km must be areas × units")
        if (residual < 0).any():
            raise ValueError("residual slots must be >= 0")
        state = cls.__new__(cls)
        state.horizon = int(residual.shape[1])
        state.weights = weights
        state.unit_ids = tuple(unit_ids)
        state._unit_index = {u: j for j, u in enumerate(state.unit_ids)}
        state._area_index = {a: i for i, a in enumerate(area_ids)}
        state.home_units = dict(home_units or {})
        if not set(state.home_units.values()) <= set(state.unit_ids):
            raise ValueError("home_units names a unit outside unit_ids")
        state.km = np.asarray(km, dtype=np.int64)
        state.residual = np.array(residual, dtype=np.int64)
        state.first_free = state._first_free()
        return state

    def _first_free(self) -> IntArray:
        room = self.residual > 0
        return np.where(room.any(axis=1), room.argmax(axis=1), self.horizon).astype(np.int64)

    def book(self, unit: str, week: int) -> None:
        """Take one slot (after the coordinator accepts an option)."""
        j = self._unit_index[unit]
        if self.residual[j, week] <= 0:
            raise ValueError(f"no slot left at {unit} in week {week}")
        self.residual[j, week] -= 1
        if self.residual[j, week] == 0 and self.first_free[j] == week:
            row = self.residual[j, week + 1 :] > 0
            self.first_free[j] = week + 1 + int(row.argmax()) if row.any() else self.horizon

    def options(self, referral: Referral) -> list[Option]:
        """All allowed units with room, best first (cost, then km, then unit order)."""
        area = self._area_index.get(referral.area)
        if area is None:
            raise ValueError(f"unknown area {referral.area!r}")
        km = self.km[area]
        week = self.first_free
        ok = week < self.horizon
        if referral.max_travel_km is not None:
            ok &= km <= referral.max_travel_km
        if referral.eligible_units is not None:
            mask = np.zeros(len(self.unit_ids), dtype=bool)
            for u in referral.eligible_units:
                j = self._unit_index.get(u)
                if j is None:
                    raise ValueError(f"unknown unit {u!r}")
                mask[j] = True
            ok &= mask
        idx = np.nonzero(ok)[0]
        w = self.weights
        weeks, dist = week[idx], km[idx]
        on_time = 7 * weeks <= referral.deadline_day
        home_id = referral.home_unit or self.home_units.get(referral.area)
        home = -1 if home_id is None else self._unit_index.get(home_id, -1)
        eff = effective_weight(referral.weight, referral.priority, referral.deadline_day, w)
        n = len(idx)
        cost = assignment_costs(
            np.full(n, eff, dtype=np.int64),
            np.full(n, referral.deadline_day, dtype=np.int64),
            idx,
            weeks,
            dist,
            np.full(n, home, dtype=np.int64),
            np.zeros(n, dtype=bool),
            w,
        )
        order = np.lexsort((idx, dist, cost))
        ids = self.unit_ids
        return [
            Option(ids[j], wk, ot, d, c)
            for j, wk, ot, d, c in zip(
                idx[order].tolist(),
                weeks[order].tolist(),
                on_time[order].tolist(),
                dist[order].tolist(),
                cost[order].tolist(),
                strict=True,
            )
        ]


def suggest(state: ResidualState, referral: Referral, limit: int | None = None) -> list[Option]:
    """Ranked options ``{unit, earliest_week, on_time, km}`` for one new referral.

    Does not book anything; call ``state.book(option.unit, option.earliest_week)``
    once an option is taken. A booking the referral already holds is not considered.
    """
    options = state.options(referral)
    return options if limit is None else options[:limit]
