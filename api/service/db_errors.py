"""When the database is gone, locked, read-only or too slow: a 503 with ``Retry-After``.

SQLAlchemy wraps the driver's error (``sqlite3`` or ``psycopg``) in ``.orig``; what it
means for a caller is read from SQLite's error name or PostgreSQL's SQLSTATE and named
by one word (:data:`KINDS`). One exception handler (:func:`install`) answers each of
them with a problem document and ``Retry-After``; any other database error stays a 500.
A 503 means nothing was changed: the transaction was rolled back or never began.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.service.http_problems import problem_response

log = logging.getLogger("remiss.api")

KINDS = {
    "unreachable": "the database cannot be reached",
    "locked": "the database is locked by another writer",
    "read-only": "the database is read-only",
    "timeout": "the database did not answer in time",
    "busy": "the database is busy (connections taken or transactions in conflict)",
}
"""What a 503 says, per kind of unavailability."""

SQLITE_KINDS = {
    "SQLITE_BUSY": "locked",
    "SQLITE_LOCKED": "locked",
    "SQLITE_READONLY": "read-only",
    "SQLITE_CANTOPEN": "unreachable",
    "SQLITE_IOERR": "unreachable",
    "SQLITE_FULL": "unreachable",
}
"""SQLite primary error names (extended names start with these: ``SQLITE_BUSY_SNAPSHOT``)."""

SQLSTATE_KINDS = {
    "08": "unreachable",  # connection exception (class)
    "57P01": "unreachable",  # admin shutdown
    "57P02": "unreachable",  # crash shutdown
    "57P03": "unreachable",  # cannot connect now (starting, or in recovery)
    "53": "busy",  # insufficient resources (class): too many connections, disk full
    "57014": "timeout",  # query canceled: statement_timeout
    "55P03": "locked",  # lock not available: lock_timeout
    "25006": "read-only",  # read-only SQL transaction (a standby or read-only database)
    "40P01": "busy",  # deadlock detected (after the unit of work's retry)
    "40001": "busy",  # serialization failure
}
"""PostgreSQL SQLSTATE codes (five characters) and classes (two) that mean "retry later"."""

DEADLOCK_SQLSTATES = frozenset({"40P01", "40001"})


class NoReply(psycopg.OperationalError):
    """PostgreSQL did not reply within the bound (a frozen server or a silent network);
    the connection was closed, as its protocol state is lost."""


class DatabaseUnavailable(Exception):
    """The database cannot serve this request now (``kind`` one of :data:`KINDS`)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail or KINDS[kind])
        self.kind = kind


def driver_error(exc: BaseException) -> BaseException:
    """The driver's own error behind a SQLAlchemy one."""
    return exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc


def sqlstate(exc: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of ``exc`` (None for SQLite and for no answer at all)."""
    code = getattr(driver_error(exc), "sqlstate", None)
    return code if isinstance(code, str) else None


def unavailable_kind(exc: BaseException) -> str | None:
    """The kind of unavailability ``exc`` reports (:data:`KINDS`), None for other errors."""
    if isinstance(exc, DatabaseUnavailable):
        return exc.kind
    if isinstance(exc, PoolTimeout):
        return "busy"
    if not isinstance(exc, DBAPIError):
        return None
    orig = driver_error(exc)
    if isinstance(orig, NoReply):
        return "timeout"
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        return next((k for n, k in SQLITE_KINDS.items() if name.startswith(n)), None)
    code = sqlstate(exc)
    if code is not None:
        return SQLSTATE_KINDS.get(code) or SQLSTATE_KINDS.get(code[:2])
    if exc.connection_invalidated or isinstance(orig, psycopg.OperationalError):
        return "unreachable"  # psycopg: refused, timed out, closed; no SQLSTATE
    return None


def is_deadlock(exc: BaseException) -> bool:
    """A transaction PostgreSQL chose to abort so another could go on (retry it)."""
    return isinstance(exc, DBAPIError) and sqlstate(exc) in DEADLOCK_SQLSTATES


def one_line(exc: BaseException) -> str:
    """The driver's message on one line (psycopg's run over several)."""
    return " ".join(str(driver_error(exc)).split()) or type(exc).__name__


def install(app: FastAPI, retry_after_seconds: int) -> None:
    """Answer an unavailable database with 503 and ``Retry-After`` on ``app``."""

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        kind = unavailable_kind(exc)
        if kind is None:
            log.exception("unexpected database error", extra={"kind": type(exc).__name__})
            return problem_response(request, 500, "Internal error", "see the server log")
        log.warning("database unavailable: %s", kind, extra={"reason": one_line(exc)})
        headers = {"Retry-After": str(retry_after_seconds)}
        detail = f"{KINDS[kind]}; retry later"
        return problem_response(request, 503, "Service unavailable", detail, headers=headers)

    handler: Any = unavailable
    for exc_class in (DBAPIError, PoolTimeout, DatabaseUnavailable):
        app.add_exception_handler(exc_class, handler)
