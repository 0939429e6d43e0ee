"""The service plans with allokering's cost model: priority, weeks overdue and the home
unit, over real HTTP (SQLite and, when REMISS_TEST_POSTGRES_URL is set, PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from api.service.weeks import monday, today
from tests.api.service.service_server import Server, database_for, start_server


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("server"), database_for(request.param))
    try:
        yield srv
    finally:
        srv.stop()


UNITS = {"su_ostra": (57.7213, 12.0510), "sas_boras": (57.7305, 12.9367)}


def _unit(srv: Server, uid: str, specialty: str, slots: int, from_week: dt.date) -> None:
    lat, lon = UNITS[uid]
    with srv.client("admin") as c:
        r = c.put(f"/v1/units/{uid}", json={"name": uid, "lat": lat, "lon": lon})
        assert r.status_code in (200, 201), r.text
        r = c.put(
            f"/v1/units/{uid}/capacity",
            json={
                "specialty": specialty,
                "stage": "first_visit",
                "from_week": str(from_week),
                "slots_per_week": slots,
            },
        )
        assert r.status_code == 200, r.text


def test_allocation_run_plans_the_long_overdue(server: Server) -> None:
    """One slot a week for four weeks, one referral 300 days past its limit and four
    newer ones due within the horizon: the overdue one is planned, in week 0."""
    first = monday(today())
    _unit(server, "sas_boras", "starve", 1, today())
    with server.client("portal") as c:
        # deadline_day = clock_start + 90 − Monday: −300 for "old", 27 for the newer ones
        refs = [("old", first - dt.timedelta(days=390))]
        refs += [(f"new{i}", first - dt.timedelta(days=63)) for i in range(4)]
        for rid, start in refs:
            body = {"referral_id": rid, "specialty": "starve", "area": "1490"}
            r = c.post("/v1/referrals", json={**body, "clock_start": str(start)})
            assert r.status_code == 201, r.text
        run = c.post("/v1/allocation-runs", json={"specialty": "starve", "horizon_weeks": 4})
        assert run.status_code == 201, run.text
        plan = {p["referral_id"]: p for p in run.json()["plan"]}
        assert plan["old"]["week"] == str(first)
        assert len(plan) == 4  # one of the newer ones waits instead


def test_suggestions_rank_home_unit_and_priority(server: Server) -> None:
    """The home unit (room from next week, on time) comes first for a routine referral;
    for a P1 referral the week earlier elsewhere is worth the move."""
    first = monday(today())
    _unit(server, "su_ostra", "homesug", 2, first + dt.timedelta(weeks=1))
    _unit(server, "sas_boras", "homesug", 2, today())
    start = str(today() - dt.timedelta(days=10))
    with server.client("portal") as c:
        for rid, extra in (
            ("hs-home", {"home_unit": "su_ostra"}),
            ("hs-p1", {"home_unit": "su_ostra", "priority": "P1"}),
            ("hs-none", {}),
        ):
            body = {"referral_id": rid, "specialty": "homesug", "area": "1490", **extra}
            r = c.post("/v1/referrals", json={**body, "clock_start": start})
            assert r.status_code == 201, r.text

        def ranked(rid: str) -> list[tuple[str, str]]:
            s = c.get(f"/v1/referrals/{rid}/suggestions")
            assert s.status_code == 200, s.text
            return [(o["unit"], o["earliest_week"]) for o in s.json()["options"]]

        next_week = str(first + dt.timedelta(weeks=1))
        assert ranked("hs-home")[0] == ("su_ostra", next_week)  # home, on time
        assert ranked("hs-p1")[0] == ("sas_boras", str(first))  # P1: a week earlier
        assert ranked("hs-none")[0] == ("sas_boras", str(first))  # no home: earliest, nearest
