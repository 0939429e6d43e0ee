"""Routing policies: who gets a slot when capacity frees up.

A policy is an object behind the small :class:`RoutingPolicy` protocol. The model tells
it when a referral joins the waiting list of a pool and asks it, when a unit has freed
capacity, which referrals take it. The model does not know which policy it runs.

Every list of every policy is in the region's turn order (:meth:`QueueContext.turn_key`:
the priority group first, then the oldest clock start, overdue included), and another
unit is offered only to a referral whose home unit cannot meet its limit.

``separate_by_hospital_group`` (today's baseline), ``separate``, ``shared`` and
``shared_within_subregion`` live here; ``optimised`` (rolling-horizon allocation with
``allokering``) in :mod:`simulering.policy_optimised` and ``patient_choice`` (published
expected waits plus travel) in :mod:`simulering.policy_choice`.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from simulering.patients import Patients
from simulering.spec import FloatArray, IntArray, ModelSpec

Entry = tuple[float, int]
"""(turn key, referral): list entries, the first in turn smallest."""


class QueueContext(Protocol):
    """What the model exposes to a policy."""

    spec: ModelSpec
    patients: Patients
    """The replication's patients (their own draws, e.g. who considers choosing)."""
    area: list[int]
    """Home area of each referral."""
    home: list[list[int]]
    """home[pool][area]: the unit that owns an area's patients in a pool (catchment)."""
    first_visit_unit: list[int]
    """The unit of each referral's first visit (-1 before it)."""
    clock_start: list[list[float]]
    """clock_start[stage][ref]: when the referral's guarantee clock started (NaN: not yet)."""

    def deadline(self, ref: int, stage: int) -> float:
        """Day the referral's guarantee limit runs out in ``stage`` (priority limit)."""
        ...

    def turn_key(self, ref: int, stage: int) -> float:
        """The referral's place in the region's turn order in ``stage``: smaller is
        served first (a higher priority group first, then the oldest clock start,
        overdue included; or the earliest deadline under ``priority_rule: deadline``).
        Every list of every policy is ordered by it."""
        ...

    def waiting(self, ref: int, stage: int, now: float) -> bool:
        """Is the referral still on the list of ``stage`` (not served, not withdrawn)?"""
        ...

    def accepts(self, ref: int, unit: int, pool: int = 0) -> bool:
        """Would the patient accept an appointment at ``unit`` of ``pool``? The pool's
        home unit always; another within the patient's travel tolerance."""
        ...

    def decline(self, ref: int, stage: int, now: float) -> None:
        """Record a declined offer (patient-chosen waiting if within the limit)."""
        ...


class RoutingPolicy(Protocol):
    """Decides which waiting referral takes freed capacity."""

    name: str

    def initialise(self, ctx: QueueContext) -> None:
        """Called once before the run."""
        ...

    def join(self, ref: int, pool: int, now: float) -> None:
        """The referral joins the waiting list for ``pool``."""
        ...

    def offer(self, unit: int, pool: int, now: float, slots: int) -> list[int]:
        """``unit`` has ``slots`` free in ``pool`` now: the referrals that take them."""
        ...


def _stage(pool: int) -> int:
    return 0 if pool == 0 else 1


def separate_list_unit(
    ctx: QueueContext, serves: Sequence[Sequence[bool]], ref: int, pool: int
) -> int:
    """The unit whose own list a referral joins under separate lists: the home unit for
    the first visit; for treatment the unit of the first visit when it has the pool,
    else the home unit for the pool."""
    if pool > 0:
        fv = ctx.first_visit_unit[ref]
        if fv >= 0 and serves[pool][fv]:
            return fv
    return ctx.home[pool][ctx.area[ref]]


class SeparateLists:
    """``separate``: every unit keeps its own list (catchment), in turn order.

    The first visit is at the home unit; treatment at the unit of the first visit when
    it offers that treatment pool, else at the home unit for the pool.
    """

    name = "separate"

    def initialise(self, ctx: QueueContext) -> None:
        self.ctx = ctx
        n_units = ctx.spec.n_units
        self.lists: list[list[list[tuple[float, int]]]] = [
            [[] for _ in range(n_units)] for _ in ctx.spec.pools
        ]
        self.serves = [list(p.serves()) for p in ctx.spec.pools]

    def list_unit(self, ref: int, pool: int) -> int:
        return separate_list_unit(self.ctx, self.serves, ref, pool)

    def join(self, ref: int, pool: int, now: float) -> None:
        ctx = self.ctx
        if pool == 0:  # list_unit(ref, 0), inlined: this runs once per referral
            key, unit = ctx.turn_key(ref, 0), ctx.home[0][ctx.area[ref]]
        else:
            key, unit = ctx.turn_key(ref, 1), self.list_unit(ref, pool)
        heapq.heappush(self.lists[pool][unit], (key, ref))

    def offer(self, unit: int, pool: int, now: float, slots: int) -> list[int]:
        heap, stage, waiting = self.lists[pool][unit], _stage(pool), self.ctx.waiting
        pop = heapq.heappop
        taken: list[int] = []
        while heap and len(taken) < slots:
            ref = pop(heap)[1]
            if waiting(ref, stage, now):
                taken.append(ref)
        return taken


class SharedList:
    """``shared``: one regional list per pool, offers elsewhere only when they help.

    Every referral belongs to the list of its home unit (its catchment's unit for the
    pool). Like a care-guarantee office (*vårdgarantikansli*), the coordinator reviews
    the home lists every ``spec.review_days``: a referral whose projected date at home —
    its place in the home unit's turn order against the unit's coming capacity — falls
    after its deadline, or who is already late, is *at risk* and goes on the regional
    list of referrals that may be offered another unit. A unit with free capacity takes,
    in the region's turn order (:meth:`QueueContext.turn_key`), the first of its own
    list or of the at-risk list; an at-risk patient is *offered* the unit and may
    decline it (beyond their travel tolerance), which starts patient-chosen waiting
    (PVV) when the offer was within the limit. A patient gets at most
    ``spec.max_offers_per_patient`` offers, none at a distance they already declined,
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
        self.max_offers = spec.max_offers_per_patient
        self.review_days = float(spec.review_days)
        self.next_review = [0.0 for _ in spec.pools]
        n = len(ctx.area)
        self.offers: list[list[int]] = [[0] * n, [0] * n]
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
        entry = (ctx.turn_key(ref, _stage(pool)), ref)
        home = ctx.home[pool][ctx.area[ref]]
        heapq.heappush(self.own[pool][home], entry)
        if not self.gated:
            heapq.heappush(self.regional[pool][self.unit_group[home]], entry)
        else:
            self.flagged[pool].discard(ref)  # a no-show rebooked: reviewed afresh

    # --- the review --------------------------------------------------------------------
    def review(self, pool: int, now: float) -> None:
        """Put every referral whose home unit cannot meet its limit on the at-risk list."""
        self.next_review[pool] = now + self.review_days
        ctx, stage = self.ctx, _stage(pool)
        waiting, deadline = ctx.waiting, ctx.deadline
        flagged, capacity = self.flagged[pool], self.capacity[pool]
        for unit, heap in enumerate(self.own[pool]):
            if not heap:
                continue
            live = sorted(e for e in heap if waiting(e[1], stage, now))
            self.own[pool][unit] = live  # a sorted list is a heap
            due = np.fromiter((deadline(e[1], stage) for e in live), float, len(live))
            late = (due < now) | (capacity.projected_days(unit, now, len(live)) > due)
            group = self.regional[pool][self.unit_group[unit]]
            offers = self.offers[stage]
            for k in np.flatnonzero(late).tolist():
                entry = live[k]
                ref = entry[1]
                if ref not in flagged and offers[ref] < self.max_offers:
                    flagged.add(ref)
                    heapq.heappush(group, entry)

    # --- offers ------------------------------------------------------------------------
    def offer(self, unit: int, pool: int, now: float, slots: int) -> list[int]:
        if self.gated and now >= self.next_review[pool]:
            self.review(pool, now)
        ctx, stage = self.ctx, _stage(pool)
        heap = self.regional[pool][self.unit_group[unit]]
        own = self.own[pool][unit]
        waiting, accepts = ctx.waiting, ctx.accepts
        pop, push = heapq.heappop, heapq.heappush
        offers, declined, km_rows, area = (
            self.offers[stage],
            self.declined_km[stage],
            self.km_rows,
            ctx.area,
        )
        home = ctx.home[pool]
        taken: list[int] = []
        chosen: set[int] = set()
        held: list[Entry] = []
        scans = 0
        max_scans = self.scan_limit * slots
        while len(taken) < slots:
            while own and (own[0][1] in chosen or not waiting(own[0][1], stage, now)):
                pop(own)
            while heap and (heap[0][1] in chosen or not waiting(heap[0][1], stage, now)):
                pop(heap)
            if heap and scans < max_scans and (not own or heap[0] < own[0]):
                entry = pop(heap)
                ref = entry[1]
                if home[area[ref]] == unit:  # its own unit: no offer needed
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
                ref = pop(own)[1]
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


PolicyFactory = Callable[[ModelSpec], RoutingPolicy]


def _subregion_groups(spec: ModelSpec) -> list[int]:
    """Each unit's sub-region: that of most of its catchment (or its nearest area)."""
    groups: list[int] = []
    for u in range(spec.n_units):
        areas = [a for a in range(spec.n_areas) if spec.home_unit[a] == u]
        if not areas:
            areas = [int(spec.km[:, u].argmin())]
        names = [spec.area_subregion[a] for a in areas]
        groups.append(spec.subregions.index(max(set(names), key=names.count)))
    return groups


def _optimised(spec: ModelSpec) -> RoutingPolicy:
    from simulering.policy_optimised import OptimisedPolicy  # imports this module

    return OptimisedPolicy(spec.policy_options)


def _patient_choice(spec: ModelSpec) -> RoutingPolicy:
    from simulering.policy_choice import PatientChoice  # imports this module

    return PatientChoice(spec.policy_options)


def _hospital_groups(spec: ModelSpec) -> list[int]:
    """Each unit's hospital group (*förvaltning*) as an index."""
    names = list(dict.fromkeys(spec.unit_group))
    return [names.index(g) for g in spec.unit_group]


def _shared(spec: ModelSpec) -> SharedList:
    return SharedList(gated=spec.offers_elsewhere == "when_at_risk")


POLICIES: dict[str, PolicyFactory] = {
    "separate_by_hospital_group": lambda spec: _named(
        SharedList(_hospital_groups(spec), gated=spec.offers_elsewhere == "when_at_risk"),
        "separate_by_hospital_group",
    ),
    "separate": lambda spec: SeparateLists(),
    "shared": _shared,
    "shared_within_subregion": lambda spec: _named(
        SharedList(_subregion_groups(spec), gated=spec.offers_elsewhere == "when_at_risk"),
        "shared_within_subregion",
    ),
    "optimised": _optimised,
    "patient_choice": _patient_choice,
}


def _named(policy: SharedList, name: str) -> SharedList:
    policy.name = name
    return policy


def make_policy(name: str, spec: ModelSpec) -> RoutingPolicy:
    """The policy called ``name``; a ValueError lists the known ones."""
    try:
        factory = POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; known: {', '.join(POLICIES)}") from None
    return factory(spec)
