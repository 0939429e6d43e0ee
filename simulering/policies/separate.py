"""``separate``: every unit keeps its own list (catchment), in turn order."""

from __future__ import annotations

import heapq

from simulering.policies.base import (
    REF_MASK,
    Entry,
    QueueContext,
    separate_list_unit,
    stage_of,
)


class SeparateLists:
    """``separate``: every unit keeps its own list (catchment), in turn order.

    The first visit is at the home unit; treatment at the unit of the first visit when
    it offers that treatment pool, else at the home unit for the pool.
    """

    name = "separate"

    def initialise(self, ctx: QueueContext) -> None:
        self.ctx = ctx
        n_units = ctx.spec.n_units
        self.lists: list[list[list[Entry]]] = [[[] for _ in range(n_units)] for _ in ctx.spec.pools]
        self.serves = [list(p.serves()) for p in ctx.spec.pools]

    def list_unit(self, ref: int, pool: int) -> int:
        return separate_list_unit(self.ctx, self.serves, ref, pool)

    def join(self, ref: int, pool: int, now: float) -> None:
        ctx = self.ctx
        if pool == 0:  # list_unit(ref, 0), inlined: this runs once per referral
            entry, unit = ctx.turn_entry(ref, 0), ctx.home_of[0][ref]
        else:
            entry, unit = ctx.turn_entry(ref, 1), self.list_unit(ref, pool)
        heapq.heappush(self.lists[pool][unit], entry)

    def offer(self, unit: int, pool: int, now: float, slots: int) -> list[int]:
        heap, stage, waiting = self.lists[pool][unit], stage_of(pool), self.ctx.waiting
        pop = heapq.heappop
        taken: list[int] = []
        while heap and len(taken) < slots:
            ref = pop(heap) & REF_MASK
            if waiting(ref, stage, now):
                taken.append(ref)
        return taken
