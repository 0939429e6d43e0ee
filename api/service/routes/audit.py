"""``GET /v1/audit``: the audit log for auditors (paged; reading it is audited too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.service import service_layer
from api.service.audit_query import MAX_LIMIT, MAX_ROW_ID, AuditPage, AuditQuery, IsoTime
from api.service.deps import Auditor, St, request_id, v1_router

router = v1_router(tags=["audit"])


@router.get("/audit", response_model=AuditPage)
def read_audit(
    caller: Auditor,
    st: St,
    referral: Annotated[
        str | None, Query(max_length=128, description="Rows about this referral id")
    ] = None,
    actor: Annotated[
        str | None, Query(max_length=128, description="Rows by this key id or end user")
    ] = None,
    start: Annotated[
        IsoTime | None,
        Query(alias="from", description="From this time on, inclusive (ISO 8601; UTC if no zone)"),
    ] = None,
    end: Annotated[
        IsoTime | None,
        Query(alias="to", description="Before this time, exclusive (ISO 8601; UTC if no zone)"),
    ] = None,
    after: Annotated[
        int | None,
        Query(ge=0, le=MAX_ROW_ID, description="The `next_after` of the page before"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page")] = 100,
) -> AuditPage:
    """Rows of the audit log in chain order, filtered by referral, actor (key or end
    user) and time; at most ``limit`` (≤ 500) per page, then ``next_after``."""
    query = AuditQuery(
        referral=referral, actor=actor, start=start, end=end, after=after, limit=limit
    )
    return service_layer.read_audit(st, query, caller, request_id())
