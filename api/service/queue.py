"""The shared queue: referrals, their life cycle, slots held per unit and week.

All writes happen inside the caller's transaction; a request either commits all of
its changes and their audit rows or none. Capacity is never exceeded because a slot is
taken with one guarded statement, ``UPDATE week_load SET booked = booked + 1 WHERE
… AND booked < capacity``, which is atomic on SQLite (writers are serialised by
``BEGIN IMMEDIATE``) and on PostgreSQL (the row is locked and the condition re-checked).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from allokering.problem import Referral, Weights, priority_level, round_km
from allokering.suggest import ResidualState, suggest
from allokering.travel import road_km
from api.service.db_schema import (
    AuditRow,
    CapacityRow,
    ReferralRow,
    UnitRow,
    WeekLoadRow,
    utcnow,
)
from api.service.http_problems import Problem
from api.service.keys import Caller
from api.service.schemas import (
    CapacityIn,
    Option,
    ReferralIn,
    ReferralOut,
    ReferralPatch,
    StageName,
    Status,
    StatusRow,
    Suggestions,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WAITING = (Status.waiting.value, Status.offered.value, Status.booked.value)
HOLDS_SLOT = (Status.offered.value, Status.booked.value)
NEXT: Mapping[str, frozenset[str]] = {
    "waiting": frozenset({"offered", "booked", "withdrawn"}),
    "offered": frozenset({"booked", "waiting", "withdrawn"}),
    "booked": frozenset({"completed", "waiting", "withdrawn"}),
    "completed": frozenset(),
    "withdrawn": frozenset(),
}
"""The referral life cycle: which status may follow which."""


def today() -> dt.date:
    """The date in Sweden."""
    return dt.datetime.now(STOCKHOLM).date()


def monday(day: dt.date) -> dt.date:
    """The Monday starting ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def iso_week(week: dt.date) -> str:
    y, w, _ = week.isocalendar()
    return f"{y}-W{w:02d}"


@dataclass(frozen=True)
class Geography:
    """The areas referrals may come from: id → (name, lat, lon)."""

    areas: Mapping[str, tuple[str, float, float]]


def audit(
    session: Session,
    caller: Caller,
    request_id: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit row, in the same transaction as the change it describes."""
    session.add(
        AuditRow(
            at=utcnow(),
            actor=caller.key_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            request_id=request_id,
            detail=detail or {},
        )
    )


# --- referrals -------------------------------------------------------------------------
def referral_out(row: ReferralRow, as_of: dt.date | None = None) -> ReferralOut:
    end = row.completed_on if row.completed_on is not None else (as_of or today())
    return ReferralOut(
        referral_id=row.id,
        specialty=row.specialty,
        stage=StageName(row.stage),
        area=row.area,
        priority=row.priority,
        limit_days=row.limit_days,
        clock_start=row.clock_start,
        home_unit=row.home_unit,
        max_travel_km=row.max_travel_km,
        status=Status(row.status),
        unit=row.unit_id,
        week=row.week,
        patient_chosen=row.patient_chosen,
        completed_on=row.completed_on,
        version=row.version,
        waited_days=max(0, (end - row.clock_start).days),
        created_at=row.created_at,
    )


_SAME_FIELDS = (
    "specialty",
    "stage",
    "area",
    "priority",
    "limit_days",
    "clock_start",
    "home_unit",
    "max_travel_km",
)


def _same(row: ReferralRow, body: ReferralIn) -> bool:
    sent = body.model_dump()
    sent["stage"] = body.stage.value
    return all(getattr(row, f) == sent[f] for f in _SAME_FIELDS)


def register(
    session: Session, geo: Geography, body: ReferralIn, caller: Caller, request_id: str
) -> tuple[ReferralRow, bool]:
    """Add a referral; a retry with the same id and content returns the stored one."""
    existing = session.get(ReferralRow, body.referral_id)
    if existing is not None:
        if not _same(existing, body):
            raise Problem(
                409,
                "Conflict",
                "referral_id: already registered with different content",
            )
        return existing, False
    if body.area not in geo.areas:
        raise _field(422, "body.area", "unknown area (municipality code)")
    if body.clock_start > today():
        raise _field(422, "body.clock_start", "is in the future")
    if body.home_unit is not None and session.get(UnitRow, body.home_unit) is None:
        raise _field(422, "body.home_unit", "unknown unit")
    now = utcnow()
    row = ReferralRow(
        id=body.referral_id,
        specialty=body.specialty,
        stage=body.stage.value,
        area=body.area,
        priority=body.priority,
        limit_days=body.limit_days,
        clock_start=body.clock_start,
        home_unit=body.home_unit,
        max_travel_km=body.max_travel_km,
        status=Status.waiting.value,
        patient_chosen=False,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()  # IntegrityError when a concurrent retry got there first
    audit(session, caller, request_id, "referral.register", "referral", row.id, _facts(row))
    return row, True


def _facts(row: ReferralRow) -> dict[str, Any]:
    return {
        "specialty": row.specialty,
        "stage": row.stage,
        "area": row.area,
        "status": row.status,
        "unit": row.unit_id,
        "week": row.week.isoformat() if row.week else None,
        "patient_chosen": row.patient_chosen,
    }


def _field(status: int, field: str, message: str) -> Problem:
    return Problem(
        status,
        "Invalid request" if status == 422 else "Conflict",
        f"{field}: {message}",
        [{"field": field, "message": message}],
    )


def find(session: Session, referral_id: str, lock: bool = False) -> ReferralRow:
    stmt = select(ReferralRow).where(ReferralRow.id == referral_id)
    row = session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise Problem(404, "Not found", "no referral with this id")
    return row


# --- slots -----------------------------------------------------------------------------
def capacity_of(session: Session, unit: str, specialty: str, stage: str, week: dt.date) -> int:
    """Slots per week at ``unit`` in ``week``: the latest capacity set from that week."""
    slots = session.scalar(
        select(CapacityRow.slots_per_week)
        .where(
            CapacityRow.unit_id == unit,
            CapacityRow.specialty == specialty,
            CapacityRow.stage == stage,
            CapacityRow.from_week <= week,
        )
        .order_by(CapacityRow.from_week.desc())
        .limit(1)
    )
    return int(slots or 0)


def hold_slot(session: Session, unit: str, specialty: str, stage: str, week: dt.date) -> bool:
    """Take one slot if one is left; False when the week is full."""
    cap = capacity_of(session, unit, specialty, stage, week)
    if cap <= 0:
        return False
    key = {"unit_id": unit, "specialty": specialty, "stage": stage, "week": week}
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(WeekLoadRow)
    session.execute(ins.values(**key, booked=0).on_conflict_do_nothing())
    res = session.execute(
        update(WeekLoadRow)
        .where(
            WeekLoadRow.unit_id == unit,
            WeekLoadRow.specialty == specialty,
            WeekLoadRow.stage == stage,
            WeekLoadRow.week == week,
            WeekLoadRow.booked < cap,
        )
        .values(booked=WeekLoadRow.booked + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(res.rowcount == 1)  # type: ignore[attr-defined]


def release_slot(session: Session, unit: str, specialty: str, stage: str, week: dt.date) -> None:
    session.execute(
        update(WeekLoadRow)
        .where(
            WeekLoadRow.unit_id == unit,
            WeekLoadRow.specialty == specialty,
            WeekLoadRow.stage == stage,
            WeekLoadRow.week == week,
            WeekLoadRow.booked > 0,
        )
        .values(booked=WeekLoadRow.booked - 1)
        .execution_options(synchronize_session=False)
    )


def take(session: Session, row: ReferralRow, unit: str, week: dt.date) -> None:
    """Hold a slot for ``row`` at ``unit`` in ``week`` or raise 409."""
    if session.get(UnitRow, unit) is None:
        raise _field(422, "body.unit", "unknown unit")
    if week < monday(today()):
        raise _field(422, "body.week", "is in the past")
    if not hold_slot(session, unit, row.specialty, row.stage, week):
        raise Problem(409, "Conflict", f"no slot left at this unit in week {iso_week(week)}")
    row.unit_id, row.week = unit, week


def _release(session: Session, row: ReferralRow) -> None:
    if row.status in HOLDS_SLOT and row.unit_id is not None and row.week is not None:
        release_slot(session, row.unit_id, row.specialty, row.stage, row.week)


def transition(
    session: Session, referral_id: str, patch: ReferralPatch, caller: Caller, request_id: str
) -> ReferralRow:
    """Apply one life-cycle step (see :data:`NEXT`), slots and audit included."""
    row = find(session, referral_id, lock=True)
    if patch.version is not None and patch.version != row.version:
        raise Problem(409, "Conflict", f"version: the referral is at version {row.version}")
    old, new = row.status, patch.status.value
    if new not in NEXT[old]:
        raise Problem(409, "Conflict", f"status: cannot go from {old} to {new}")
    before = _facts(row)
    week = monday(patch.week) if patch.week is not None else None
    if patch.declined and new != "waiting":
        raise _field(422, "body.declined", "only with status waiting")
    if new in ("offered", "booked"):
        if old == "offered" and new == "booked" and patch.unit is None and week is None:
            pass  # the patient accepts the offered time
        elif patch.unit is None or week is None:
            raise _field(422, "body.unit", "offered and booked need unit and week")
        elif old == "offered" and (patch.unit, week) == (row.unit_id, row.week):
            pass
        else:
            _release(session, row)
            take(session, row, patch.unit, week)
        row.patient_chosen = False
    elif new == "waiting":
        offered_week = row.week
        _release(session, row)
        row.unit_id, row.week = None, None
        deadline = row.clock_start + dt.timedelta(days=row.limit_days)
        if patch.declined and offered_week is not None and offered_week <= deadline:
            row.patient_chosen = True  # patientvald väntan: declined a time within the limit
    elif new == "completed":
        row.completed_on = patch.completed_on or today()
        if row.completed_on < row.clock_start:
            raise _field(422, "body.completed_on", "is before the clock start")
    elif new == "withdrawn":
        _release(session, row)
    row.status = new
    row.version += 1
    row.updated_at = utcnow()
    audit(
        session,
        caller,
        request_id,
        f"referral.{new}",
        "referral",
        row.id,
        {"from": before, "to": _facts(row), "declined": patch.declined},
    )
    return row


# --- capacity --------------------------------------------------------------------------
def set_capacity(
    session: Session, unit: str, body: CapacityIn, caller: Caller, request_id: str
) -> None:
    week = monday(body.from_week)
    row = session.scalar(
        select(CapacityRow).where(
            CapacityRow.unit_id == unit,
            CapacityRow.specialty == body.specialty,
            CapacityRow.stage == body.stage.value,
            CapacityRow.from_week == week,
        )
    )
    old = None if row is None else row.slots_per_week
    if row is None:
        session.add(
            CapacityRow(
                unit_id=unit,
                specialty=body.specialty,
                stage=body.stage.value,
                from_week=week,
                slots_per_week=body.slots_per_week,
            )
        )
    else:
        row.slots_per_week = body.slots_per_week
    audit(
        session,
        caller,
        request_id,
        "capacity.set",
        "unit",
        unit,
        {
            "specialty": body.specialty,
            "stage": body.stage.value,
            "from_week": week.isoformat(),
            "slots_per_week": body.slots_per_week,
            "previous": old,
        },
    )


# --- residual capacity and suggestions --------------------------------------------------
@dataclass(frozen=True)
class Residual:
    """Slots left per unit (rows) and week (columns) from ``first_week``."""

    first_week: dt.date
    units: list[UnitRow]
    slots: np.ndarray[Any, np.dtype[np.int64]]


def residual(
    session: Session, specialty: str, stage: str, first_week: dt.date, weeks: int
) -> Residual:
    """Capacity minus slots held, per unit with capacity for ``specialty``/``stage``."""
    last = first_week + dt.timedelta(weeks=weeks - 1)
    caps = session.execute(
        select(CapacityRow.unit_id, CapacityRow.from_week, CapacityRow.slots_per_week)
        .where(CapacityRow.specialty == specialty, CapacityRow.stage == stage)
        .order_by(CapacityRow.unit_id, CapacityRow.from_week)
    ).all()
    unit_ids = sorted({c.unit_id for c in caps})
    if not unit_ids:
        return Residual(first_week, [], np.zeros((0, weeks), dtype=np.int64))
    units = {u.id: u for u in session.scalars(select(UnitRow).where(UnitRow.id.in_(unit_ids)))}
    index = {u: i for i, u in enumerate(unit_ids)}
    slots = np.zeros((len(unit_ids), weeks), dtype=np.int64)
    for c in caps:  # later rows (later from_week) overwrite from their week on
        start = max(0, (c.from_week - first_week).days // 7)
        if start < weeks:
            slots[index[c.unit_id], start:] = c.slots_per_week
    held = session.execute(
        select(WeekLoadRow.unit_id, WeekLoadRow.week, WeekLoadRow.booked).where(
            WeekLoadRow.specialty == specialty,
            WeekLoadRow.stage == stage,
            WeekLoadRow.week >= first_week,
            WeekLoadRow.week <= last,
        )
    ).all()
    for h in held:
        if h.unit_id in index:
            w = (h.week - first_week).days // 7
            slots[index[h.unit_id], w] -= h.booked
    np.maximum(slots, 0, out=slots)
    return Residual(first_week, [units[u] for u in unit_ids], slots)


def km_matrix(
    geo: Geography, area_ids: Sequence[str], units: Sequence[UnitRow]
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Whole road km (great-circle × 1.3, rounded as in allokering) area × unit."""
    return np.array(
        [
            [round_km(road_km(geo.areas[a][1], geo.areas[a][2], u.lat, u.lon)) for u in units]
            for a in area_ids
        ],
        dtype=np.int64,
    ).reshape(len(area_ids), len(units))


def deadline_day(row: ReferralRow, first_week: dt.date) -> int:
    """Days from the current week's Monday to the referral's limit (allokering's clock)."""
    return (row.clock_start + dt.timedelta(days=row.limit_days) - first_week).days


@dataclass(frozen=True)
class Snapshot:
    """What suggestions need of one specialty and stage: residual slots and km."""

    residual: Residual
    km: np.ndarray[Any, np.dtype[np.int64]]
    """Whole road km, every area of the geography × the residual's units."""


class SuggestionCache:
    """Residual capacity per specialty and stage, reused for ``seconds``.

    Suggestions are read-only advice; a booking is always checked against the database.
    Reusing the residual for a second saves three queries per suggestion; writes in this
    process clear it at once (:meth:`invalidate`), other worker processes see them within
    ``seconds``. Distances are cached per set of units (they change only with a unit).
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
    res = snap.residual
    options: list[Option] = []
    if res.units:
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
        for rank, o in enumerate(suggest(state, ref, limit), start=1):
            week = first + dt.timedelta(weeks=o.earliest_week)
            options.append(
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
    record = {
        "at": utcnow(),
        "actor": caller.key_id,
        "action": "referral.suggest",
        "entity": "referral",
        "entity_id": row.id,
        "request_id": request_id,
        "detail": {"options": [[o.unit, o.earliest_week.isoformat()] for o in options]},
    }
    return Suggestions(referral_id=row.id, current_week=first, options=options), record


# --- queue status ----------------------------------------------------------------------
def queue_status(session: Session, as_of: dt.date) -> tuple[list[StatusRow], list[StatusRow]]:
    """Waiting now per unit and per specialty, with the share waiting within the limit
    computed as SKR does: of those waiting (PVV excluded), waited ≤ their limit in
    calendar days. A waiting referral counts at its booked unit, else its home unit."""
    unit = func.coalesce(ReferralRow.unit_id, ReferralRow.home_unit, "(unassigned)")
    groups = session.execute(
        select(
            ReferralRow.specialty,
            ReferralRow.stage,
            unit.label("unit"),
            ReferralRow.patient_chosen,
            ReferralRow.limit_days,
            ReferralRow.clock_start,
            func.count().label("n"),
        )
        .where(ReferralRow.status.in_(WAITING), ReferralRow.clock_start <= as_of)
        .group_by(
            ReferralRow.specialty,
            ReferralRow.stage,
            unit,
            ReferralRow.patient_chosen,
            ReferralRow.limit_days,
            ReferralRow.clock_start,
        )
    ).all()
    per_unit: dict[tuple[str, str, str], list[int]] = {}
    for g in groups:
        for key in ((g.specialty, g.stage, g.unit), (g.specialty, g.stage, "*")):
            acc = per_unit.setdefault(key, [0, 0, 0])
            acc[0] += g.n
            if g.patient_chosen:
                acc[1] += g.n
            elif (as_of - g.clock_start).days <= g.limit_days:
                acc[2] += g.n
    rows = [
        StatusRow(
            specialty=k[0],
            stage=StageName(k[1]),
            unit=k[2],
            waiting=v[0],
            patient_chosen=v[1],
            within_guarantee=v[2],
            share_waiting_within_guarantee=(v[2] / (v[0] - v[1])) if v[0] > v[1] else None,
        )
        for k, v in sorted(per_unit.items())
    ]
    return [r for r in rows if r.unit != "*"], [r for r in rows if r.unit == "*"]
