"""What every planner page shares: the templates, the language, the signed-in planner
and the CSRF token of its forms."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.planner import csrf
from api.planner.sessions import PlannerSession, Refusal, SessionStore, clear_cookie, current
from api.planner.texts import DEFAULT_LANG, Lang, as_lang, texts
from api.service.access_log import Purpose, refusal_row
from api.service.rate_limit import FailedAttempts
from api.service.state import State

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
LANG_COOKIE = "remiss_lang"
PREFIX = "/planner"


class SignInNeeded(Exception):
    """The page needs a signed-in planner: answered by a redirect to the sign-in page."""

    def __init__(self, ended: bool) -> None:
        super().__init__("sign-in needed")
        self.ended = ended


def sign_in_redirect(request: Request, exc: Exception) -> Response:
    """The answer to :class:`SignInNeeded`: 303 to the sign-in page."""
    ended = isinstance(exc, SignInNeeded) and exc.ended
    response = RedirectResponse(f"{PREFIX}/sign-in" + ("?ended=1" if ended else ""), 303)
    if ended:  # the refused cookie is of no more use
        clear_cookie(response, request)
    return response


def lang_of(request: Request) -> Lang:
    """``?lang=`` if given, else the language cookie, else Swedish."""
    return (
        as_lang(request.query_params.get("lang"))
        or as_lang(request.cookies.get(LANG_COOKIE))
        or DEFAULT_LANG
    )


def store_of(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.planner_sessions
    return store


def state_of(request: Request) -> State:
    st: State = request.app.state.remiss
    return st


def sign_in_attempts(request: Request) -> FailedAttempts:
    attempts: FailedAttempts = request.app.state.planner_sign_ins
    return attempts


def audit_refusal(
    request: Request, status: int, reason: str, action: str = "access.refused", key_id: str = ""
) -> None:
    """The audit row of a refused planner request, as the API writes one for a refused
    key (:func:`api.service.access_log.refusal_row`: the key when known, the route, the
    status), with the reason; returns once it is committed (blocking: call it on a
    worker thread)."""
    row = refusal_row(request, status)
    row.update(action=action, purpose=Purpose.follow_up.value)
    if key_id:
        row["actor"] = key_id
    row["detail"]["reason"] = reason
    state_of(request).audit.write(row)


def signed_in(request: Request) -> PlannerSession:
    """A dependency: the signed-in planner (a sync function, so FastAPI runs its
    database read on a worker thread); :class:`SignInNeeded` otherwise, a refused
    cookie audited."""
    session = current(request, store_of(request), state_of(request).uow)
    if isinstance(session, Refusal):
        audit_refusal(request, 303, session.reason, key_id=session.key_id)
    if not isinstance(session, PlannerSession):
        raise SignInNeeded(ended=session is not None)
    request.state.key_id = session.key_id  # the access log's actor, as for a key
    request.state.caller = session.caller
    return session


Planner = Annotated[PlannerSession, Depends(signed_in)]


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    session: PlannerSession | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page ``name`` in the request's language, with its CSRF token."""
    lang = lang_of(request)
    token = csrf.token_for(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            **context,
            "t": texts(lang),
            "lang": lang,
            "other_lang": "en" if lang == "sv" else "sv",
            "csrf_token": token,
            "session": session,
            "prefix": PREFIX,
        },
        status_code=status_code,
    )
    csrf.keep(response, request, token)
    if request.query_params.get("lang") == lang and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, path=PREFIX, samesite="lax", httponly=True
        )
    return response


def forged(request: Request, session: PlannerSession | None, back: str) -> HTMLResponse:
    """The 403 page of a form whose CSRF token is missing or wrong (nothing was
    done; the refusal audited); ``back`` links to where the form was."""
    audit_refusal(request, 403, "csrf token mismatch")
    return render(request, "forged.html", {"back": back}, session, 403)


def attachment(name: str) -> dict[str, str]:
    """The header that makes a download of a response, saved as ``name``."""
    return {"Content-Disposition": f'attachment; filename="{name}"'}
