"""Queue status: who is waiting now, and the share within the guarantee."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.service import service_layer
from api.service.deps import QueueReader, St, request_id, v1_router
from api.service.schemas import IsoDate, QueueStatus

router = v1_router(tags=["queue"])


@router.get("/queue/status", response_model=QueueStatus)
def queue_status(
    caller: QueueReader,
    st: St,
    as_of: Annotated[IsoDate | None, Query(description="Default: today")] = None,
) -> QueueStatus:
    """Waiting now per unit and specialty and the share within the guarantee (SKR)."""
    return service_layer.waiting_now(st, as_of, caller, request_id())
