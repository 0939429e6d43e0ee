"""Planner sessions: a planner API key exchanged for a signed session cookie.

The cookie holds a token signed with the service's planner secret
(``REMISS_PLANNER_SECRET``; unset, a random secret per process, so sessions end when the
server restarts) that names the key's id, never the key itself, and a random session id.
It is ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page sends
it), ``Secure`` when the request came over https, and lasts :data:`SESSION_SECONDS`.

Every request re-reads the key's row: a key revoked, or no longer holding the planner
role, ends its sessions at once. Signing out ends the session in this process (its id is
remembered until the token would have expired anyway) and deletes the cookie.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.service.access_log import Purpose
from api.service.db_schema import ApiKeyRow
from api.service.keys import Caller, Role, roles_of
from api.service.unit_of_work import UnitOfWork

COOKIE = "remiss_planner"
SESSION_SECONDS = 8 * 3600
"""A session lasts a working day."""
_SALT = "remiss-planner-session"


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


class SessionStore:
    """Signs session tokens and remembers the sessions signed out in this process."""

    def __init__(self, secret: str) -> None:
        self.serializer = URLSafeTimedSerializer(secret or secrets.token_urlsafe(32), _SALT)
        self.ended: dict[str, float] = {}
        self.lock = threading.Lock()

    def token(self, key_id: str) -> tuple[str, str]:
        """A new session's token and id."""
        session_id = secrets.token_urlsafe(16)
        return self.serializer.dumps({"k": key_id, "s": session_id}), session_id

    def read(self, token: str) -> tuple[str, str] | None:
        """(key id, session id) of a valid, unexpired, not signed-out token."""
        try:
            data = self.serializer.loads(token, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        key_id, session_id = data.get("k"), data.get("s")
        if not isinstance(key_id, str) or not isinstance(session_id, str):
            return None
        with self.lock:
            if session_id in self.ended:
                return None
        return key_id, session_id

    def end(self, session_id: str) -> None:
        """Sign a session out (forgetting those whose tokens have expired anyway)."""
        now = time.time()
        with self.lock:
            self.ended = {s: t for s, t in self.ended.items() if t > now}
            self.ended[session_id] = now + SESSION_SECONDS


def sign_in_refusal(row: ApiKeyRow | None) -> str | None:
    """Why this key row may not sign in (None: it may): the audit row's reason."""
    if row is None:
        return "unknown key"
    if row.revoked_at is not None:
        return "revoked key"
    if Role.planner not in roles_of(row):
        return "no planner role"
    return None


def live_roles(uow: UnitOfWork, key_id: str) -> frozenset[Role] | None:
    """The roles of a live planner key by id; None when it is revoked, gone or no
    longer a planner's."""
    with uow.reading() as s:
        row = s.get(ApiKeyRow, key_id)
    if row is None or row.revoked_at is not None or Role.planner not in roles_of(row):
        return None
    return roles_of(row)


def current(request: Request, store: SessionStore, uow: UnitOfWork) -> PlannerSession | None:
    """The request's planner session, or None (no cookie, bad or expired token, key
    revoked)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    found = store.read(token)
    if found is None:
        return None
    roles = live_roles(uow, found[0])
    if roles is None:
        return None
    return PlannerSession(found[0], found[1], roles)


def is_https(request: Request) -> bool:
    """Whether the request came over https (the cookie is then ``Secure``)."""
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/planner",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/planner", httponly=True, samesite="strict", secure=is_https(request)
    )
