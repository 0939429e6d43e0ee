"""Remissbedömning: the assessment a received referral passes before it joins the
waiting list (see :data:`NEXT`).

A portal that assesses registers a referral with ``assessment: received``; one that
does not registers it straight as ``accepted`` (the default, as before). While in
assessment the referral's clock runs and it counts as waiting (SKR counts the wait from
the referral's arrival), but it is offered no time until accepted. Returned for
completion it stays on the clock and comes back (``received``) when completed.
Forwarded to another unit it is handed over: the receiving unit assesses it, and when
it accepts, that unit becomes its home unit. Rejected, the referral leaves the queue
(status ``withdrawn``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from api.service import history, waiting_pauses
from api.service.db_schema import ReferralRow, UnitRow
from api.service.http_problems import Problem, invalid_field
from api.service.keys import Caller
from api.service.referrals import changed, facts, for_change
from api.service.schemas import Assessment, AssessmentIn

A = Assessment
NEXT: Mapping[A, frozenset[A]] = {
    A.received: frozenset({A.accepted, A.returned_for_completion, A.rejected, A.forwarded}),
    A.returned_for_completion: frozenset({A.received, A.rejected}),
    A.forwarded: frozenset({A.accepted, A.returned_for_completion, A.rejected, A.forwarded}),
    A.accepted: frozenset(),
    A.rejected: frozenset(),
}
"""Which assessment may follow which."""


def forward(session: Session, row: ReferralRow, unit: str | None) -> None:
    """Hand the referral to ``unit`` (a known unit, not the one it is at)."""
    if unit is None:
        raise invalid_field("body.unit", "forwarded needs the receiving unit")
    if session.get(UnitRow, unit) is None:
        raise invalid_field("body.unit", "unknown unit")
    if unit == (row.forwarded_to or row.home_unit):
        raise invalid_field("body.unit", "is the unit the referral is at")
    row.forwarded_to = unit


def accept(row: ReferralRow, unit: str | None) -> None:
    """Accept the referral; a forwarded one at the receiving unit, its new home unit."""
    if row.forwarded_to is not None:
        if unit is not None and unit != row.forwarded_to:
            raise invalid_field("body.unit", "is not the unit the referral was forwarded to")
        row.home_unit, row.forwarded_to = row.forwarded_to, None
    elif unit is not None:
        raise invalid_field("body.unit", "only when forwarded (or accepting a forwarded one)")


def assess(
    session: Session, referral_id: str, body: AssessmentIn, caller: Caller, request_id: str
) -> ReferralRow:
    """One assessment step with its history and audit rows."""
    row = for_change(session, referral_id, body.version)
    old, new = A(row.assessment), body.decision
    if row.status != "waiting":
        raise Problem(409, "Conflict", f"assessment: the referral is {row.status}")
    if new not in NEXT[old]:
        raise Problem(409, "Conflict", f"assessment: cannot go from {old.value} to {new.value}")
    on = history.check_on(row, body.on)
    before = facts(row)
    if new is A.forwarded:
        forward(session, row, body.unit)
    elif new is A.accepted:
        accept(row, body.unit)
    elif body.unit is not None:
        raise invalid_field("body.unit", "only when forwarded (or accepting a forwarded one)")
    if new is A.rejected:
        row.status, row.forwarded_to = "withdrawn", None
        waiting_pauses.end_all(row, on)
    row.assessment = new.value
    detail: dict[str, Any] = {"from": before, "unit": body.unit}
    changed(session, row, f"assessment.{new.value}", on, caller, request_id, detail)
    return row
