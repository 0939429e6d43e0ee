"""``shared``: one regional list per pool (or per group of units), offers elsewhere only
when they help; also today's baseline ``separate_by_hospital_group`` and
``shared_within_subregion``, which pool the groups of :func:`hospital_groups` and
:func:`subregion_groups`.

:class:`PoolCapacity` (a pool's coming capacity per unit, for projected dates at a home
unit) and :func:`zero_acceptance_km` are used by ``optimised`` too.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import numpy as np

from simulering.columns import int_rows
from simulering.policies.base import REF_MASK, Entry, QueueContext, stage_of
from simulering.spec import FloatArray, IntArray, ModelSpec


class SharedList:
    """``shared``: one regional list per pool, offers elsewhere only when they help.

    Every referral belongs to the list of its home unit (its catchment's unit for the
    pool). Like a care-guarantee office (*vårdgarantikansli*), the coordinator reviews
    the home lists every ``spec.offers.review_days``: a referral whose projected date at home —
    its place in the home unit's turn order against the unit's coming capacity — falls
    after its deadline, or who is already late, is *at risk* and goes on the regional
    list of referrals that may be offered another unit. A unit with free capacity takes,
    in the region's turn order (:meth:`QueueContext.turn_key`), the first of its own
    list or of the at-risk list; an at-risk patient is *offered* the unit and may
    decline it (beyond their travel tolerance), which starts patient-chosen waiting
    (PVV) when the offer was within the limit. A patient gets at most
    ``spec.offers.max_per_patient`` offers, none at a distance they already declined,
    nor beyond the distance where the scenario's acceptance curve reaches zero, and a
    unit makes at most ``spec.offer_scan_limit`` offers per freed slot. A slot
    that neither its own list nor an at-risk patient takes stays free: nobody is moved
    from a home unit that meets their limit.

    With ``gated=False`` (``offers.elsewhere: always``) every referral is on the
    regional list from the start: one pooled queue, the textbook M/M/c case.
    ``group_of_unit`` restricts pooling to groups of units; ``None`` pools the whole
    region. ``shared_within_subregion`` pools each sub-region, and today's baseline
    ``separate_by_hospital_group`` each hospital group (*förvaltning*): one list across
    the group's own sites, a patient offered another site of the group only when their
    own cannot meet the limit, never a unit of another group.
    """

    name = "shared"

    def __init__(self, group_of_unit: Sequence[int] | None = None, gated: bool = True) -> None:
        self.group_of_unit = group_of_unit
        self.gated = gated

    def initialise(self, ctx: QueueContext) -> None:
        self.ctx = ctx
        spec = ctx.spec
        n_groups = 1 if self.group_of_unit is None else max(self.group_of_unit) + 1
        self.unit_group = (
            [0] * spec.n_units if self.group_of_unit is None else list(self.group_of_unit)
        )
        self.regional: list[list[list[Entry]]] = [[[] for _ in range(n_groups)] for _ in spec.pools]
        """Per pool and group: the referrals that may be offered any unit of the group."""
        self.own: list[list[list[Entry]]] = [[[] for _ in range(spec.n_units)] for _ in spec.pools]
        """Per pool and unit: its home list."""
        self.scan_limit = spec.offer_scan_limit
        self.max_offers = spec.offers.max_per_patient
        self.review_days = float(spec.offers.review_days)
        self.next_review = [0.0 for _ in spec.pools]
        n = len(ctx.area)
        self.offers = int_rows(np.zeros((2, n), dtype=np.int64))
        """Per stage: offers made to each referral (of units other than the home one)."""
        self.declined_km: list[dict[int, float]] = [{}, {}]
        """Per stage: the shortest distance a referral declined (their tolerance is less)."""
        self.flagged: list[set[int]] = [set() for _ in spec.pools]
        """Per pool: referrals on the at-risk list (gated mode)."""
        self.km_rows: list[list[float]] = spec.km.tolist()
        self.zero_km = zero_acceptance_km(spec)
        """Nobody accepts a unit this far (where the acceptance curve reaches 0)."""
        self.capacity = [pool_capacity(spec, p) for p in range(len(spec.pools))]

    def join(self, ref: int, pool: int, now: float) -> None:
        ctx = self.ctx
        entry = ctx.turn_entry(ref, stage_of(pool))
        home = ctx.home_of[pool][ref]
        heapq.heappush(self.own[pool][home], entry)
        if not self.gated:
            heapq.heappush(self.regional[pool][self.unit_group[home]], entry)
        else:
            self.flagged[pool].discard(ref)  # a no-show rebooked: reviewed afresh

    # --- the review --------------------------------------------------------------------
    def review(self, pool: int, now: float) -> None:
        """Put every referral whose home unit cannot meet its limit on the at-risk list."""
        self.next_review[pool] = now + self.review_days
        ctx, stage = self.ctx, stage_of(pool)
        waiting, deadline = ctx.waiting, ctx.deadline
        flagged, capacity = self.flagged[pool], self.capacity[pool]
        for unit, heap in enumerate(self.own[pool]):
            if not heap:
                continue
            live = sorted(e for e in heap if waiting(e & REF_MASK, stage, now))
            self.own[pool][unit] = live  # a sorted list is a heap
            due = np.fromiter((deadline(e & REF_MASK, stage) for e in live), float, len(live))
            late = (due < now) | (capacity.projected_days(unit, now, len(live)) > due)
            group = self.regional[pool][self.unit_group[unit]]
            offers = self.offers[stage]
            for k in np.flatnonzero(late).tolist():
                entry = live[k]
                ref = entry & REF_MASK
                if ref not in flagged and offers[ref] < self.max_offers:
                    flagged.add(ref)
                    heapq.heappush(group, entry)

    # --- offers ------------------------------------------------------------------------
    def offer(self, unit: int, pool: int, now: float, slots: int) -> list[int]:
        if self.gated and now >= self.next_review[pool]:
            self.review(pool, now)
        ctx, stage = self.ctx, stage_of(pool)
        heap = self.regional[pool][self.unit_group[unit]]
        own = self.own[pool][unit]
        waiting, accepts = ctx.waiting, ctx.accepts
        pop, push, mask = heapq.heappop, heapq.heappush, REF_MASK
        offers, declined, km_rows, area = (
            self.offers[stage],
            self.declined_km[stage],
            self.km_rows,
            ctx.area,
        )
        home = ctx.home_of[pool]
        taken: list[int] = []
        chosen: set[int] = set()
        held: list[Entry] = []
        scans = 0
        max_scans = self.scan_limit * slots
        while len(taken) < slots:
            while own and ((own[0] & mask) in chosen or not waiting(own[0] & mask, stage, now)):
                pop(own)
            while heap and ((heap[0] & mask) in chosen or not waiting(heap[0] & mask, stage, now)):
                pop(heap)
            if heap and scans < max_scans and (not own or heap[0] < own[0]):
                entry = pop(heap)
                ref = entry & mask
                if home[ref] == unit:  # its own unit: no offer needed
                    taken.append(ref)
                    chosen.add(ref)
                    continue
                if offers[ref] >= self.max_offers:
                    continue  # no more offers: waits at home
                km = km_rows[area[ref]][unit]
                if km >= declined.get(ref, self.zero_km):
                    held.append(entry)  # known to decline this far: not offered
                    scans += 1
                    continue
                scans += 1
                offers[ref] += 1
                if accepts(ref, unit, pool):
                    taken.append(ref)
                    chosen.add(ref)
                else:
                    ctx.decline(ref, stage, now)
                    declined[ref] = km
                    held.append(entry)
            elif own:
                ref = pop(own) & mask
                taken.append(ref)
                chosen.add(ref)
            else:
                break
        for entry in held:
            push(heap, entry)
        return taken


def zero_acceptance_km(spec: ModelSpec) -> float:
    """The distance from which nobody accepts a unit (inf if the curve never reaches 0)."""
    km, prob = spec.behaviour.accept_km, spec.behaviour.accept_prob
    zero = np.flatnonzero(prob <= 0.0)
    return float(km[zero[0]]) if zero.size else math.inf


class PoolCapacity:
    """A pool's coming capacity per unit, for projected dates at a home unit."""

    def __init__(self, cum: IntArray | None, rate: list[float]) -> None:
        self.cum = cum
        """Slot calendars: cum[unit, d] = slots on days 0 … d − 1."""
        self.rate = rate
        """Server pools: services per day per unit (servers ÷ mean service time)."""

    def projected_days(self, unit: int, now: float, n: int) -> FloatArray:
        """The day the k-th (0-based) of ``n`` patients in turn would be served."""
        k = np.arange(1, n + 1, dtype=np.float64)
        if self.cum is None:
            r = self.rate[unit]
            return now + k / r if r > 0 else np.full(n, math.inf)
        cum = self.cum[unit]
        day = min(int(now), cum.shape[0] - 1)
        # the first d with cum[d] >= cum[day] + k: the k-th slot from today is on day d − 1
        d = np.searchsorted(cum, cum[day] + k, side="left")
        return np.where(d < cum.shape[0], d - 1.0, math.inf)


def pool_capacity(spec: ModelSpec, pool: int) -> PoolCapacity:
    """:class:`PoolCapacity` of ``spec.pools[pool]``."""
    p = spec.pools[pool]
    if p.mode == "slots" and p.slots is not None:
        cum = np.zeros((p.slots.shape[0] + 1, spec.n_units), dtype=np.int64)
        np.cumsum(p.slots, axis=0, out=cum[1:])
        return PoolCapacity(np.ascontiguousarray(cum.T), [])
    servers = p.servers if p.servers is not None else np.zeros(spec.n_units)
    mean = p.service.mean if p.service is not None and p.service.mean > 0 else 1.0
    return PoolCapacity(None, (servers / mean).astype(float).tolist())


def hospital_groups(spec: ModelSpec) -> list[int]:
    """Each unit's hospital group (*förvaltning*) as an index."""
    names = list(dict.fromkeys(spec.unit_group))
    return [names.index(g) for g in spec.unit_group]


def subregion_groups(spec: ModelSpec) -> list[int]:
    """Each unit's sub-region: that of most of its catchment (or its nearest area)."""
    groups: list[int] = []
    for u in range(spec.n_units):
        areas = [a for a in range(spec.n_areas) if spec.home_unit[a] == u]
        if not areas:
            areas = [int(spec.km[:, u].argmin())]
        names = [spec.area_subregion[a] for a in areas]
        groups.append(spec.subregions.index(max(set(names), key=names.count)))
    return groups
