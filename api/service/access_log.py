"""Access logging (*loggning av åtkomst*): who read what, for whom, and why.

Every route names its callers through :func:`acting`: the roles it allows (the key is
checked by :func:`api.service.keys.require`), the **purpose** its use serves
(:class:`Purpose`) and whether the portal must name the **end user** it acts for in the
``X-Remiss-User`` header (required on the portal's routes; a pseudonymous user id,
checked like every other value by :mod:`api.service.request_checks`). The caller it
returns carries both, so every audit row the request writes — a change, a read of
patient-level data — records the key, the end user, the purpose and the request id.

Every refused attempt (401, 403) writes an ``access.refused`` row too: the key when it
was known (never the key itself), the end user named (when acceptable), the purpose of
the route tried, the route, and the referral when the path names one. A change of a
referral the rules refuse (404, 409, 422 from ``POST /v1/referrals``, ``PATCH
/v1/referrals/{id}``, its assessment, PVV and MOV routes) writes a ``referral.refused``
row the same way, with the problem's detail (which never holds a value the caller
sent): the change's own rows were rolled back with it, but the answer tells the caller
something about the referral. The refusal is answered only once its row is committed,
like a read (:class:`~api.service.audit.AuditWriter`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from enum import StrEnum
from typing import Any, cast

from asgi_correlation_id import correlation_id
from fastapi import Depends, FastAPI, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from api.service.db_schema import utcnow
from api.service.http_problems import Problem
from api.service.keys import Caller, Role, require
from api.service.pseudonym import refusal
from api.service.request_checks import END_USER_HEADER
from api.service.state import State

REFUSED = (401, 403)
REFUSED_CHANGE = (404, 409, 422)
"""The statuses of a change of a referral refused by the rules (see the module text)."""
ID_LENGTH = 128
"""The longest id an audit row keeps (the ``entity_id`` column)."""


class Purpose(StrEnum):
    """Why a route is used, recorded in each of its audit rows."""

    care = "care"
    """Vård och behandling: the portal working on a patient's referral."""
    follow_up = "follow-up"
    """Uppföljning och planering: queue status, simulations, estimates."""
    administration = "administration"
    """Units, capacity and keys."""
    audit = "audit"
    """Granskning: reading the audit log."""


END_USER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@+-]*$"
END_USER_DOC = (
    "The pseudonymous id of the person the portal acts for (never a personnummer); "
    "recorded in the audit log"
)


def acting(
    *allowed: Role, purpose: Purpose, end_user_required: bool = False
) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the caller (a key holding one of ``allowed``), with the route's
    ``purpose`` and the end user from ``X-Remiss-User`` (required when
    ``end_user_required``)."""
    check = require(*allowed)

    async def named(
        caller: Caller = Depends(check),
        end_user: str = Header(
            alias=END_USER_HEADER,
            min_length=1,
            max_length=128,
            pattern=END_USER_PATTERN,
            description=END_USER_DOC,
        ),
    ) -> Caller:
        return replace(caller, end_user=end_user, purpose=purpose.value)

    async def maybe_named(
        caller: Caller = Depends(check),
        end_user: str | None = Header(
            None,
            alias=END_USER_HEADER,
            max_length=128,
            pattern=END_USER_PATTERN,
            description=END_USER_DOC,
        ),
    ) -> Caller:
        return replace(caller, end_user=end_user or "", purpose=purpose.value)

    dependency = named if end_user_required else maybe_named
    dependency.purpose = purpose  # type: ignore[attr-defined]
    dependency.allowed = allowed  # type: ignore[attr-defined]
    return dependency


def route_purpose(route: Any) -> str:
    """The purpose the route's :func:`acting` dependency names ("" when none does)."""
    dependant = getattr(route, "dependant", None)
    stack = [dependant] if dependant is not None else []
    while stack:
        node = stack.pop()
        purpose = getattr(node.call, "purpose", None)
        if purpose is not None:
            return str(purpose)
        stack.extend(node.dependencies)
    return ""


def acceptable(value: str) -> str:
    """``value`` cut to :data:`ID_LENGTH` when it passes the check, else ""."""
    return value[:ID_LENGTH] if refusal(value) is None else ""


def acceptable_user(value: str) -> str:
    """The end user header when it is one the routes would accept, else ""."""
    if re.fullmatch(END_USER_PATTERN, value) and len(value) <= ID_LENGTH:
        return acceptable(value)
    return ""


def refusal_row(
    request: Request,
    status: int,
    action: str = "access.refused",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The audit row of a refused attempt (see the module text)."""
    route = request.scope.get("route")
    template = str(getattr(route, "path", "(unmatched)"))
    referral = referral_of(request)
    return {
        "at": utcnow(),
        "actor": getattr(request.state, "key_id", ""),
        "end_user": acceptable_user(request.headers.get(END_USER_HEADER, "")),
        "purpose": route_purpose(route),
        "action": action,
        "entity": "referral" if referral else "route",
        "entity_id": referral or template[:ID_LENGTH],
        "request_id": correlation_id.get() or "",
        "detail": {"status": status, "method": request.method, "route": template, **(extra or {})},
    }


def referral_of(request: Request) -> str:
    """The referral the request names: in its path, or the id of a registration (the
    route keeps it in ``request.state``); "" when none (or none acceptable)."""
    named = request.path_params.get("referral_id") or getattr(request.state, "referral_id", "")
    return acceptable(str(named))


def refused_row(request: Request, exc: Problem) -> dict[str, Any] | None:
    """The audit row ``exc`` calls for: an ``access.refused`` row for a 401 or 403, a
    ``referral.refused`` row for a change of a named referral the caller's key may make
    but the rules refuse; None for anything else."""
    if exc.status in REFUSED:
        return refusal_row(request, exc.status)
    is_change = request.method not in ("GET", "HEAD")
    allowed = getattr(request.state, "caller", None) is not None
    if exc.status in REFUSED_CHANGE and is_change and allowed and referral_of(request):
        fields = [e["field"] for e in exc.errors or []]
        extra = {"detail": exc.detail, "fields": fields}
        return refusal_row(request, exc.status, "referral.refused", extra)
    return None


def install(app: FastAPI) -> None:
    """Audit every 401 and 403 problem, and every refused change of a referral, before
    the problem handler answers it (installed after
    :func:`api.service.http_problems.install`, whose handler it wraps)."""
    answer = cast(
        Callable[[Request, Exception], Awaitable[Response]], app.exception_handlers[Problem]
    )

    async def audited(request: Request, exc: Exception) -> Response:
        row = refused_row(request, exc) if isinstance(exc, Problem) else None
        if row is not None:
            st: State = request.app.state.remiss
            try:
                await run_in_threadpool(st.audit.write, row)
            except Problem as failure:  # the audit log cannot be written: 503
                return await answer(request, failure)
        return await answer(request, exc)

    app.add_exception_handler(Problem, audited)
