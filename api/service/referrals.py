"""Referrals in the shared queue and their life cycle (see :data:`NEXT`).

Everything here runs in the caller's transaction: a request commits all of its changes
and their audit rows or none. A slot is held for an offered or booked referral
(:mod:`api.service.slots`) and released when it goes back to waiting or is withdrawn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.service import audit, history, waiting_pauses
from api.service.db_schema import ReferralRow, UnitRow, utcnow
from api.service.geography import Geography
from api.service.http_problems import Problem, invalid_field
from api.service.keys import Caller
from api.service.schemas import (
    Assessment,
    Pause,
    ReferralIn,
    ReferralOut,
    ReferralPatch,
    StageName,
    Status,
)
from api.service.slots import hold_slot, lock_slots, release_slot
from api.service.weeks import iso_week, monday, today

WAITING = history.WAITING
"""The statuses of a referral still waiting for care (a booked time not yet given)."""
HOLDS_SLOT = (Status.offered.value, Status.booked.value)
NEXT: Mapping[str, frozenset[str]] = {
    "waiting": frozenset({"offered", "booked", "withdrawn"}),
    "offered": frozenset({"booked", "waiting", "withdrawn"}),
    "booked": frozenset({"completed", "waiting", "withdrawn"}),
    "completed": frozenset(),
    "withdrawn": frozenset(),
}
"""The referral life cycle: which status may follow which."""
SAME_FIELDS = (
    "specialty",
    "stage",
    "area",
    "priority",
    "limit_days",
    "clock_start",
    "home_unit",
    "max_travel_km",
)
"""What a retry of a registration must repeat unchanged."""


def referral_out(row: ReferralRow, as_of: dt.date | None = None) -> ReferralOut:
    day = as_of or today()
    end = row.completed_on if row.completed_on is not None else day
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
        patient_chosen=waiting_pauses.in_period(row.pvv_from, row.pvv_until, day),
        completed_on=row.completed_on,
        version=row.version,
        waited_days=max(0, (end - row.clock_start).days),
        created_at=row.created_at,
        assessment=Assessment(row.assessment),
        forwarded_to=row.forwarded_to,
        pvv=pause_out(row.pvv_from, row.pvv_until),
        mov=pause_out(row.mov_from, row.mov_until),
        excluded_days=waiting_pauses.row_excluded_on(row, end),
        changed_on=row.changed_on,
    )


def pause_out(start: dt.date | None, until: dt.date | None) -> Pause | None:
    return Pause(from_date=start, until=until) if start is not None else None


class Clocked(Protocol):
    """What the care-guarantee clock of a referral needs: a stored row, or the columns
    of one read without the ORM (the suggestions' hot path)."""

    @property
    def clock_start(self) -> dt.date: ...
    @property
    def limit_days(self) -> int: ...


def deadline_day(row: Clocked, first_week: dt.date) -> int:
    """Days from the current week's Monday to the referral's limit (allokering's clock)."""
    return (row.clock_start + dt.timedelta(days=row.limit_days) - first_week).days


def facts(row: ReferralRow) -> dict[str, Any]:
    """What the audit log keeps of a referral before and after a change."""
    return {
        "specialty": row.specialty,
        "stage": row.stage,
        "area": row.area,
        "status": row.status,
        "unit": row.unit_id,
        "week": row.week.isoformat() if row.week else None,
        "patient_chosen": row.patient_chosen,
        "assessment": row.assessment,
    }


def same_content(row: ReferralRow, body: ReferralIn) -> bool:
    sent = body.model_dump()
    sent["stage"] = body.stage.value
    return all(getattr(row, f) == sent[f] for f in SAME_FIELDS)


def register(
    session: Session, geo: Geography, body: ReferralIn, caller: Caller, request_id: str
) -> tuple[ReferralRow, bool]:
    """Add a referral; a retry with the same id and content returns the stored one."""
    existing = session.get(ReferralRow, body.referral_id)
    if existing is not None:
        if not same_content(existing, body):
            raise Problem(
                409,
                "Conflict",
                "referral_id: already registered with different content",
            )
        return existing, False
    if body.area not in geo.areas:
        raise invalid_field("body.area", "unknown area (municipality code)")
    if body.clock_start > today():
        raise invalid_field("body.clock_start", "is in the future")
    on = history.check_on(None, body.on)
    if body.clock_start > on:
        raise invalid_field("body.clock_start", "is after on (the day it is registered)")
    if body.home_unit is not None and session.get(UnitRow, body.home_unit) is None:
        raise invalid_field("body.home_unit", "unknown unit")
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
        assessment=body.assessment or Assessment.accepted.value,
        excluded_days=0,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()  # IntegrityError when a concurrent retry got there first
    history.record(session, row, "registered", on, caller.key_id)
    detail = {**facts(row), "on": on.isoformat()}
    audit.record(session, caller, request_id, "referral.register", "referral", row.id, detail)
    return row, True


def find(session: Session, referral_id: str, lock: bool = False) -> ReferralRow:
    """The referral, locked for the transaction when ``lock``; 404 when unknown."""
    stmt = select(ReferralRow).where(ReferralRow.id == referral_id)
    row = session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise Problem(404, "Not found", "no referral with this id")
    return row


def take(session: Session, row: ReferralRow, unit: str, week: dt.date, on: dt.date) -> None:
    """Hold a slot for ``row`` at ``unit`` in ``week`` or raise 409; ``week`` must not
    be before the week of the change's date ``on``."""
    if session.get(UnitRow, unit) is None:
        raise invalid_field("body.unit", "unknown unit")
    if week < monday(on):
        raise invalid_field("body.week", "is in the past")
    if not hold_slot(session, unit, row.specialty, row.stage, week):
        raise Problem(409, "Conflict", f"no slot left at this unit in week {iso_week(week)}")
    row.unit_id, row.week = unit, week


def release(session: Session, row: ReferralRow) -> None:
    """Give back the slot ``row`` holds, if it holds one."""
    if row.status in HOLDS_SLOT and row.unit_id is not None and row.week is not None:
        release_slot(session, row.unit_id, row.specialty, row.stage, row.week)


def hold_time(
    session: Session, row: ReferralRow, patch: ReferralPatch, week: dt.date | None, on: dt.date
) -> None:
    """To ``offered`` or ``booked``: hold the time asked for (or keep the offered one);
    an open-ended PVV ends. Only an accepted referral is offered a time."""
    if row.assessment != Assessment.accepted.value:
        raise Problem(
            409, "Conflict", f"assessment: the referral is {row.assessment}, not accepted"
        )
    old = row.status
    if old == "offered" and patch.status.value == "booked" and patch.unit is None and week is None:
        pass  # the patient accepts the offered time
    elif patch.unit is None or week is None:
        raise invalid_field("body.unit", "offered and booked need unit and week")
    elif old == "offered" and (patch.unit, week) == (row.unit_id, row.week):
        pass
    else:
        moves = [(patch.unit, row.specialty, row.stage, week)]
        if old in HOLDS_SLOT and row.unit_id is not None and row.week is not None:
            moves.append((row.unit_id, row.specialty, row.stage, row.week))
        lock_slots(session, moves)  # in one order: crossing reschedules cannot deadlock
        release(session, row)
        take(session, row, patch.unit, week, on)
    waiting_pauses.end_open(row, on)


def back_to_waiting(session: Session, row: ReferralRow, declined: bool, on: dt.date) -> None:
    """To ``waiting``: release the time; patient-chosen waiting (PVV) from ``on`` when the
    patient declined a time within the limit (and no PVV or MOV is in effect)."""
    offered_week = row.week
    release(session, row)
    row.unit_id, row.week = None, None
    deadline = row.clock_start + dt.timedelta(days=row.limit_days)
    within = offered_week is not None and offered_week <= deadline
    if declined and within and waiting_pauses.paused_on(row, on) is None:
        waiting_pauses.start(row, waiting_pauses.PauseKind.pvv, on, None)  # patientvald väntan


def completed_day(row: ReferralRow, completed_on: dt.date | None, on: dt.date) -> dt.date:
    """The day the care was given: ``completed_on`` (default ``on``); 422 when it is after
    ``on`` (the change cannot be recorded before it happened), before the clock start or
    before the referral's previous change."""
    day = completed_on or on
    if day > on:
        raise invalid_field("body.completed_on", "is after on (the day the change is recorded)")
    if day < row.clock_start:
        raise invalid_field("body.completed_on", "is before the clock start")
    if row.changed_on is not None and day < row.changed_on:
        raise invalid_field(
            "body.completed_on",
            f"is before the referral's previous change ({row.changed_on.isoformat()})",
        )
    return day


def change_name(new: str, patch: ReferralPatch) -> str:
    """The history's name of a step: its new status, or what sent it back to waiting."""
    if new == "waiting" and patch.declined:
        return "declined"
    if new == "waiting" and patch.no_show:
        return "no_show"
    return new


def for_change(session: Session, referral_id: str, version: int | None) -> ReferralRow:
    """The referral, locked for a change; 409 when ``version`` is given and not its."""
    row = find(session, referral_id, lock=True)
    if version is not None and version != row.version:
        raise Problem(409, "Conflict", f"version: the referral is at version {row.version}")
    return row


def changed(
    session: Session,
    row: ReferralRow,
    change: str,
    on: dt.date,
    caller: Caller,
    request_id: str,
    detail: dict[str, Any],
    action: str | None = None,
) -> None:
    """Close a change: a new version, its history row (named ``change``) and its audit
    row (``action``, default ``referral.<change>``), all in the caller's transaction."""
    row.version += 1
    row.updated_at = utcnow()
    history.record(session, row, change, on, caller.key_id)
    detail = {**detail, "to": facts(row), "on": on.isoformat()}
    action = action or f"referral.{change}"
    audit.record(session, caller, request_id, action, "referral", row.id, detail)


def transition(
    session: Session, referral_id: str, patch: ReferralPatch, caller: Caller, request_id: str
) -> ReferralRow:
    """Apply one life-cycle step (see :data:`NEXT`), slots and audit included."""
    row = for_change(session, referral_id, patch.version)
    old, new = row.status, patch.status.value
    if new not in NEXT[old]:
        raise Problem(409, "Conflict", f"status: cannot go from {old} to {new}")
    before = facts(row)
    on = history.check_on(row, patch.on)
    week = monday(patch.week) if patch.week is not None else None
    if patch.declined and new != "waiting":
        raise invalid_field("body.declined", "only with status waiting")
    if patch.no_show and (old, new) != ("booked", "waiting"):
        raise invalid_field("body.no_show", "only from booked back to waiting")
    if new in HOLDS_SLOT:
        hold_time(session, row, patch, week, on)
    elif new == "waiting":
        back_to_waiting(session, row, patch.declined, on)
    elif new == "completed":
        row.completed_on = completed_day(row, patch.completed_on, on)
        waiting_pauses.end_all(row, on)
    elif new == "withdrawn":
        release(session, row)
        waiting_pauses.end_all(row, on)
    row.status = new
    detail: dict[str, Any] = {"from": before, "declined": patch.declined}
    if patch.no_show:
        detail["no_show"] = True
    changed(
        session, row, change_name(new, patch), on, caller, request_id, detail, f"referral.{new}"
    )
    return row
