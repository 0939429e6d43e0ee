"""Engine, sessions and migrations: SQLite (WAL) by default, PostgreSQL by URL.

SQLite is opened in WAL mode with ``busy_timeout`` and every transaction starts with
``BEGIN IMMEDIATE``, so writers queue for the lock instead of failing half-way; with
``synchronous=FULL`` a committed transaction survives a killed process and a power
cut. PostgreSQL runs at READ COMMITTED; the queue's writes are guarded single
statements (``UPDATE … WHERE booked < capacity``) that are atomic on both. Engines hide
SQL parameter values from their errors (``hide_parameters``): an error message or log
line never carries a value a request sent.

Every wait on the database is bounded (:class:`Timeouts`): connecting, a statement
(PostgreSQL ``statement_timeout``), a lock (PostgreSQL ``lock_timeout``; on SQLite the
in-process writer queue and then ``busy_timeout``, so a writer waits at most twice the
lock timeout). On PostgreSQL a reply that never comes (a frozen server: the kernel
takes the bytes, nothing answers) is bounded on the client too
(:class:`BoundedConnection`). A wait that runs out raises, and the service answers 503
(:mod:`api.service.db_errors`).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from psycopg.abc import PQGen
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy import exc as exc_module
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from api.service.db_errors import DatabaseUnavailable, NoReply

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Timeouts:
    """How long the service waits for its database, in seconds (0: no limit, PostgreSQL
    statements only). The defaults are those of the ``REMISS_DB_*_TIMEOUT`` settings."""

    connect: float = 3.0
    """Opening a connection (and waiting for a free one in the pool)."""
    statement: float = 6.0
    """One statement on PostgreSQL (``statement_timeout``)."""
    lock: float = 4.0
    """A row or table lock on PostgreSQL (``lock_timeout``); the write lock on SQLite."""


RV = TypeVar("RV")


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection that waits for a reply at most ``reply_timeout`` seconds.

    ``statement_timeout`` is enforced by the server, so it cannot end a wait on a
    server that no longer runs. Every wait of psycopg for its socket passes through
    :meth:`wait` (statements, commits, the pool's ping); past the bound the connection
    is closed and :class:`~api.service.db_errors.NoReply` raised, which SQLAlchemy
    takes as a lost connection (invalidated, never reused).
    """

    reply_timeout: float | None = None

    def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
        bound = timeout if timeout is not None else self.reply_timeout
        started = time.monotonic()
        try:
            return super().wait(gen, interval, bound)
        except NoReply:
            raise
        except psycopg.OperationalError:
            if timeout is not None or bound is None or time.monotonic() - started < bound:
                raise
            self.close()
            raise NoReply(f"no reply from the database within {bound:g} s") from None


MIGRATION_TIMEOUTS = Timeouts(statement=0.0, lock=30.0)
"""Migrations may run long statements and wait longer for the service's locks."""


def postgres_connect_args(t: Timeouts) -> dict[str, Any]:
    """libpq parameters bounding the connection, its statements and its lock waits."""
    options = f"-c statement_timeout={int(t.statement * 1000)} -c lock_timeout={int(t.lock * 1000)}"
    return {
        "connect_timeout": max(2, round(t.connect)),  # libpq counts whole seconds, at least 2
        "options": options,
        "tcp_user_timeout": int((t.connect + t.statement) * 1000),  # a peer gone silent
    }


def make_engine(
    url: str,
    *,
    synchronous: str = "FULL",
    pool_size: int = 20,
    read_only: bool = False,
    timeouts: Timeouts = Timeouts(),
) -> Engine:
    """An engine for ``url`` with the settings the queue's guarantees rely on
    (:func:`sqlite_engine`, :func:`postgres_engine`)."""
    if make_url(url).get_backend_name() == "sqlite":
        return sqlite_engine(url, synchronous, pool_size, read_only, timeouts)
    return postgres_engine(url, pool_size, timeouts)


def sqlite_engine(
    url: str, synchronous: str, pool_size: int, read_only: bool, timeouts: Timeouts
) -> Engine:
    """An SQLite engine in WAL mode. A ``read_only`` engine begins deferred transactions
    on ``query_only`` connections (WAL readers never wait for the writer); the writing
    engine queues its writers (:func:`queue_writers`)."""
    parsed = make_url(url)
    uri = parsed.query.get("uri") == "true"  # file:…?mode=ro&uri=true names a file URI
    if parsed.database and parsed.database != ":memory:" and not uri:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        hide_parameters=True,
        connect_args={"timeout": timeouts.lock, "check_same_thread": False},
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=timeouts.connect,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi: sqlite3.Connection, _record: Any) -> None:
        dbapi.isolation_level = None  # SQLAlchemy, not the driver, begins transactions
        cur = dbapi.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(timeouts.lock * 1000)}")
        if read_only:
            cur.execute("PRAGMA query_only=ON")
        cur.close()

    if read_only:

        @event.listens_for(engine, "begin")
        def _begin_read(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    queue_writers(engine, timeouts)
    return engine


def queue_writers(engine: Engine, timeouts: Timeouts) -> None:
    """Writers begin ``IMMEDIATE`` after taking an in-process lock first, so that they
    wait their turn in order instead of in SQLite's sleeping busy handler (which gives
    long tails); a writer queued longer than the lock timeout gives up (503)."""
    lock = threading.Lock()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if not lock.acquire(timeout=timeouts.lock):
            raise DatabaseUnavailable("locked", "writers are queued longer than the lock timeout")
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


PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled PostgreSQL connection idle this long is pinged before it is handed out."""


def ping_idle_connections(engine: Engine, after: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Ping a connection at checkout only when it sat in the pool longer than ``after``
    seconds. SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one more round trip
    and about 0.1 ms of CPU per request on a busy service, whose connections are never
    idle long enough to have been closed. A connection a restart closed has been idle
    (or its failure invalidates the whole pool, :mod:`api.service.db_errors` answering
    that request 503), so the ping still finds it; a failed ping makes the pool open a
    fresh connection (``DisconnectionError``)."""

    @event.listens_for(engine, "checkin")
    def _stamp(_dbapi: Any, record: Any) -> None:
        record.info["remiss_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("remiss_idle_since")
        if since is None or time.monotonic() - since < after:
            return
        try:
            with dbapi.cursor() as cur:
                cur.execute("SELECT 1")
            dbapi.rollback()  # the ping's implicit transaction
        except Exception as exc:
            raise exc_module.DisconnectionError("a pooled connection was closed") from exc


def postgres_engine(url: str, pool_size: int, timeouts: Timeouts) -> Engine:
    """A PostgreSQL engine whose connections, statements, locks and replies are bounded
    by ``timeouts``, pooled for a busy service: ``pool_size`` connections kept open and
    as many again opened under a burst (``max_overflow``), handed out most recently used
    first (``pool_use_lifo``: the hot few stay warm, the rest idle), a wait for a free
    one bounded by the connect timeout, and a ping only for a connection idle longer than
    :data:`PING_AFTER_IDLE_SECONDS` (:func:`ping_idle_connections`) instead of at every
    checkout."""
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_use_lifo=True,
        hide_parameters=True,
        pool_timeout=timeouts.connect,
        connect_args=postgres_connect_args(timeouts),
    )
    ping_idle_connections(engine)
    if make_url(url).get_driver_name() == "psycopg" and timeouts.statement > 0:

        @event.listens_for(engine, "do_connect")
        def _bounded(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> BoundedConnection:
            conn = BoundedConnection.connect(*cargs, **cparams)
            conn.reply_timeout = timeouts.statement + timeouts.connect
            return conn

    return engine


def check_reachable(url: str, timeouts: Timeouts) -> str | None:
    """Connect once and ask ``SELECT 1``; the Alembic revision the database is at, read
    on that connection (None before the first migration). Raises the driver's error
    (SQLAlchemy's ``OperationalError``) within about ``timeouts.connect`` seconds when it
    cannot connect."""
    engine = make_engine(url, pool_size=1, timeouts=timeouts)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


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
