"""The service's hard rules under load, over real HTTP: no (unit, week) is booked beyond
its capacity with many parallel clients, and every acknowledged referral survives a
hard kill of the server — on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from api.service.weeks import monday, today
from tests.api.service.service_server import Server, database_for, start_server

CLIENTS = 40


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path, database_for(request.param))
    try:
        yield srv
    finally:
        srv.stop()


def _referral(rid: str, specialty: str) -> dict[str, object]:
    return {
        "referral_id": rid,
        "specialty": specialty,
        "area": "1480",
        "clock_start": str(today() - dt.timedelta(days=20)),
    }


def test_parallel_bookings_never_exceed_capacity(server: Server) -> None:
    capacity = 7
    week = str(monday(today()) + dt.timedelta(weeks=1))
    with server.client("admin") as c:
        for uid in ("u1", "u2"):
            assert c.put(
                f"/v1/units/{uid}", json={"name": uid, "lat": 57.7, "lon": 12.0}
            ).is_success
            r = c.put(
                f"/v1/units/{uid}/capacity",
                json={
                    "specialty": "race",
                    "stage": "first_visit",
                    "from_week": str(today()),
                    "slots_per_week": capacity,
                },
            )
            assert r.is_success
    n = 3 * CLIENTS
    with server.client("portal") as c:
        for i in range(n):
            assert c.post("/v1/referrals", json=_referral(f"race-{i}", "race")).status_code == 201

    barrier = threading.Barrier(CLIENTS)
    local = threading.local()

    def book(i: int) -> int:
        if not hasattr(local, "client"):
            local.client = server.client("portal", timeout=120)
            barrier.wait()
        unit = "u1" if i % 2 else "u2"
        status = "offered" if i % 3 else "booked"
        r = local.client.patch(
            f"/v1/referrals/race-{i}", json={"status": status, "unit": unit, "week": week}
        )
        return int(r.status_code)

    with ThreadPoolExecutor(CLIENTS) as pool:
        codes = list(pool.map(book, range(n)))
    assert set(codes) <= {200, 409}, codes
    assert codes.count(200) == 2 * capacity  # both units filled exactly, no more
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        held = conn.execute(
            text(
                "SELECT unit_id, count(*) FROM referrals WHERE specialty = 'race' "
                "AND status IN ('offered', 'booked') GROUP BY unit_id"
            )
        ).all()
        load = conn.execute(
            text("SELECT unit_id, booked FROM week_load WHERE specialty = 'race'")
        ).all()
    engine.dispose()
    assert sorted(held) == [("u1", capacity), ("u2", capacity)]
    assert sorted(load) == [("u1", capacity), ("u2", capacity)]


def test_concurrent_retries_of_one_referral_are_idempotent(server: Server) -> None:
    def post(_: int) -> tuple[int, str]:
        with server.client("portal") as c:
            r = c.post("/v1/referrals", json=_referral("same-1", "idem"))
            return r.status_code, r.json()["referral_id"]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(post, range(32)))
    codes = sorted(code for code, _ in results)
    assert codes.count(201) == 1 and codes.count(200) == 31
    assert {rid for _, rid in results} == {"same-1"}


def test_acknowledged_referrals_survive_a_hard_kill(server: Server) -> None:
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def register(worker: int) -> None:
        with server.client("portal", timeout=10) as c:
            i = 0
            while not stop.is_set():
                rid = f"crash-{worker}-{i}"
                i += 1
                try:
                    r = c.post("/v1/referrals", json=_referral(rid, "crash"))
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code in (200, 201):
                    with lock:
                        acknowledged.append(rid)

    threads = [threading.Thread(target=register, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    while True:  # kill mid-load, once a good number has been acknowledged
        with lock:
            if len(acknowledged) >= 200:
                break
        threading.Event().wait(0.05)
    server.kill()
    stop.set()
    for t in threads:
        t.join(30)
    server.start()  # same database, a new process
    with server.client("portal") as c:
        missing = [rid for rid in acknowledged if c.get(f"/v1/referrals/{rid}").status_code != 200]
    assert len(acknowledged) >= 200
    assert missing == []
