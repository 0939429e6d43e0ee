"""End to end over real HTTP against a started ``remiss serve`` (SQLite and, when
REMISS_TEST_POSTGRES_URL is set, PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from api.service.weeks import monday, today
from tests.api.service.service_server import Server, database_for, start_server

DATABASES = ["sqlite", "postgres"]


@pytest.fixture(scope="module", params=DATABASES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One server per database for the module; each test uses its own specialty and
    referral ids, so tests do not see each other's capacity or queue."""
    srv = start_server(tmp_path_factory.mktemp("server"), database_for(request.param))
    try:
        yield srv
    finally:
        srv.stop()


def _setup_units(srv: Server, specialty: str, slots: int = 2) -> None:
    with srv.client("admin") as c:
        for uid, lat, lon in (("su_ostra", 57.7213, 12.0510), ("sas_boras", 57.7305, 12.9367)):
            r = c.put(f"/v1/units/{uid}", json={"name": uid, "lat": lat, "lon": lon})
            assert r.status_code in (200, 201), r.text
            r = c.put(
                f"/v1/units/{uid}/capacity",
                json={
                    "specialty": specialty,
                    "stage": "first_visit",
                    "from_week": str(today()),
                    "slots_per_week": slots,
                },
            )
            assert r.status_code == 200, r.text


def _referral(
    rid: str, specialty: str, days_ago: int = 30, area: str = "1480"
) -> dict[str, object]:
    return {
        "referral_id": rid,
        "specialty": specialty,
        "area": area,
        "clock_start": str(today() - dt.timedelta(days=days_ago)),
    }


def test_referral_life_cycle_suggestions_status_and_audit(server: Server) -> None:
    _setup_units(server, "lifecycle")
    this_week = monday(today())
    with server.client("portal") as c:
        r = c.post(
            "/v1/referrals", json=_referral("ref-1", "lifecycle", 100, "1490")
        )  # Borås, breached
        assert r.status_code == 201, r.text
        again = c.post("/v1/referrals", json=_referral("ref-1", "lifecycle", 100, "1490"))
        assert again.status_code == 200 and again.json() == r.json()  # idempotent retry
        clash = c.post("/v1/referrals", json=_referral("ref-1", "lifecycle", 5, "1490"))
        assert clash.status_code == 409
        assert clash.headers["content-type"] == "application/problem+json"

        s = c.get("/v1/referrals/ref-1/suggestions").json()
        assert [o["unit"] for o in s["options"]] == ["sas_boras", "su_ostra"]  # nearer first
        assert s["options"][0]["earliest_week"] == str(this_week)
        assert s["options"][0]["on_time"] is False  # waited 100 > 90 days

        offer = {"status": "offered", "unit": "sas_boras", "week": str(this_week)}
        assert c.patch("/v1/referrals/ref-1", json=offer).json()["status"] == "offered"
        declined = c.patch("/v1/referrals/ref-1", json={"status": "waiting", "declined": True})
        # the offered week was after the limit: declining it is not patient-chosen waiting
        assert declined.json()["patient_chosen"] is False
        book = {"status": "booked", "unit": "su_ostra", "week": str(this_week)}
        assert c.patch("/v1/referrals/ref-1", json=book).json()["unit"] == "su_ostra"
        done = c.patch("/v1/referrals/ref-1", json={"status": "completed"})
        assert done.json()["status"] == "completed"
        bad = c.patch("/v1/referrals/ref-1", json={"status": "waiting"})
        assert bad.status_code == 409  # completed is final

        # a fresh referral declining an offer within its limit becomes PVV
        c.post("/v1/referrals", json=_referral("ref-2", "lifecycle", 10))
        c.patch("/v1/referrals/ref-2", json={**offer, "unit": "sas_boras"})
        pvv = c.patch("/v1/referrals/ref-2", json={"status": "waiting", "declined": True})
        assert pvv.json()["patient_chosen"] is True
        c.post("/v1/referrals", json=_referral("ref-3", "lifecycle", 120))
    with server.client("planner") as c:
        st = c.get("/v1/queue/status").json()
        (row,) = [r for r in st["specialties"] if r["specialty"] == "lifecycle"]
        # waiting: ref-2 (PVV, excluded) and ref-3 (120 days): share 0 of 1
        assert (row["waiting"], row["patient_chosen"], row["within_guarantee"]) == (2, 1, 0)
        assert row["share_waiting_within_guarantee"] == 0.0
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        actions = [
            a
            for (a,) in conn.execute(
                text("SELECT action FROM audit_log WHERE entity_id = 'ref-1' ORDER BY id")
            )
        ]
    engine.dispose()
    assert actions == [
        "referral.register",
        "referral.refused",  # the registration with different content (409)
        "referral.suggest",
        "referral.offered",
        "referral.waiting",
        "referral.booked",
        "referral.completed",
        "referral.refused",  # completed → waiting: the 409 is audited, nothing changed
    ]


def test_capacity_is_never_exceeded_and_slots_are_released(server: Server) -> None:
    _setup_units(server, "capacity", slots=1)
    week = str(monday(today()))
    with server.client("portal") as c:
        for rid in ("a1", "a2"):
            assert c.post("/v1/referrals", json=_referral(rid, "capacity")).status_code == 201
        first = c.patch(
            "/v1/referrals/a1", json={"status": "booked", "unit": "su_ostra", "week": week}
        )
        assert first.status_code == 200
        full = c.patch(
            "/v1/referrals/a2", json={"status": "booked", "unit": "su_ostra", "week": week}
        )
        assert full.status_code == 409 and "no slot left" in full.json()["detail"]
        assert c.get("/v1/referrals/a2").json()["status"] == "waiting"  # rolled back
        c.patch("/v1/referrals/a1", json={"status": "withdrawn"})
        again = c.patch(
            "/v1/referrals/a2", json={"status": "booked", "unit": "su_ostra", "week": week}
        )
        assert again.status_code == 200


def test_personal_identity_numbers_are_refused_never_stored_or_logged(server: Server) -> None:
    _setup_units(server, "pnr")
    numbers = ["19121212-1212", "121212-1212", "1212121212", "191212121212", "701063-2391"]
    with server.client("portal") as c:
        for pnr in numbers:
            r = c.post("/v1/referrals", json=_referral(pnr, "pnr"))
            assert r.status_code == 422, pnr
            assert r.json()["errors"][0]["field"] == "body.referral_id"
            assert pnr not in r.text
            g = c.get(f"/v1/referrals/{pnr}")
            assert g.status_code == 422 and pnr not in g.text
        assert c.post("/v1/referrals", json=_referral("pseudo-7f3a", "pnr")).status_code == 201
    log = (server.workdir / "server.log").read_text()
    assert "/v1/referrals/{referral_id}" in log  # requests are logged by route template
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        stored = " ".join(
            str(x)
            for t in ("referrals", "audit_log")
            for row in conn.execute(text(f"SELECT * FROM {t}"))
            for x in row
        )
    engine.dispose()
    for pnr in numbers:
        assert pnr not in log and pnr not in stored


def test_allocation_run_plans_then_books(server: Server) -> None:
    _setup_units(server, "alloc", slots=2)
    with server.client("portal") as c:
        for i in range(6):
            c.post("/v1/referrals", json=_referral(f"q{i}", "alloc", 80 - i, "1490"))
        run = c.post("/v1/allocation-runs", json={"specialty": "alloc", "horizon_weeks": 4})
        assert run.status_code == 201, run.text
        plan = run.json()
        assert plan["summary"]["referrals"] == 6 and plan["summary"]["placed"] == 6
        weeks = {(p["unit"], p["week"]) for p in plan["plan"]}
        for u, w in weeks:  # never more than capacity per unit and week
            assert sum(1 for p in plan["plan"] if (p["unit"], p["week"]) == (u, w)) <= 2
        # someone books q0 by hand in between: the plan's line for q0 is skipped
        c.patch("/v1/referrals/q0", json={"status": "withdrawn"})
        acc = c.post(f"/v1/allocation-runs/{plan['id']}/accept")
        assert acc.status_code == 200, acc.text
        assert acc.json()["accepted"]["booked"] == 5
        assert acc.json()["accepted"]["skipped"] == [
            {"referral_id": "q0", "reason": "no longer waiting"}
        ]
        assert c.post(f"/v1/allocation-runs/{plan['id']}/accept").status_code == 409
        assert c.get("/v1/referrals/q1").json()["status"] == "booked"


def test_stateless_allocate_and_problem_json_errors(server: Server) -> None:
    problem = {
        "horizon_weeks": 2,
        "units": [{"id": "u", "capacity": [1, 1], "lat": 57.7, "lon": 12.0}],
        "areas": [{"id": "a", "lat": 57.7, "lon": 12.1}],
        "referrals": [{"id": "r1", "area": "a", "deadline_day": 10}],
    }
    with server.client("planner") as c:
        r = c.post("/v1/allocate", params={"solver": "flow"}, json=problem)
        assert r.status_code == 200 and r.json()["status"] == "optimal"
        bad = c.post("/v1/allocate", json={**problem, "horizon_weeks": 3})
        assert bad.status_code == 422
        assert any("capacity" in e["field"] for e in bad.json()["errors"])
        assert c.post("/v1/allocate", params={"solver": "nope"}, json=problem).status_code == 422
        assert c.get("/v1/nowhere").status_code == 404
        junk = c.post(
            "/v1/allocate", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert junk.status_code == 422
    assert server.client("planner").get("/healthz").status_code == 200


def test_simulation_job_runs_to_a_report(server: Server, tmp_path: Path) -> None:
    with server.client("planner") as c:
        names = [s["name"] for s in c.get("/v1/scenarios").json()]
        assert "gallsten" in names
        bad = c.post("/v1/simulations", json={"scenario": "no_such"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.scenario"
        r = c.post(
            "/v1/simulations",
            json={
                "scenario": "textbook_mmc",
                "policies": ["separate", "shared"],
                "replications": 2,
                "horizon_days": 120,
                "warmup_days": 30,
            },
        )
        assert r.status_code == 202, r.text
        job = r.json()["id"]
        deadline = time.monotonic() + 240
        state = c.get(f"/v1/simulations/{job}").json()
        while state["state"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.5)
            state = c.get(f"/v1/simulations/{job}").json()
        assert state["state"] == "done", state
        kpis = state["result"]["policies"]["shared"]["kpis"]["first_visit"]
        assert 0 <= kpis["share_waiting_within_guarantee"]["mean"] <= 1
        report = c.get(state["report_url"])
        assert report.status_code == 200 and "plotly" in report.text.lower()
