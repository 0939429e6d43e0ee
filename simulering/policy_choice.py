"""``patient_choice``: patients pick a unit by published waiting times (1177, Norway's
*fritt behandlingsvalg*), then wait on that unit's own list.

When a referral joins a pool's list (the first visit after assessment; treatment after
the decision to treat) the patient looks at the published expected wait of every unit
that offers the pool and picks the one that minimises

    published wait (days) + travel_days_per_km × max(0, km(unit) − km(home unit))

among the units they would accept (``ctx.accepts``; the home unit is always a
candidate), ties to the nearer unit, then to the home unit. The home unit is the one
``separate`` would use: the catchment unit for the first visit; for treatment the unit of
the first visit when it offers the pool, else the home unit of the pool. Travel
disutility counts only the extra distance beyond the home unit, so with a high
disutility everyone stays at home (``separate``), and with none everyone goes to the
shortest published wait they accept. Patients choose freely, so nobody declines an
offer and there is no patient-chosen waiting (PVV) in this policy; a patient rebooked
after a no-show stays at the unit they chose.

**Published waits**, as the public waiting-time sites compute them: every
``choice_refresh_days`` (30) days, each unit's median wait (from the guarantee clock
start to the visit, in days) of the patients it served in that pool over the last
refresh period. A unit that served nobody in the period (closed, or everyone chose
another unit) publishes the median time its waiting patients have waited so far, 0 if
nobody waits there; before the first refresh nothing is published and every unit
counts as 0 (so everyone starts at home). The policy learns of services through
``offer``: the referrals it hands out at ``now`` are served then, except a no-show,
which the model puts straight back on the list at the same ``now`` — that rejoin
cancels the record.
"""

from __future__ import annotations

import heapq
import statistics

from simulering.policies import QueueContext, separate_list_unit
from simulering.spec import PolicyOptions

Entry = tuple[float, int]
"""(deadline, referral): heap entries, the most urgent first."""


class PatientChoice:
    """``patient_choice``: choose by published median wait plus travel; separate lists."""

    name = "patient_choice"

    def __init__(self, options: PolicyOptions) -> None:
        self.per_km = options.travel_days_per_km
        self.refresh_days = float(options.choice_refresh_days)

    def initialise(self, ctx: QueueContext) -> None:
        self.ctx = ctx
        spec = ctx.spec
        n_units = spec.n_units
        self.lists: list[list[list[Entry]]] = [[[] for _ in range(n_units)] for _ in spec.pools]
        self.units: list[list[int]] = [
            [u for u, ok in enumerate(p.serves()) if ok] for p in spec.pools
        ]
        self.serves: list[list[bool]] = [[bool(x) for x in p.serves()] for p in spec.pools]
        self.km_rows: list[list[float]] = spec.km.tolist()
        self.published: list[list[float]] = [[0.0] * n_units for _ in spec.pools]
        """Per pool and unit: the published median wait (days)."""
        self.served: list[dict[int, tuple[int, float, float]]] = [{} for _ in spec.pools]
        """Per pool, since the last refresh: referral → (unit, when, wait)."""
        self.next_refresh = self.refresh_days
        n = len(ctx.area)
        self.chosen: list[list[int]] = [[-1] * n, [-1] * n]
        """Per stage: the unit each referral chose (-1: not yet)."""

    # --- the choice ------------------------------------------------------------------
    def home_unit(self, ref: int, pool: int) -> int:
        """The unit ``separate`` would list the referral at."""
        return separate_list_unit(self.ctx, self.serves, ref, pool)

    def choose(self, ref: int, pool: int) -> int:
        """The unit the patient picks from the published waits."""
        ctx = self.ctx
        home = self.home_unit(ref, pool)
        row = self.km_rows[ctx.area[ref]]
        base, wait, per_km = row[home], self.published[pool], self.per_km
        best, best_key = home, (wait[home], row[home], 0, home)
        for u in self.units[pool]:
            if u == home or not ctx.accepts(ref, u, pool):
                continue
            key = (wait[u] + per_km * max(0.0, row[u] - base), row[u], 1, u)
            if key < best_key:
                best, best_key = u, key
        return best

    def refresh(self, now: float) -> None:
        """Publish each unit's median wait over the last period.

        A unit that served nobody in the period publishes the median time its waiting
        patients have waited so far (0 when its list is empty), so that a unit everyone
        left shows as free again rather than keeping a stale figure.
        """
        while now >= self.next_refresh:
            self.next_refresh += self.refresh_days
            for pool, log in enumerate(self.served):
                waits: dict[int, list[float]] = {}
                for unit, _when, wait in log.values():
                    waits.setdefault(unit, []).append(wait)
                for unit in self.units[pool]:
                    values = waits.get(unit) or self._waited(pool, unit, now)
                    self.published[pool][unit] = float(statistics.median(values or [0.0]))
                log.clear()

    def _waited(self, pool: int, unit: int, now: float) -> list[float]:
        """How long the patients on a unit's list have waited so far."""
        ctx, stage = self.ctx, 0 if pool == 0 else 1
        start = ctx.clock_start[stage]
        return [
            now - start[ref] for _, ref in self.lists[pool][unit] if ctx.waiting(ref, stage, now)
        ]

    # --- the protocol ----------------------------------------------------------------
    def join(self, ref: int, pool: int, now: float) -> None:
        if now >= self.next_refresh:
            self.refresh(now)
        ctx = self.ctx
        stage = 0 if pool == 0 else 1
        record = self.served[pool].get(ref)
        if record is not None and record[1] == now:
            del self.served[pool][ref]  # a no-show, put back on the list at once
        unit = self.chosen[stage][ref]
        if unit < 0 or not self.serves[pool][unit]:
            unit = self.choose(ref, pool)
            self.chosen[stage][ref] = unit
        heapq.heappush(self.lists[pool][unit], (ctx.deadline(ref, stage), ref))

    def offer(self, unit: int, pool: int, now: float, slots: int) -> list[int]:
        if now >= self.next_refresh:
            self.refresh(now)
        ctx, stage = self.ctx, 0 if pool == 0 else 1
        heap, waiting = self.lists[pool][unit], ctx.waiting
        start, log = ctx.clock_start[stage], self.served[pool]
        taken: list[int] = []
        while heap and len(taken) < slots:
            ref = heapq.heappop(heap)[1]
            if waiting(ref, stage, now):
                taken.append(ref)
                log[ref] = (unit, now, now - start[ref])
        return taken
