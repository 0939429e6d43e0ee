"""The referral history reconstructs the queue exactly: a sequence of changes is driven
through the real HTTP API over simulated days (each change dated by its ``on``), what
the service reported after each day is kept, and the queue computed from the history
alone for each past day must equal it — on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from api.service import db
from api.service.history import WaitingOnDay, queue_on, realised_weeks
from api.service.history_counts import history_counts
from api.service.weeks import monday, today
from tests.api.service.lifecycle_driver import SPECIALTY, WAITING, Day, Driver
from tests.api.service.service_server import Server, database_for, start_server

DAYS = 63
"""Nine weeks of simulated days, ending today."""


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def driven(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Driver]]:
    """A server whose queue was driven through ``DAYS`` days, and the driver."""
    srv = start_server(tmp_path_factory.mktemp("history"), database_for(request.param))
    first = today() - dt.timedelta(days=DAYS - 1)
    try:
        with srv.client("portal") as portal, srv.client("planner") as planner:
            with srv.client("admin") as admin:
                driver = Driver(portal, planner, random.Random(13))
                driver.setup(first, admin)
            for k in range(DAYS):
                driver.run_day(first + dt.timedelta(days=k))
        yield srv, driver
    finally:
        srv.stop()


@pytest.fixture()
def session(driven: tuple[Server, Driver]) -> Iterator[Session]:
    engine = db.make_engine(driven[0].database_url, pool_size=1)
    try:
        with db.session_factory(engine)() as s:
            yield s
    finally:
        engine.dispose()


def _reported(ref: dict[str, Any]) -> tuple[Any, ...]:
    """The state of a referral as GET /v1/referrals/{id} reported it."""
    pvv, mov = ref["pvv"] or {}, ref["mov"] or {}
    return (
        ref["status"],
        ref["assessment"],
        ref["home_unit"],
        ref["forwarded_to"],
        ref["unit"],
        ref["week"],
        pvv.get("from_date"),
        pvv.get("until"),
        mov.get("from_date"),
        mov.get("until"),
        ref["area"],
        ref["priority"],
        ref["limit_days"],
        ref["clock_start"],
    )


def _reconstructed(w: WaitingOnDay) -> tuple[Any, ...]:
    def iso(d: dt.date | None) -> str | None:
        return d.isoformat() if d is not None else None

    return (
        w.status,
        w.assessment,
        w.home_unit,
        w.forwarded_to,
        w.unit,
        iso(w.week),
        iso(w.pvv_from),
        iso(w.pvv_until),
        iso(w.mov_from),
        iso(w.mov_until),
        w.area,
        w.priority,
        w.limit_days,
        w.clock_start.isoformat(),
    )


def _status_rows(rows: list[WaitingOnDay]) -> list[dict[str, Any]]:
    """The queue status per unit computed from reconstructed rows, as the service
    reports it (SKR: PVV and MOV excluded from the share and their days not counted)."""
    acc: dict[str, Counter[str]] = {}
    for w in rows:
        c = acc.setdefault(w.list_unit or "(unassigned)", Counter())
        c["waiting"] += 1
        c["patient_chosen"] += w.in_pvv
        c["medically_caused"] += w.in_mov
        c["within_guarantee"] += not (w.in_pvv or w.in_mov) and w.counted_days <= w.limit_days
    return [
        {
            "unit": unit,
            **{
                k: c[k]
                for k in ("waiting", "patient_chosen", "medically_caused", "within_guarantee")
            },
        }
        for unit, c in sorted(acc.items())
    ]


def _service_rows(day: Day) -> list[dict[str, Any]]:
    keys = ("unit", "waiting", "patient_chosen", "medically_caused", "within_guarantee")
    return [
        {k: r[k] for k in keys}
        for r in day.status["units"]
        if r["specialty"] == SPECIALTY and r["stage"] == "first_visit"
    ]


def test_the_drive_covers_the_life_cycle(driven: tuple[Server, Driver], session: Session) -> None:
    """The drive exercised every kind of change, so the equality below means something."""
    _, driver = driven
    counts = history_counts(
        session, SPECIALTY, "first_visit", today() - dt.timedelta(days=DAYS), today()
    )
    for change in (
        "registered", "offered", "booked", "declined", "no_show", "completed", "withdrawn",
        "assessment.accepted", "assessment.returned_for_completion", "assessment.received",
        "assessment.forwarded", "assessment.rejected", "pvv.start", "pvv.end", "mov.start",
        "mov.end",
    ):  # fmt: skip
        assert counts.count(change) > 0, (change, counts.changes)
    assert driver.requests > 500
    assert max(len(queue_on(session, SPECIALTY, "first_visit", d.day)) for d in driver.days) > 30


def test_queue_on_each_past_day_equals_what_the_service_reported(
    driven: tuple[Server, Driver], session: Session
) -> None:
    _, driver = driven
    for day in driver.days:
        rows = queue_on(session, SPECIALTY, "first_visit", day.day)
        got = {w.id: _reconstructed(w) for w in rows}
        want = {
            rid: _reported(ref) for rid, ref in day.referrals.items() if ref["status"] in WAITING
        }
        assert got == want, day.day
        assert _status_rows(rows) == _service_rows(day), day.day


def test_queue_on_before_the_first_change_is_empty(
    driven: tuple[Server, Driver], session: Session
) -> None:
    first = driven[1].days[0].day
    assert queue_on(session, SPECIALTY, "first_visit", first - dt.timedelta(days=1)) == []
    assert queue_on(session, SPECIALTY, "treatment", first + dt.timedelta(days=30)) == []


def _breach_days(session: Session, days: list[dt.date]) -> Counter[str]:
    """Breaches per week found day by day: the first day a referral is waiting with an
    SKR-counted wait one past its limit (the slow, obvious way; the count stands still
    through a PVV or MOV, so later days may show it again)."""
    out: Counter[str] = Counter()
    seen: set[str] = set()
    for d in days:
        for w in queue_on(session, SPECIALTY, "first_visit", d):
            if w.counted_days == w.limit_days + 1 and w.id not in seen:
                seen.add(w.id)
                out[monday(d).isoformat()] += 1
    return out


def test_realised_weeks_are_the_mondays_queue_and_the_weeks_breaches(
    driven: tuple[Server, Driver], session: Session
) -> None:
    _, driver = driven
    first_monday = monday(driver.days[0].day) + dt.timedelta(weeks=1)
    series = realised_weeks(session, SPECIALTY, "first_visit", first_monday, 12)
    mondays = [first_monday + dt.timedelta(weeks=k) for k in range(12)]
    assert list(series) == [m.isoformat() for m in mondays if m <= today()]
    by_day = {d.day: d for d in driver.days}
    for m in mondays:
        if m > today():
            continue
        reported = [r for r in by_day[m].referrals.values() if r["status"] in WAITING]
        assert series[m.isoformat()]["queue"] == len(reported), m
        status = [r for r in _service_rows(by_day[m])]
        assert series[m.isoformat()]["pvv"] == sum(r["patient_chosen"] for r in status)
        assert series[m.isoformat()]["mov"] == sum(r["medically_caused"] for r in status)
    span = [d.day for d in driver.days if d.day >= first_monday]
    breaches = _breach_days(session, span)
    assert {k: v["breaches"] for k, v in series.items() if v["breaches"]} == dict(breaches)
    assert sum(breaches.values()) > 5


def test_history_counts_add_up(driven: tuple[Server, Driver], session: Session) -> None:
    _, driver = driven
    first, last = driver.days[0].day, driver.days[-1].day
    counts = history_counts(session, SPECIALTY, "first_visit", first, last)
    final = driver.days[-1].referrals
    assert counts.registered == len(final)
    assert counts.first_record == first
    assert sum(sum(w.values()) for w in counts.arrivals.values()) == sum(
        1 for r in final.values() if dt.date.fromisoformat(r["clock_start"]) >= first
    )
    assert counts.completed == sum(1 for r in final.values() if r["status"] == "completed")
    withdrawn = sum(1 for r in final.values() if r["status"] == "withdrawn")
    assert counts.withdrawn + counts.count("assessment.rejected") == withdrawn
    waiting_days = sum(len(queue_on(session, SPECIALTY, "first_visit", d.day)) for d in driver.days)
    assert counts.waiting_days == waiting_days
    assert counts.no_show_rate is not None and 0 < counts.no_show_rate < 1
    assert counts.returned_share is not None and 0 < counts.returned_share < 1
    assert counts.withdrawal_rate_per_week is not None and counts.withdrawal_rate_per_week > 0
    before = first - dt.timedelta(days=1)
    earlier = history_counts(
        session, SPECIALTY, "first_visit", before - dt.timedelta(days=30), before
    )
    assert earlier.registered == 0 and earlier.arrivals == {} and earlier.waiting_days == 0
    assert earlier.first_record == first and earlier.no_show_rate is None
    with pytest.raises(ValueError, match="to_day: is in the future"):
        history_counts(session, SPECIALTY, "first_visit", first, today() + dt.timedelta(days=1))
