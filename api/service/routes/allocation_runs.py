"""Allocation runs: a plan for the waiting queue, then its acceptance as bookings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, status

from api.service import service_layer
from api.service.deps import Portal, St, request_id, v1_router
from api.service.schemas import AllocationRunIn, AllocationRunOut

router = v1_router(tags=["queue"])


@router.post(
    "/allocation-runs",
    response_model=AllocationRunOut,
    status_code=status.HTTP_201_CREATED,
)
def create_allocation_run(body: AllocationRunIn, caller: Portal, st: St) -> AllocationRunOut:
    """Optimise the waiting referrals (all, or one specialty) over the residual
    capacity; returns the plan. Nothing is booked until the plan is accepted."""
    return service_layer.create_allocation_run(st, body, caller, request_id())


@router.post("/allocation-runs/{run_id}/accept", response_model=AllocationRunOut)
def accept_allocation_run(
    run_id: Annotated[str, Path(max_length=36)], caller: Portal, st: St
) -> AllocationRunOut:
    """Turn the plan into bookings, each taken atomically; referrals no longer waiting
    or whose slot has gone are skipped and listed."""
    return service_layer.accept_allocation_run(st, run_id, caller, request_id())
