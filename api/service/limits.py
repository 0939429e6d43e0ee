"""Request limits at the door, before a route reads anything (plain ASGI middleware).

- **The key before the body.** A request under ``/v1`` that carries a body must carry a
  known, live API key; otherwise it is answered 401 before one byte of the body is
  read, so a keyless 200 MB upload costs nothing. (The route's role check still runs
  as before, on an empty body: it answers the 401 and audits it as every refusal.)
- **Body size.** ``Content-Length`` above ``REMISS_MAX_BODY_BYTES`` is a 413 at once;
  a body sent without a length (chunked) is counted while it streams and refused with
  413 as soon as it passes the limit — the route sees a disconnected client and its
  own reply is dropped, so nothing half-read is acted on.
- **Headers on every response:** ``X-Content-Type-Options: nosniff`` and
  ``Cache-Control: no-store`` (replies carry patient-level data; no cache may keep them).
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.service.headers import SECURITY_HEADERS
from api.service.http_problems import problem_response
from api.service.keys import look_up
from api.service.state import State


def has_body(scope: Scope) -> bool:
    """The request announces a body (a length above 0, or chunked transfer)."""
    headers = dict(scope["headers"])
    length = headers.get(b"content-length", b"0").strip()
    return (length not in (b"", b"0")) or b"transfer-encoding" in headers


def content_length(scope: Scope) -> int | None:
    """The announced body length; None when absent or not a number."""
    raw = dict(scope["headers"]).get(b"content-length")
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw)


async def key_is_live(st: State, key: str) -> bool:
    """The key exists and is not revoked (:func:`api.service.keys.look_up`, through the
    service's key cache); when the database fails, False: the route then runs on an
    empty body and its own key check answers the database's 503."""
    try:
        hit = await look_up(st.keys, st.uow, key)
    except DBAPIError:
        return False
    return hit is not None and not hit[2]


class EmptyBody:
    """``receive`` of a request whose body is not read: one empty body, then the client
    gone."""

    def __init__(self) -> None:
        self.sent = False

    async def receive(self) -> Message:
        if self.sent:
            return {"type": "http.disconnect"}
        self.sent = True
        return {"type": "http.request", "body": b"", "more_body": False}


class SecurityHeaders:
    """Adds :data:`~api.service.headers.SECURITY_HEADERS` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.decode("latin-1").lower() not in LOWER_HEADER_NAMES
                ]
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


LOWER_HEADER_NAMES = frozenset(k.lower() for k in SECURITY_HEADERS)


class BodyLimit:
    """The key before the body, and the body within ``max_bytes`` (see the module)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not has_body(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if scope["path"].startswith("/v1/"):
            key = request.headers.get("x-api-key", "")
            st: State = scope["app"].state.remiss
            if not key or not await key_is_live(st, key):
                # The route runs on an empty body: its key check answers the 401 (and
                # audits it, with the route, as every refusal), and not one byte of the
                # body sent is read.
                await self.app(scope, EmptyBody().receive, send)
                return
        length = content_length(scope)
        if length is not None and length > self.max_bytes:
            await answer_too_large(request, receive, send, self.max_bytes)
            return
        guard = StreamGuard(request, receive, send, self.max_bytes)
        await self.app(scope, guard.receive, guard.send)


async def answer_too_large(request: Request, receive: Receive, send: Send, limit: int) -> None:
    """The 413 problem document; the connection is closed after it."""
    detail = f"the body is larger than this service accepts ({limit} bytes)"
    response = problem_response(request, 413, "Content too large", detail)
    response.headers["Connection"] = "close"
    await response(request.scope, receive, send)


class StreamGuard:
    """One request's ``receive`` and ``send`` while its body streams: once the body
    passes the limit, a 413 goes out, the route is told the client has gone, and what
    the route sends afterwards is dropped."""

    def __init__(self, request: Request, receive: Receive, send: Send, limit: int) -> None:
        self.request, self.inner_receive, self.inner_send = request, receive, send
        self.limit = limit
        self.seen = 0
        self.answered = False

    async def receive(self) -> Message:
        if self.answered:
            return {"type": "http.disconnect"}
        message = await self.inner_receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                self.answered = True
                request, limit = self.request, self.limit
                await answer_too_large(request, self.inner_receive, self.inner_send, limit)
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if not self.answered:
            await self.inner_send(message)
