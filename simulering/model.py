"""The SimPy model of the referral portal: arrivals, assessment, queues, booking, service.

Event-light by design: a referral has no process of its own. Assessment is a delay
drawn up front, so a referral costs one event when it joins the first-visit list (and
none at all when the first visit runs on a slot calendar: the daily booking round takes
in everything assessed since the last round). A booked slot is a counter, not a
process. Server pools (for validation against queueing theory) schedule one timeout per
service. Withdrawal is lazy: a patient whose patience ran out is dropped when reached.

Memory-light too: what the run knows of each referral is in numpy arrays indexed by
referral number — the patients' own, and the :class:`Records` allocated at the start
and filled in as the run goes — read and written one element at a time through
:mod:`simulering.columns` (memoryviews). Nothing is copied into a Python list per
referral, nor back into an array at the end.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import simpy

from allokering.domain import priority_ranks
from simulering.catchment import home_units as home_units
from simulering.columns import (
    FloatColumn,
    IntColumn,
    bool_column,
    bool_rows,
    float_column,
    float_rows,
    int_column,
    int_rows,
)
from simulering.listed import Bookings, bookings, direct_treatment, listed_homes
from simulering.patients import Patients
from simulering.policies.base import REF_BITS, Entry, RoutingPolicy
from simulering.spec import FloatArray, IntArray, ModelSpec

NAN = math.nan

WEEK = 7.0
"""Simulated days between two calls of a run's ``on_week`` (progress)."""

TURN_SPACING = 1e7
"""Turn keys of two priority groups are this far apart: more than any clock start."""

SIGN_MASK = (1 << 63) - 1
"""The bits below a float64's sign."""


@dataclass(frozen=True)
class Records:
    """What happened to every referral in one run (arrays indexed [stage, referral]).

    The model allocates these arrays when it starts and writes into them as the run
    goes; ``pool`` is the patients' own array (not a copy)."""

    clock_start: FloatArray
    """When the guarantee clock first started per stage (NaN: never entered the stage)."""
    clock_restart: FloatArray
    """When the clock last restarted after a no-show (``no_show_restarts_clock``; NaN:
    never). The patient waits from ``clock_start`` until then and from here on."""
    served: FloatArray
    """When the visit/treatment took place (NaN: not by the horizon)."""
    unit: IntArray
    """The serving unit (-1: not served)."""
    patient_chosen: FloatArray
    """When patient-chosen waiting began (NaN: never)."""
    withdraw: FloatArray
    """When the patient would withdraw if still waiting (inf: never)."""
    limit: IntArray
    """The priority limit in days per stage."""
    no_shows: IntArray
    """No-shows per stage in the collection period."""
    home_unit: IntArray
    pool: IntArray
    used_slots: FloatArray
    """Capacity used per pool and unit in the collection period (slots or server-days)."""
    offered_slots: FloatArray
    """Capacity offered per pool and unit in the collection period."""


class Model:
    """One run of one policy on one replication's patients."""

    def __init__(
        self,
        spec: ModelSpec,
        patients: Patients,
        policy: RoutingPolicy,
        rng: np.random.Generator,
        on_week: Callable[[float], None] | None = None,
    ) -> None:
        """``on_week(day)`` is told the simulated day every :data:`WEEK` days (progress;
        it must not touch the model, so results are the same without it)."""
        self.on_week = on_week
        self.spec = spec
        self.patients = patients
        self.policy = policy
        self.rng = rng
        self.env = simpy.Environment()
        n = patients.n
        self.home = home_units(spec)
        home_of = listed_homes(spec, patients, self.home)
        self.records = self._empty_records(home_of[0])
        """The records, filled in as the run goes (the arrays behind the columns below)."""
        rec = self.records
        self.area = int_column(patients.area)
        self.home_of = int_rows(home_of)
        """home_of[pool][ref]: the unit whose list the referral belongs to (QueueContext)."""
        self.home_fv = self.home_of[0]
        self._first_visit_unit = np.full(n, -1, dtype=np.int64)
        self.first_visit_unit = int_column(self._first_visit_unit)
        self.limit = int_rows(rec.limit)
        self.priority = int_column(patients.priority)
        self.turn_base = self._turn_base()
        """Per stage and priority group: the priority part of the turn key (see
        :meth:`turn_key`)."""
        self.clock_start = float_rows(rec.clock_start)
        self.served = float_rows(rec.served)
        self.unit = int_rows(rec.unit)
        self.patient_chosen = float_rows(rec.patient_chosen)
        self.withdraw = float_rows(rec.withdraw)
        self.withdraw_after_tr = float_column(patients.withdraw_after[1])
        self.queued = bool_rows(np.zeros((2, n), dtype=np.bool_))
        self.missed: list[set[int]] = [set(), set()]
        """Per stage: the referrals that missed a booked visit (the next booking of one
        draws afresh; the first uses its own draw)."""
        self.no_shows_in_period = [0, 0]
        self.no_show_draw = float_rows(patients.no_show_draw)
        self.tolerance = float_column(patients.tolerance_km)
        self.km_rows: list[list[float]] = spec.km.tolist()
        self.decided = bool_column(patients.decided)
        self.pool_of = int_column(patients.pool)
        self.service = float_rows(patients.service)
        self.used: list[list[float]] = [[0.0] * spec.n_units for _ in spec.pools]
        """Capacity used per pool and unit in the collection period (plain floats: fast)."""
        self.server_pool: list[bool] = [p.mode == "servers" for p in spec.pools]
        self.idle: list[list[int]] = [
            (p.servers.tolist() if p.servers is not None else [0] * spec.n_units)
            for p in spec.pools
        ]
        self.no_show_share = spec.behaviour.no_show_share
        self.restart_clock = spec.behaviour.no_show_restarts_clock
        self.first_start: list[dict[int, float]] = [{}, {}]
        """Per stage: the original clock start of referrals whose clock restarted."""
        scratch = np.zeros(1)
        self._key, self._key_bits = float_column(scratch), int_column(scratch.view(np.int64))
        """One float64 read back as its int64 bits (:meth:`turn_entry`)."""
        policy.initialise(self)

    def _empty_records(self, home_unit: IntArray) -> Records:
        """The per-referral records before anything happened: clocks at arrival for the
        first visit, nothing served, patience counted from arrival. The run writes into
        these arrays (through the model's columns) and :meth:`_finish` completes them."""
        spec, pts, n = self.spec, self.patients, self.patients.n
        clock_start = np.full((2, n), NAN)
        clock_start[0] = pts.arrival
        withdraw = np.full((2, n), math.inf)
        withdraw[0] = pts.arrival + pts.withdraw_after[0]
        return Records(
            clock_start=clock_start,
            clock_restart=np.full((2, n), NAN),
            served=np.full((2, n), NAN),
            unit=np.full((2, n), -1, dtype=np.int64),
            patient_chosen=np.full((2, n), NAN),
            withdraw=withdraw,
            limit=np.ascontiguousarray(spec.priority_limit[pts.priority].T, dtype=np.int64),
            no_shows=np.zeros(2, dtype=np.int64),
            home_unit=home_unit,
            pool=np.asarray(pts.pool, dtype=np.int64),
            used_slots=np.zeros((len(spec.pools), spec.n_units)),
            offered_slots=np.zeros((len(spec.pools), spec.n_units)),
        )

    def _turn_base(self) -> list[list[float]]:
        """Per stage and priority group, the priority part of the turn key: the limit
        (``deadline``), or the group's rank × :data:`TURN_SPACING` (``strict``)."""
        limits = self.spec.priority_limit
        if self.spec.priority_rule == "deadline":  # earliest deadline first (weighted)
            return [[float(limit) for limit in limits[:, s].tolist()] for s in (0, 1)]
        # strict: the whole of a higher group before any of a lower one
        ranks = [priority_ranks(limits[:, s].tolist()) for s in (0, 1)]
        return [[rank * TURN_SPACING for rank in ranks[s]] for s in (0, 1)]

    # --- the QueueContext protocol -------------------------------------------------
    def deadline(self, ref: int, stage: int) -> float:
        return self.clock_start[stage][ref] + self.limit[stage][ref]

    def turn_key(self, ref: int, stage: int) -> float:
        """The region's turn order (smaller first). ``strict``: priority group, then
        the oldest clock start, overdue included; ``deadline``: the earliest deadline
        (clock start + the group's limit), so a group with a limit L days shorter goes
        as if it had waited L days longer."""
        return self.turn_base[stage][self.priority[ref]] + self.clock_start[stage][ref]

    def turn_entry(self, ref: int, stage: int) -> Entry:
        """The referral's list entry: its turn key's bits, as a signed integer that
        orders as the floats do, shifted above its number (see :data:`Entry`). A key is
        never NaN, nor −0.0 (a priority part ≥ +0.0 plus a clock start)."""
        self._key[0] = self.turn_base[stage][self.priority[ref]] + self.clock_start[stage][ref]
        bits = self._key_bits[0]
        if bits < 0:  # negative floats order backwards as integers: flip their magnitude
            bits ^= SIGN_MASK
        return (bits << REF_BITS) | ref

    def waiting(self, ref: int, stage: int, now: float) -> bool:
        queued = self.queued[stage]
        if not queued[ref]:
            return False
        if self.withdraw[stage][ref] <= now:
            queued[ref] = False
            return False
        return True

    def accepts(self, ref: int, unit: int, pool: int = 0) -> bool:
        home = self.home_fv[ref] if pool == 0 else self.home_of[pool][ref]
        return unit == home or self.km_rows[self.area[ref]][unit] <= self.tolerance[ref]

    def decline(self, ref: int, stage: int, now: float) -> None:
        patient_chosen = self.patient_chosen[stage]
        # only the first decline within the limit counts: test the cheap part first
        if (
            patient_chosen[ref] != patient_chosen[ref]
            and now <= self.clock_start[stage][ref] + self.limit[stage][ref]
        ):
            patient_chosen[ref] = now

    # --- the pathway ---------------------------------------------------------------
    def _join(self, ref: int, pool: int, now: float) -> None:
        self.queued[0 if pool == 0 else 1][ref] = True
        self.policy.join(ref, pool, now)
        if self.server_pool[pool]:
            self._dispatch(ref, pool, now)

    def _dispatch(self, ref: int, pool: int, now: float) -> None:
        idle = self.idle[pool]
        free = [u for u, k in enumerate(idle) if k > 0]
        if not free:
            return
        if len(free) > 1:
            free.sort(key=self.km_rows[self.area[ref]].__getitem__)
        for u in free:
            if idle[u] > 0:
                self._start_services(u, pool, now)

    def _start_services(self, unit: int, pool: int, now: float) -> None:
        idle = self.idle[pool]
        stage = 0 if pool == 0 else 1
        offer, spec = self.policy.offer, self.spec
        rebook: list[int] = []
        while idle[unit] > 0:
            taken = offer(unit, pool, now, 1)
            if not taken:
                break
            ref = taken[0]
            idle[unit] -= 1  # a no-show's missed visit occupies the server as well
            duration = self.service[stage][ref]
            if self._attends(ref, stage, now):
                if now >= spec.warmup_days:
                    self.used[pool][unit] += min(duration, spec.horizon_days - now)
                self._serve(ref, unit, stage, now)
            else:
                rebook.append(ref)
            done = self.env.timeout(duration, (unit, pool))
            done.callbacks.append(self._service_done)
        for ref in rebook:  # no-shows go back on the list, as in slot mode
            self._rebook(ref, pool, now)

    def _service_done(self, event: simpy.Event) -> None:
        unit, pool = event.value  # type: ignore[misc]
        self.idle[pool][unit] += 1
        self._start_services(unit, pool, self.env.now)

    def _attends(self, ref: int, stage: int, now: float) -> bool:
        """Take the referral off the list; a no-show goes back on it (rebooked)."""
        self.queued[stage][ref] = False
        missed = self.missed[stage]
        draw = float(self.rng.random()) if ref in missed else self.no_show_draw[stage][ref]
        if draw >= self.no_show_share:
            return True
        missed.add(ref)
        if now >= self.spec.warmup_days:
            self.no_shows_in_period[stage] += 1
        return False

    def _serve(self, ref: int, unit: int, stage: int, now: float) -> None:
        self.served[stage][ref] = now
        self.unit[stage][ref] = unit
        if stage == 0:
            self.first_visit_unit[ref] = unit
            if self.decided[ref]:
                self.clock_start[1][ref] = now
                self.withdraw[1][ref] = now + self.withdraw_after_tr[ref]
                self._join(ref, self.pool_of[ref], now)

    def _rebook(self, ref: int, pool: int, now: float) -> None:
        stage = 0 if pool == 0 else 1
        if self.restart_clock:
            self.first_start[stage].setdefault(ref, self.clock_start[stage][ref])
            self.clock_start[stage][ref] = now
        self._join(ref, pool, now)

    # --- processes -----------------------------------------------------------------
    def _arrivals(self, order: IntColumn, ready: FloatColumn):  # type: ignore[no-untyped-def]
        env = self.env
        for ref in order:
            t = ready[ref]
            if t > env.now:
                yield env.timeout(t - env.now)
            self._join(ref, 0, env.now)

    def _booking_rounds(  # type: ignore[no-untyped-def]
        self, order: IntColumn, ready: FloatColumn, entries: IntColumn, held: Bookings
    ):
        """One round per day: take in assessed referrals (and those entering the
        treatment list directly), serve the day's bookings, then fill the free slots."""
        env, spec = self.env, self.spec
        calendar = [p for p in range(len(spec.pools)) if spec.pools[p].mode == "slots"]
        slots = {p: spec.pools[p].slots.tolist() for p in calendar}  # type: ignore[union-attr]
        fv_by_round = spec.pools[0].mode == "slots"
        # treatment first, so a decision today is not treated today
        rounds = sorted(calendar, reverse=True)
        offer, attends, serve, join = self.policy.offer, self._attends, self._serve, self._join
        nxt, n_order, nxt_tr, n_entries = 0, len(order), 0, len(entries)
        for day in range(spec.horizon_days):
            now = float(day)
            in_period = day >= spec.warmup_days
            if fv_by_round:
                while nxt < n_order and ready[order[nxt]] <= day:
                    join(order[nxt], 0, now)
                    nxt += 1
            while nxt_tr < n_entries and ready[entries[nxt_tr]] <= day:
                join(entries[nxt_tr], self.pool_of[entries[nxt_tr]], now)
                nxt_tr += 1
            for p in rounds:
                row = slots[p][day]
                stage = 0 if p == 0 else 1
                used = self.used[p]
                rebook: list[int] = []
                if (day, p) in held:
                    row = self._serve_booked(held[(day, p)], row, p, now, rebook)
                for u, free in enumerate(row):
                    if free <= 0:
                        continue
                    for ref in offer(u, p, now, free):
                        if attends(ref, stage, day):
                            if in_period:
                                used[u] += 1
                            serve(ref, u, stage, now)
                        else:
                            rebook.append(ref)
                for ref in rebook:
                    self._rebook(ref, p, now)
            yield env.timeout(1)

    def _serve_booked(
        self,
        booked: list[tuple[int, int]],
        row: list[int],
        pool: int,
        now: float,
        rebook: list[int],
    ) -> list[int]:
        """Serve the referrals booked today (a no-show goes back on the list); the free
        slots of ``row`` that remain."""
        row, stage = list(row), 0 if pool == 0 else 1
        for ref, unit in booked:
            if self.withdraw[stage][ref] <= now:
                continue  # withdrew before the booked day
            row[unit] = max(0, row[unit] - 1)
            if self._attends(ref, stage, now):
                if now >= self.spec.warmup_days:
                    self.used[pool][unit] += 1
                self._serve(ref, unit, stage, now)
            else:
                rebook.append(ref)
        return row

    def _start_listed(self, direct: npt.NDArray[np.bool_]) -> None:
        """Rows of the actual list wait from day 0 (their patience too); those entering
        the treatment list directly have no first visit in the run, their treatment
        clock is their (listed or arrival) clock and a listed one stays at its unit."""
        pts, n_listed, rec = self.patients, self.patients.n_listed, self.records
        rec.withdraw[0, :n_listed] = pts.withdraw_after[0, :n_listed]
        listed = np.arange(pts.n) < n_listed
        start = np.where(listed, 0.0, pts.arrival)
        rec.clock_start[0, direct] = NAN
        self._first_visit_unit[direct & listed] = pts.backlog_home[direct & listed]
        self._first_visit_unit[direct & ~listed] = -1
        rec.clock_start[1, direct] = pts.arrival[direct]
        rec.withdraw[1, direct] = start[direct] + pts.withdraw_after[1, direct]

    def _weeks(self, on_week: Callable[[float], None]):  # type: ignore[no-untyped-def]
        """Tell ``on_week`` the simulated day once a week; reads and changes nothing."""
        env, horizon = self.env, self.spec.horizon_days
        while env.now + WEEK < horizon:
            yield env.timeout(WEEK)
            on_week(env.now)

    def run(self) -> Records:
        spec, pts = self.spec, self.patients
        ready = float_column(pts.ready)
        direct, held = direct_treatment(spec, pts), bookings(spec, pts)
        self._start_listed(direct)
        waits = ~direct
        if held:  # a booked referral is served on its day, not offered from a list
            booked = [ref for refs in held.values() for ref, _ in refs]
            waits[booked], direct[booked] = False, False
        fresh = np.flatnonzero((pts.backlog_stage != 1) & waits)
        order = int_column(fresh[np.argsort(pts.ready[fresh], kind="stable")])
        entering = np.flatnonzero(direct)
        entries = int_column(entering[np.argsort(pts.ready[entering], kind="stable")])
        for ref in np.flatnonzero((pts.backlog_stage == 1) & waits & ~direct).tolist():
            # waiting for treatment at the start: first visit done, decided, at home unit
            unit, arrival = int(pts.backlog_home[ref]), float(pts.arrival[ref])
            self.served[0][ref] = arrival
            self.unit[0][ref] = unit
            self.first_visit_unit[ref] = unit
            self.clock_start[1][ref] = arrival
            self.withdraw[1][ref] = arrival + self.withdraw_after_tr[ref]
            self._join(ref, self.pool_of[ref], 0.0)
        if spec.pools[0].mode == "servers":
            self.env.process(self._arrivals(order, ready))
        if spec.pools[0].mode == "slots" or any(
            p.mode == "slots" and p.slots is not None and p.slots.any() for p in spec.pools
        ):  # no daily rounds when they would have nothing to take in or book
            self.env.process(self._booking_rounds(order, ready, entries, held))
        if self.on_week is not None:
            self.env.process(self._weeks(self.on_week))
        self.env.run(until=spec.horizon_days)
        return self._finish()

    def _finish(self) -> Records:
        """The records completed: the original clock start of restarted clocks (the
        restart apart), capacity used and offered, no-shows in the collection period."""
        spec, rec = self.spec, self.records
        period = spec.horizon_days - spec.warmup_days
        for p, pool in enumerate(spec.pools):
            if pool.mode == "slots":
                assert pool.slots is not None
                rec.offered_slots[p] = pool.slots[spec.warmup_days : spec.horizon_days].sum(axis=0)
            else:
                assert pool.servers is not None
                rec.offered_slots[p] = pool.servers * period
        for s, firsts in enumerate(self.first_start):
            if firsts:
                refs = np.fromiter(firsts, np.int64, len(firsts))
                rec.clock_restart[s, refs] = rec.clock_start[s, refs]
                rec.clock_start[s, refs] = np.fromiter(firsts.values(), float, len(firsts))
        rec.used_slots[:] = self.used
        rec.no_shows[:] = self.no_shows_in_period
        return rec
