"""Forecast jobs over real HTTP against ``remiss serve``, on SQLite and on PostgreSQL:
``DELETE /v1/forecasts/{id}`` cancels a queued or running job and removes it with its
stored result (owner or admin, audited), the per-key quota names the routes that cancel,
and ``GET /v1/forecasts`` lists the caller's forecasts (an admin's: all)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.api.forecast.small_queue import RATE_SETS, write_small_queue
from tests.api.service.service_server import Server, database_for, start_server

SHORT = {"specialty": "gallsten", "stage": "first_visit", "weeks": 2, "replications": 2}
SHORT["set"] = list(RATE_SETS)
LONG = {
    **SHORT,
    "weeks": 52,
    "replications": 200,
    "policies": ["separate", "shared", "separate_by_hospital_group", "patient_choice"],
}
"""800 runs of a year: minutes of work on one core, deleted long before."""


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("forecast-jobs"), database_for(request.param))
    try:
        with srv.client("all") as c:
            write_small_queue(c)
        yield srv
    finally:
        srv.stop()


def wait_for_state(c: httpx.Client, job: str, states: tuple[str, ...], seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        out = c.get(f"/v1/forecasts/{job}").json()
        if out["state"] in states:
            return out
        time.sleep(0.2)
    raise AssertionError(f"{job} not in {states} within {seconds} s")


def stored_jobs(server: Server) -> dict[str, tuple[str, bool]]:
    """Every job row: its state and whether it holds a result or report."""
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, state, result IS NOT NULL OR report IS NOT NULL"
                    " FROM simulation_jobs"
                )
            ).all()
    finally:
        engine.dispose()
    return {r[0]: (r[1], bool(r[2])) for r in rows}


def deletes(server: Server) -> dict[str, dict[str, Any]]:
    with server.client("auditor") as c:
        rows = c.get("/v1/audit", params={"limit": 500}).json()["rows"]
    return {r["entity_id"]: r for r in rows if r["action"] == "forecast.delete"}


def test_delete_cancels_a_running_and_a_queued_forecast_and_removes_a_done_one(
    server: Server,
) -> None:
    with server.client("planner", timeout=60) as c:
        running = c.post("/v1/forecasts", json=LONG)
        queued = c.post("/v1/forecasts", json=SHORT)
        assert running.status_code == 202 and queued.status_code == 202, queued.text
        run_id, queue_id = running.json()["id"], queued.json()["id"]
        full = c.post("/v1/forecasts", json=SHORT)
        assert full.status_code == 429, full.text
        assert "2 forecast; at most 2" in full.json()["detail"]
        assert "DELETE /v1/forecasts/{id}" in full.json()["detail"]
        assert "/v1/simulations" not in full.json()["detail"]

        wait_for_state(c, run_id, ("running",), 60)
        assert c.get(f"/v1/forecasts/{queue_id}").json()["state"] == "queued"
        gone = c.delete(f"/v1/forecasts/{queue_id}")
        assert gone.status_code == 200, gone.text
        assert (gone.json()["state"], gone.json()["result"]) == ("cancelled", None)
        stopped = c.delete(f"/v1/forecasts/{run_id}")
        assert stopped.status_code == 200 and stopped.json()["state"] == "cancelled"
        for job in (run_id, queue_id):
            assert c.get(f"/v1/forecasts/{job}").status_code == 404
            assert c.delete(f"/v1/forecasts/{job}").status_code == 404
        assert run_id not in stored_jobs(server) and queue_id not in stored_jobs(server)

        # the runner left the deleted job and goes on with the next one
        after = c.post("/v1/forecasts", json=SHORT).json()["id"]
        done = wait_for_state(c, after, ("done", "failed"), 120)
        assert done["state"] == "done" and done["result"]["specialty"] == "gallsten", done
        assert stored_jobs(server)[after] == ("done", True)
        removed = c.delete(f"/v1/forecasts/{after}")
        assert removed.status_code == 200
        assert (removed.json()["state"], removed.json()["result"]) == ("done", None)
        assert after not in stored_jobs(server)  # the result and report with it
        assert c.get(f"/v1/forecasts/{after}/report").status_code == 404
    audited = deletes(server)
    assert {j: audited[j]["detail"]["state"] for j in (run_id, queue_id, after)} == {
        run_id: "running",
        queue_id: "queued",
        after: "done",
    }
    assert {audited[j]["entity"] for j in (run_id, queue_id, after)} == {"forecast"}


def test_forecasts_are_listed_and_deleted_by_their_owner_or_an_admin(server: Server) -> None:
    with server.client("admin") as admin:
        r = admin.post("/v1/keys", json={"roles": ["planner"], "name": "another planner"})
        other = r.json()["key"]
    with server.client("planner", timeout=60) as c, server.client("admin") as admin:
        mine = [c.post("/v1/forecasts", json=SHORT).json()["id"] for _ in range(2)]
        for job in mine:
            wait_for_state(c, job, ("done",), 120)
        sim = c.post(
            "/v1/simulations", json={"scenario": "textbook_mmc", "replications": 1}
        ).json()["id"]
        with httpx.Client(base_url=server.url, headers={"X-API-Key": other}) as theirs:
            their = theirs.post("/v1/forecasts", json=SHORT).json()["id"]
            wait_for_state(theirs, their, ("done",), 120)
            listed = theirs.get("/v1/forecasts").json()["forecasts"]
            assert [f["id"] for f in listed] == [their]
            for method in ("GET", "DELETE"):  # another planner's job is not there for them
                assert theirs.request(method, f"/v1/forecasts/{mine[0]}").status_code == 404

        own = c.get("/v1/forecasts").json()["forecasts"]
        assert [f["id"] for f in own] == mine[::-1]  # newest first, no simulation, no other's
        assert all(f["state"] == "done" and "result" not in f for f in own)
        assert own[0]["report_url"] == f"/v1/forecasts/{mine[1]}/report"
        assert own[0]["request"]["specialty"] == "gallsten"
        assert [
            f["id"] for f in c.get("/v1/forecasts", params={"limit": 1}).json()["forecasts"]
        ] == [mine[1]]
        assert c.get("/v1/forecasts", params={"limit": 0}).status_code == 422
        every = {f["id"] for f in admin.get("/v1/forecasts").json()["forecasts"]}
        assert {*mine, their} <= every and sim not in every

        assert c.delete(f"/v1/simulations/{mine[0]}").status_code == 404  # not a simulation
        assert c.delete(f"/v1/forecasts/{sim}").status_code == 404
        assert admin.delete(f"/v1/forecasts/{their}").status_code == 200
        assert c.delete(f"/v1/forecasts/{mine[0]}").status_code == 200
        left = {f["id"] for f in admin.get("/v1/forecasts").json()["forecasts"]}
        assert mine[1] in left and mine[0] not in left and their not in left
        c.delete(f"/v1/simulations/{sim}")
    audited = deletes(server)
    assert audited[their]["actor"] != audited[mine[0]]["actor"]  # the admin's key, the owner's
