"""Planner sessions: a planner API key exchanged for a signed session cookie.

The cookie holds a token signed with the service's planner secret
(``REMISS_PLANNER_SECRET``; unset, a random secret per process, so sessions end when the
server restarts) that names the key's id, never the key itself, and a random session id.
It is ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page sends
it), ``Path=/planner``, ``Secure`` when the request came over https or
``REMISS_PLANNER_SECURE_COOKIES`` is set (behind a proxy that ends TLS), and lasts
:data:`SESSION_SECONDS` — the token's signed timestamp is checked, so an older token is
refused whatever the browser kept.

Every request re-reads the key's row: a key revoked, or no longer holding the planner
role, ends its sessions at once. Signing out writes the session's ``planner.sign_out``
audit row, and every request looks for that row (one lookup on the audit log's entity
index): the old cookie is refused afterwards even when a browser kept it, by every
worker process and after a restart.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.service.access_log import Purpose
from api.service.db_schema import ApiKeyRow, AuditRow
from api.service.keys import Caller, Role, roles_of
from api.service.unit_of_work import UnitOfWork

COOKIE = "remiss_planner"
SESSION_SECONDS = 8 * 3600
"""A session lasts a working day."""
SALT = "remiss-planner-session"
SIGN_IN = "planner.sign_in"
SIGN_OUT = "planner.sign_out"
"""The audit actions of a session's start and end (entity ``session``, its id)."""
ENTITY = "session"


@dataclass(frozen=True)
class PlannerSession:
    """A signed-in planner: the key's id (the audit log's actor) and the session's id."""

    key_id: str
    session_id: str
    roles: frozenset[Role]

    @property
    def caller(self) -> Caller:
        """The caller the service layer audits: the key, for the follow-up purpose."""
        return Caller(self.key_id, self.roles, purpose=Purpose.follow_up.value)


@dataclass(frozen=True)
class Refusal:
    """Why a session cookie is refused (the audit row's reason) and the key id it
    names ("" when the token is not one this server signed)."""

    reason: str
    key_id: str = ""


class SessionStore:
    """Signs and reads session tokens; ``always_secure`` marks the cookies ``Secure``
    also on plain-http requests."""

    def __init__(self, secret: str, always_secure: bool = False) -> None:
        self.serializer = URLSafeTimedSerializer(secret or secrets.token_urlsafe(32), SALT)
        self.always_secure = always_secure

    def token(self, key_id: str) -> tuple[str, str]:
        """A new session's token and id."""
        session_id = secrets.token_urlsafe(16)
        return self.serializer.dumps({"k": key_id, "s": session_id}), session_id

    def read(self, token: str) -> tuple[str, str] | Refusal:
        """(key id, session id) of a valid, unexpired token; else why it is refused,
        with the key id when the token is one this server signed."""
        try:
            data = self.serializer.loads(token, max_age=SESSION_SECONDS)
        except SignatureExpired as exc:
            expired = self.serializer.load_payload(exc.payload) if exc.payload else None
            key_id = expired.get("k") if isinstance(expired, dict) else ""
            return Refusal("session expired", key_id if isinstance(key_id, str) else "")
        except BadSignature:
            return Refusal("bad session token")
        key_id = data.get("k") if isinstance(data, dict) else None
        session_id = data.get("s") if isinstance(data, dict) else None
        if not isinstance(key_id, str) or not isinstance(session_id, str):
            return Refusal("bad session token")
        return key_id, session_id


def sign_in_refusal(row: ApiKeyRow | None) -> str | None:
    """Why this key row may not sign in (None: it may): the audit row's reason."""
    if row is None:
        return "unknown key"
    if row.revoked_at is not None:
        return "revoked key"
    if Role.planner not in roles_of(row):
        return "no planner role"
    return None


def current(
    request: Request, store: SessionStore, uow: UnitOfWork
) -> PlannerSession | Refusal | None:
    """The request's planner session; the refusal of its cookie (a bad, expired or
    signed-out token, the key revoked or no longer a planner's); None without one."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    found = store.read(token)
    if isinstance(found, Refusal):
        return found
    key_id, session_id = found
    with uow.reading() as s:
        row = s.get(ApiKeyRow, key_id)
        ended = signed_out(s, session_id)
    reason = sign_in_refusal(row)
    if reason is not None or row is None:
        return Refusal(reason or "unknown key", key_id)
    if ended:
        return Refusal("signed out", key_id)
    return PlannerSession(key_id, session_id, roles_of(row))


def signed_out(s: Session, session_id: str) -> bool:
    """Whether the audit log holds the session's sign-out."""
    found = s.scalar(
        select(AuditRow.id)
        .where(AuditRow.entity == ENTITY, AuditRow.entity_id == session_id)
        .where(AuditRow.action == SIGN_OUT)
        .limit(1)
    )
    return found is not None


def is_secure(request: Request) -> bool:
    """Whether the app's cookies are ``Secure``: over https, or always when the
    setting says so."""
    store: SessionStore = request.app.state.planner_sessions
    return store.always_secure or request.url.scheme == "https"


def set_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/planner",
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
    )


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/planner", httponly=True, samesite="strict", secure=is_secure(request)
    )
