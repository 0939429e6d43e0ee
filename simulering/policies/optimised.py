"""``optimised``: rolling-horizon allocation of the shared queue with ``allokering``.

Every planning period (``PolicyOptions.planning_period_days``, a week by default) the
policy plans each calendar pool (the first visit, each treatment pool) with the exact
flow solver through :mod:`allokering.arrays` — the columns below, no per-referral
objects, the same plan as :func:`allokering.solve.solve` on the equivalent
:class:`~allokering.problem.AllocationProblem` (:func:`allokering.arrays.to_problem`),
which is how any other solver chosen by name is run:

- **referrals**: everyone on the pool's shared list at the planning moment, with
  ``deadline_day`` = the guarantee deadline − now (whole days, rounded down) and the
  ``priority`` level of the referral's group (:func:`allokering.problem.priority_levels`:
  the shortest limit → 1, the routine group → 5). The cost of each placement is the one
  cost model of :mod:`allokering.cost` with the default weights: a higher priority
  weighs ``priority_step`` times more per level, a referral already late more for every
  full week it is late (so no long waiter is left unplanned to keep newer ones on time;
  in ``mvo_spridning`` 39 % of those waiting had waited over a year before this), and a
  placement away from the home unit (its catchment's) costs ``away_from_home``, so
  patients are moved only to avoid a breach or a long wait;
- **capacity**: the next ``planning_horizon_weeks`` weeks of each unit that serves the
  pool, summed from the pool's daily slot calendar. Week ``w`` is days
  ``t + 7w … t + 7w + 6`` from the planning day ``t``; nothing of them has been used
  yet (planning happens before the day's first booking in the pool), and patients the
  previous plan placed are in the problem with that placement as their booking;
- **bookings**: each referral's placement in the previous plan, shifted to the new
  week numbering, so the ``move`` weight keeps placed patients where they are unless
  moving them avoids a breach or a long wait;
- **travel**: what the coordinator knows — nobody accepts a unit at or beyond the
  distance where the scenario's acceptance curve reaches zero, and a patient who
  declined a unit at ``d`` km declines everything at ``d`` km or more (tolerances are
  personal and fixed). The home unit is always allowed. These go to the solver as
  the allowed units; a referral with no allowed unit is left out of the plan.

The placements in the *near* weeks (those starting within the planning period) are
booked: each day the model asks ``offer(unit, pool, now, slots)``, and the unit serves
the referrals planned there in the near weeks first, in turn order. A patient may
still decline a planned unit (the coordinator does not know the personal tolerance);
that is recorded as patient-chosen waiting (PVV) as in ``shared``, the limit is
remembered, and the referral goes back to the list for the next plan. A slot the plan
leaves free (withdrawals, declines, no-shows, new referrals since the plan) is filled
from the referrals not booked in the near weeks, in turn order: the unit's own patients
take it, and a patient of another unit is offered it only when the latest plan could
not place them on time or they are already late (at most ``offer_scan_limit`` scans
per slot), then the unit's own first in turn, who always accepts. Nobody is moved from
a home unit that meets their limit.

Planning happens inside ``offer`` when the period has elapsed, so the model stays
event-light (no processes of its own). Server-mode pools (queueing-theory validation)
have no calendar to plan against and fall back to ``shared``.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from itertools import repeat

import numpy as np

from allokering.arrays import (
    ArrayPlan,
    PlanColumns,
    PlanningFrame,
    make_frame,
    plan,
    plan_of_result,
    to_problem,
    to_result,
)
from allokering.compiled import BoolArray, IntArray
from allokering.problem import AllocationProblem, AllocationResult, priority_levels
from allokering.solve import solve
from simulering.policies.base import REF_MASK, Entry, QueueContext
from simulering.policies.shared import SharedList, zero_acceptance_km
from simulering.spec import PolicyOptions

PlanObserver = Callable[[int, AllocationProblem, AllocationResult], None]
"""Called with (pool, problem, result) after every plan (tests, diagnostics): the plan
as the public contract's problem and result (built only when an observer is set)."""

DEADLINE_BOUND = 100_000
"""``Referral.deadline_day`` accepts −100 000 … 100 000."""


class OptimisedPolicy:
    """``optimised``: re-plan the shared lists with the allocation optimiser each period."""

    name = "optimised"

    def __init__(self, options: PolicyOptions, on_plan: PlanObserver | None = None) -> None:
        self.options = options
        self.on_plan = on_plan
        self.plans = 0
        """Plans made so far (all pools)."""
        self.plan_seconds = 0.0
        """Wall time spent planning (gathering the columns, solving, applying plans)."""
        self.solve_seconds = 0.0
        """Of that, wall time inside the solver (:func:`allokering.arrays.plan`)."""
        self.plan_cpu_seconds = 0.0
        """CPU time spent planning (``time.process_time``)."""
        self.solve_cpu_seconds = 0.0
        """Of that, CPU time inside the solver."""

    # --- set-up --------------------------------------------------------------------
    def initialise(self, ctx: QueueContext) -> None:
        self.ctx = ctx
        spec = ctx.spec
        opts = self.options
        n_pools, n_units = len(spec.pools), spec.n_units
        self.horizon = opts.planning_horizon_weeks
        self.period = float(opts.planning_period_days)
        self.near_weeks = max(1, math.ceil(opts.planning_period_days / 7))
        self.scan_limit = spec.offer_scan_limit
        self.km_rows: list[list[float]] = spec.km.tolist()
        self.zero_km = zero_acceptance_km(spec)
        self.server_pool = [p.mode == "servers" for p in spec.pools]
        self.fallback = SharedList(gated=spec.offers.elsewhere == "when_at_risk")
        """Server pools: no calendar to plan against, so they run as ``shared``."""
        self.fallback.initialise(ctx)

        levels = [priority_levels(spec.priority_limit[:, s].tolist()) for s in (0, 1)]
        self.level = [np.asarray(levels[s], dtype=np.int64)[ctx.patients.priority] for s in (0, 1)]
        """Per stage: each referral's priority level for the cost model (1 = P1, 5 = routine)."""
        self.area_of = np.asarray(ctx.area, dtype=np.int64)
        self.units = [np.flatnonzero(p.serves()).astype(np.int64) for p in spec.pools]
        """Per pool: the units that serve it (the columns of its plans)."""
        self.local = [np.full(n_units, -1, dtype=np.int64) for _ in spec.pools]
        """Per pool: a unit's column in the pool's plans (-1: not in the pool)."""
        for p, units in enumerate(self.units):
            self.local[p][units] = np.arange(len(units))
        self.cum_slots: list[IntArray | None] = []
        """Per slot pool: cum[column, d] = the unit's slots on days 0 … d − 1."""
        self.frames: list[PlanningFrame | None] = []
        for p, pool in enumerate(spec.pools):
            if pool.mode == "slots" and pool.slots is not None:
                cum = np.zeros((pool.slots.shape[0] + 1, n_units), dtype=np.int64)
                np.cumsum(pool.slots, axis=0, out=cum[1:])
                self.cum_slots.append(cum.T[self.units[p]].copy())
                self.frames.append(self._frame(p) if len(self.units[p]) else None)
            else:
                self.cum_slots.append(None)
                self.frames.append(None)
        self.area_allowed = [self._allowed(p, self.zero_km) for p in range(n_pools)]
        """Per pool: allowed units per area before anyone has declined anything."""
        self.listed_home: list[IntArray] = []
        """Per pool and referral: the plan column of the unit whose list a referral of the
        actual waiting list is on, where that is not its area's home unit (else -1): its
        home unit in the plan, always allowed."""
        for p in range(n_pools):
            own = np.asarray(ctx.home_of[p], dtype=np.int64)
            by_area = np.asarray(ctx.home[p], dtype=np.int64)[self.area_of]
            self.listed_home.append(np.where(own != by_area, self.local[p][own], -1))

        self.members: list[dict[int, Entry]] = [{} for _ in range(n_pools)]
        """Referrals on each pool's list → their list entry (insertion order; pruned at plans)."""
        self.at_risk: list[set[int]] = [set() for _ in range(n_pools)]
        """Per pool: referrals the latest plan could not place on time (or already late):
        only they are offered a unit other than their home unit when a slot frees."""
        self.placed: list[dict[int, tuple[int, int]]] = [{} for _ in range(n_pools)]
        """The latest plan: referral → (unit, first day of its week)."""
        self.booked: list[set[int]] = [set() for _ in range(n_pools)]
        """Referrals booked in the near weeks and not yet served or declined."""
        self.near: list[list[list[Entry]]] = [[[] for _ in range(n_units)] for _ in spec.pools]
        """Per pool and unit: the near-week bookings, in turn order (lazy deletion)."""
        self.regional: list[list[Entry]] = [[] for _ in spec.pools]
        """Per pool: referrals without a near-week booking, in turn order."""
        self.own: list[list[list[Entry]]] = [[[] for _ in range(n_units)] for _ in spec.pools]
        """Per pool and home unit: every waiting referral, in turn order."""
        self.declined_km: list[dict[int, float]] = [{}, {}]
        """Per stage: the shortest distance a referral has declined."""
        self.next_plan = [0.0] * n_pools

    # --- the protocol ----------------------------------------------------------------
    def join(self, ref: int, pool: int, now: float) -> None:
        if self.server_pool[pool]:
            self.fallback.join(ref, pool, now)
            return
        ctx = self.ctx
        entry = ctx.turn_entry(ref, 0 if pool == 0 else 1)
        self.members[pool][ref] = entry
        self.placed[pool].pop(ref, None)  # a no-show lost the booking
        self.booked[pool].discard(ref)
        heapq.heappush(self.regional[pool], entry)
        heapq.heappush(self.own[pool][ctx.home_of[pool][ref]], entry)

    def offer(self, unit: int, pool: int, now: float, slots: int) -> list[int]:
        if self.server_pool[pool]:
            return self.fallback.offer(unit, pool, now, slots)
        if now >= self.next_plan[pool]:
            self._plan(pool, now)
        ctx, stage = self.ctx, 0 if pool == 0 else 1
        booked, waiting = self.booked[pool], ctx.waiting
        heap = self.near[pool][unit]
        taken: list[int] = []
        while heap and len(taken) < slots:
            entry = heapq.heappop(heap)
            ref = entry & REF_MASK
            if ref not in booked:
                continue  # served elsewhere, declined or re-planned
            booked.discard(ref)
            if not waiting(ref, stage, now):
                continue
            if ctx.accepts(ref, unit, pool):
                taken.append(ref)
            else:  # declined the booked unit: back to the list for the next plan
                self._declined(ref, unit, stage, now)
                self.placed[pool].pop(ref, None)
                heapq.heappush(self.regional[pool], entry)
        if len(taken) < slots:
            self._fill(unit, pool, now, slots, taken)
        members, placed = self.members[pool], self.placed[pool]
        for ref in taken:
            members.pop(ref, None)
            placed.pop(ref, None)
        return taken

    # --- filling free slots like ``shared`` ------------------------------------------
    def _fill(self, unit: int, pool: int, now: float, slots: int, taken: list[int]) -> None:
        ctx, stage = self.ctx, 0 if pool == 0 else 1
        booked, waiting = self.booked[pool], ctx.waiting
        heap = self.regional[pool]
        home, at_risk = ctx.home_of[pool], self.at_risk[pool]
        chosen = set(taken)
        held: list[Entry] = []
        offers, max_offers = 0, self.scan_limit * (slots - len(taken))
        while heap and len(taken) < slots and offers < max_offers:
            entry = heapq.heappop(heap)
            ref = entry & REF_MASK
            if ref in chosen or ref in booked or not waiting(ref, stage, now):
                continue  # a booked referral has its own heap entry and slot
            if home[ref] == unit:
                taken.append(ref)  # its own unit: no offer needed
                chosen.add(ref)
                continue
            if ref not in at_risk and ctx.deadline(ref, stage) >= now:
                held.append(entry)  # its home unit meets its limit: not offered elsewhere
                offers += 1
                continue
            offers += 1
            if ctx.accepts(ref, unit, pool):
                taken.append(ref)
                chosen.add(ref)
            else:
                self._declined(ref, unit, stage, now)  # keeps any later placement
                held.append(entry)
        for entry in held:
            heapq.heappush(heap, entry)
        own = self.own[pool][unit]
        while own and len(taken) < slots:
            ref = heapq.heappop(own) & REF_MASK
            if ref not in chosen and waiting(ref, stage, now):
                taken.append(ref)
                chosen.add(ref)
                booked.discard(ref)  # at home now rather than booked elsewhere

    def _declined(self, ref: int, unit: int, stage: int, now: float) -> None:
        """PVV as in ``shared``; the coordinator now knows the patient's limit."""
        self.ctx.decline(ref, stage, now)
        km = self.km_rows[self.ctx.area[ref]][unit]
        known = self.declined_km[stage]
        if km < known.get(ref, math.inf):
            known[ref] = km

    # --- planning --------------------------------------------------------------------
    def _frame(self, pool: int) -> PlanningFrame:
        """What stays fixed between the pool's plans: its units, the distances, each
        area's home unit (the catchment), the horizon and the default weights."""
        spec, units = self.ctx.spec, self.units[pool]
        home = self.local[pool][np.asarray(self.ctx.home[pool], dtype=np.int64)]
        return make_frame(
            spec.km[:, units],
            home,
            self.horizon,
            unit_ids=[spec.unit_ids[u] for u in units.tolist()],
            area_ids=spec.area_ids,
        )

    def _allowed(self, pool: int, limit: float, area: int | None = None) -> BoolArray:
        """Units of the pool nearer than ``limit`` km, and the home unit: per area
        (shape areas × units), or for one area."""
        units = self.units[pool]
        home = np.asarray(self.ctx.home[pool], dtype=np.int64)
        km = self.ctx.spec.km[:, units]
        out: BoolArray = (
            (km[area] < limit) | (units == home[area])
            if area is not None
            else (km < limit) | (units[None, :] == home[:, None])
        )
        return out

    def _plan(self, pool: int, now: float) -> None:
        started, cpu = time.perf_counter(), time.process_time()
        day = int(now)
        self.next_plan[pool] = now + self.period
        frame = self.frames[pool]
        assert frame is not None
        refs, cols = self._columns(pool, now)
        opts = self.options
        t_solve, c_solve = time.perf_counter(), time.process_time()
        if opts.solver == "flow":
            result = plan(frame, cols)
        else:  # any other solver through the public contract
            problem = to_problem(frame, cols, list(map(str, refs)))
            answer = solve(
                problem,
                solver=opts.solver,
                time_limit=opts.solver_time_limit_seconds if opts.solver == "cpsat" else None,
                reasons=False,
            )
            result = plan_of_result(problem, answer)
        self.solve_seconds += time.perf_counter() - t_solve
        self.solve_cpu_seconds += time.process_time() - c_solve
        self.plans += 1
        if self.on_plan is not None:
            if opts.solver == "flow":
                problem = to_problem(frame, cols, list(map(str, refs)))
                answer = to_result(problem, result)
            self.on_plan(pool, problem, answer)
        self._apply(pool, day, refs, result)
        self.plan_seconds += time.perf_counter() - started
        self.plan_cpu_seconds += time.process_time() - cpu

    def _columns(self, pool: int, now: float) -> tuple[list[int], PlanColumns]:
        """The pool's waiting referrals as plan columns (pruning the list of those no
        longer waiting): deadline, priority level, allowed units and the booking in the
        latest plan; a referral with no allowed unit is left out (to the fill-up)."""
        ctx, stage, day, horizon = self.ctx, 0 if pool == 0 else 1, int(now), self.horizon
        waiting = ctx.waiting
        members = {r: d for r, d in self.members[pool].items() if waiting(r, stage, now)}
        self.members[pool] = members
        refs = list(members)
        ref = np.fromiter(refs, np.int64, len(refs))
        area = self.area_of[ref]
        allowed = self.area_allowed[pool][area]
        declined, zero_km = self.declined_km[stage], self.zero_km
        for i in [i for i, r in enumerate(refs) if r in declined]:
            if declined[refs[i]] < zero_km:
                allowed[i] = self._allowed(pool, declined[refs[i]], int(area[i]))
        home_unit = self.listed_home[pool][ref]
        listed = np.flatnonzero(home_unit >= 0)
        allowed[listed, home_unit[listed]] = True  # its own list's unit is always allowed
        keep: BoolArray = np.any(allowed, axis=1)
        if not keep.all():
            refs = [r for r, k in zip(refs, keep.tolist(), strict=True) if k]
            ref, area, allowed = ref[keep], area[keep], allowed[keep]
            home_unit = home_unit[keep]
        deadline_at = np.fromiter(map(ctx.deadline, refs, repeat(stage)), np.float64, len(refs))
        deadline = np.clip(np.floor(deadline_at - now), -DEADLINE_BOUND, DEADLINE_BOUND)
        booked_unit, booked_week = np.full(len(refs), -1), np.full(len(refs), -1)
        placed, local = self.placed[pool], self.local[pool]
        rows = [(i, p) for i, p in enumerate(map(placed.get, refs)) if p is not None]
        for i, (unit, start) in rows:
            week = (start - day) // 7
            if 0 <= week < horizon:
                booked_unit[i], booked_week[i] = local[unit], week
        cum = self.cum_slots[pool]
        assert cum is not None
        edges = np.minimum(day + 7 * np.arange(horizon + 1), cum.shape[1] - 1)
        cols = PlanColumns(
            capacity=cum[:, edges[1:]] - cum[:, edges[:-1]],
            area=area,
            deadline=deadline.astype(np.int64),
            priority=self.level[stage][ref],
            allowed=allowed,
            booked_unit=booked_unit,
            booked_week=booked_week,
            home_unit=home_unit,
        )
        return refs, cols

    def _apply(self, pool: int, day: int, refs: list[int], result: ArrayPlan) -> None:
        """Book the near weeks of the plan; rebuild the lists the fill-up draws from."""
        ctx = self.ctx
        members = self.members[pool]
        placed: dict[int, tuple[int, int]] = {}
        booked: set[int] = set()
        near: list[list[Entry]] = [[] for _ in range(ctx.spec.n_units)]
        at_risk = set(members)
        rows = np.flatnonzero(result.unit >= 0)
        units = self.units[pool][result.unit[rows]].tolist()
        weeks, on_time = result.week[rows].tolist(), result.on_time[rows].tolist()
        for i, unit, week, ok in zip(rows.tolist(), units, weeks, on_time, strict=True):
            ref = refs[i]
            placed[ref] = (unit, day + 7 * week)
            if ok:
                at_risk.discard(ref)
            if week < self.near_weeks:
                booked.add(ref)
                near[unit].append(members[ref])
        for heap in near:
            heapq.heapify(heap)
        self.placed[pool], self.booked[pool], self.near[pool] = placed, booked, near
        self.at_risk[pool] = at_risk
        home = ctx.home_of[pool]
        regional: list[Entry] = []
        own: list[list[Entry]] = [[] for _ in range(ctx.spec.n_units)]
        for ref, entry in members.items():
            own[home[ref]].append(entry)
            if ref not in booked:
                regional.append(entry)
        heapq.heapify(regional)
        for heap in own:
            heapq.heapify(heap)
        self.regional[pool], self.own[pool] = regional, own
