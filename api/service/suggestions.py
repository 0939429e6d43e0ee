"""Suggestions: ranked units with their earliest week with room, from the residual
capacity of the referral's specialty and stage. Read-only advice: nothing is booked,
and a booking is always checked against the database.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from allokering.problem import Referral, Weights, priority_level
from allokering.suggest import ResidualState, suggest
from api.service.audit import audit_row
from api.service.db_schema import ReferralRow
from api.service.geography import Geography, km_matrix
from api.service.keys import Caller
from api.service.referrals import deadline_day, find
from api.service.schemas import Option, Suggestions
from api.service.slots import Residual, residual
from api.service.weeks import iso_week, monday, today


@dataclass(frozen=True)
class Snapshot:
    """What suggestions need of one specialty and stage: residual slots and km."""

    residual: Residual
    km: np.ndarray[Any, np.dtype[np.int64]]
    """Whole road km, every area of the geography × the residual's units."""


class SuggestionCache:
    """Residual capacity per specialty and stage, reused for ``seconds``.

    Reusing the residual for a second saves three queries per suggestion; writes in this
    process clear it at once (:meth:`invalidate`, called by the unit of work on commit),
    other worker processes see them within ``seconds``. Distances are cached per set of
    units (they change only with a unit).
    """

    def __init__(self, geo: Geography, seconds: float) -> None:
        self.geo, self.seconds = geo, seconds
        self.area_row = {a: i for i, a in enumerate(geo.areas)}
        self._snapshots: dict[tuple[str, str, dt.date, int], tuple[float, Snapshot]] = {}
        self._km: dict[tuple[tuple[str, float, float], ...], np.ndarray[Any, Any]] = {}
        self._lock = threading.Lock()

    def snapshot(
        self, session: Session, specialty: str, stage: str, first: dt.date, weeks: int
    ) -> Snapshot:
        key = (specialty, stage, first, weeks)
        hit = self._snapshots.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        res = residual(session, specialty, stage, first, weeks)
        units = tuple((u.id, u.lat, u.lon) for u in res.units)
        km = self._km.get(units)
        if km is None:
            km = km_matrix(self.geo, list(self.geo.areas), res.units)
            with self._lock:
                self._km[units] = km
        snap = Snapshot(res, km)
        if self.seconds > 0:
            with self._lock:
                self._snapshots[key] = (now + self.seconds, snap)
        return snap

    def invalidate(self) -> None:
        with self._lock:
            self._snapshots.clear()


def options(
    cache: SuggestionCache, row: ReferralRow, snap: Snapshot, first: dt.date, limit: int
) -> list[Option]:
    """The ranked options for ``row`` over the snapshot's residual capacity."""
    res = snap.residual
    if not res.units:
        return []
    a = cache.area_row[row.area]
    state = ResidualState.of_residual(
        unit_ids=[u.id for u in res.units],
        area_ids=[row.area],
        km=snap.km[a : a + 1],
        residual=res.slots,
        weights=Weights(),
    )
    ref = Referral(
        id=row.id,
        area=row.area,
        deadline_day=max(-100_000, min(100_000, deadline_day(row, first))),
        max_travel_km=row.max_travel_km,
        priority=priority_level(row.priority),
        home_unit=row.home_unit,
    )
    names = {u.id: u.name for u in res.units}
    out = []
    for rank, o in enumerate(suggest(state, ref, limit), start=1):
        week = first + dt.timedelta(weeks=o.earliest_week)
        out.append(
            Option(
                rank=rank,
                unit=o.unit,
                unit_name=names[o.unit],
                earliest_week=week,
                iso_week=iso_week(week),
                on_time=o.on_time,
                km=o.km,
                cost=o.cost,
            )
        )
    return out


def suggestions_for(
    session: Session,
    cache: SuggestionCache,
    referral_id: str,
    weeks: int,
    limit: int,
    caller: Caller,
    request_id: str,
) -> tuple[Suggestions, dict[str, Any]]:
    """Ranked units with their earliest week, on-time flag and km, from the residual
    capacity of the referral's specialty and stage, and the audit row to write.

    Ranked by :mod:`allokering.cost` with the referral's priority
    (:func:`~allokering.problem.priority_level`), weeks overdue and home unit (its
    ``home_unit``: another unit costs ``away_from_home``)."""
    row = find(session, referral_id)
    first = monday(today())
    snap = cache.snapshot(session, row.specialty, row.stage, first, weeks)
    found = options(cache, row, snap, first, limit)
    detail = {"options": [[o.unit, o.earliest_week.isoformat()] for o in found]}
    record = audit_row(caller, request_id, "referral.suggest", "referral", row.id, detail)
    return Suggestions(referral_id=row.id, current_week=first, options=found), record
