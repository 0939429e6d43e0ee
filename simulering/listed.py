"""The actual waiting list in the model: whose list each referral is on, who enters the
treatment list directly, and the bookings that hold a slot.

A forecast starts from the list as it is (:class:`~simulering.spec.WaitingList`): a
referral stays on the list of the unit it is on (its booked or offered unit, else its
home unit), a treatment referral waits for treatment without a first visit in the run,
and a booked referral is served at its unit in its booked week, holding one of that
week's slots. Without a waiting list (and with first-visit arrivals) nothing here
changes the model.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from simulering.patients import Patients
from simulering.spec import IntArray, ModelSpec

Bookings = dict[tuple[int, int], list[tuple[int, int]]]
"""(day, pool) → the (referral, unit) pairs booked then."""


def listed_homes(spec: ModelSpec, pts: Patients, home: list[list[int]]) -> IntArray:
    """home_of[pool, ref]: the area's home unit of the pool, or for a row of the actual
    list the unit whose list it is on when that unit serves the pool."""
    home_of = np.ascontiguousarray(np.asarray(home, dtype=np.int64)[:, pts.area])
    if pts.n_listed:
        units = pts.backlog_home[: pts.n_listed]
        for p, pool in enumerate(spec.pools):
            on_list = pool.serves()[units]
            home_of[p, : pts.n_listed][on_list] = units[on_list]
    return home_of


def direct_treatment(spec: ModelSpec, pts: Patients) -> npt.NDArray[np.bool_]:
    """Who joins the treatment list without a first visit in the run: rows of the
    actual list waiting for treatment, and every arrival under ``demand.stage:
    treatment``."""
    rows = np.arange(pts.n)
    direct = (rows < pts.n_listed) & (pts.backlog_stage == 1)
    if spec.arrival_stage == 1:
        direct |= pts.backlog_stage < 0
    return np.asarray(direct)


def bookings(spec: ModelSpec, pts: Patients) -> Bookings:
    """The booked rows of the actual list by day and pool, in list order: each on the
    first day of its booked week (from the day it may be served) on which its unit has a
    slot of its pool not yet held by an earlier booking, so a week's bookings fill its
    days one slot each and never exceed its capacity. A booking its unit has no free slot
    for that week is not held: that referral waits on the list like any other."""
    wl = spec.waiting_list
    held: Bookings = {}
    if wl is None or not wl.booked.any():
        return held
    free = {p: pool.slots.copy() for p, pool in enumerate(spec.pools) if pool.slots is not None}
    for ref in np.flatnonzero(wl.booked).tolist():
        p = 0 if wl.stage[ref] == 0 else int(pts.pool[ref])
        assert p in free  # a waiting list needs slot calendars (schema)
        unit, monday = int(wl.unit[ref]), int(wl.booked_monday[ref])
        lo = max(0, monday, int(np.ceil(wl.ready[ref])))
        hi = min(spec.horizon_days, monday + 7)
        open_days = np.flatnonzero(free[p][lo:hi, unit] > 0)
        if open_days.size:
            day = lo + int(open_days[0])
            free[p][day, unit] -= 1
            held.setdefault((day, p), []).append((ref, unit))
    return held
