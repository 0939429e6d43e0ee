"""Limits at the door: the key before the body, the body size (from Content-Length and
while streaming), rate limits (per key; per client address for failed
authentication) and the headers every response carries — each refusal leaving what was
accepted before it in place."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.service.app import create_app
from api.service.settings import Settings
from api.service.weeks import today
from tests.api.service.service_server import Server, database_for, make_keys, start_server

LIMIT = 64 * 1024
SECURE = {"x-content-type-options": "nosniff", "cache-control": "no-store"}


def referral(rid: str, padding: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {
        "referral_id": rid,
        "specialty": "limits",
        "area": "1480",
        "clock_start": str(today() - dt.timedelta(days=3)),
    }
    if padding:
        body["priority"] = "x" * padding  # too long as well, but the size decides first
    return body


@dataclass
class Service:
    client: TestClient
    app: FastAPI
    keys: dict[str, str]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


def service_with(tmp_path_factory: pytest.TempPathFactory, **limits: Any) -> Iterator[Service]:
    url = f"sqlite:///{tmp_path_factory.mktemp('limits') / 'remiss.db'}"
    keys = make_keys(url)
    app = create_app(Settings(database_url=url, max_body_bytes=LIMIT, **limits))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield Service(
            c, app, keys, {r: {"X-API-Key": k, "X-Remiss-User": "user-a"} for r, k in keys.items()}
        )


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from service_with(tmp_path_factory, rate_limit_failed_auth="100000/minute")


async def drive(app: FastAPI, path: str, headers: dict[str, str], chunks: int) -> dict[str, Any]:
    """One POST straight into the ASGI app with a body of ``chunks`` × 1 MB; how many
    chunks the app pulled, and its reply's status and headers."""
    pulled = [0]
    reply: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        pulled[0] += 1
        return {"type": "http.request", "body": b"x" * 2**20, "more_body": pulled[0] < chunks}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            reply["status"] = message["status"]
            reply["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("10.0.0.9", 1234),
        "server": ("testserver", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "app": app,
        "state": {},
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    return {**reply, "pulled": pulled[0]}


def test_a_keyless_large_body_is_refused_without_being_read(service: Service) -> None:
    big = {"content-type": "application/json", "content-length": str(200 * 2**20)}
    for headers in (big, {**big, "X-API-Key": "rmk_00_wrong"}):
        out = service.client.portal.call(drive, service.app, "/v1/referrals", headers, 200)
        assert out["status"] == 401 and out["pulled"] == 0, out
        assert SECURE.items() <= out["headers"].items()
    # with a live key, a declared 200 MB is refused from the header alone
    keyed = {**big, **service.headers["portal"]}
    out = service.client.portal.call(drive, service.app, "/v1/referrals", keyed, 200)
    assert out["status"] == 413 and out["pulled"] == 0, out
    # and a chunked one (no length) after the chunk that passes the limit
    del keyed["content-length"]
    keyed["transfer-encoding"] = "chunked"
    out = service.client.portal.call(drive, service.app, "/v1/referrals", keyed, 200)
    assert out["status"] == 413 and out["pulled"] == 1, out


def test_body_limit_refuses_and_keeps_what_was_accepted(service: Service) -> None:
    c, portal = service.client, service.headers["portal"]
    admin = service.headers["admin"]
    put = c.put("/v1/units/lim_u", json={"name": "U", "lat": 57.7, "lon": 12.0}, headers=admin)
    assert put.status_code in (200, 201), put.text
    kept = c.post("/v1/referrals", json=referral("lim-kept"), headers=portal)
    assert kept.status_code == 201, kept.text
    over = c.post("/v1/referrals", json=referral("lim-big", LIMIT), headers=portal)
    assert over.status_code == 413, over.text
    assert over.headers["content-type"] == "application/problem+json"
    assert str(LIMIT) in over.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
        yield b'{"referral_id": "lim-chunked", "priority": "'
        for _ in range(LIMIT // 4096 + 1):
            yield b"x" * 4096
        yield b'"}'

    streamed = c.post(
        "/v1/referrals",
        content=chunks(),
        headers={**portal, "content-type": "application/json"},
    )
    assert streamed.status_code == 413, streamed.text
    assert c.get("/v1/referrals/lim-kept", headers=portal).status_code == 200
    for rid in ("lim-big", "lim-chunked"):
        assert c.get(f"/v1/referrals/{rid}", headers=portal).status_code == 404
    under = c.post("/v1/referrals", json=referral("lim-after"), headers=portal)
    assert under.status_code == 201, under.text


def test_every_response_carries_the_security_headers(service: Service) -> None:
    c, planner = service.client, service.headers["planner"]
    replies = [
        c.get("/healthz"),
        c.get("/openapi.json"),
        c.get("/v1/scenarios", headers=planner),  # 200
        c.get("/v1/scenarios"),  # 401
        c.get("/v1/keys", headers=planner),  # 403
        c.get("/v1/simulations/nope", headers=planner),  # 404
        c.post("/v1/simulations", json={"scenario": 1}, headers=planner),  # 422
        c.post("/v1/referrals", json=referral("h", LIMIT), headers=service.headers["portal"]),
    ]
    assert [r.status_code for r in replies] == [200, 200, 200, 401, 403, 404, 422, 413]
    for r in replies:
        assert SECURE.items() <= {k.lower(): v for k, v in r.headers.items()}.items(), r.url


@pytest.fixture()
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from service_with(
        tmp_path_factory, rate_limit_failed_auth="3/minute", rate_limit_per_key="5/minute"
    )


def test_failed_authentication_is_rate_limited_per_address(strict: Service) -> None:
    c = strict.client
    codes = [c.get("/v1/scenarios", headers={"X-API-Key": "rmk_x_guess"}).status_code]
    codes += [c.get("/v1/scenarios").status_code for _ in range(3)]
    assert codes == [401, 401, 401, 429]
    refused = c.post("/v1/referrals", json=referral("rl"), headers={"X-API-Key": "rmk_y"})
    assert refused.status_code == 429
    retry = int(refused.headers["retry-after"])
    assert 1 <= retry <= 60
    assert SECURE.items() <= {k.lower(): v for k, v in refused.headers.items()}.items()
    # a live key from the same address goes on
    assert c.get("/v1/scenarios", headers=strict.headers["planner"]).status_code == 200


def test_each_key_is_rate_limited(strict: Service) -> None:
    c = strict.client
    codes = [
        c.get("/v1/scenarios", headers=strict.headers["planner"]).status_code for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]
    last = c.get("/v1/scenarios", headers=strict.headers["planner"])
    assert last.status_code == 429 and 1 <= int(last.headers["retry-after"]) <= 60
    assert last.json()["status"] == 429
    # another key has its own window
    assert c.get("/v1/scenarios", headers=strict.headers["all"]).status_code == 200


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("limits_server"),
        database_for(request.param),
        REMISS_MAX_BODY_BYTES=str(LIMIT),
    )
    try:
        yield srv
    finally:
        srv.stop()


def raw_post(srv: Server, key: str | None, declared: int, sent: int) -> bytes:
    """A POST over a real socket announcing ``declared`` bytes and sending ``sent``;
    the reply's head, which the server must give without waiting for the rest."""
    head = [
        "POST /v1/referrals HTTP/1.1",
        f"Host: 127.0.0.1:{srv.port}",
        "Content-Type: application/json",
        f"Content-Length: {declared}",
    ]
    if key:
        head.append(f"X-API-Key: {key}")
    with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + b"x" * sent)
        reply = b""
        while b"\r\n\r\n" not in reply:
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    return reply


def test_over_http_a_200_mb_body_is_answered_after_its_headers(server: Server) -> None:
    mb200 = 200 * 2**20
    keyless = raw_post(server, None, mb200, 1024)
    assert keyless.startswith(b"HTTP/1.1 401"), keyless[:200]
    assert b"nosniff" in keyless.lower() and b"no-store" in keyless.lower()
    assert raw_post(server, server.keys["portal"], mb200, 1024).startswith(b"HTTP/1.1 413")
    with server.client("portal") as c:
        assert c.get("/v1/units").status_code == 200  # the server goes on
