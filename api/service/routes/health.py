"""``/livez`` and ``/healthz`` (no key, outside ``/v1``).

- ``/livez``: the process answers HTTP. It touches nothing else, so it stays cheap and
  prompt whatever the database does (a restart policy's check).
- ``/healthz``: whether the service can do its work: 200 when the database takes a
  write, else 503 with ``Retry-After`` naming what is wrong (``unreachable``,
  ``locked``, ``read-only``, ``timeout``, ``busy``) — a load balancer's check. The probe
  runs on threads of its own (not the request pool that writers may be filling) and
  the answer comes within a bound even when the database never replies.
"""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.service import service_layer
from api.service.db_errors import KINDS
from api.service.db_probe import OK
from api.service.deps import St

router = APIRouter(tags=["operations"])
PROBE_THREADS = anyio.CapacityLimiter(4)
"""Health probes in flight at once, apart from the request threads."""


class Live(BaseModel):
    status: str = Field("ok", description="Always ok: the process answers")


class Health(BaseModel):
    status: str = Field(description="ok, or unavailable")
    database: str = Field(description="ok, unreachable, locked, read-only, timeout or busy")
    detail: str | None = Field(None, description="What is wrong, when something is")


UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": Health, "description": "The database cannot take a write now"}
}


@router.get("/livez", response_model=Live)
async def livez() -> Live:
    """Liveness: the process answers (the database is not asked)."""
    return Live()


@router.get("/healthz", response_model=Health, responses=UNAVAILABLE)
async def healthz(st: St) -> JSONResponse:
    """Readiness: the database takes a write (a probe, rolled back; at most once a
    second), else 503 with ``Retry-After`` and what is wrong."""
    t = st.settings.db_timeouts()
    try:
        with anyio.fail_after(t.connect + 2 * t.lock + 1):
            state = await anyio.to_thread.run_sync(
                service_layer.database_state, st, limiter=PROBE_THREADS, abandon_on_cancel=True
            )
    except TimeoutError:
        state = "timeout"
    if state == OK:
        return JSONResponse(Health(status="ok", database=OK).model_dump())
    body = Health(status="unavailable", database=state, detail=KINDS[state])
    headers = {"Retry-After": str(st.settings.retry_after_seconds)}
    return JSONResponse(body.model_dump(), status_code=503, headers=headers)
