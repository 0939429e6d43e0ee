"""Baselines a portal would use without optimisation.

Both first keep existing bookings (in list order, where the booked unit is allowed
and the slot still has room), then place the others one at a time:

- :func:`greedy_home_fcfs` — *separate queues*: referrals in list order (first come,
  first served) each take the earliest week with room at their home unit (the unit
  whose catchment lists their area, else the nearest unit; when it is not allowed for
  the referral, its nearest allowed unit);
- :func:`greedy_edd_nearest` — *shared queue, earliest deadline first*: referrals by
  ``deadline_day`` each go to the nearest allowed unit with room in time
  (``7·w ≤ deadline_day``); when none has, to the earliest week with room anywhere
  allowed (ties: nearest).

Neither looks at side constraints (sessions, external share, area floors).
"""

from __future__ import annotations

import time

import numpy as np

from allokering.compiled import Compiled, IntArray, compile_problem
from allokering.plan import make_result
from allokering.problem import AllocationProblem, AllocationResult, Status


class _Slots:
    """Residual capacity with a per-unit pointer to the first week with room."""

    def __init__(self, c: Compiled) -> None:
        self.h = c.horizon
        self.left: list[list[int]] = c.capacity.tolist()
        self.first = [self._scan(u, 0) for u in range(c.n_units)]

    def _scan(self, u: int, w: int) -> int:
        row, h = self.left[u], self.h
        while w < h and row[w] == 0:
            w += 1
        return w

    def take(self, u: int, w: int) -> None:
        self.left[u][w] -= 1
        if w == self.first[u] and self.left[u][w] == 0:
            self.first[u] = self._scan(u, w + 1)


def _keep_bookings(c: Compiled, slots: _Slots) -> tuple[IntArray, IntArray]:
    unit = np.full(c.n_referrals, -1, dtype=np.int64)
    week = np.zeros(c.n_referrals, dtype=np.int64)
    ok = np.nonzero(c.booked_allowed())[0]
    bu, bw = c.booked_unit[ok].tolist(), c.booked_week[ok].tolist()
    for i, u, w in zip(ok.tolist(), bu, bw, strict=True):
        if slots.left[u][w] > 0:
            slots.take(u, w)
            unit[i], week[i] = u, w
    return unit, week


def _nearest_allowed(c: Compiled) -> list[list[int]]:
    """Per allow code, the allowed units from nearest to farthest."""
    out: list[list[int]] = []
    for code in range(len(c.allowed)):
        row = c.km[c.allow_area[code]]
        units = np.nonzero(c.allowed[code])[0]
        out.append(units[np.argsort(row[units], kind="stable")].tolist())
    return out


def greedy_home_fcfs(problem: AllocationProblem, *, reasons: bool = True) -> AllocationResult:
    """Home unit, first come first served (separate queues)."""
    started = time.perf_counter()
    c = compile_problem(problem)
    slots = _Slots(c)
    unit, week = _keep_bookings(c, slots)
    near = _nearest_allowed(c)
    target = [
        int(c.home[c.allow_area[code]])
        if c.allowed[code, c.home[c.allow_area[code]]]
        else (units[0] if units else -1)
        for code, units in enumerate(near)
    ]
    first, left, h = slots.first, slots.left, c.horizon
    todo = np.nonzero(unit < 0)[0]
    codes = c.allow_code[todo].tolist()
    chosen_u: list[int] = []
    chosen_w: list[int] = []
    for code in codes:
        u = target[code]
        if u < 0 or first[u] >= h:
            chosen_u.append(-1)
            chosen_w.append(0)
            continue
        w = first[u]
        left[u][w] -= 1
        if left[u][w] == 0:
            first[u] = slots._scan(u, w + 1)
        chosen_u.append(u)
        chosen_w.append(w)
    unit[todo] = chosen_u
    week[todo] = chosen_w
    return make_result(
        problem,
        c,
        unit,
        week,
        status=Status.FEASIBLE,
        solver="greedy_home",
        started=started,
        reasons=reasons,
    )


def greedy_edd_nearest(problem: AllocationProblem, *, reasons: bool = True) -> AllocationResult:
    """Earliest deadline first, to the nearest allowed unit with room (shared queue)."""
    started = time.perf_counter()
    c = compile_problem(problem)
    slots = _Slots(c)
    unit, week = _keep_bookings(c, slots)
    near = _nearest_allowed(c)
    first, left, h = slots.first, slots.left, c.horizon
    todo = np.nonzero(unit < 0)[0]
    todo = todo[np.argsort(c.deadline[todo], kind="stable")]
    codes = c.allow_code[todo].tolist()
    last_weeks = np.floor_divide(c.deadline[todo], 7).tolist()
    chosen_u: list[int] = []
    chosen_w: list[int] = []
    for code, last in zip(codes, last_weeks, strict=True):
        best_u, best_w = -1, h
        for u in near[code]:
            w = first[u]
            if w <= last and w < h:
                best_u, best_w = u, w
                break
            if w < best_w:
                best_u, best_w = u, w
        if best_u < 0:
            chosen_u.append(-1)
            chosen_w.append(0)
            continue
        left[best_u][best_w] -= 1
        if left[best_u][best_w] == 0 and first[best_u] == best_w:
            first[best_u] = slots._scan(best_u, best_w + 1)
        chosen_u.append(best_u)
        chosen_w.append(best_w)
    unit[todo] = chosen_u
    week[todo] = chosen_w
    return make_result(
        problem,
        c,
        unit,
        week,
        status=Status.FEASIBLE,
        solver="greedy_edd",
        started=started,
        reasons=reasons,
    )
