"""The audit log: who did what, when — every change, every read of patient-level data
(suggestions included) and every refused attempt.

Each row names the key (``actor``), the end user the portal named (``end_user``, the
``X-Remiss-User`` header), the purpose of the route and the request id. Rows are
appended to a hash chain (:mod:`api.service.audit_chain`).

A change writes its row with :func:`record`, in the transaction of the change itself,
so the two commit together or not at all.

A read changes nothing but must be audited. Writing its row in a transaction of its
own costs one commit (one fsync) per read and makes every read a writer. Instead each
request hands its row to the :class:`AuditWriter` and waits until the row is committed;
the writer appends all rows waiting at that moment in one transaction. A read is
answered only after its audit row is durable, at the price of one shared commit.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from sqlalchemy.orm import Session

from api.service import audit_chain
from api.service.db_schema import utcnow
from api.service.http_problems import Problem
from api.service.keys import Caller
from api.service.unit_of_work import UnitOfWork

BATCH = 1_000
WAIT_SECONDS = 30.0


def audit_row(
    caller: Caller,
    request_id: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of one audit row, stamped now."""
    return {
        "at": utcnow(),
        "actor": caller.key_id,
        "end_user": caller.end_user,
        "purpose": caller.purpose,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "request_id": request_id,
        "detail": detail or {},
    }


def record(
    session: Session,
    caller: Caller,
    request_id: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit row, in the same transaction as the change it describes."""
    audit_chain.add(session, audit_row(caller, request_id, action, entity, entity_id, detail))


class _Pending:
    __slots__ = ("done", "error", "row")

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.done = threading.Event()
        self.error: BaseException | None = None


class AuditWriter:
    """One background thread committing audit rows in batches."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="remiss-audit", daemon=True)
        self._thread.start()

    def write(self, row: dict[str, Any]) -> None:
        """Insert ``row`` (:func:`audit_row`); returns once it is committed."""
        pending = _Pending(row)
        self._queue.put(pending)
        if not pending.done.wait(WAIT_SECONDS):
            raise Problem(503, "Service unavailable", "the audit log is not being written")
        if pending.error is not None:
            raise pending.error

    def _next_batch(self, first: _Pending) -> list[_Pending]:
        """``first`` and the rows waiting behind it (up to :data:`BATCH`)."""
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
        return batch

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = self._next_batch(first)
            try:
                with self.uow.writing() as s:
                    audit_chain.append(s, [p.row for p in batch])
            except Exception as exc:  # every waiting request gets the error
                for p in batch:
                    p.error = exc
            for p in batch:
                p.done.set()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(10)
