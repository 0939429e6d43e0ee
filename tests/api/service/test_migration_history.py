"""The migration ``e13_referral_history`` on a database that holds referrals: built at
``c14_job_owner`` with that revision's schema (plain SQL inserts of referrals waiting,
offered, booked, completed, withdrawn and patient-chosen), upgraded to head, its
backfilled history gives the state the rows have (``history.queue_on`` today equals the
referrals waiting), and it downgrades to ``c14_job_owner`` with the referrals intact —
on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from api.service import db
from api.service.db_schema import ReferralHistoryRow, ReferralRow, UtcDateTime
from api.service.history import queue_on
from api.service.queue_status import queue_status
from api.service.weeks import STOCKHOLM, monday, today
from tests.api.service.service_server import database_for, drop_postgres, fresh_postgres

BEFORE = "c14_job_owner"
NEXT_WEEK = monday(today()) + dt.timedelta(weeks=1)
LAST_WEEK = monday(today()) - dt.timedelta(weeks=1)


def ago(days: int, hour: int = 11, minute: int = 0) -> dt.datetime:
    """``days`` before today at ``hour:minute`` UTC."""
    return dt.datetime.combine(
        today() - dt.timedelta(days=days), dt.time(hour, minute), tzinfo=dt.UTC
    )


# id, stage, status, unit, week, patient_chosen, completed_on, version, updated_at
REFERRALS: list[tuple[Any, ...]] = [
    ("m-wait", "first_visit", "waiting", None, None, False, None, 1, ago(20)),
    ("m-pvv", "first_visit", "waiting", None, None, True, None, 3, ago(9)),
    # 23:30 UTC is the next day in Sweden: the history dates it by Swedish days
    ("m-offer", "first_visit", "offered", "mu1", NEXT_WEEK, False, None, 2, ago(5, 23, 30)),
    ("m-book", "first_visit", "booked", "mu2", NEXT_WEEK, False, None, 3, ago(3)),
    ("m-done", "first_visit", "completed", "mu1", LAST_WEEK, False, ago(2).date(), 4, ago(2)),
    ("m-gone", "first_visit", "withdrawn", None, None, False, None, 2, ago(4)),
    ("m-treat", "treatment", "booked", "mu1", NEXT_WEEK, False, None, 3, ago(1)),
]
WAITING_IDS = {"m-wait", "m-pvv", "m-offer", "m-book"}
INSERT = sa.text(
    "INSERT INTO referrals (id, specialty, stage, area, priority, limit_days, clock_start,"
    " home_unit, max_travel_km, status, unit_id, week, patient_chosen, completed_on,"
    " version, created_at, updated_at) VALUES (:id, 'migr', :stage, '1480', 'standard',"
    " 90, :clock_start, 'mu1', NULL, :status, :unit, :week, :pvv, :completed_on, :version,"
    " :created_at, :updated_at)"
).bindparams(
    sa.bindparam("created_at", type_=UtcDateTime()),
    sa.bindparam("updated_at", type_=UtcDateTime()),
)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at ``c14_job_owner`` holding :data:`REFERRALS`; its URL."""
    server = database_for(request.param)
    url = fresh_postgres(server) if server else f"sqlite:///{tmp_path / 'old.db'}"
    try:
        command.upgrade(db.alembic_config(url), BEFORE)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for rid, stage, status, unit, week, pvv, done, version, updated in REFERRALS:
                conn.execute(
                    INSERT,
                    {
                        "id": rid,
                        "stage": stage,
                        "clock_start": today() - dt.timedelta(days=40),
                        "status": status,
                        "unit": unit,
                        "week": week,
                        "pvv": pvv,
                        "completed_on": done,
                        "version": version,
                        "created_at": ago(40),
                        "updated_at": updated,
                    },
                )
        engine.dispose()
        yield url
    finally:
        if server:
            drop_postgres(url)


def swedish_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(STOCKHOLM).date()


def columns(url: str, table: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return {c["name"] for c in sa.inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_the_backfilled_history_gives_the_rows_state(database: str) -> None:
    old_columns = columns(database, "referrals")
    db.upgrade(database)
    engine = db.make_engine(database, pool_size=1)
    try:
        assert (
            db.current_revision(engine)
            == ScriptDirectory.from_config(db.alembic_config(database)).get_current_head()
        )
        with db.session_factory(engine)() as s:
            rows = {r.id: r for r in s.scalars(sa.select(ReferralRow))}
            history = {h.referral_id: h for h in s.scalars(sa.select(ReferralHistoryRow))}
            waiting = queue_on(s, "migr", "first_visit", today())
            treatment = queue_on(s, "migr", "treatment", today())
            earliest = min(swedish_day(r[-1]) for r in REFERRALS)
            before = queue_on(s, "migr", "first_visit", earliest - dt.timedelta(days=1))
            _, by_specialty = queue_status(s, today())
    finally:
        engine.dispose()

    assert set(history) == {r[0] for r in REFERRALS}
    for rid, stage, status, unit, week, pvv, done, version, updated in REFERRALS:
        h, row = history[rid], rows[rid]
        on = swedish_day(updated)
        assert (h.seq, h.on_day, h.change, h.actor) == (version, on, "migrated", "migration")
        assert (h.stage, h.status, h.unit_id, h.week, h.completed_on) == (
            stage,
            status,
            unit,
            week,
            done,
        )
        assert (h.assessment, h.home_unit, h.forwarded_to) == ("accepted", "mu1", None)
        assert (h.pvv_from, h.pvv_until, h.mov_from, h.excluded_days) == (
            on if pvv else None,
            None,
            None,
            0,
        )
        assert (row.changed_on, row.pvv_from, row.assessment) == (
            on,
            on if pvv else None,
            "accepted",
        )
        assert row.patient_chosen is pvv
    assert swedish_day(REFERRALS[2][-1]) == REFERRALS[2][-1].date() + dt.timedelta(days=1)

    # the queue today from the history alone is the referrals' own state
    got = {(w.id, w.status, w.unit, w.week, w.in_pvv, w.clock_start) for w in waiting}
    want = {
        (r[0], r[2], r[3], r[4], r[5], today() - dt.timedelta(days=40))
        for r in REFERRALS
        if r[0] in WAITING_IDS
    }
    assert got == want
    assert [w.id for w in treatment] == ["m-treat"]
    assert before == []  # the history starts with the migration's dating
    (status,) = [r for r in by_specialty if (r.specialty, r.stage.value) == ("migr", "first_visit")]
    assert (status.waiting, status.patient_chosen) == (4, 1)
    assert status.patient_chosen == sum(w.in_pvv for w in waiting)

    command.downgrade(db.alembic_config(database), BEFORE)
    engine = sa.create_engine(database)
    try:
        assert "referral_history" not in sa.inspect(engine).get_table_names()
        assert columns(database, "referrals") == old_columns
        with engine.connect() as conn:
            kept = conn.execute(
                sa.text("SELECT id, status, unit_id, patient_chosen, version FROM referrals")
            ).all()
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    assert version == BEFORE
    assert sorted((r[0], r[1], r[2], bool(r[3]), r[4]) for r in kept) == sorted(
        (r[0], r[2], r[3], r[5], r[7]) for r in REFERRALS
    )
    db.upgrade(database)  # and up again: the backfill runs once more
    engine = db.make_engine(database, pool_size=1)
    try:
        with db.session_factory(engine)() as s:
            again = queue_on(s, "migr", "first_visit", today())
    finally:
        engine.dispose()
    assert {w.id for w in again} == WAITING_IDS
