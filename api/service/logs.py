"""Structured JSON logs, one line per event, with the request id.

Request lines carry the route *template* (``/v1/referrals/{referral_id}``), never the
raw path or body, so an identifier sent by mistake never reaches a log file. For the
same reason a logged traceback (an unexpected error's, uvicorn's) names each exception's
type and the lines of code it passed through but not its message, and no locals: a
message can quote what a request sent (a key violation's detail, a validation error's
input) — see :class:`PrivateJsonFormatter`.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from asgi_correlation_id import CorrelationIdFilter
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access = logging.getLogger("remiss.access")


def private_traceback(exc: BaseException | None) -> str:
    """The frames and exception types of ``exc`` and the exceptions it was raised from
    or while handling (outermost first), without their messages."""
    lines: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        lines.extend(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        kind = type(exc)
        lines.append(f"{kind.__module__}.{kind.__qualname__} (message withheld)\n")
        exc = exc.__cause__ or exc.__context__
    return "".join(lines)


class PrivateJsonFormatter(JsonFormatter):
    """JSON lines whose tracebacks carry no exception message (:func:`private_traceback`)."""

    def formatException(self, ei: Any) -> str:
        return private_traceback(ei[1])


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(CorrelationIdFilter(uuid_length=36, default_value="-"))
    handler.setFormatter(
        PrivateJsonFormatter(
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
    if not logging.getLogger().handlers:  # what other libraries log goes out the same way
        logging.getLogger().addHandler(handler)


class RequestLog:
    """ASGI middleware: one JSON line per request (method, route template, status, ms,
    actor). Plain ASGI rather than ``BaseHTTPMiddleware``, which costs a task per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        def done(status: int, seconds: float) -> None:
            caller = scope.get("state", {}).get("caller")
            access.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": getattr(scope.get("route"), "path", "(unmatched)"),
                    "status": status,
                    "ms": round(1000 * seconds, 2),
                    "actor": getattr(caller, "key_id", None),
                },
            )

        await call_observed(self.app, scope, receive, send, done)


async def call_observed(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    done: Callable[[int, float], None],
) -> None:
    """Run ``app`` on one HTTP request, then tell ``done`` the response status (500 when
    none was sent) and the seconds it took, also when the app raised: the access log's
    and the metrics' shared measure of a request."""
    start = time.perf_counter()
    status = [500]

    async def send_status(message: Message) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]
        await send(message)

    try:
        await app(scope, receive, send_status)
    finally:
        done(status[0], time.perf_counter() - start)
