"""The rules of the referral life cycle over real HTTP, on SQLite and on PostgreSQL:
every change's business date ``on`` (not in the future, not before the clock start or
the last recorded change), the assessment's transitions, the PVV and MOV periods, and a
returned referral whose clock runs on. A refused change is a 409 or a 422 naming what is
wrong; the referral, its history and the audit log's change rows are as before, and the
refusal itself is audited (``referral.refused``)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.service import db
from api.service.history import queue_on
from api.service.weeks import monday, today
from tests.api.service.lifecycle_driver import SPECIALTY, UNITS, Driver
from tests.api.service.service_server import Server, database_for, start_server

U1, U2 = UNITS[:2]
D0 = today() - dt.timedelta(days=60)
"""The first business day of the tests' referrals."""
READS = ("referral.read", "referral.history.read", "referral.refused")


def day(k: int) -> str:
    return (D0 + dt.timedelta(days=k)).isoformat()


@dataclass
class Clients:
    server: Server
    portal: httpx.Client
    auditor: httpx.Client
    driver: Driver
    """Its ``call`` makes a change that must succeed."""


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def clients(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Clients]:
    """A server with the life-cycle driver's units and capacity from ``D0``'s week."""
    srv = start_server(tmp_path_factory.mktemp("rules"), database_for(request.param))
    try:
        with (
            srv.client("portal") as portal,
            srv.client("auditor") as auditor,
            srv.client("planner") as planner,
            srv.client("admin") as admin,
        ):
            driver = Driver(portal, planner, random.Random(0))
            driver.setup(D0, admin)
            yield Clients(srv, portal, auditor, driver)
    finally:
        srv.stop()


def register(c: Clients, rid: str, start: int, on: int | None = None, **extra: Any) -> None:
    """Register ``rid`` with its clock started on day ``start`` (registered on ``on``)."""
    body = {
        "referral_id": rid,
        "specialty": SPECIALTY,
        "area": "1480",
        "clock_start": day(start),
        "home_unit": U1,
        "on": day(start if on is None else on),
        **extra,
    }
    assert c.driver.call("POST", "/v1/referrals", body)["referral_id"] == rid


def step(c: Clients, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    return c.driver.call(method, path, body)


def assess(c: Clients, rid: str, decision: str, on: int, **extra: Any) -> dict[str, Any]:
    body = {"decision": decision, "on": day(on), **extra}
    return step(c, "POST", f"/v1/referrals/{rid}/assessment", body)


def audit_rows(c: Clients, rid: str) -> list[dict[str, Any]]:
    r = c.auditor.get("/v1/audit", params={"referral": rid, "limit": 500})
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["rows"]
    return rows


def changes(rows: list[dict[str, Any]]) -> list[str]:
    """The audit log's change rows (not reads, not refusals) of a referral."""
    return [r["action"] for r in rows if r["action"] not in READS]


def state(c: Clients, rid: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The referral and its history as the service answers them."""
    ref = c.portal.get(f"/v1/referrals/{rid}")
    hist = c.portal.get(f"/v1/referrals/{rid}/history")
    assert ref.status_code == 200 and hist.status_code == 200, ref.text + hist.text
    return ref.json(), hist.json()["entries"]


def refused(
    c: Clients,
    rid: str,
    method: str,
    path: str,
    body: dict[str, Any],
    status: int,
    *words: str,
    field: str | None = None,
) -> None:
    """The change is refused with ``status``, its detail naming ``words`` (and the
    ``field`` at fault); the referral, its history and its audited changes are as
    before, and one ``referral.refused`` row records the refusal."""
    before = state(c, rid)
    audited = audit_rows(c, rid)
    r = c.portal.request(method, f"/v1/referrals/{rid}{path}", json=body)
    assert r.status_code == status, (path, body, r.text)
    problem = r.json()
    for w in words:
        assert w in problem["detail"], (w, problem["detail"])
    if field is not None:
        assert [e["field"] for e in problem["errors"]] == [field], problem
    assert state(c, rid) == before
    after = audit_rows(c, rid)
    assert changes(after) == changes(audited)
    new = [row for row in after[len(audited) :] if row["action"] == "referral.refused"]
    assert len(new) == 1, after[len(audited) :]
    assert new[0]["detail"]["status"] == status
    assert new[0]["detail"]["method"] == method
    assert new[0]["detail"]["detail"] == problem["detail"]
    assert new[0]["request_id"] == problem["request_id"]


TOMORROW = (today() + dt.timedelta(days=1)).isoformat()


def test_a_registration_dated_in_the_future_is_refused(clients: Clients) -> None:
    body = {
        "referral_id": "fut-0",
        "specialty": SPECIALTY,
        "area": "1480",
        "clock_start": day(0),
        "on": TOMORROW,
    }
    r = clients.portal.post("/v1/referrals", json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.on", r.text
    assert "in the future" in r.json()["detail"]
    assert clients.portal.get("/v1/referrals/fut-0").status_code == 404
    assert changes(audit_rows(clients, "fut-0")) == []
    late = {**body, "clock_start": day(5), "on": day(4)}
    r = clients.portal.post("/v1/referrals", json=late)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.clock_start"
    assert clients.portal.get("/v1/referrals/fut-0").status_code == 404
    register(clients, "fut-1", 5)
    clash = clients.portal.post("/v1/referrals", json={**body, "referral_id": "fut-1"})
    assert clash.status_code == 409 and "different content" in clash.json()["detail"]
    # each refused registration is audited as a refusal about the referral it named
    for rid, want in (("fut-0", [422, 422]), ("fut-1", [409])):
        rows = audit_rows(clients, rid)
        got = [r["detail"]["status"] for r in rows if r["action"] == "referral.refused"]
        assert got == want, rows
    assert changes(audit_rows(clients, "fut-0")) == []
    assert changes(audit_rows(clients, "fut-1")) == ["referral.register"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("", {"status": "offered", "unit": U1, "week": str(monday(today()))}),
        ("", {"status": "withdrawn"}),
        ("/assessment", {"decision": "returned_for_completion"}),
        ("/pvv", {"action": "start"}),
        ("/mov", {"action": "start"}),
    ],
    ids=["offer", "withdraw", "assess", "pvv", "mov"],
)
def test_a_change_dated_in_the_future_is_refused(
    clients: Clients, path: str, body: dict[str, Any]
) -> None:
    rid = f"fut-{path.strip('/') or body['status']}"
    extra: dict[str, Any] = {"assessment": "received"} if path == "/assessment" else {}
    register(clients, rid, 10, **extra)
    method = "PATCH" if path == "" else "POST"
    refused(
        clients,
        rid,
        method,
        path,
        {**body, "on": TOMORROW},
        422,
        "body.on",
        "in the future",
        field="body.on",
    )


def test_a_change_before_the_clock_start_or_the_last_change_is_refused(clients: Clients) -> None:
    register(clients, "old-1", 20)
    offer = {"status": "offered", "unit": U1, "week": day(27)}
    refused(clients, "old-1", "PATCH", "", {**offer, "on": day(19)}, 422, "clock start", day(20))
    step(clients, "PATCH", "/v1/referrals/old-1", {**offer, "on": day(25)})
    for path, body in (
        ("", {"status": "booked", "on": day(24)}),
        ("/pvv", {"action": "start", "on": day(22)}),
        ("/mov", {"action": "start", "on": day(24)}),
    ):
        method = "PATCH" if path == "" else "POST"
        refused(
            clients,
            "old-1",
            method,
            path,
            body,
            422,
            "before the referral's previous change",
            day(25),
            field="body.on",
        )
    register(clients, "old-2", 20, assessment="received")
    refused(
        clients,
        "old-2",
        "POST",
        "/assessment",
        {"decision": "accepted", "on": day(18)},
        422,
        "clock start",
        field="body.on",
    )
    # the same day as the last change is allowed: history stays ordered by date and seq
    booked = step(clients, "PATCH", "/v1/referrals/old-1", {"status": "booked", "on": day(25)})
    assert booked["changed_on"] == day(25) and booked["status"] == "booked"
    # the day the care was given lies between the last change and the change's own date
    for completed_on, words in (
        (day(31), "is after on"),
        (TOMORROW, "is after on"),
        (day(24), "before the referral's previous change"),
        (day(19), "before the clock start"),
    ):
        refused(
            clients,
            "old-1",
            "PATCH",
            "",
            {"status": "completed", "completed_on": completed_on, "on": day(30)},
            422,
            words,
            field="body.completed_on",
        )
    done = {"status": "completed", "completed_on": day(28), "on": day(30)}
    completed = step(clients, "PATCH", "/v1/referrals/old-1", done)
    assert (completed["completed_on"], completed["changed_on"]) == (day(28), day(30))


def test_illegal_assessments_are_refused(clients: Clients) -> None:
    register(clients, "as-acc", 5)  # registered accepted (no assessment)
    refused(
        clients,
        "as-acc",
        "POST",
        "/assessment",
        {"decision": "accepted", "on": day(6)},
        409,
        "cannot go from accepted to accepted",
    )
    refused(
        clients,
        "as-acc",
        "POST",
        "/assessment",
        {"decision": "rejected", "on": day(6)},
        409,
        "accepted to rejected",
    )

    register(clients, "as-rej", 5, assessment="received")
    assess(clients, "as-rej", "rejected", 6)
    for decision in ("accepted", "received", "forwarded"):
        refused(
            clients,
            "as-rej",
            "POST",
            "/assessment",
            {"decision": decision, "unit": U2, "on": day(7)},
            409,
            "the referral is withdrawn",
        )

    register(clients, "as-ret", 5, assessment="received")
    assess(clients, "as-ret", "returned_for_completion", 6)
    refused(
        clients,
        "as-ret",
        "POST",
        "/assessment",
        {"decision": "accepted", "on": day(7)},
        409,
        "returned_for_completion to accepted",
    )

    register(clients, "as-fwd", 5, assessment="received")
    for unit, words in ((U1, "is the unit the referral is at"), ("lc_u9", "unknown unit")):
        refused(
            clients,
            "as-fwd",
            "POST",
            "/assessment",
            {"decision": "forwarded", "unit": unit, "on": day(6)},
            422,
            words,
            field="body.unit",
        )
    refused(
        clients,
        "as-fwd",
        "POST",
        "/assessment",
        {"decision": "forwarded", "on": day(6)},
        422,
        "needs the receiving unit",
        field="body.unit",
    )
    assess(clients, "as-fwd", "forwarded", 6, unit=U2)
    refused(
        clients,
        "as-fwd",
        "POST",
        "/assessment",
        {"decision": "forwarded", "unit": U2, "on": day(7)},
        422,
        "is the unit the referral is at",
        field="body.unit",
    )
    refused(
        clients,
        "as-fwd",
        "POST",
        "/assessment",
        {"decision": "accepted", "unit": U1, "on": day(7)},
        422,
        "not the unit the referral was forwarded to",
        field="body.unit",
    )
    offer = {"status": "offered", "unit": U2, "week": str(monday(today())), "on": day(7)}
    refused(clients, "as-fwd", "PATCH", "", offer, 409, "forwarded, not accepted")
    accepted = assess(clients, "as-fwd", "accepted", 7, unit=U2)
    assert (accepted["home_unit"], accepted["forwarded_to"]) == (U2, None)

    register(clients, "as-done", 5)
    week = str(monday(D0 + dt.timedelta(days=8)))
    step(clients, "PATCH", "/v1/referrals/as-done", {**offer, "week": week, "on": day(6)})
    step(clients, "PATCH", "/v1/referrals/as-done", {"status": "booked", "on": day(6)})
    step(clients, "PATCH", "/v1/referrals/as-done", {"status": "completed", "on": day(14)})
    refused(
        clients,
        "as-done",
        "POST",
        "/assessment",
        {"decision": "rejected", "on": day(15)},
        409,
        "the referral is completed",
    )


def pause(c: Clients, rid: str, kind: str, action: str, on: int, until: int | None = None) -> None:
    body: dict[str, Any] = {"action": action, "on": day(on)}
    if until is not None:
        body["until"] = day(until)
    step(c, "POST", f"/v1/referrals/{rid}/{kind}", body)


def offer(c: Clients, rid: str, on: int, status: str = "offered") -> None:
    """Offer (or book) ``rid`` a time at U1 in the week two weeks after day 0."""
    week = str(monday(D0 + dt.timedelta(days=14)))
    step(
        c,
        "PATCH",
        f"/v1/referrals/{rid}",
        {"status": status, "unit": U1, "week": week, "on": day(on)},
    )


def test_pvv_starts_only_from_a_declined_time_within_the_limit(clients: Clients) -> None:
    # no time held: nothing to decline, so no patient-chosen waiting
    register(clients, "pv-none", 10)
    refused(
        clients,
        "pv-none",
        "POST",
        "/pvv",
        {"action": "start", "on": day(12)},
        409,
        "declines an offered or booked time within the limit",
        "holds none",
    )
    # a time after the limit: declining it is not the patient's choice to wait
    register(clients, "pv-late", -100, on=10)
    offer(clients, "pv-late", 11)
    refused(
        clients,
        "pv-late",
        "POST",
        "/pvv",
        {"action": "start", "on": day(12)},
        409,
        "after its limit",
        "not patient-chosen waiting",
    )
    # an offered and a booked time within the limit: declined, released, PVV dated
    for rid, held in (("pv-offered", "offered"), ("pv-booked", "booked")):
        register(clients, rid, 10)
        offer(clients, rid, 11, held)
        pause(clients, rid, "pvv", "start", 12, until=20)
        ref, hist = state(clients, rid)
        assert ref["status"] == "waiting" and ref["unit"] is None and ref["week"] is None
        assert ref["pvv"] == {"from_date": day(12), "until": day(20)}
        assert hist[-1]["change"] == "pvv.start" and hist[-2]["status"] == held
    # the MOV has no such condition: a medical reason needs no offer
    register(clients, "mv-none", 10)
    pause(clients, "mv-none", "mov", "start", 12)


def test_pvv_and_mov_periods_never_overlap_nor_run_backwards(clients: Clients) -> None:
    register(clients, "pa-1", 10)
    refused(clients, "pa-1", "POST", "/mov", {"action": "end", "on": day(11)}, 409, "not in mov")
    refused(
        clients,
        "pa-1",
        "POST",
        "/pvv",
        {"action": "start", "until": day(11), "on": day(12)},
        422,
        "must be after on",
        field="body.until",
    )
    refused(
        clients,
        "pa-1",
        "POST",
        "/pvv",
        {"action": "start", "until": day(12), "on": day(12)},
        422,
        "must be after on",
        field="body.until",
    )
    offer(clients, "pa-1", 11)  # the PVV is the decline of this time (within the limit)
    pause(clients, "pa-1", "pvv", "start", 12, until=22)
    for kind in ("pvv", "mov"):  # a start while the PVV is in effect, on its day or later
        for on in (12, 16):
            refused(
                clients,
                "pa-1",
                "POST",
                f"/{kind}",
                {"action": "start", "on": day(on)},
                409,
                f"{kind}: the referral is in pvv on {day(on)}",
            )
    refused(
        clients,
        "pa-1",
        "POST",
        "/pvv",
        {"action": "end", "until": day(30), "on": day(16)},
        422,
        "only with action start",
        field="body.until",
    )
    refused(clients, "pa-1", "POST", "/mov", {"action": "end", "on": day(16)}, 409, "not in mov")
    # the dated PVV is over on its ``until``: ending it afterwards is refused, a MOV may start
    refused(clients, "pa-1", "POST", "/pvv", {"action": "end", "on": day(22)}, 409, "not in pvv")
    pause(clients, "pa-1", "mov", "start", 22)
    refused(clients, "pa-1", "POST", "/pvv", {"action": "start", "on": day(23)}, 409, "in mov on")
    pause(clients, "pa-1", "mov", "end", 25)
    ref, _ = state(clients, "pa-1")
    assert ref["pvv"] == {"from_date": day(12), "until": day(22)}
    assert ref["mov"] == {"from_date": day(22), "until": day(25)}
    assert ref["excluded_days"] == 13  # 10 PVV days and 3 MOV days

    register(clients, "pa-w", 10)
    step(clients, "PATCH", "/v1/referrals/pa-w", {"status": "withdrawn", "on": day(11)})
    register(clients, "pa-c", 10)
    week = str(monday(D0 + dt.timedelta(days=14)))
    booked = {"status": "booked", "unit": U1, "week": week, "on": day(11)}
    step(clients, "PATCH", "/v1/referrals/pa-c", booked)
    step(clients, "PATCH", "/v1/referrals/pa-c", {"status": "completed", "on": day(20)})
    for rid, status in (("pa-w", "withdrawn"), ("pa-c", "completed")):
        for kind in ("pvv", "mov"):
            for action in ("start", "end"):
                refused(
                    clients,
                    rid,
                    "POST",
                    f"/{kind}",
                    {"action": action, "on": day(21)},
                    409,
                    f"{kind}: the referral is {status}",
                )


def test_a_returned_referral_keeps_its_clock_and_comes_back(clients: Clients) -> None:
    """Returned for completion on day 25, back on day 40, accepted on day 41: the clock
    started on day 20 runs throughout and the queue on each past day shows it."""
    register(clients, "ret-1", 20, on=21, assessment="received")
    assess(clients, "ret-1", "returned_for_completion", 25)
    refused(
        clients,
        "ret-1",
        "PATCH",
        "",
        {"status": "booked", "unit": U1, "week": str(monday(today())), "on": day(30)},
        409,
        "returned_for_completion, not accepted",
    )
    assess(clients, "ret-1", "received", 40)
    accepted = assess(clients, "ret-1", "accepted", 41)
    assert accepted["clock_start"] == day(20)
    assert accepted["waited_days"] == (today() - (D0 + dt.timedelta(days=20))).days
    assert accepted["excluded_days"] == 0
    _, entries = state(clients, "ret-1")
    assert [(e["change"], e["on"], e["assessment"]) for e in entries] == [
        ("registered", day(21), "received"),
        ("assessment.returned_for_completion", day(25), "returned_for_completion"),
        ("assessment.received", day(40), "received"),
        ("assessment.accepted", day(41), "accepted"),
    ]
    engine = db.make_engine(clients.server.database_url, pool_size=1)
    try:
        with db.session_factory(engine)() as s:
            on_day = {
                k: {w.id: w for w in queue_on(s, SPECIALTY, "first_visit", D0 + dt.timedelta(k))}
                for k in (20, 21, 24, 25, 33, 40, 41, 50)
            }
    finally:
        engine.dispose()
    assert "ret-1" not in on_day[20]  # the clock ran, but the service knew it from day 21
    for k, assessment in (
        (21, "received"),
        (24, "received"),
        (25, "returned_for_completion"),
        (33, "returned_for_completion"),
        (40, "received"),
        (41, "accepted"),
        (50, "accepted"),
    ):
        w = on_day[k]["ret-1"]
        assert (w.status, w.assessment) == ("waiting", assessment), k
        assert (w.waited_days, w.counted_days) == (k - 20, k - 20), k
