"""Signing in and out of the planner app, and its front door."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.planner import csrf
from api.planner.forms import first, parse_form
from api.planner.pages import PREFIX, Planner, render, state_of, store_of
from api.planner.sessions import clear_cookie, current, set_cookie, sign_in_refusal
from api.service import audit
from api.service.access_log import Purpose
from api.service.deps import request_id
from api.service.keys import Caller, find_key, hash_key, roles_of
from api.service.state import State

router = APIRouter(prefix=PREFIX, include_in_schema=False)
SIGN_IN_ROUTE = f"{PREFIX}/sign-in"
MAX_KEY_LENGTH = 200


@router.get("/")
def front_door(request: Request) -> Response:
    """The scenario library when signed in, else the sign-in page."""
    signed = current(request, store_of(request), state_of(request).uow)
    return RedirectResponse(f"{PREFIX}/scenarios" if signed else SIGN_IN_ROUTE, 303)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> HTMLResponse:
    ended = request.query_params.get("ended") == "1"
    out = request.query_params.get("out") == "1"
    return render(request, "sign_in.html", {"ended": ended, "signed_out": out})


def refused(st: State, key_id: str, reason: str) -> None:
    """The audit row of a refused sign-in (as the API audits a refused key)."""
    caller = Caller(key_id, frozenset(), purpose=Purpose.follow_up.value)
    detail = {"reason": reason, "method": "POST", "route": SIGN_IN_ROUTE}
    st.audit.write(
        audit.audit_row(
            caller, request_id(), "planner.sign_in_refused", "route", SIGN_IN_ROUTE, detail
        )
    )


def exchange(st: State, key: str) -> Caller | None:
    """The caller of a submitted planner key, or None (the refusal audited)."""
    row = find_key(st.uow, hash_key(key)) if 0 < len(key) <= MAX_KEY_LENGTH else None
    reason = sign_in_refusal(row)
    if reason is not None or row is None:
        refused(st, row.id if row else "", reason or "unknown key")
        return None
    return Caller(row.id, roles_of(row), purpose=Purpose.follow_up.value)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """Exchange a planner key for a session cookie; the key is never stored in it."""
    form = parse_form(await request.body())
    st = state_of(request)
    if not csrf.valid(request, {k: first(form, k) for k in form}):
        await run_in_threadpool(refused, st, "", "csrf token mismatch")
        return render(request, "sign_in.html", {"csrf_failed": True}, status_code=403)
    caller = await run_in_threadpool(exchange, st, first(form, "api_key"))
    if caller is None:
        return render(request, "sign_in.html", {"failed": True}, status_code=401)
    token, session_id = store_of(request).token(caller.key_id)

    def record() -> None:
        with st.uow.writing() as s:
            audit.record(s, caller, request_id(), "planner.sign_in", "session", session_id)

    await run_in_threadpool(record)
    response = RedirectResponse(f"{PREFIX}/scenarios", 303)
    set_cookie(response, request, token)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: Planner) -> Response:
    """End the session (audited) and delete its cookie."""
    form = parse_form(await request.body())
    if not csrf.valid(request, {k: first(form, k) for k in form}):
        return render(request, "sign_in.html", {"csrf_failed": True}, session, 403)
    st = state_of(request)
    store_of(request).end(session.session_id)

    def record() -> None:
        with st.uow.writing() as s:
            audit.record(
                s, session.caller, request_id(), "planner.sign_out", "session", session.session_id
            )

    await run_in_threadpool(record)
    response = RedirectResponse(f"{SIGN_IN_ROUTE}?out=1", 303)
    clear_cookie(response, request)
    return response
