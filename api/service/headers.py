"""Headers every response of the service carries (:class:`api.service.limits.SecurityHeaders`,
and the problem documents of unexpected errors, which are answered outside it)."""

from __future__ import annotations

SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
"""``nosniff``: a browser takes the declared content type, never guesses one (a JSON
reply is never run as a script); ``no-store``: replies carry patient-level data, so no
browser or proxy cache may keep them."""
