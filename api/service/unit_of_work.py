"""The unit of work: the one way the service reaches its database.

- :meth:`UnitOfWork.reading` gives a read-only session. On SQLite it runs a deferred
  transaction on a ``query_only`` connection, so a reader never waits for the writer.
- :meth:`UnitOfWork.writing` is one write transaction: committed when the block ends,
  rolled back when it raises. A change and its audit rows are added to the same
  session, so they commit together or not at all; the audit rows are appended to the
  hash chain just before the commit (:func:`~api.service.audit_chain.append_pending`).
- :meth:`UnitOfWork.write_idempotent` is a write that may lose a race on a client's id
  (two retries of one referral arriving together): the loser's insert fails with an
  ``IntegrityError`` and the work runs once more in a new transaction, where it finds
  the winner's row and answers as a retry.
- :meth:`UnitOfWork.write_retrying` is a write PostgreSQL may abort as a deadlock
  victim (or a serialisation failure): it runs once more in a new transaction. Slot rows
  are locked in one order (:func:`api.service.slots.lock_slots`), so this is rare.
- A commit that changed a table suggestions are computed from (units, capacity,
  week_load) calls ``on_suggestions_changed`` (the suggestion cache's ``invalidate``).
  The change is noticed in the session's flushes and statements, so no caller has to
  remember it; a rolled-back transaction clears nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.dml import UpdateBase

from api.service import audit_chain, db
from api.service.db_errors import is_deadlock
from api.service.db_schema import CapacityRow, UnitRow, WeekLoadRow
from api.service.settings import Settings

T = TypeVar("T")

SUGGESTION_TABLES = frozenset(row.__table__ for row in (UnitRow, CapacityRow, WeekLoadRow))
"""What a suggestion is computed from: units, their capacity and the slots held."""
CHANGED = "remiss_suggestion_tables_changed"
"""The key in ``Session.info`` set when the transaction wrote a suggestion table."""


def note_flushed_rows(session: Session, _flush: Any) -> None:
    """``after_flush``: mark the session when a flushed row is in a suggestion table."""
    rows = (*session.new, *session.dirty, *session.deleted)
    if any(getattr(row, "__table__", None) in SUGGESTION_TABLES for row in rows):
        session.info[CHANGED] = True


def note_statement(state: ORMExecuteState) -> None:
    """``do_orm_execute``: mark the session on an INSERT, UPDATE or DELETE statement on a
    suggestion table (slots are held and released with such statements)."""
    statement = state.statement
    if isinstance(statement, UpdateBase) and statement.table in SUGGESTION_TABLES:
        state.session.info[CHANGED] = True


class UnitOfWork:
    """Read and write sessions of the service's two engines (see the module text)."""

    def __init__(
        self, writer: Engine, reader: Engine, on_suggestions_changed: Callable[[], None]
    ) -> None:
        self.writer, self.reader = writer, reader
        self.writers = db.session_factory(writer)
        self.readers = db.session_factory(reader)
        self.on_suggestions_changed = on_suggestions_changed
        event.listen(self.writers, "after_flush", note_flushed_rows)
        event.listen(self.writers, "do_orm_execute", note_statement)
        event.listen(self.writers, "before_commit", audit_chain.append_pending)

    @classmethod
    def open(cls, settings: Settings, on_suggestions_changed: Callable[[], None]) -> UnitOfWork:
        """Engines for ``settings.database_url``: a writing one and a read-only one."""
        writer = db.make_engine(
            settings.database_url,
            synchronous=settings.sqlite_synchronous,
            pool_size=settings.pool_size,
            timeouts=settings.db_timeouts(),
        )
        reader = db.make_engine(
            settings.database_url,
            pool_size=settings.pool_size,
            read_only=True,
            timeouts=settings.db_timeouts(),
        )
        return cls(writer, reader, on_suggestions_changed)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session, closed when the block ends."""
        with self.readers() as session:
            yield session

    @contextmanager
    def reading_rows(self) -> Iterator[Connection]:
        """A read-only Core connection (no ORM session), closed when the block ends: for
        hot reads of a few columns (suggestions), where the ORM would cost more than the
        query."""
        with self.reader.connect() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back on error."""
        with self.writers.begin() as session:
            yield session
        if session.info.get(CHANGED):
            self.on_suggestions_changed()

    def write_idempotent(self, work: Callable[[Session], T]) -> T:
        """``work`` in a write transaction; when a concurrent transaction inserted the
        same key first, once more in a new one (``work`` must find the stored row)."""
        try:
            with self.writing() as session:
                return work(session)
        except IntegrityError:
            with self.writing() as session:
                return work(session)

    def write_retrying(self, work: Callable[[Session], T]) -> T:
        """``work`` in a write transaction; when PostgreSQL aborted it to break a
        deadlock, once more in a new one (a second abort is the caller's 503)."""
        try:
            with self.writing() as session:
                return work(session)
        except DBAPIError as exc:
            if not is_deadlock(exc):
                raise
        with self.writing() as session:
            return work(session)

    def probe_write(self) -> None:
        """A write the database must accept (the schema revision set to itself), rolled
        back: raises when the database is unreachable, locked or read-only."""
        with self.writers() as session:
            session.execute(text("UPDATE alembic_version SET version_num = version_num"))
            session.rollback()

    def close(self) -> None:
        self.writer.dispose()
        self.reader.dispose()
