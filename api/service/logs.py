"""Structured JSON logs, one line per event, with the request id.

Request lines carry the route *template* (``/v1/referrals/{referral_id}``), never the
raw path or body, so an identifier sent by mistake never reaches a log file.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Awaitable, Callable

from asgi_correlation_id import CorrelationIdFilter
from pythonjsonlogger.json import JsonFormatter
from starlette.requests import Request
from starlette.responses import Response

access = logging.getLogger("remiss.access")


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(CorrelationIdFilter(uuid_length=32, default_value="-"))
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "correlation_id": "request_id"},
        )
    )
    root = logging.getLogger("remiss")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers[:] = [handler]
        lg.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # it would log raw paths


async def log_requests(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Middleware: one JSON line per request (method, route template, status, ms, actor)."""
    start = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    caller = getattr(request.state, "caller", None)
    access.info(
        "request",
        extra={
            "method": request.method,
            "route": getattr(route, "path", "(unmatched)"),
            "status": response.status_code,
            "ms": round(1000 * (time.perf_counter() - start), 2),
            "actor": getattr(caller, "key_id", None),
        },
    )
    return response
