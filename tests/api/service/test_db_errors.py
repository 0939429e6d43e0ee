"""Bounded waits and their errors, on real databases: each kind of unavailability is
produced for real (a lock held, a read-only file, a statement timeout, a closed port,
a deadlock) and must be named right; other database errors must stay 500s."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from api.service import db
from api.service.db_errors import DatabaseUnavailable, is_deadlock, unavailable_kind
from api.service.unit_of_work import UnitOfWork
from tests.api.service.service_server import database_for, drop_postgres, free_port, fresh_postgres

FAST = db.Timeouts(connect=2.0, statement=1.0, lock=0.5)


def kind_of(engine: Engine, sql: str) -> str | None:
    """The kind of unavailability ``sql`` meets (it must fail)."""
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text(sql))
    return unavailable_kind(caught.value)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    db.upgrade(url)
    return url


def test_sqlite_locked_by_another_process_is_locked_within_the_bound(sqlite_url: str) -> None:
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE alembic_version SET version_num = version_num")
    engine = db.make_engine(sqlite_url, pool_size=2, timeouts=FAST)
    t0 = time.monotonic()
    assert kind_of(engine, "UPDATE alembic_version SET version_num = version_num") == "locked"
    assert time.monotonic() - t0 < 10
    holder.execute("ROLLBACK")
    engine.dispose()


def test_sqlite_writers_queued_past_the_lock_timeout_are_refused(sqlite_url: str) -> None:
    engine = db.make_engine(sqlite_url, pool_size=2, timeouts=FAST)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.begin():
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    t0 = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as caught, engine.begin():
        pass
    assert caught.value.kind == "locked" and time.monotonic() - t0 < 10
    release.set()
    thread.join(10)
    with engine.begin() as conn:  # the queue moves again
        conn.execute(text("SELECT 1"))
    engine.dispose()


def test_sqlite_read_only_file_is_read_only(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    engine = db.make_engine(f"sqlite:///file:{path}?mode=ro&uri=true", timeouts=FAST)
    assert kind_of(engine, "UPDATE alembic_version SET version_num = version_num") == "read-only"
    engine.dispose()


def test_other_database_errors_are_not_unavailability(sqlite_url: str) -> None:
    engine = db.make_engine(sqlite_url, timeouts=FAST)
    assert kind_of(engine, "INSERT INTO alembic_version VALUES (NULL)") is None
    assert kind_of(engine, "SELECT no_such_column FROM alembic_version") is None
    engine.dispose()


def test_closed_port_is_unreachable_within_the_bound() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/remiss"
    t0 = time.monotonic()
    with pytest.raises(DBAPIError) as caught:
        db.check_reachable(url, FAST)
    assert unavailable_kind(caught.value) == "unreachable" and time.monotonic() - t0 < 10


@pytest.fixture
def pg_url() -> Iterator[str]:
    url = fresh_postgres(str(database_for("postgres")))
    db.upgrade(url)
    yield url
    drop_postgres(url)


def test_postgres_timeouts_are_set_and_named(pg_url: str) -> None:
    engine = db.make_engine(pg_url, pool_size=2, timeouts=FAST)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "1s"
        assert conn.execute(text("SHOW lock_timeout")).scalar() == "500ms"
    assert kind_of(engine, "SELECT pg_sleep(3)") == "timeout"
    assert kind_of(engine, "SET TRANSACTION READ ONLY; DELETE FROM alembic_version") == (
        "read-only"
    )
    with engine.begin() as holder:
        holder.execute(text("SELECT * FROM alembic_version FOR UPDATE"))
        assert kind_of(engine, "SELECT * FROM alembic_version FOR UPDATE") == "locked"
    engine.dispose()


def test_a_deadlock_is_retried_once(pg_url: str) -> None:
    """Two transactions lock two rows in opposite orders. The other one checks for a
    deadlock only after 10 s, ours after PostgreSQL's 1 s, so ours is the one aborted,
    and the unit of work runs it once more (then it waits for the other to finish)."""
    engine = db.make_engine(pg_url, pool_size=4, timeouts=db.Timeouts(statement=30, lock=30))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE pair (id int PRIMARY KEY)"))
        conn.execute(text("INSERT INTO pair VALUES (1), (2)"))
    uow = UnitOfWork(engine, engine, lambda: None)
    calls: list[int] = []
    ours_holds, theirs_holds = threading.Event(), threading.Event()

    def work(session: Session) -> str:
        calls.append(1)
        session.execute(text("SELECT * FROM pair WHERE id = 1 FOR UPDATE"))
        if len(calls) == 1:
            ours_holds.set()
            theirs_holds.wait(10)
            session.execute(text("SELECT * FROM pair WHERE id = 2 FOR UPDATE"))
        return "done"

    def theirs() -> None:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL deadlock_timeout = '10s'"))
            ours_holds.wait(10)
            conn.execute(text("SELECT * FROM pair WHERE id = 2 FOR UPDATE"))
            theirs_holds.set()
            conn.execute(text("SELECT * FROM pair WHERE id = 1 FOR UPDATE"))

    other = threading.Thread(target=theirs)
    other.start()
    assert uow.write_retrying(work) == "done"
    other.join(30)
    assert len(calls) == 2
    engine.dispose()


def test_deadlock_and_integrity_errors_are_told_apart(sqlite_url: str) -> None:
    engine = db.make_engine(sqlite_url, timeouts=FAST)
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version VALUES (NULL)"))
    assert not is_deadlock(caught.value)
    engine.dispose()
