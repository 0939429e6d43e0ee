"""Units and their capacity: slots per week for a specialty and stage from a week on.

Everything here runs in the caller's transaction, audit rows included.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.service import audit
from api.service.db_schema import CapacityRow, UnitRow, utcnow
from api.service.http_problems import Problem
from api.service.keys import Caller
from api.service.schemas import CapacityIn, CapacityOut, StageName, UnitIn, UnitOut
from api.service.weeks import monday


def capacity_rows(session: Session, unit_id: str) -> list[CapacityRow]:
    """The unit's capacity settings, by specialty, stage and first week."""
    return list(
        session.scalars(
            select(CapacityRow)
            .where(CapacityRow.unit_id == unit_id)
            .order_by(CapacityRow.specialty, CapacityRow.stage, CapacityRow.from_week)
        )
    )


def unit_out(session: Session, unit: UnitRow) -> UnitOut:
    """The unit with its capacity settings."""
    return UnitOut(
        id=unit.id,
        name=unit.name,
        hospital_group=unit.hospital_group,
        lat=unit.lat,
        lon=unit.lon,
        private=unit.private,
        capacity=[
            CapacityOut(
                specialty=c.specialty,
                stage=StageName(c.stage),
                from_week=c.from_week,
                slots_per_week=c.slots_per_week,
            )
            for c in capacity_rows(session, unit.id)
        ],
    )


def all_units(session: Session) -> list[UnitOut]:
    units = list(session.scalars(select(UnitRow).order_by(UnitRow.id)))
    return [unit_out(session, u) for u in units]


def put_unit(
    session: Session, unit_id: str, body: UnitIn, caller: Caller, request_id: str
) -> tuple[UnitOut, bool]:
    """Create or update a unit; True when it is new."""
    row = session.get(UnitRow, unit_id)
    before = None if row is None else {"name": row.name, "lat": row.lat, "lon": row.lon}
    created = row is None
    if row is None:
        row = UnitRow(id=unit_id)
        session.add(row)
    row.name, row.hospital_group = body.name, body.hospital_group
    row.lat, row.lon, row.private = body.lat, body.lon, body.private
    row.updated_at = utcnow()
    detail = {"before": before, "after": body.model_dump()}
    audit.record(session, caller, request_id, "unit.put", "unit", unit_id, detail)
    session.flush()
    return unit_out(session, row), created


def set_capacity(
    session: Session, unit_id: str, body: CapacityIn, caller: Caller, request_id: str
) -> UnitOut:
    """Slots per week from ``body.from_week``'s Monday on; 404 for an unknown unit."""
    unit = session.get(UnitRow, unit_id)
    if unit is None:
        raise Problem(404, "Not found", "no unit with this id")
    week = monday(body.from_week)
    row = session.scalar(
        select(CapacityRow).where(
            CapacityRow.unit_id == unit_id,
            CapacityRow.specialty == body.specialty,
            CapacityRow.stage == body.stage.value,
            CapacityRow.from_week == week,
        )
    )
    old = None if row is None else row.slots_per_week
    if row is None:
        session.add(
            CapacityRow(
                unit_id=unit_id,
                specialty=body.specialty,
                stage=body.stage.value,
                from_week=week,
                slots_per_week=body.slots_per_week,
            )
        )
    else:
        row.slots_per_week = body.slots_per_week
    detail = {
        "specialty": body.specialty,
        "stage": body.stage.value,
        "from_week": week.isoformat(),
        "slots_per_week": body.slots_per_week,
        "previous": old,
    }
    audit.record(session, caller, request_id, "capacity.set", "unit", unit_id, detail)
    session.flush()
    return unit_out(session, unit)
