"""Allocation runs: optimise the waiting queue with allokering, then accept the plan.

A run takes the referrals that are ``waiting`` (one specialty, or each specialty in
turn — specialties never share capacity), the residual capacity per unit and week
(capacity minus times already offered or booked) and solves one
:class:`~allokering.problem.AllocationProblem` per specialty, with each referral's
priority (:func:`~allokering.problem.priority_level` of its ``priority``: P1..P4 → 1..4,
anything else routine) and home unit (its ``home_unit`` column, when that unit has
capacity in the run; moving a patient elsewhere then costs ``away_from_home``). Every
full week a patient is already past the limit raises their weight, so the longest
overdue are not left behind. The plan is stored;
``accept`` books each placement with the same guarded slot update as a single booking,
so a plan accepted after the queue moved on never overbooks: stale lines are skipped.
Everything here runs in the caller's session.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allokering.problem import (
    AllocationProblem,
    AreaRef,
    Referral,
    UnitCapacity,
    priority_level,
)
from allokering.solve import solve
from allokering.validate import validate
from api.service import audit, waiting_pauses
from api.service.db_schema import AllocationRunRow, ReferralRow, utcnow
from api.service.geography import Geography, km_matrix
from api.service.http_problems import Problem
from api.service.keys import Caller
from api.service.pseudonym import new_request_id
from api.service.referrals import changed, deadline_day
from api.service.schemas import AllocationRunIn, AllocationRunOut, PlannedBooking, StageName
from api.service.slots import Residual, hold_slot, residual
from api.service.weeks import monday, today


def run_out(row: AllocationRunRow) -> AllocationRunOut:
    return AllocationRunOut(
        id=row.id,
        status="accepted" if row.status == "accepted" else "planned",
        created_at=row.created_at,
        stage=StageName(row.stage),
        specialty=row.specialty,
        summary=row.summary,
        plan=[PlannedBooking.model_validate(p) for p in row.plan],
        accepted=row.accepted,
    )


def waiting_by_specialty(session: Session, body: AllocationRunIn) -> dict[str, list[ReferralRow]]:
    """The waiting referrals of the run's stage (and specialty), per specialty."""
    stmt = select(ReferralRow).where(
        ReferralRow.status == "waiting",
        ReferralRow.assessment == "accepted",
        ReferralRow.stage == body.stage.value,
    )
    if body.specialty is not None:
        stmt = stmt.where(ReferralRow.specialty == body.specialty)
    by_specialty: dict[str, list[ReferralRow]] = {}
    for r in session.scalars(stmt.order_by(ReferralRow.specialty, ReferralRow.id)):
        by_specialty.setdefault(r.specialty, []).append(r)
    return by_specialty


def plan_run(
    session: Session, geo: Geography, body: AllocationRunIn, weeks: int, caller: Caller
) -> AllocationRunRow:
    """The plan for the waiting referrals over the residual capacity (not yet stored)."""
    first = monday(today())
    plan: list[dict[str, Any]] = []
    summary: dict[str, Any] = {"specialties": {}, "referrals": 0, "placed": 0, "on_time": 0}
    by_specialty = waiting_by_specialty(session, body)
    for specialty, rows in by_specialty.items():
        res = residual(session, specialty, body.stage.value, first, weeks)
        part = plan_specialty(geo, specialty, rows, res, first, weeks, body)
        summary["specialties"][specialty] = part["summary"]
        plan.extend(part["plan"])
    summary["referrals"] = sum(len(rows) for rows in by_specialty.values())
    summary["placed"] = len(plan)
    summary["on_time"] = sum(1 for p in plan if p["on_time"])
    return AllocationRunRow(
        id=new_request_id(),
        created_at=utcnow(),
        actor=caller.key_id,
        specialty=body.specialty,
        stage=body.stage.value,
        first_week=first,
        status="planned",
        summary=summary,
        plan=plan,
    )


def save_run(session: Session, run: AllocationRunRow, caller: Caller, request_id: str) -> None:
    """Store a planned run with its audit row."""
    session.add(run)
    detail = {"specialty": run.specialty, "stage": run.stage, "summary": run.summary}
    audit.record(
        session, caller, request_id, "allocation_run.create", "allocation_run", run.id, detail
    )


def allocation_problem(
    geo: Geography,
    area_ids: list[str],
    rows: list[ReferralRow],
    res: Residual,
    first: dt.date,
    weeks: int,
) -> AllocationProblem:
    """One specialty's referrals (from ``area_ids``) over its residual capacity."""
    areas = geo.areas
    unit_ids = {u.id for u in res.units}
    return AllocationProblem(
        horizon_weeks=weeks,
        units=[
            UnitCapacity(id=u.id, name=u.name, capacity=res.slots[j].tolist(), lat=u.lat, lon=u.lon)
            for j, u in enumerate(res.units)
        ],
        areas=[AreaRef(id=a, name=areas[a][0], lat=areas[a][1], lon=areas[a][2]) for a in area_ids],
        referrals=[
            Referral(
                id=r.id,
                area=r.area,
                deadline_day=max(-100_000, min(100_000, deadline_day(r, first))),
                max_travel_km=r.max_travel_km,
                priority=priority_level(r.priority),
                home_unit=r.home_unit if r.home_unit in unit_ids else None,
            )
            for r in rows
        ],
    )


def plan_specialty(
    geo: Geography,
    specialty: str,
    rows: list[ReferralRow],
    res: Residual,
    first: dt.date,
    weeks: int,
    body: AllocationRunIn,
) -> dict[str, Any]:
    """Solve one specialty: its plan lines and its summary."""
    if not res.units:
        return {
            "summary": {"referrals": len(rows), "placed": 0, "status": "no capacity"},
            "plan": [],
        }
    area_ids = sorted({r.area for r in rows})
    problem = allocation_problem(geo, area_ids, rows, res, first, weeks)
    result = solve(problem, body.solver, body.time_limit_seconds, reasons=False)
    if result.status in ("infeasible", "error"):
        raise Problem(409, "Conflict", f"solver {result.solver}: {result.status} {result.message}")
    check = validate(problem, result)
    if not check.ok:  # never hand the portal a plan the independent check refuses
        raise Problem(500, "Internal error", f"plan failed validation: {check.errors[0]}")
    km = km_matrix(geo, area_ids, res.units)
    a_index = {a: i for i, a in enumerate(area_ids)}
    u_index = {u.id: j for j, u in enumerate(res.units)}
    area_of = {r.id: r.area for r in rows}
    plan = [
        {
            "referral_id": a.referral,
            "specialty": specialty,
            "unit": a.unit,
            "week": (first + dt.timedelta(weeks=a.week)).isoformat(),
            "on_time": a.on_time,
            "km": int(km[a_index[area_of[a.referral]], u_index[a.unit]]),
        }
        for a in result.assignments
    ]
    return {
        "summary": {
            "referrals": len(rows),
            "placed": len(plan),
            "on_time": sum(1 for p in plan if p["on_time"]),
            "status": str(result.status),
            "solver": result.solver,
            "cost": result.cost,
            "solve_seconds": round(result.solve_seconds, 4),
        },
        "plan": plan,
    }


def book_line(
    session: Session, run: AllocationRunRow, line: dict[str, Any], caller: Caller, request_id: str
) -> str | None:
    """Book one plan line; the reason it was skipped, or None when booked."""
    ref = session.scalar(
        select(ReferralRow).where(ReferralRow.id == line["referral_id"]).with_for_update()
    )
    if ref is None or ref.status != "waiting" or ref.assessment != "accepted":
        return "no longer waiting"
    week = dt.date.fromisoformat(line["week"])
    if week < monday(today()) or not hold_slot(
        session, line["unit"], ref.specialty, ref.stage, week
    ):
        return "slot no longer free"
    ref.unit_id, ref.week, ref.status = line["unit"], week, "booked"
    on = today()
    waiting_pauses.end_open(ref, on)
    detail = {"allocation_run": run.id, "unit": line["unit"], "week": line["week"]}
    changed(session, ref, "booked", on, caller, request_id, detail)
    return None


def accept_run(session: Session, run_id: str, caller: Caller, request_id: str) -> AllocationRunOut:
    """Turn the plan into bookings, each taken atomically; stale lines are skipped."""
    run = session.scalar(
        select(AllocationRunRow).where(AllocationRunRow.id == run_id).with_for_update()
    )
    if run is None:
        raise Problem(404, "Not found", "no allocation run with this id")
    if run.status == "accepted":
        raise Problem(409, "Conflict", "the plan is already accepted")
    booked = 0
    skipped: list[dict[str, str]] = []
    for line in run.plan:
        reason = book_line(session, run, line, caller, request_id)
        if reason is None:
            booked += 1
        else:
            skipped.append({"referral_id": line["referral_id"], "reason": reason})
    run.status = "accepted"
    run.accepted = {"booked": booked, "skipped": skipped, "by": caller.key_id}
    detail = {"booked": booked, "skipped": len(skipped)}
    audit.record(
        session, caller, request_id, "allocation_run.accept", "allocation_run", run.id, detail
    )
    return run_out(run)
