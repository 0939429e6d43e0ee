"""Signing in and out of the planner app, and its front door.

A failed sign-in (unknown, revoked or non-planner key) counts against the client's
address (:class:`api.service.rate_limit.FailedAttempts`, ``REMISS_PLANNER_SIGN_IN_LIMIT``,
default 10 per 5 minutes): past the limit every sign-in from that address is answered
429 with ``Retry-After`` until the window ends. Every refusal is audited
(``planner.sign_in_refused`` with its status and reason), as are sign-ins and sign-outs.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.planner import csrf
from api.planner.forms import first, parse_form
from api.planner.pages import (
    PREFIX,
    Planner,
    audit_refusal,
    forged,
    render,
    sign_in_attempts,
    state_of,
    store_of,
)
from api.planner.sessions import (
    ENTITY,
    SIGN_IN,
    SIGN_OUT,
    PlannerSession,
    clear_cookie,
    current,
    set_cookie,
    sign_in_refusal,
)
from api.service import audit
from api.service.access_log import Purpose
from api.service.db_schema import ApiKeyRow
from api.service.deps import request_id
from api.service.keys import Caller, find_key, hash_key, roles_of
from api.service.state import State

router = APIRouter(prefix=PREFIX, include_in_schema=False)
SIGN_IN_ROUTE = f"{PREFIX}/sign-in"
SIGN_IN_REFUSED = "planner.sign_in_refused"
MAX_KEY_LENGTH = 200


@router.get("/")
def front_door(request: Request) -> Response:
    """The scenario library when signed in, else the sign-in page."""
    signed = isinstance(current(request, store_of(request), state_of(request).uow), PlannerSession)
    return RedirectResponse(f"{PREFIX}/scenarios" if signed else SIGN_IN_ROUTE, 303)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> HTMLResponse:
    ended = request.query_params.get("ended") == "1"
    out = request.query_params.get("out") == "1"
    return render(request, "sign_in.html", {"ended": ended, "signed_out": out})


def key_row(st: State, key: str) -> ApiKeyRow | None:
    """The row of a submitted key (None: unknown, empty or too long to be one)."""
    return find_key(st.uow, hash_key(key)) if 0 < len(key) <= MAX_KEY_LENGTH else None


def client_address(request: Request) -> str:
    """The address failed sign-ins are counted against (as the API's limiter counts)."""
    return request.client.host if request.client else "unknown"


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """Exchange a planner key for a session cookie; the key is never stored in it."""
    form = parse_form(await request.body())
    st = state_of(request)
    attempts, address = sign_in_attempts(request), client_address(request)
    if attempts.blocked(address):
        retry = attempts.retry_after(address)
        reason = "too many failed sign-ins"
        await run_in_threadpool(audit_refusal, request, 429, reason, SIGN_IN_REFUSED)
        context = {"limited_minutes": math.ceil(retry / 60)}
        page = render(request, "sign_in.html", context, status_code=429)
        page.headers["Retry-After"] = str(retry)
        return page
    if not csrf.valid(request, {k: first(form, k) for k in form}):
        reason = "csrf token mismatch"
        await run_in_threadpool(audit_refusal, request, 403, reason, SIGN_IN_REFUSED)
        return render(request, "sign_in.html", {"csrf_failed": True}, status_code=403)
    row = await run_in_threadpool(key_row, st, first(form, "api_key"))
    refusal = sign_in_refusal(row)
    if refusal is not None or row is None:
        attempts.failed(address)
        key_id = row.id if row else ""
        reason = refusal or "unknown key"
        await run_in_threadpool(audit_refusal, request, 401, reason, SIGN_IN_REFUSED, key_id)
        return render(request, "sign_in.html", {"failed": True}, status_code=401)
    caller = Caller(row.id, roles_of(row), purpose=Purpose.follow_up.value)
    token, session_id = store_of(request).token(caller.key_id)

    def record() -> None:
        with st.uow.writing() as s:
            audit.record(s, caller, request_id(), SIGN_IN, ENTITY, session_id)

    await run_in_threadpool(record)
    response = RedirectResponse(f"{PREFIX}/scenarios", 303)
    set_cookie(response, request, token)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: Planner) -> Response:
    """End the session (audited) and delete its cookie."""
    form = parse_form(await request.body())
    if not csrf.valid(request, {k: first(form, k) for k in form}):
        return await run_in_threadpool(forged, request, session, f"{PREFIX}/scenarios")
    st = state_of(request)

    def record() -> None:  # the row ends the session (sessions.signed_out)
        with st.uow.writing() as s:
            audit.record(s, session.caller, request_id(), SIGN_OUT, ENTITY, session.session_id)

    await run_in_threadpool(record)
    response = RedirectResponse(f"{SIGN_IN_ROUTE}?out=1", 303)
    clear_cookie(response, request)
    return response
