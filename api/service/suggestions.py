"""Suggestions: ranked units with their earliest week with room, from the residual
capacity of the referral's specialty and stage. Read-only advice: nothing is booked,
and a booking is always checked against the database.

The path is kept cheap because the portal asks for suggestions at every referral it
opens (500 a second is the target): the referral's columns are read with one Core
statement built once (:data:`FACTS`, no ORM object), the residual capacity and its
:class:`~allokering.suggest.ResidualState` over every area are built once per
specialty, stage and second (:class:`SuggestionCache`), and the answer is made with
``model_construct`` (the route serialises it once; nothing re-validates what this
code built from checked rows).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import Connection, bindparam, select

from allokering.problem import Referral, Weights, priority_level
from allokering.suggest import ResidualState, suggest
from api.service.audit import audit_row
from api.service.db_schema import ReferralRow
from api.service.geography import Geography, km_matrix
from api.service.http_problems import Problem
from api.service.keys import Caller
from api.service.referrals import deadline_day
from api.service.schemas import Option, Suggestions
from api.service.slots import Residual, residual
from api.service.unit_of_work import UnitOfWork
from api.service.weeks import iso_week, monday, today

R = ReferralRow
FACTS = select(
    R.id,
    R.specialty,
    R.stage,
    R.area,
    R.priority,
    R.limit_days,
    R.clock_start,
    R.home_unit,
    R.max_travel_km,
).where(R.id == bindparam("referral_id"))
"""The columns of one referral that suggestions read (built once, compiled once)."""


class ReferralFacts(NamedTuple):
    """The columns :data:`FACTS` reads."""

    id: str
    specialty: str
    stage: str
    area: str
    priority: str
    limit_days: int
    clock_start: dt.date
    home_unit: str | None
    max_travel_km: float | None


def referral_facts(conn: Connection, referral_id: str) -> ReferralFacts:
    """The referral's columns; 404 when unknown."""
    row = conn.execute(FACTS, {"referral_id": referral_id}).first()
    if row is None:
        raise Problem(404, "Not found", "no referral with this id")
    return ReferralFacts(*row)


@dataclass(frozen=True)
class Snapshot:
    """What suggestions need of one specialty and stage: residual slots, km, and the
    ranking state over every area of the geography (built once per snapshot)."""

    residual: Residual
    km: np.ndarray[Any, np.dtype[np.int64]]
    """Whole road km, every area of the geography × the residual's units."""
    state: ResidualState
    names: dict[str, str]
    """Unit id → name."""


class SuggestionCache:
    """Residual capacity per specialty and stage, reused for ``seconds``.

    Reusing the residual for a second saves three queries per suggestion; writes in this
    process clear it at once (:meth:`invalidate`, called by the unit of work on commit),
    other worker processes see them within ``seconds``. Distances are cached per set of
    units (they change only with a unit).
    """

    def __init__(self, geo: Geography, seconds: float) -> None:
        self.geo, self.seconds = geo, seconds
        self._snapshots: dict[tuple[str, str, dt.date, int], tuple[float, Snapshot]] = {}
        self._km: dict[tuple[tuple[str, float, float], ...], np.ndarray[Any, Any]] = {}
        self._lock = threading.Lock()

    def snapshot(
        self, uow: UnitOfWork, specialty: str, stage: str, first: dt.date, weeks: int
    ) -> Snapshot:
        """The cached snapshot, or a new one read in a read-only session of ``uow``."""
        key = (specialty, stage, first, weeks)
        hit = self._snapshots.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        with uow.reading() as session:
            res = residual(session, specialty, stage, first, weeks)
        snap = self._build(res)
        if self.seconds > 0:
            with self._lock:
                self._snapshots[key] = (now + self.seconds, snap)
        return snap

    def _build(self, res: Residual) -> Snapshot:
        units = tuple((u.id, u.lat, u.lon) for u in res.units)
        km = self._km.get(units)
        if km is None:
            km = km_matrix(self.geo, list(self.geo.areas), res.units)
            with self._lock:
                self._km[units] = km
        state = ResidualState.of_residual(
            unit_ids=[u.id for u in res.units],
            area_ids=list(self.geo.areas),
            km=km,
            residual=res.slots,
            weights=Weights(),
        )
        return Snapshot(res, km, state, {u.id: u.name for u in res.units})

    def invalidate(self) -> None:
        with self._lock:
            self._snapshots.clear()


def options(facts: ReferralFacts, snap: Snapshot, first: dt.date, limit: int) -> list[Option]:
    """The ranked options for the referral over the snapshot's residual capacity
    (built with ``model_construct``: every field comes from checked rows)."""
    if not snap.residual.units:
        return []
    ref = Referral(
        id=facts.id,
        area=facts.area,
        deadline_day=max(-100_000, min(100_000, deadline_day(facts, first))),
        max_travel_km=facts.max_travel_km,
        priority=priority_level(facts.priority),
        home_unit=facts.home_unit,
    )
    out = []
    for rank, o in enumerate(suggest(snap.state, ref, limit), start=1):
        week = first + dt.timedelta(weeks=o.earliest_week)
        out.append(
            Option.model_construct(
                rank=rank,
                unit=o.unit,
                unit_name=snap.names[o.unit],
                earliest_week=week,
                iso_week=iso_week(week),
                on_time=o.on_time,
                km=o.km,
                cost=o.cost,
            )
        )
    return out


def suggestions_for(
    uow: UnitOfWork,
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
    with uow.reading_rows() as conn:
        facts = referral_facts(conn, referral_id)
    first = monday(today())
    snap = cache.snapshot(uow, facts.specialty, facts.stage, first, weeks)
    found = options(facts, snap, first, limit)
    detail = {"options": [[o.unit, o.earliest_week.isoformat()] for o in found]}
    record = audit_row(caller, request_id, "referral.suggest", "referral", facts.id, detail)
    out = Suggestions.model_construct(referral_id=facts.id, current_week=first, options=found)
    return out, record
