"""Rate limits (plain ASGI middleware on the ``limits`` library, fixed windows, kept in
this process's memory — with ``--workers N`` each worker process counts on its own).

- **Per key:** a live key may make ``REMISS_RATE_LIMIT_PER_KEY`` requests (default
  ``1000/second``, above what the service serves, so only a runaway client meets it).
- **Failed authentication per client address:** after
  ``REMISS_RATE_LIMIT_FAILED_AUTH`` 401 replies to one address (default ``20/minute``),
  that address's requests without a live key are refused until the window ends —
  guessing keys stops there, while a portal behind the same address with its live key
  goes on.

Both refusals are 429 problem documents with ``Retry-After`` (whole seconds).
:class:`FailedAttempts` counts the planner app's failed sign-ins per address the same way
(``REMISS_PLANNER_SIGN_IN_LIMIT``, :mod:`api.planner.routes_auth`).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.service.http_problems import problem_response
from api.service.keys import hash_key
from api.service.limits import key_is_live
from api.service.state import State


def retry_after(limiter: FixedWindowRateLimiter, item: RateLimitItem, *identifiers: str) -> int:
    """Whole seconds until the window of ``identifiers`` ends (at least 1)."""
    reset = limiter.get_window_stats(item, *identifiers).reset_time
    return max(1, math.ceil(reset - time.time()))


class FailedAttempts:
    """Failed attempts per client address in fixed windows of ``limit`` (limits
    notation, e.g. ``10/5 minutes``): past it, the address :meth:`blocked` until its
    window ends."""

    def __init__(self, limit: str) -> None:
        self.item: RateLimitItem = parse(limit)
        self.limiter = FixedWindowRateLimiter(MemoryStorage())

    def blocked(self, address: str) -> bool:
        return not self.limiter.test(self.item, address)

    def failed(self, address: str) -> None:
        self.limiter.hit(self.item, address)

    def retry_after(self, address: str) -> int:
        return retry_after(self.limiter, self.item, address)


class RateLimit:
    """429 with ``Retry-After`` past the per-key or the failed-authentication limit."""

    def __init__(self, app: ASGIApp, per_key: str, failed_auth: str) -> None:
        self.app = app
        self.per_key: RateLimitItem = parse(per_key)
        self.failed_auth: RateLimitItem = parse(failed_auth)
        self.limiter = FixedWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        address = scope["client"][0] if scope.get("client") else "unknown"
        key = request.headers.get("x-api-key", "")
        st: State = scope["app"].state.remiss
        live = bool(key) and await key_is_live(st, key)
        if not live and not self.limiter.test(self.failed_auth, "auth", address):
            retry = self.retry_after(self.failed_auth, "auth", address)
            detail = "too many failed authentications from this address; try again later"
            await self.refuse(request, receive, send, detail, retry)
            return
        if live and not self.limiter.hit(self.per_key, "key", hash_key(key)):
            retry = self.retry_after(self.per_key, "key", hash_key(key))
            detail = f"this key made more than {self.per_key} requests; slow down"
            await self.refuse(request, receive, send, detail, retry)
            return

        async def count_refusals(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.limiter.hit(self.failed_auth, "auth", address)
            await send(message)

        await self.app(scope, receive, count_refusals)

    def retry_after(self, item: RateLimitItem, *identifiers: str) -> int:
        return retry_after(self.limiter, item, *identifiers)

    @staticmethod
    async def refuse(
        request: Request, receive: Receive, send: Send, detail: str, retry: int
    ) -> None:
        response = problem_response(
            request, 429, "Too many requests", detail, headers={"Retry-After": str(retry)}
        )
        await response(request.scope, receive, send)
