"""Forecasts of the live queue in the planner app, over real HTTP against ``remiss serve``
(SQLite and PostgreSQL): a queue with twelve weeks of history written through the API,
a planner starting a forecast from the queue page, following it to the end, reading the
region's queue and the breach worklist (the referrals certain to breach are on it), the
report and the JSON; another planner sees nothing of it, a forecast is not a run, bad
input is shown beside its field and a forged form starts nothing."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.service.weeks import monday, today
from benchmarks.forecast_history import set_capacity, set_up_units
from tests.api.planner.test_security import Browser, form_token, new_key, signed_in
from tests.api.service.service_server import Server, database_for, start_server

SPECIALTY = "gallsten"
UNITS = {"su_ostra": ("1480", 6), "sas_boras": ("1490", 4), "nu_nal": ("1488", 4)}
"""Each unit: the area its referrals come from and its first-visit slots a week."""
OVERDUE = [f"old-nu_nal-{i}" for i in range(3)]
"""Standard referrals waiting 85 days at NU NÄL. From this week NU NÄL is closed and the
others have a slot a week each, which the ten P1 referrals waiting take first (priority
before age): each of these passes its 90-day limit in week 0 or 1, in every replication."""
URGENT = [f"p1-{i}" for i in range(10)]


def write_queue(client: httpx.Client) -> None:
    """Three units, 12 weeks of referrals (registered, booked, completed, each change on
    its own past date) and a queue of about 50 still waiting; capacity cut this week."""
    day0 = monday(today()) - dt.timedelta(weeks=12)
    set_up_units(client, {uid: slots for uid, (_, slots) in UNITS.items()}, day0)
    for uid, slots in (("nu_nal", 0), ("su_ostra", 1), ("sas_boras", 1)):
        set_capacity(client, uid, slots, monday(today()))

    def register(rid: str, unit: str, start: dt.date, priority: str = "standard") -> None:
        body = {
            "referral_id": rid,
            "specialty": SPECIALTY,
            "stage": "first_visit",
            "area": UNITS[unit][0],
            "priority": priority,
            "limit_days": 30 if priority == "P1" else 90,
            "clock_start": start.isoformat(),
            "home_unit": unit,
            "on": start.isoformat(),
        }
        client.post("/v1/referrals", json=body).raise_for_status()

    for rid in OVERDUE:
        register(rid, unit_of(rid), today() - dt.timedelta(days=85))
    for rid in URGENT:
        register(rid, "su_ostra", today() - dt.timedelta(days=5), "P1")
    for i in range(84):  # one a day for 12 weeks, round the units; the first half seen
        unit = list(UNITS)[i % 3]
        start = day0 + dt.timedelta(days=i)
        rid = f"h-{i:03d}"
        register(rid, unit, start)
        if i < 48:
            seen = start + dt.timedelta(days=14)
            booking = {"status": "booked", "unit": unit, "week": monday(seen).isoformat()}
            res = client.patch(f"/v1/referrals/{rid}", json={**booking, "on": start.isoformat()})
            res.raise_for_status()
            done = {"status": "completed", "completed_on": seen.isoformat(), "on": seen.isoformat()}
            client.patch(f"/v1/referrals/{rid}", json=done).raise_for_status()


def unit_of(rid: str) -> str:
    """The unit of an :data:`OVERDUE` id (``old-su_ostra-0``)."""
    return rid.removeprefix("old-").rsplit("-", 1)[0]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("planner-forecasts"),
        database_for(request.param),
        REMISS_PLANNER_SECRET="planner-forecast-test-secret-0123456789",
        REMISS_PLANNER_SIGN_IN_LIMIT="1000/minute",
    )
    try:
        with srv.client("all", timeout=60) as client:
            write_queue(client)
        yield srv
    finally:
        srv.stop()


FORM = {
    "specialty": SPECIALTY,
    "stage": "first_visit",
    "weeks": "6",
    "replications": "3",
    "policies": "separate",
}


def start(b: Browser, **over: str) -> httpx.Response:
    token = form_token(b.http.get("/planner/queue").text)
    return b.http.post("/planner/forecasts", data={**FORM, **over, "csrf": token})


def finished(b: Browser, job_id: str, bound: float = 180.0) -> dict[str, object]:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        state = b.http.get(f"/planner/forecasts/{job_id}/progress").json()
        if state["state"] not in ("queued", "running"):
            return dict(state)
        time.sleep(0.5)
    raise AssertionError(f"forecast {job_id} still running after {bound} s")


def test_a_planner_forecasts_the_queue_and_reads_the_worklist(
    server: Server, tmp_path: Path
) -> None:
    _, key = new_key(server, "planner")
    b = signed_in(server, key)
    queue = b.http.get("/planner/queue")
    assert queue.status_code == 200 and 'id="forecast-form"' in queue.text
    assert f'<option value="{SPECIALTY}"' in queue.text
    started = start(b)
    assert started.status_code == 303, started.text[:500]
    job_id = started.headers["location"].rsplit("/", 1)[-1]
    assert started.headers["location"] == f"/planner/forecasts/{job_id}"
    state = finished(b, job_id)
    assert state["state"] == "done" and state["replications_done"] == state["replications"] == 3, (
        state
    )

    page = b.http.get(f"/planner/forecasts/{job_id}").text
    assert "Väntande [95 %-prognosintervall]" in page and 'id="worklist-h"' in page
    weeks = re.findall(r'<th scope="row">(\d{4}-\d{2}-\d{2})</th>', page)
    assert weeks[0] == monday(today()).isoformat() or weeks[0] > today().isoformat()
    for rid in OVERDUE:  # 85 days waited, 90-day limit, P1 first in the two slots a week
        assert f'<th scope="row">{rid}</th>' in page, rid

    doc = b.http.get(f"/planner/forecasts/{job_id}/forecast.json").json()
    listed = {w["referral_id"] for w in doc["policies"]["separate"]["worklist"]}
    assert set(OVERDUE) <= listed and len(doc["weeks"]) == 6
    assert doc["initial_waiting"] == len(OVERDUE) + len(URGENT) + 84 - 48
    report = b.http.get(f"/planner/forecasts/{job_id}/report")
    assert report.status_code == 200 and "<html lang='sv'>" in report.text
    assert all(rid in report.text for rid in OVERDUE)
    (tmp_path / "forecast.html").write_text(page, encoding="utf-8")

    assert job_id in b.http.get("/planner/queue").text  # listed on the queue page
    assert job_id not in b.http.get("/planner/runs").text  # a forecast is not a run
    assert b.http.get(f"/planner/runs/{job_id}").status_code == 404

    _, other_key = new_key(server, "planner")
    other = signed_in(server, other_key)
    for path in ("", "/progress", "/report", "/forecast.json"):
        assert other.http.get(f"/planner/forecasts/{job_id}{path}").status_code == 404, path
    assert job_id not in other.http.get("/planner/queue").text


def test_bad_input_is_shown_beside_its_field_and_a_forged_form_starts_nothing(
    server: Server,
) -> None:
    _, key = new_key(server, "planner")
    b = signed_in(server, key)
    for field, value in (("weeks", "99"), ("replications", "1"), ("specialty", "ögon")):
        page = start(b, **{field: value})
        assert page.status_code == 422, (field, page.text[:300])
        assert f'id="e-{field}"' in page.text, field
        if field != "specialty":  # a typed number comes back as typed
            assert f'value="{value}"' in page.text, field
    forged = b.http.post("/planner/forecasts", data={**FORM, "csrf": "forged"})
    assert forged.status_code == 403 and 'id="e-_form"' in forged.text
    assert "/planner/forecasts/" not in b.http.get("/planner/queue").text  # none started
