"""CSRF protection of every planner form: the double-submit token.

Each page with a form carries a random token in a hidden ``csrf`` field and the same
token in the ``remiss_csrf`` cookie (``HttpOnly``, ``SameSite=Strict``). A POST is
accepted only when the two match: another site can make a browser send the cookie
(not even that, with ``SameSite=Strict``) but cannot read it to fill in the field.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from api.planner.sessions import SESSION_SECONDS, is_secure

COOKIE = "remiss_csrf"
FIELD = "csrf"


def token_for(request: Request) -> str:
    """The request's CSRF token: the cookie's, or a new one (then :func:`keep` it)."""
    have = request.cookies.get(COOKIE, "")
    return have if len(have) >= 32 else secrets.token_urlsafe(32)


def keep(response: Response, request: Request, token: str) -> None:
    """Set the cookie when the page made a new token."""
    if request.cookies.get(COOKIE) != token:
        response.set_cookie(
            COOKIE,
            token,
            max_age=SESSION_SECONDS,
            path="/planner",
            httponly=True,
            samesite="strict",
            secure=is_secure(request),
        )


def valid(request: Request, form: dict[str, str]) -> bool:
    """Whether the form's token matches the cookie's."""
    cookie = request.cookies.get(COOKIE, "")
    sent = form.get(FIELD, "")
    return len(cookie) >= 32 and hmac.compare_digest(cookie.encode(), sent.encode())
