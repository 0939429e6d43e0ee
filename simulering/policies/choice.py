"""``patient_choice``: a minority of patients pick a unit by the published expected
wait (1177 *Väntetider i vården*, helsenorge's *forventet ventetid*), may re-choose
while they wait, and everyone waits on the chosen unit's own list.

**Who chooses.** A patient considers other units when their own draw
(``Patients.choice_draw``, stream ``choice``, drawn once: the same patients choose
under every run) is below ``choice_share`` (0.05). Everyone else stays at their home
unit, exactly as under ``separate``: with ``choice_share`` 0 the policy *is*
``separate``. The home unit is the one ``separate`` would use: the catchment unit for
the first visit; for treatment the unit of the first visit when it offers the pool, else
the home unit of the pool.

**The choice.** When a choosing patient joins a pool's list (the first visit after
assessment; treatment after the decision to treat) they pick, among the units they
accept (``ctx.accepts``; the home unit always), the one minimising

    published wait (days) + travel_days_per_km × max(0, km(unit) − km(home unit))

ties to the nearer unit, then to the home unit. Travel disutility counts only the extra
distance beyond the home unit, so with a high disutility everyone stays at home.

**Published waits** are forward-looking, as the public sites show them: every
``choice_refresh_days`` (7) days, from day 0, each unit publishes per pool

    expected wait = patients waiting on its list ÷ its capacity per day

where the capacity is the mean per day of its slot calendar over the coming
``WINDOW_DAYS`` (28) days, or for a server pool its servers ÷ the pool's mean service
time. A unit with no capacity in the window publishes infinity (nobody chooses it).
Being computed from the lists, not from the waits of patients served months ago, the
figure moves with the choices themselves; with the old lagging median everyone chose
the unit that had *been* short, herded there and stayed (gallsten: Kungälv's waits
reached 800 days).

**Re-choice.** At each refresh every choosing patient still waiting, from the back of
the turn order, compares the figures with those of their last choice (seeing the moves
of those before them): when the published wait of their unit, or the key of the best
alternative, moved by more than ``rechoice_threshold_days`` (14) they choose again (and
may stay). A patient who moves keeps their guarantee clock and takes
their place in the new unit's turn order; the entry left on the old unit's heap is
invalidated lazily (a per-referral ticket).

Every list is in the region's turn order, ``ctx.turn_key`` (priority group, then the
oldest clock start). Patients choose freely, so nobody declines an offer and there is no
patient-chosen waiting (PVV) in this policy; a patient rebooked after a no-show stays
at the unit they waited at.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from simulering.columns import bool_column, int_rows
from simulering.policies.base import QueueContext, separate_list_unit
from simulering.spec import FloatArray, PolicyOptions

WINDOW_DAYS = 28
"""Days of coming capacity behind a published expected wait."""

Entry = tuple[float, int, int]
"""(turn key, referral, ticket): heap entries, the first in turn first. An entry whose
ticket is not the referral's current one is stale (the patient moved)."""

INF = math.inf


class PatientChoice:
    """``patient_choice``: a share choose by forward-looking published wait plus travel,
    and re-choose when the figures move; separate lists."""

    name = "patient_choice"

    def __init__(self, options: PolicyOptions) -> None:
        self.per_km = options.travel_days_per_km
        self.refresh_days = float(options.choice_refresh_days)
        self.share = options.choice_share
        self.threshold = options.rechoice_threshold_days

    def initialise(self, ctx: QueueContext) -> None:
        self.ctx = ctx
        spec = ctx.spec
        n_units, n = spec.n_units, len(ctx.area)
        self.lists: list[list[list[Entry]]] = [[[] for _ in range(n_units)] for _ in spec.pools]
        self.units: list[list[int]] = [
            [u for u, ok in enumerate(p.serves()) if ok] for p in spec.pools
        ]
        self.serves: list[list[bool]] = [[bool(x) for x in p.serves()] for p in spec.pools]
        self.km_rows: list[list[float]] = spec.km.tolist()
        self.members: list[list[set[int]]] = [[set() for _ in range(n_units)] for _ in spec.pools]
        """Per pool and unit: the referrals on its list (withdrawn ones until a refresh)."""
        self.published: list[list[float]] = [[INF] * n_units for _ in spec.pools]
        """Per pool and unit: the published expected wait (days)."""
        self.cap: list[list[float]] = [[0.0] * n_units for _ in spec.pools]
        """Per pool and unit: capacity per day over the window, at the last refresh."""
        self.next_refresh = 0.0
        self.n_refreshes = 0
        self.moves = 0
        """Re-choices that moved a patient to another unit."""
        draws = ctx.patients.choice_draw
        if draws.shape[0] != n:  # patients built by hand without draws: everyone chooses
            draws = np.zeros(n)
        self.chooser = bool_column(np.asarray(draws < self.share))
        """Does the referral's patient consider other units than the home unit?"""
        self.at = int_rows(np.full((2, n), -1, dtype=np.int64))
        """Per stage: the unit whose list the referral is on (-1: not yet listed)."""
        self.ticket = int_rows(np.zeros((2, n), dtype=np.int64))
        self.seen: list[dict[int, tuple[float, float]]] = [{}, {}]
        """Per stage, for choosing patients: (published wait of their unit, key of the
        best alternative) at their last choice."""
        self._cum: list[FloatArray | None] = []
        for p in spec.pools:
            if p.mode == "slots" and p.slots is not None:
                cum = np.zeros((p.slots.shape[0] + 1, n_units))
                np.cumsum(p.slots, axis=0, out=cum[1:])
                self._cum.append(cum)
            else:
                self._cum.append(None)

    # --- published waits ---------------------------------------------------------------
    def capacity_per_day(self, pool: int, unit: int, now: float) -> float:
        """The unit's capacity per day in ``pool`` over the coming :data:`WINDOW_DAYS`."""
        p, cum = self.ctx.spec.pools[pool], self._cum[pool]
        if cum is not None:
            horizon = int(cum.shape[0]) - 1
            lo = min(max(int(now), 0), horizon)
            hi = min(lo + WINDOW_DAYS, horizon)
            if hi <= lo:
                return 0.0
            return float(cum[hi, unit] - cum[lo, unit]) / (hi - lo)
        assert p.servers is not None
        mean = p.service.mean if p.service is not None else 0.0
        return INF if mean <= 0 else float(p.servers[unit]) / float(mean)

    def publish(self, now: float) -> None:
        """Each unit's expected wait: patients waiting on its list ÷ capacity per day."""
        ctx = self.ctx
        for pool in range(len(ctx.spec.pools)):
            stage = 0 if pool == 0 else 1
            cap = self.cap[pool]
            for unit in self.units[pool]:
                members = self.members[pool][unit]
                gone = [ref for ref in members if not ctx.waiting(ref, stage, now)]
                members.difference_update(gone)
                cap[unit] = self.capacity_per_day(pool, unit, now)
                self._publish_unit(pool, unit)

    def _publish_unit(self, pool: int, unit: int) -> None:
        cap = self.cap[pool][unit]
        self.published[pool][unit] = len(self.members[pool][unit]) / cap if cap > 0 else INF

    def refresh(self, now: float) -> None:
        """Publish new figures; choosing patients whose figures moved choose again.

        The re-choices are taken one at a time from the back of the turn order (those
        with the most waiting ahead of them first), each seeing the figures as the
        moves before it left them (the portal's lists are live): otherwise every chooser
        would leave the same unit for the same one at once and swing back the next week.
        """
        while now >= self.next_refresh:
            self.next_refresh += self.refresh_days
        self.n_refreshes += 1
        self.publish(now)
        if self.share <= 0:
            return
        ctx, chooser, thr = self.ctx, self.chooser, self.threshold
        for pool in range(len(ctx.spec.pools)):
            stage = 0 if pool == 0 else 1
            seen, wait, turn_key = self.seen[stage], self.published[pool], ctx.turn_key
            candidates = sorted(
                (turn_key(ref, stage), ref, unit)
                for unit in self.units[pool]
                for ref in self.members[pool][unit]
                if chooser[ref]
            )
            candidates.reverse()
            for _, ref, unit in candidates:
                own, alt = seen[ref]
                if not (
                    _moved(wait[unit], own, thr)
                    or _moved(self.best_alternative(ref, pool, unit), alt, thr)
                ):
                    continue
                new = self.choose(ref, pool)
                if new != unit:
                    self.members[pool][unit].discard(ref)
                    self._list(ref, pool, new)
                    self._publish_unit(pool, unit)
                    self._publish_unit(pool, new)
                    self.moves += 1
                seen[ref] = (wait[new], self.best_alternative(ref, pool, new))

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

    def best_alternative(self, ref: int, pool: int, unit: int) -> float:
        """The smallest choice key (published wait + travel) among the accepted units
        other than ``unit``; infinity when there is none."""
        ctx = self.ctx
        home = self.home_unit(ref, pool)
        row = self.km_rows[ctx.area[ref]]
        base, wait, per_km = row[home], self.published[pool], self.per_km
        best = INF
        for u in self.units[pool]:
            if u == unit or not (u == home or ctx.accepts(ref, u, pool)):
                continue
            key = wait[u] + per_km * max(0.0, row[u] - base)
            if key < best:
                best = key
        return best

    def _list(self, ref: int, pool: int, unit: int) -> None:
        """Put the referral on ``unit``'s list (a new ticket: older entries go stale)."""
        stage = 0 if pool == 0 else 1
        ticket = self.ticket[stage]
        ticket[ref] += 1
        self.at[stage][ref] = unit
        self.members[pool][unit].add(ref)
        key = self.ctx.turn_key(ref, stage)
        heapq.heappush(self.lists[pool][unit], (key, ref, ticket[ref]))

    # --- the protocol ----------------------------------------------------------------
    def join(self, ref: int, pool: int, now: float) -> None:
        if now >= self.next_refresh:
            self.refresh(now)
        stage = 0 if pool == 0 else 1
        unit = self.at[stage][ref]
        if unit < 0:  # a new listing (a rebooked no-show stays where it waited)
            if self.chooser[ref]:
                unit = self.choose(ref, pool)
                self.seen[stage][ref] = (
                    self.published[pool][unit],
                    self.best_alternative(ref, pool, unit),
                )
            else:
                unit = self.home_unit(ref, pool)
        self._list(ref, pool, unit)

    def offer(self, unit: int, pool: int, now: float, slots: int) -> list[int]:
        if now >= self.next_refresh:
            self.refresh(now)
        stage = 0 if pool == 0 else 1
        heap, waiting, ticket = self.lists[pool][unit], self.ctx.waiting, self.ticket[stage]
        members = self.members[pool][unit]
        pop = heapq.heappop
        taken: list[int] = []
        while heap and len(taken) < slots:
            _, ref, t = pop(heap)
            if t == ticket[ref] and waiting(ref, stage, now):
                taken.append(ref)
                members.discard(ref)
        return taken


def _moved(new: float, old: float, threshold: float) -> bool:
    """Did a published figure move by more than ``threshold`` (infinity to infinity:
    no)?"""
    return new != old and not abs(new - old) <= threshold
