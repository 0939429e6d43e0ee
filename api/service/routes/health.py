"""``/healthz``: liveness and database reachability (no key, outside ``/v1``)."""

from __future__ import annotations

from fastapi import APIRouter

from api.service import service_layer
from api.service.deps import St

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(st: St) -> dict[str, str]:
    """Liveness and database reachability."""
    service_layer.check_database(st)
    return {"status": "ok"}
