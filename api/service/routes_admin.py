"""The administrator's routes: units, their capacity, API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.service import http_problems, queue
from api.service.db_schema import ApiKeyRow, CapacityRow, UnitRow, utcnow
from api.service.deps import State, no_unknown_query, request_id, state
from api.service.http_problems import Problem
from api.service.keys import Caller, Role, create_key, require, roles_of
from api.service.pseudonym import PseudonymousId
from api.service.schemas import (
    CapacityIn,
    CapacityOut,
    KeyIn,
    KeyOut,
    NewKey,
    StageName,
    UnitIn,
    UnitOut,
)

router = APIRouter(
    prefix="/v1",
    responses=http_problems.RESPONSES,
    dependencies=[Depends(no_unknown_query)],
    tags=["admin"],
)
Admin = Annotated[Caller, Depends(require(Role.admin))]
St = Annotated[State, Depends(state)]
UnitId = Annotated[PseudonymousId, Path(max_length=64)]


def _unit_out(u: UnitRow, caps: list[CapacityRow]) -> UnitOut:
    return UnitOut(
        id=u.id,
        name=u.name,
        hospital_group=u.hospital_group,
        lat=u.lat,
        lon=u.lon,
        private=u.private,
        capacity=[
            CapacityOut(
                specialty=c.specialty,
                stage=StageName(c.stage),
                from_week=c.from_week,
                slots_per_week=c.slots_per_week,
            )
            for c in caps
        ],
    )


def _capacity(s: Session, unit_id: str) -> list[CapacityRow]:
    return list(
        s.scalars(
            select(CapacityRow)
            .where(CapacityRow.unit_id == unit_id)
            .order_by(CapacityRow.specialty, CapacityRow.stage, CapacityRow.from_week)
        )
    )


@router.put(
    "/units/{unit_id}",
    response_model=UnitOut,
    responses={201: {"model": UnitOut, "description": "Created"}},
)
def put_unit(unit_id: UnitId, body: UnitIn, caller: Admin, st: St, response: Response) -> UnitOut:
    """Create or update a unit (201 when new)."""
    with st.sessions.begin() as s:
        row = s.get(UnitRow, unit_id)
        before = None if row is None else {"name": row.name, "lat": row.lat, "lon": row.lon}
        if row is None:
            row = UnitRow(id=unit_id)
            s.add(row)
            response.status_code = status.HTTP_201_CREATED
        row.name, row.hospital_group = body.name, body.hospital_group
        row.lat, row.lon, row.private = body.lat, body.lon, body.private
        row.updated_at = utcnow()
        queue.audit(
            s,
            caller,
            request_id(),
            "unit.put",
            "unit",
            unit_id,
            {"before": before, "after": body.model_dump()},
        )
        s.flush()
        out = _unit_out(row, _capacity(s, unit_id))
    st.suggestions.invalidate()
    return out


@router.put("/units/{unit_id}/capacity", response_model=UnitOut)
def put_capacity(unit_id: UnitId, body: CapacityIn, caller: Admin, st: St) -> UnitOut:
    """Slots per week for a specialty and stage from a week on (that week's Monday)."""
    with st.sessions.begin() as s:
        row = s.get(UnitRow, unit_id)
        if row is None:
            raise Problem(404, "Not found", "no unit with this id")
        queue.set_capacity(s, unit_id, body, caller, request_id())
        s.flush()
        out = _unit_out(row, _capacity(s, unit_id))
    st.suggestions.invalidate()
    return out


@router.get("/units", response_model=list[UnitOut])
def list_units(
    caller: Annotated[Caller, Depends(require(Role.admin, Role.portal, Role.planner))], st: St
) -> list[UnitOut]:
    """Every unit with its capacity settings."""
    with st.readers() as s:
        units = list(s.scalars(select(UnitRow).order_by(UnitRow.id)))
        return [_unit_out(u, _capacity(s, u.id)) for u in units]


def _key_out(row: ApiKeyRow) -> KeyOut:
    return KeyOut(
        id=row.id,
        name=row.name,
        roles=sorted(r.value for r in roles_of(row)),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


@router.post("/keys", response_model=NewKey, status_code=status.HTTP_201_CREATED)
def create_api_key(body: KeyIn, caller: Admin, st: St) -> NewKey:
    """A new API key; the key is in this response only (the database keeps its hash)."""
    with st.sessions.begin() as s:
        row, key = create_key(s, [Role(r) for r in body.roles], body.name)
        s.flush()
        queue.audit(s, caller, request_id(), "key.create", "api_key", row.id, {"roles": row.roles})
        return NewKey(**_key_out(row).model_dump(), key=key)


@router.get("/keys", response_model=list[KeyOut])
def list_api_keys(caller: Admin, st: St) -> list[KeyOut]:
    with st.readers() as s:
        return [_key_out(r) for r in s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))]


@router.delete("/keys/{key_id}", response_model=KeyOut)
def revoke_api_key(
    request: Request,
    key_id: Annotated[str, Path(max_length=32, pattern=r"^[0-9a-f]+$")],
    caller: Admin,
    st: St,
) -> KeyOut:
    """Revoke a key: it stops working at once in this process and within
    ``KEY_CACHE_SECONDS`` (5 s) in other worker processes; the row stays for the audit."""
    with st.sessions.begin() as s:
        row = s.get(ApiKeyRow, key_id)
        if row is None:
            raise Problem(404, "Not found", "no key with this id")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            queue.audit(s, caller, request_id(), "key.revoke", "api_key", row.id)
        out = _key_out(row)
    request.app.state.keys.forget()  # after the commit, so no one re-caches the live row
    return out
