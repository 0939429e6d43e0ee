"""The administrator's units and their capacity (every key may list them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response, status

from api.service import service_layer
from api.service.deps import Admin, AnyRole, St, request_id, v1_router
from api.service.pseudonym import PseudonymousId
from api.service.schemas import CapacityIn, UnitIn, UnitOut

router = v1_router(tags=["admin"])
UnitId = Annotated[PseudonymousId, Path(max_length=64)]


@router.put(
    "/units/{unit_id}",
    response_model=UnitOut,
    responses={201: {"model": UnitOut, "description": "Created"}},
)
def put_unit(unit_id: UnitId, body: UnitIn, caller: Admin, st: St, response: Response) -> UnitOut:
    """Create or update a unit (201 when new)."""
    out, created = service_layer.put_unit(st, unit_id, body, caller, request_id())
    if created:
        response.status_code = status.HTTP_201_CREATED
    return out


@router.put("/units/{unit_id}/capacity", response_model=UnitOut)
def put_capacity(unit_id: UnitId, body: CapacityIn, caller: Admin, st: St) -> UnitOut:
    """Slots per week for a specialty and stage from a week on (that week's Monday)."""
    return service_layer.put_capacity(st, unit_id, body, caller, request_id())


@router.get("/units", response_model=list[UnitOut])
def list_units(caller: AnyRole, st: St) -> list[UnitOut]:
    """Every unit with its capacity settings."""
    return service_layer.list_units(st)
