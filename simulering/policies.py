"""Routing policies: who gets a slot when capacity frees up.

A policy is an object behind the small :class:`RoutingPolicy` protocol. The model tells
it when a referral joins the waiting list of a pool and asks it, when a unit has freed
capacity, which referrals take it. The model does not know which policy it runs.

``separate``, ``shared`` and ``shared_within_subregion`` live here; ``optimised``
(rolling-horizon allocation with ``allokering``) in :mod:`simulering.policy_optimised`
and ``patient_choice`` (published waits plus travel) in :mod:`simulering.policy_choice`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Protocol

from simulering.spec import ModelSpec


class QueueContext(Protocol):
    """What the model exposes to a policy."""

    spec: ModelSpec
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
    """``separate``: every unit keeps its own list (catchment), most urgent first.

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
    """``shared``: one regional list per pool.

    Freed capacity anywhere is offered in urgency order to the most urgent referrals;
    the first whose patient accepts the unit takes it. A patient who declines an offer
    within the limit gets patient-chosen waiting (PVV). A coordinator makes at most
    ``spec.offer_scan_limit`` offers per freed slot; after that the slot goes to the
    most urgent patient of the unit's own catchment, who always accepts.

    ``group_of`` restricts pooling to groups of areas and units (for example
    sub-regions); ``None`` pools the whole region.
    """

    name = "shared"

    def __init__(self, group_of_unit: Sequence[int] | None = None) -> None:
        self.group_of_unit = group_of_unit

    def initialise(self, ctx: QueueContext) -> None:
        self.ctx = ctx
        spec = ctx.spec
        n_groups = 1 if self.group_of_unit is None else max(self.group_of_unit) + 1
        self.unit_group = (
            [0] * spec.n_units if self.group_of_unit is None else list(self.group_of_unit)
        )
        self.regional: list[list[list[tuple[float, int]]]] = [
            [[] for _ in range(n_groups)] for _ in spec.pools
        ]
        # Entries offered and declined go to a sorted "front" beside the heap instead of
        # back into it: they are the most urgent and declined again at the next offer, so
        # they come back in O(1). Kept in descending order (the most urgent last).
        # Popping the smaller of front[-1] and heap[0] gives exactly the heap's order.
        self.front: list[list[list[tuple[float, int]]]] = [
            [[] for _ in range(n_groups)] for _ in spec.pools
        ]
        self.own: list[list[list[tuple[float, int]]]] = [
            [[] for _ in range(spec.n_units)] for _ in spec.pools
        ]
        self.limit = spec.offer_scan_limit

    def join(self, ref: int, pool: int, now: float) -> None:
        ctx = self.ctx
        key = (ctx.turn_key(ref, _stage(pool)), ref)
        home = ctx.home[pool][ctx.area[ref]]
        heapq.heappush(self.regional[pool][self.unit_group[home]], key)
        heapq.heappush(self.own[pool][home], key)

    def offer(self, unit: int, pool: int, now: float, slots: int) -> list[int]:
        if slots == 1:
            return self._offer_one(unit, pool, now)
        ctx, stage = self.ctx, _stage(pool)
        group = self.unit_group[unit]
        heap, front = self.regional[pool][group], self.front[pool][group]
        waiting, accepts, decline = ctx.waiting, ctx.accepts, ctx.decline
        pop = heapq.heappop
        taken: list[int] = []
        held: list[tuple[float, int]] = []
        chosen: set[int] = set()
        offers, n_taken, max_offers = 0, 0, self.limit * slots
        while (heap or front) and n_taken < slots and offers < max_offers:
            entry = front.pop() if front and (not heap or front[-1] <= heap[0]) else pop(heap)
            ref = entry[1]
            if ref in chosen or not waiting(ref, stage, now):
                continue
            offers += 1
            if accepts(ref, unit, pool):
                taken.append(ref)
                chosen.add(ref)
                n_taken += 1
            else:
                decline(ref, stage, now)
                held.append(entry)
        # held is ascending and no later than anything left: it goes back on the front
        held.reverse()
        front.extend(held)
        own = self.own[pool][unit]
        while own and n_taken < slots:
            ref = pop(own)[1]
            if ref not in chosen and waiting(ref, stage, now):
                taken.append(ref)
                chosen.add(ref)
                n_taken += 1
        return taken

    def _offer_one(self, unit: int, pool: int, now: float) -> list[int]:
        """:meth:`offer` of a single slot (every server-pool offer): the same steps
        without the bookkeeping of several takers."""
        ctx, stage = self.ctx, _stage(pool)
        group = self.unit_group[unit]
        heap, front = self.regional[pool][group], self.front[pool][group]
        waiting = ctx.waiting
        pop = heapq.heappop
        held: list[tuple[float, int]] = []
        offers = 0
        while (heap or front) and offers < self.limit:
            entry = front.pop() if front and (not heap or front[-1] <= heap[0]) else pop(heap)
            ref = entry[1]
            if not waiting(ref, stage, now):
                continue
            offers += 1
            if ctx.accepts(ref, unit, pool):
                if held:
                    held.reverse()
                    front.extend(held)
                return [ref]
            ctx.decline(ref, stage, now)
            held.append(entry)
        if held:
            held.reverse()
            front.extend(held)
        own = self.own[pool][unit]
        while own:
            ref = pop(own)[1]
            if waiting(ref, stage, now):
                return [ref]
        return []


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


POLICIES: dict[str, PolicyFactory] = {
    "separate": lambda spec: SeparateLists(),
    "shared": lambda spec: SharedList(),
    "shared_within_subregion": lambda spec: _named(
        SharedList(_subregion_groups(spec)), "shared_within_subregion"
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
