"""``optimised``: rolling-horizon allocation of the shared queue with ``allokering``.

Every planning period (``PolicyOptions.planning_period_days``, a week by default) the
policy builds one :class:`~allokering.problem.AllocationProblem` per calendar pool (the
first visit, each treatment pool) and solves it with :func:`allokering.solve.solve`
(``flow`` by default, any solver by name):

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
  ``eligible_units``; a referral with no allowed unit is left out of the plan.

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

import numpy as np

from allokering.problem import (
    AllocationProblem,
    AllocationResult,
    AreaRef,
    Booking,
    Referral,
    Status,
    UnitCapacity,
    priority_levels,
)
from allokering.solve import solve
from simulering.policies.base import Entry, QueueContext
from simulering.policies.shared import SharedList, zero_acceptance_km
from simulering.spec import PolicyOptions

PlanObserver = Callable[[int, AllocationProblem, AllocationResult], None]
"""Called with (pool, problem, result) after every plan (tests, diagnostics)."""

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
        """Wall time spent planning (building problems, solving, applying plans)."""
        self.solve_seconds = 0.0
        """Of that, wall time inside :func:`allokering.solve.solve`."""

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
        self.level: list[list[int]] = [
            np.asarray(levels[s], dtype=np.int64)[ctx.patients.priority].tolist() for s in (0, 1)
        ]
        """Per stage: each referral's priority level for the cost model (1 = P1, 5 = routine)."""
        self.units: list[list[int]] = [np.flatnonzero(p.serves()).tolist() for p in spec.pools]
        self.unit_index: list[dict[str, int]] = [
            {spec.unit_ids[u]: u for u in units} for units in self.units
        ]
        self.cum_slots: list[list[list[int]] | None] = []
        for pool in spec.pools:
            if pool.mode == "slots" and pool.slots is not None:
                cum = np.zeros((pool.slots.shape[0] + 1, n_units), dtype=np.int64)
                np.cumsum(pool.slots, axis=0, out=cum[1:])
                self.cum_slots.append(cum.T.tolist())
            else:
                self.cum_slots.append(None)
        self.areas = [AreaRef(id=a) for a in spec.area_ids]
        self.travel: list[dict[str, dict[str, float]]] = [
            {
                spec.area_ids[a]: {spec.unit_ids[u]: self.km_rows[a][u] for u in units}
                for a in range(spec.n_areas)
            }
            for units in self.units
        ]
        self.catchment: list[dict[int, list[str]]] = [
            {
                u: [spec.area_ids[a] for a in range(spec.n_areas) if ctx.home[p][a] == u]
                for u in self.units[p]
            }
            for p in range(n_pools)
        ]
        self.area_eligible: list[list[list[str] | None]] = [
            [self._allowed(p, a, self.zero_km) for a in range(spec.n_areas)] for p in range(n_pools)
        ]
        """Per pool and area: the units allowed before anyone has declined anything."""
        self.listed_at: list[dict[int, int]] = [
            {r: h for r, h in enumerate(ctx.home_of[p]) if h != ctx.home[p][ctx.area[r]]}
            for p in range(n_pools)
        ]
        """Per pool: referrals of the actual waiting list on another unit's list than their
        area's home unit, and that unit (their home unit in the problem)."""

        self.members: list[dict[int, float]] = [{} for _ in range(n_pools)]
        """Referrals on each pool's list → their turn key (insertion order; pruned at plans)."""
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
        key = ctx.turn_key(ref, 0 if pool == 0 else 1)
        entry = (key, ref)
        self.members[pool][ref] = key
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
            ref = entry[1]
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
            ref = entry[1]
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
            ref = heapq.heappop(own)[1]
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
    def _eligible(self, ref: int, pool: int, stage: int) -> list[str] | None:
        """Units the coordinator may place the referral at (None: every unit of the pool)."""
        ctx = self.ctx
        area = ctx.area[ref]
        declined = self.declined_km[stage].get(ref)
        if declined is None or declined >= self.zero_km:
            return self.area_eligible[pool][area]
        return self._allowed(pool, area, declined)

    def _allowed(self, pool: int, area: int, limit: float) -> list[str] | None:
        """Units of the pool nearer than ``limit`` km, and the home unit."""
        home, row, ids = self.ctx.home[pool][area], self.km_rows[area], self.ctx.spec.unit_ids
        units = self.units[pool]
        allowed = [ids[u] for u in units if u == home or row[u] < limit]
        return None if len(allowed) == len(units) else allowed

    def _plan(self, pool: int, now: float) -> None:
        started = time.perf_counter()
        unit_ids = self.ctx.spec.unit_ids
        day = int(now)
        self.next_plan[pool] = now + self.period
        horizon = self.horizon
        cum = self.cum_slots[pool]
        assert cum is not None
        last = len(cum[0]) - 1  # the calendar's last day + 1
        edges = [min(day + 7 * w, last) for w in range(horizon + 1)]
        problem = AllocationProblem(
            horizon_weeks=horizon,
            units=[
                UnitCapacity(
                    id=unit_ids[u],
                    capacity=[cum[u][edges[w + 1]] - cum[u][edges[w]] for w in range(horizon)],
                    catchment=self.catchment[pool][u],
                )
                for u in self.units[pool]
            ],
            areas=self.areas,
            travel_km=self.travel[pool],
            referrals=self._referrals(pool, now),
        )
        opts = self.options
        t_solve = time.perf_counter()
        result = solve(
            problem,
            solver=opts.solver,
            time_limit=opts.solver_time_limit_seconds if opts.solver == "cpsat" else None,
            reasons=False,
        )
        self.solve_seconds += time.perf_counter() - t_solve
        self.plans += 1
        if self.on_plan is not None:
            self.on_plan(pool, problem, result)
        self._apply(pool, day, result)
        self.plan_seconds += time.perf_counter() - started

    def _referrals(self, pool: int, now: float) -> list[Referral]:
        """The pool's waiting referrals as rows of the allocation problem (pruning the
        list of those no longer waiting), each with its deadline, priority level, the
        units it would go to and its booking in the latest plan."""
        ctx, spec = self.ctx, self.ctx.spec
        stage = 0 if pool == 0 else 1
        day = int(now)
        horizon = self.horizon
        waiting = ctx.waiting
        members = {r: d for r, d in self.members[pool].items() if waiting(r, stage, now)}
        self.members[pool] = members
        placed = self.placed[pool]
        rows: list[Referral] = []
        area_ids, unit_ids = spec.area_ids, spec.unit_ids
        area_of, area_eligible = ctx.area, self.area_eligible[pool]
        declined = self.declined_km[stage]
        listed_at = self.listed_at[pool]
        level = self.level[stage]
        floor = math.floor
        deadline_of = ctx.deadline
        for ref in members:
            deadline_at = deadline_of(ref, stage)
            area = area_of[ref]
            eligible = self._eligible(ref, pool, stage) if ref in declined else area_eligible[area]
            if eligible is not None and not eligible:
                continue  # nowhere the patient would go: left to the fill-up
            deadline = floor(deadline_at - now)
            booking = None
            if ref in placed:
                unit, start = placed[ref]
                week = (start - day) // 7
                if 0 <= week < horizon:
                    booking = Booking(unit_ids[unit], week)
            home = listed_at.get(ref)
            if home is not None and eligible is not None and unit_ids[home] not in eligible:
                eligible = [*eligible, unit_ids[home]]
            rows.append(
                Referral(
                    str(ref),
                    area_ids[area],
                    max(-DEADLINE_BOUND, min(DEADLINE_BOUND, deadline)),
                    priority=level[ref],
                    eligible_units=eligible,
                    booked=booking,
                    home_unit=None if home is None else unit_ids[home],
                )
            )
        return rows

    def _apply(self, pool: int, day: int, result: AllocationResult) -> None:
        """Book the near weeks of the plan; rebuild the lists the fill-up draws from."""
        ctx = self.ctx
        members = self.members[pool]
        index = self.unit_index[pool]
        placed: dict[int, tuple[int, int]] = {}
        booked: set[int] = set()
        near: list[list[Entry]] = [[] for _ in range(ctx.spec.n_units)]
        usable = result.status in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT)
        at_risk = set(members)
        for a in result.assignments if usable else ():
            ref, unit = int(a.referral), index[a.unit]
            placed[ref] = (unit, day + 7 * a.week)
            if a.on_time:
                at_risk.discard(ref)
            if a.week < self.near_weeks:
                booked.add(ref)
                near[unit].append((members[ref], ref))
        for heap in near:
            heapq.heapify(heap)
        self.placed[pool], self.booked[pool], self.near[pool] = placed, booked, near
        self.at_risk[pool] = at_risk
        home = ctx.home_of[pool]
        regional: list[Entry] = []
        own: list[list[Entry]] = [[] for _ in range(ctx.spec.n_units)]
        for ref, key in members.items():
            entry = (key, ref)
            own[home[ref]].append(entry)
            if ref not in booked:
                regional.append(entry)
        heapq.heapify(regional)
        for heap in own:
            heapq.heapify(heap)
        self.regional[pool], self.own[pool] = regional, own
