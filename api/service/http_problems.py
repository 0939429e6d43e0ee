"""Errors as ``application/problem+json`` (RFC 9457), never echoing input values.

Validation errors list each field (``body.referral_id``, ``query.solver``) with its
message, and never the value sent: a refused personal identity number must not come
back in a response or a log line.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.service.headers import SECURITY_HEADERS

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("remiss.api")


class FieldError(BaseModel):
    field: str = Field(description="Where: body.x.y, query.name, path.name")
    message: str


class ProblemDocument(BaseModel):
    """RFC 9457 problem details, plus the request id and the fields at fault."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str = Field(description="The route template (never the raw path)")
    request_id: str
    errors: list[FieldError] | None = None


def _documented(description: str) -> dict[str, Any]:
    return {
        "model": ProblemDocument,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}},
    }


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("The body could not be read (not JSON, not UTF-8)"),
    401: _documented("No key, or an unknown or revoked key"),
    403: _documented("The key lacks the role this route needs"),
    404: _documented("No such resource"),
    409: _documented("Conflict with the current state (full week, wrong status, ...)"),
    413: _documented("The body is larger than REMISS_MAX_BODY_BYTES"),
    422: _documented("Invalid input; `errors` names each field"),
    429: _documented("Too many requests (see Retry-After)"),
    503: _documented("The audit log cannot be written; nothing was answered"),
}
"""Error responses every /v1 route documents in the OpenAPI schema."""


class Problem(Exception):
    """An error the API reports as a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors
        self.headers = headers


def invalid_field(field: str, message: str) -> Problem:
    """A 422 naming one field (``body.area``): detail ``field: message``."""
    return Problem(
        422, "Invalid request", f"{field}: {message}", [{"field": field, "message": message}]
    )


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": _route_path(request),
        "request_id": correlation_id.get() or "",
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _route_path(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", "")) or "(unmatched)"


def field_errors(errors: Any) -> list[dict[str, str]]:
    """``[{field, message}]`` from pydantic errors, without the input values."""
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        out.append({"field": ".".join(loc) or "(request)", "message": str(e.get("msg", ""))})
    return out


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            request, exc.status, exc.title, exc.detail, exc.errors, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc.errors())
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem_response(request, 422, "Invalid request", detail, errors)

    allowed: list[tuple[re.Pattern[str], str]] = []

    def allow_header(path: str) -> str | None:
        """Every method of every route matching ``path`` (Starlette names only the first
        route's methods when a path has one route per method)."""
        if not allowed:
            for template, ops in app.openapi()["paths"].items():
                regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
                allowed.append((re.compile(f"^{regex}$"), ",".join(m.upper() for m in ops)))
        methods = [m for rx, ms in allowed if rx.match(path) for m in ms.split(",")]
        return ", ".join(sorted(set(methods))) if methods else None

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            allow = allow_header(request.url.path)
            if allow:
                headers["Allow"] = allow
        title = {
            400: "Bad request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not found",
            405: "Method not allowed",
        }
        return problem_response(
            request,
            exc.status_code,
            title.get(exc.status_code, "Error"),
            str(exc.detail),
            headers=headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", extra={"route": _route_path(request)})
        # answered outside the middleware (Starlette's error middleware), so the
        # headers every response carries are added here
        return problem_response(
            request, 500, "Internal error", "see the server log", headers=SECURITY_HEADERS
        )
