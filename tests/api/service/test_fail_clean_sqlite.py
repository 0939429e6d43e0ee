"""Fail clean on SQLite, over real HTTP: a database locked by another process and a
read-only database give 503 with Retry-After within the bound, ``/healthz`` says which
promptly, ``/livez`` never waits, and nothing accepted is lost.

Bounds are generous: they check that a timeout exists, they are not speed targets.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.service.weeks import today
from tests.api.service.service_server import Server, free_port, start_server

TIMEOUTS = {"REMISS_DB_CONNECT_TIMEOUT": "2", "REMISS_DB_LOCK_TIMEOUT": "1"}
BOUND = 20.0
"""Seconds within which a locked or read-only database must be answered (lock 1 s)."""
HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
db.execute("UPDATE alembic_version SET version_num = version_num")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
db.execute("ROLLBACK")
"""


def referral(rid: str) -> dict[str, object]:
    return {
        "referral_id": rid,
        "specialty": "failclean",
        "area": "1480",
        "clock_start": str(today() - dt.timedelta(days=10)),
    }


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path, None, **TIMEOUTS)
    try:
        yield srv
    finally:
        srv.stop()


def timed_post(url: str, key: str, body: dict[str, object]) -> tuple[int, str | None, float]:
    t0 = time.monotonic()
    r = httpx.post(
        f"{url}/v1/referrals",
        json=body,
        headers={"X-API-Key": key, "X-Remiss-User": "user-a"},
        timeout=60,
    )
    return r.status_code, r.headers.get("Retry-After"), time.monotonic() - t0


def test_livez_answers_without_the_database(server: Server) -> None:
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/livez").json() == {"status": "ok"}
        assert c.get("/healthz").json() == {"status": "ok", "database": "ok", "detail": None}


def test_locked_database_is_a_503_within_the_bound(server: Server) -> None:
    portal = server.keys["portal"]
    assert timed_post(server.url, portal, referral("kept"))[0] == 201
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(server.workdir / "remiss.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with ThreadPoolExecutor(60) as pool:
            writes = [
                pool.submit(timed_post, server.url, portal, referral(f"w{i}")) for i in range(60)
            ]
            time.sleep(1.5)  # the writers now fill the request threads
            with httpx.Client(base_url=server.url, timeout=BOUND) as c:
                t0 = time.monotonic()
                live = c.get("/livez")
                live_took, t0 = time.monotonic() - t0, time.monotonic()
                health = c.get("/healthz")
                health_took = time.monotonic() - t0
                read = c.get(
                    "/v1/referrals/kept", headers={"X-API-Key": portal, "X-Remiss-User": "user-a"}
                )
            results = [w.result() for w in writes]
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(10)
    assert {status for status, _, _ in results} == {503}
    assert all(retry is not None and int(retry) > 0 for _, retry, _ in results)
    assert max(took for _, _, took in results) < BOUND
    assert live.status_code == 200 and live_took < 5
    assert health.status_code == 503 and health.json()["database"] == "locked"
    assert health_took < BOUND
    # a read of patient data is answered only once its access row is written: 503 too
    assert read.status_code == 503 and int(read.headers["Retry-After"]) > 0
    assert timed_post(server.url, portal, referral("after"))[0] == 201
    with sqlite3.connect(server.workdir / "remiss.db") as db:
        ids = [r[0] for r in db.execute("SELECT id FROM referrals ORDER BY id")]
    assert ids == ["after", "kept"]


def test_read_only_database_is_a_503_and_healthz_says_so(server: Server) -> None:
    portal = {"X-API-Key": server.keys["portal"], "X-Remiss-User": "user-a"}
    with server.client("portal") as c:
        assert c.post("/v1/referrals", json=referral("kept")).status_code == 201
    server.stop()
    # A read-only file: opened read-only by URI, as SQLite opens a file it may not write
    # (a permission bit alone would not bind the tests' root user).
    path = server.workdir / "remiss.db"
    port = free_port()
    env = {**server.env, "REMISS_DATABASE_URL": f"sqlite:///file:{path}?mode=ro&uri=true"}
    ro = Server(f"http://127.0.0.1:{port}", server.database_url, server.keys, server.workdir)
    ro.port, ro.env = port, env
    ro.start()
    try:
        with httpx.Client(base_url=ro.url, headers=portal, timeout=BOUND) as c:
            health = c.get("/healthz")
            assert health.status_code == 503 and health.json()["database"] == "read-only"
            assert "Retry-After" in health.headers
            t0 = time.monotonic()
            write = c.post("/v1/referrals", json=referral("refused"))
            assert write.status_code == 503 and int(write.headers["Retry-After"]) > 0
            assert write.headers["content-type"] == "application/problem+json"
            assert "read-only" in write.json()["detail"] and time.monotonic() - t0 < BOUND
            patch = c.patch("/v1/referrals/kept", json={"status": "withdrawn"})
            assert patch.status_code == 503
            read = c.get("/v1/referrals/kept")  # its access row cannot be written
            assert read.status_code == 503 and "Retry-After" in read.headers
            assert c.get("/livez").status_code == 200
    finally:
        ro.stop()
    with sqlite3.connect(path) as db:
        assert [r[0] for r in db.execute("SELECT id FROM referrals")] == ["kept"]
        assert [r[0] for r in db.execute("SELECT status FROM referrals")] == ["waiting"]


def test_serve_says_where_it_listens(server: Server) -> None:
    log = (server.workdir / "server.log").read_text(encoding="utf-8")
    assert f"remiss serve: {server.url} (API docs {server.url}/docs), database sqlite:///" in log
