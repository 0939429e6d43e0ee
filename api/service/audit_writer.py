"""Group commit for the audit rows of suggestions.

A suggestion changes nothing but must be audited. Writing its row in a transaction of
its own costs one commit (one fsync) per suggestion and makes every suggestion a writer.
Instead each request hands its row to this writer and waits until the row is committed;
the writer inserts all rows waiting at that moment in one transaction. A suggestion is
answered only after its audit row is durable, at the price of one shared commit.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from api.service.db_schema import AuditRow
from api.service.http_problems import Problem

BATCH = 1_000
WAIT_SECONDS = 30.0


class _Pending:
    __slots__ = ("done", "error", "row")

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.done = threading.Event()
        self.error: BaseException | None = None


class AuditWriter:
    """One background thread committing audit rows in batches."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="remiss-audit", daemon=True)
        self._thread.start()

    def write(self, row: dict[str, Any]) -> None:
        """Insert ``row`` (AuditRow columns); returns once it is committed."""
        pending = _Pending(row)
        self._queue.put(pending)
        if not pending.done.wait(WAIT_SECONDS):
            raise Problem(503, "Service unavailable", "the audit log is not being written")
        if pending.error is not None:
            raise pending.error

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            try:
                with self.sessions.begin() as s:
                    s.execute(insert(AuditRow), [p.row for p in batch])
            except Exception as exc:  # every waiting request gets the error
                for p in batch:
                    p.error = exc
            for p in batch:
                p.done.set()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(10)
