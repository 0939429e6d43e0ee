"""The audit log as a hash chain: each row carries the SHA-256 of the row before it.

A row's ``row_hash`` is the SHA-256 of the previous row's ``row_hash`` (64 zeros for the
first row, :data:`GENESIS`) and the row's content written as canonical JSON (sorted
keys, the time in UTC to the microsecond). The ``audit_chain`` table holds the chain's
end (last id and hash). Changing, removing or inserting a row anywhere breaks the
chain, and :func:`verify` names the first row where it breaks; removing rows from the
end leaves the chain short of its recorded end, which :func:`verify` reports too.

Rows are appended only by :func:`append`, which locks the chain's end for the rest of
the transaction (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the writer already
holds the database's write lock), so two transactions can never both extend the same
row. A request's change adds its rows with :func:`add`; the unit of work appends them
just before the commit (:func:`append_pending`, a ``before_commit`` listener), so the
chain's lock is the last lock a transaction takes and is held only for the inserts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from api.service.db_schema import AuditChainRow, AuditRow

GENESIS = "0" * 64
"""The ``prev_hash`` of the first row."""
HASHED = (
    "at",
    "actor",
    "end_user",
    "purpose",
    "action",
    "entity",
    "entity_id",
    "request_id",
    "detail",
)
"""The columns a row's hash covers (all but its id and the hashes)."""
PENDING = "remiss_audit_rows"
"""The key in ``Session.info`` of the rows :func:`add` holds until the commit."""


def canonical(row: Mapping[str, Any]) -> bytes:
    """A row's content as canonical JSON bytes."""
    doc = {name: row[name] for name in HASHED}
    at: dt.datetime = doc["at"]
    doc["at"] = at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of the previous row's hash and this row's content."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(row)).hexdigest()


def content(row: AuditRow) -> dict[str, Any]:
    """The hashed columns of a stored row."""
    return {name: getattr(row, name) for name in HASHED}


CHAIN_END = (
    select(AuditChainRow.last_hash).where(AuditChainRow.id == bindparam("chain")).with_for_update()
)
LAST_ID = select(func.max(AuditRow.id))
MOVE_END = (
    update(AuditChainRow)
    .where(AuditChainRow.id == bindparam("chain"))
    .values(last_id=bindparam("new_id"), last_hash=bindparam("new_hash"))
)
INSERT_ROWS = insert(cast(Table, AuditRow.__table__))
"""The append's statements, built once; run as Core statements on the session's
connection (in its transaction): the ORM adds nothing to rows that are only inserted,
and the audit writer appends a batch for every few reads."""


def append(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (the columns of :data:`HASHED`) at the end of the chain, holding
    the chain's lock until the transaction ends."""
    if not rows:
        return
    conn = session.connection()
    prev = conn.execute(CHAIN_END, {"chain": 1}).scalar_one()
    stamped = []
    for row in rows:
        digest = row_hash(prev, row)
        stamped.append({**row, "prev_hash": prev, "row_hash": digest})
        prev = digest
    conn.execute(INSERT_ROWS, stamped)
    last_id = conn.execute(LAST_ID).scalar()
    conn.execute(MOVE_END, {"chain": 1, "new_id": last_id, "new_hash": prev})


def add(session: Session, row: Mapping[str, Any]) -> None:
    """Hold ``row`` for the transaction; it is appended just before the commit."""
    session.info.setdefault(PENDING, []).append(dict(row))


def append_pending(session: Session) -> None:
    """``before_commit``: append the rows :func:`add` held for this transaction."""
    append(session, session.info.pop(PENDING, []))


@dataclass(frozen=True)
class Verdict:
    """What :func:`verify` found: the rows checked and the first break, if any."""

    rows: int
    broken_row: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_row is None and not self.reason


def verify(session: Session) -> Verdict:
    """Walk the chain in id order and name the first row where it breaks."""
    prev, last_id, count = GENESIS, 0, 0
    stmt = select(AuditRow).order_by(AuditRow.id).execution_options(yield_per=1000)
    for row in session.scalars(stmt):
        if row.prev_hash != prev:
            return Verdict(count, row.id, "does not follow the row before it (prev_hash)")
        if row_hash(prev, content(row)) != row.row_hash:
            return Verdict(count, row.id, "its content does not match its hash")
        prev, last_id, count = row.row_hash, row.id, count + 1
    end = session.get(AuditChainRow, 1)
    if end is None:
        return Verdict(count, None, "the chain's end (audit_chain) is missing")
    if (end.last_id, end.last_hash) != (last_id, prev):
        return Verdict(count, last_id or None, f"rows after it are missing (end {end.last_id})")
    return Verdict(count)
