"""Slots per unit and week: the capacity set, the slots held, and what is left.

Capacity is never exceeded because a slot is taken with one guarded statement,
``UPDATE week_load SET booked = booked + 1 WHERE … AND booked < capacity``, which is
atomic on SQLite (writers are serialised by ``BEGIN IMMEDIATE``) and on PostgreSQL (the
row is locked and the condition re-checked). Everything here runs in the caller's
transaction.

A transaction that changes more than one slot row (a reschedule releases one week and
takes another) first locks the rows it will change in one order, sorted by (unit,
specialty, stage, week) — :func:`lock_slots`. Two reschedules crossing weeks then
queue for the same first row instead of each holding the row the other waits for
(a PostgreSQL deadlock).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.service.db_schema import CapacityRow, UnitRow, WeekLoadRow


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


SlotKey = tuple[str, str, str, dt.date]
"""(unit, specialty, stage, week): one slot row."""


def lock_slots(session: Session, keys: list[SlotKey]) -> None:
    """Lock the existing slot rows of ``keys`` in sorted order (``SELECT … ORDER BY …
    FOR UPDATE``: PostgreSQL locks the rows as the sort returns them). On SQLite the
    writer already holds the database's write lock and this is a plain read."""
    cols = (WeekLoadRow.unit_id, WeekLoadRow.specialty, WeekLoadRow.stage, WeekLoadRow.week)
    session.execute(
        select(*cols).where(tuple_(*cols).in_(sorted(set(keys)))).order_by(*cols).with_for_update()
    ).all()


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
    """Give back one slot held at ``unit`` in ``week``."""
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
