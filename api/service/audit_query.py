"""The auditor's view of the audit log: rows by referral, actor and time, in pages.

Pages follow the chain's order (row id); ``after`` is the last id of the page before
(``next_after`` of its answer), so a page never shifts while new rows are appended.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from api.service.db_schema import AuditRow

MAX_LIMIT = 500
MAX_ROW_ID = 2**31 - 1
"""The largest id the audit log's INTEGER column holds on PostgreSQL (SQLite's holds
2**63 - 1); a larger ``after`` is a 422 naming it, not a database overflow (a 500)."""
"""The most rows one page holds."""


def _iso_time(value: object) -> object:
    if isinstance(value, dt.datetime) or (
        isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ]\S+)?", value)
    ):
        return value
    raise ValueError("must be a time written in ISO 8601, e.g. 2026-12-02T08:00:00+01:00")


IsoTime = Annotated[dt.datetime, BeforeValidator(_iso_time)]
"""A moment as ISO 8601 (``2026-12-02``, ``2026-12-02T08:00:00+01:00``), not seconds."""


class AuditQuery(BaseModel):
    """What the auditor asks for (every filter optional; they combine with AND)."""

    referral: str | None = Field(None, description="Rows about this referral")
    actor: str | None = Field(None, description="Rows by this key id or this end user")
    start: dt.datetime | None = Field(None, description="From this time on (inclusive)")
    end: dt.datetime | None = Field(None, description="Before this time (exclusive)")
    after: int | None = Field(None, ge=0, le=MAX_ROW_ID, description="Rows after this id (paging)")
    limit: int = Field(100, ge=1, le=MAX_LIMIT)


class AuditEntry(BaseModel):
    """One row of the audit log."""

    id: int
    at: dt.datetime
    actor: str = Field(description="The key id ('cli' for the command line, '' if unknown)")
    end_user: str = Field(description="The end user the portal named (X-Remiss-User)")
    purpose: str = Field(description="care | follow-up | administration | audit")
    action: str = Field(description="e.g. referral.read, referral.booked, access.refused")
    entity: str
    entity_id: str
    request_id: str
    detail: dict[str, Any]
    prev_hash: str = Field(description="SHA-256 of the row before (the hash chain)")
    row_hash: str = Field(description="SHA-256 of the previous hash and this row's content")


class AuditPage(BaseModel):
    rows: list[AuditEntry]
    next_after: int | None = Field(
        description="Pass as `after` for the next page; null on the last page"
    )


def utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC (a time without a zone is taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def filtered(query: AuditQuery) -> Select[Any]:
    """The rows the query's filters select, in id order."""
    stmt = select(AuditRow).order_by(AuditRow.id)
    if query.referral is not None:
        stmt = stmt.where(AuditRow.entity == "referral", AuditRow.entity_id == query.referral)
    if query.actor is not None:
        stmt = stmt.where(or_(AuditRow.actor == query.actor, AuditRow.end_user == query.actor))
    if query.start is not None:
        stmt = stmt.where(AuditRow.at >= utc(query.start))
    if query.end is not None:
        stmt = stmt.where(AuditRow.at < utc(query.end))
    if query.after is not None:
        stmt = stmt.where(AuditRow.id > query.after)
    return stmt


def audit_page(session: Session, query: AuditQuery) -> AuditPage:
    """One page of the rows the query selects."""
    rows = list(session.scalars(filtered(query).limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return AuditPage(
        rows=[AuditEntry.model_validate(r, from_attributes=True) for r in rows],
        next_after=rows[-1].id if more else None,
    )
