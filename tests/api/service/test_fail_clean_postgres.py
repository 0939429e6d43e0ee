"""Fail clean on PostgreSQL, over real HTTP: stopped or frozen → 503 with Retry-After
within the bound, start-up against no database → one line and exit 1, and two
reschedules crossing weeks → no deadlock 500s.

The server reaches PostgreSQL through :class:`~tests.api.service.db_proxy.TcpProxy`,
which the test switches to refuse (PostgreSQL stopped), hang (frozen, its connections
dropped) or freeze (frozen with the pool's connections open and silent). Bounds are
generous: they check that a timeout exists, they are not speed targets.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.service.weeks import monday, today
from tests.api.service.db_proxy import TcpProxy, silent_port
from tests.api.service.service_server import (
    Server,
    database_for,
    free_port,
    fresh_postgres,
    make_keys,
    start_server,
)

TIMEOUTS = {
    "REMISS_DB_CONNECT_TIMEOUT": "2",
    "REMISS_DB_LOCK_TIMEOUT": "1",
    "REMISS_DB_STATEMENT_TIMEOUT": "2",
    "REMISS_SIM_WORKERS": "1",
}
BOUND = 30.0
"""Seconds within which an unavailable database must be answered (the timeouts are 2 s)."""
START_BOUND = 60.0
"""Seconds within which ``remiss serve`` must give up: the interpreter's start counts too,
and it can take many seconds on a loaded machine (without a bound it never gives up)."""


def serve_exit(url: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``remiss serve`` against ``url``: its result and how long it took to exit."""
    t0 = time.monotonic()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "serve",
            "--port",
            str(free_port()),
            "--database-url",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=2 * START_BOUND,
        env={**os.environ, **TIMEOUTS},
    )
    return out, time.monotonic() - t0


def test_serve_against_a_closed_port_exits_with_one_line() -> None:
    out, took = serve_exit(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/remiss")
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach the database")
    assert "Traceback" not in out.stderr and took < START_BOUND


def test_serve_against_a_silent_server_exits_within_the_bound() -> None:
    with silent_port() as port:
        out, took = serve_exit(f"postgresql+psycopg://postgres:secret@127.0.0.1:{port}/remiss")
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the database" in lines[0]
    assert "secret" not in out.stderr and "Traceback" not in out.stderr
    assert "timeout" in lines[0] and took < START_BOUND


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[Server, TcpProxy]]:
    """A server whose PostgreSQL is behind a proxy the test controls."""
    direct = fresh_postgres(str(database_for("postgres")))
    keys = make_keys(direct)
    target = make_url(direct)
    proxy = TcpProxy((target.host or "127.0.0.1", target.port or 5432))
    via = target.set(port=proxy.port).render_as_string(hide_password=False)
    port = free_port()
    env = {**os.environ, "REMISS_DATABASE_URL": via, **TIMEOUTS}
    server = Server(f"http://127.0.0.1:{port}", direct, keys, tmp_path, port=port, env=env)
    server.start()
    try:
        yield server, proxy
    finally:
        proxy.forward()
        server.stop()
        proxy.close()


def referral(rid: str, specialty: str = "failclean") -> dict[str, object]:
    return {
        "referral_id": rid,
        "specialty": specialty,
        "area": "1480",
        "clock_start": str(today() - dt.timedelta(days=10)),
    }


def assert_unavailable(reply: httpx.Response, took: float) -> None:
    assert reply.status_code == 503, reply.text
    assert int(reply.headers["Retry-After"]) > 0
    assert reply.headers["content-type"] == "application/problem+json"
    assert took < BOUND


def timed(call: object, *args: object, **kwargs: object) -> tuple[httpx.Response, float]:
    t0 = time.monotonic()
    reply = call(*args, **kwargs)  # type: ignore[operator]
    return reply, time.monotonic() - t0


def test_stopped_postgres_is_a_503_and_the_service_recovers(
    proxied: tuple[Server, TcpProxy],
) -> None:
    server, proxy = proxied
    with server.client("portal", timeout=2 * BOUND) as c:
        assert c.post("/v1/referrals", json=referral("stop-1")).status_code == 201
        proxy.refuse()
        assert_unavailable(*timed(c.post, "/v1/referrals", json=referral("stop-2")))
        assert_unavailable(*timed(c.get, "/v1/referrals/stop-1"))
        time.sleep(1.1)  # past the health probe's reuse of its last answer
        health, took = timed(c.get, "/healthz")
        assert health.status_code == 503 and health.json()["database"] == "unreachable"
        assert "Retry-After" in health.headers and took < BOUND
        assert c.get("/livez", timeout=2).status_code == 200
        proxy.forward()
        deadline = time.monotonic() + BOUND
        while c.get("/healthz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert c.get("/healthz").json() == {"status": "ok", "database": "ok", "detail": None}
        assert c.get("/v1/referrals/stop-1").status_code == 200  # accepted data kept
        assert c.post("/v1/referrals", json=referral("stop-2")).status_code == 201


@pytest.mark.parametrize("how", ["hang", "freeze"])
def test_frozen_postgres_is_a_503_within_the_bound(
    proxied: tuple[Server, TcpProxy], how: str
) -> None:
    server, proxy = proxied
    with server.client("portal", timeout=2 * BOUND) as c:
        assert c.post("/v1/referrals", json=referral("freeze-1")).status_code == 201
        getattr(proxy, how)()
        assert_unavailable(*timed(c.post, "/v1/referrals", json=referral("freeze-2")))
        assert_unavailable(*timed(c.get, "/v1/referrals/freeze-1"))
        time.sleep(1.1)
        health, took = timed(c.get, "/healthz")
        assert health.status_code == 503 and took < BOUND
        assert health.json()["database"] in ("unreachable", "timeout")
        assert c.get("/livez", timeout=BOUND).status_code == 200
    proxy.forward()
    engine = create_engine(server.database_url)
    with engine.connect() as conn:  # nothing half-written behind the proxy
        ids = conn.execute(text("SELECT id FROM referrals ORDER BY id")).scalars().all()
    engine.dispose()
    assert ids == ["freeze-1"]


def test_a_key_looked_up_while_frozen_does_not_stall_livez(
    proxied: tuple[Server, TcpProxy],
) -> None:
    """A key not yet cached is read from the database; while that read waits for a
    frozen server, the process must go on answering other requests."""
    server, proxy = proxied
    with server.client("portal") as c:  # the pool now holds connections, soon frozen
        assert c.get("/v1/units").status_code == 200
    proxy.freeze()
    replies: list[int] = []

    def uncached() -> None:
        with server.client("planner", timeout=2 * BOUND) as c:
            replies.append(c.get("/v1/scenarios").status_code)

    lookup = threading.Thread(target=uncached)
    lookup.start()
    time.sleep(0.5)  # the lookup is waiting for the database now
    live, took = timed(httpx.get, f"{server.url}/livez", timeout=BOUND)
    lookup.join(2 * BOUND)
    assert live.status_code == 200 and took < 3, took  # not the lookup's 4 s and more
    assert replies == [503]


@pytest.fixture
def postgres_server(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path, database_for("postgres"))
    try:
        yield server
    finally:
        server.stop()


def test_crossing_reschedules_do_not_deadlock(postgres_server: Server) -> None:
    """Referral a moves from week 1 to week 2 while b moves from week 2 to week 1, at
    the same moment, many times over: every move succeeds (no 500, no 503)."""
    server, spec = postgres_server, "crossing"
    w1, w2 = monday(today()) + dt.timedelta(weeks=1), monday(today()) + dt.timedelta(weeks=2)
    with server.client("admin") as admin:
        assert admin.put("/v1/units/u1", json={"name": "u1", "lat": 57.7, "lon": 12.0}).is_success
        cap = {"specialty": spec, "stage": "first_visit", "from_week": str(w1), "slots_per_week": 5}
        assert admin.put("/v1/units/u1/capacity", json=cap).status_code == 200
    portal = server.client("portal")
    for rid in ("a", "b"):
        assert portal.post("/v1/referrals", json=referral(rid, spec)).status_code == 201
    codes: list[int] = []

    def move(rid: str, week: dt.date, go: threading.Barrier) -> None:
        with server.client("portal", timeout=2 * BOUND) as c:
            go.wait()
            body = {"status": "booked", "unit": "u1", "week": str(week)}
            codes.append(c.patch(f"/v1/referrals/{rid}", json=body).status_code)

    for _ in range(25):
        for rid, week in (("a", w1), ("b", w2)):
            offer = {"status": "offered", "unit": "u1", "week": str(week)}
            assert portal.patch(f"/v1/referrals/{rid}", json=offer).status_code == 200
        go = threading.Barrier(2)
        threads = [
            threading.Thread(target=move, args=("a", w2, go)),
            threading.Thread(target=move, args=("b", w1, go)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for rid in ("a", "b"):
            back = portal.patch(f"/v1/referrals/{rid}", json={"status": "waiting"})
            assert back.status_code == 200, back.text
    portal.close()
    assert codes == [200] * 50, sorted(set(codes))
