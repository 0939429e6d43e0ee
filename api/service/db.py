"""Engine, sessions and migrations: SQLite (WAL) by default, PostgreSQL by URL.

SQLite is opened in WAL mode with ``busy_timeout`` and every transaction starts with
``BEGIN IMMEDIATE``, so writers queue for the lock instead of failing half-way; with
``synchronous=FULL`` a committed transaction survives a killed process and a power
cut. PostgreSQL runs at READ COMMITTED; the queue's writes are guarded single
statements (``UPDATE … WHERE booked < capacity``) that are atomic on both. Engines hide
SQL parameter values from their errors (``hide_parameters``): an error message or log
line never carries a value a request sent.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(
    url: str, *, synchronous: str = "FULL", pool_size: int = 20, read_only: bool = False
) -> Engine:
    """An engine for ``url`` with the settings the queue's guarantees rely on.

    On SQLite a ``read_only`` engine begins deferred transactions on ``query_only``
    connections (WAL readers never wait for the writer); the writing engine begins
    ``IMMEDIATE`` and queues its threads on a lock first, so that writers wait their
    turn in order instead of in SQLite's sleeping busy handler (which gives long tails).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            hide_parameters=True,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi: sqlite3.Connection, _record: Any) -> None:
            dbapi.isolation_level = None  # SQLAlchemy, not the driver, begins transactions
            cur = dbapi.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            if read_only:
                cur.execute("PRAGMA query_only=ON")
            cur.close()

        if read_only:

            @event.listens_for(engine, "begin")
            def _begin_read(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN")

            return engine

        lock = threading.Lock()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            lock.acquire()
            conn.info["remiss_write_lock"] = True
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _end(conn)
                raise

        def _end(conn: Any, finish: str | None = None) -> None:
            # Finish the transaction here, then let the next writer in: SQLAlchemy's own
            # commit/rollback that follows finds no open transaction (a no-op in sqlite3).
            try:
                if finish is not None and conn.info.get("remiss_write_lock"):
                    getattr(conn.connection.dbapi_connection, finish)()
            finally:
                if conn.info.pop("remiss_write_lock", False):
                    lock.release()

        event.listen(engine, "commit", lambda conn: _end(conn, "commit"))
        event.listen(engine, "rollback", lambda conn: _end(conn, "rollback"))
        return engine
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, hide_parameters=True
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose rows stay readable after the commit (``expire_on_commit=False``)."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Create or migrate the database schema to ``revision`` (Alembic)."""
    command.upgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None before the first migration)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
