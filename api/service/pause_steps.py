"""The request step that starts or ends a referral's PVV or MOV period
(:mod:`api.service.waiting_pauses` holds the rules), with its history and audit rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from api.service import history, waiting_pauses
from api.service.db_schema import ReferralRow
from api.service.http_problems import Problem, invalid_field
from api.service.keys import Caller
from api.service.referrals import HOLDS_SLOT, WAITING, back_to_waiting, changed, facts, for_change
from api.service.schemas import PauseIn, Status
from api.service.waiting_pauses import PauseKind


def decline_held_time(session: Session, row: ReferralRow, on: dt.date) -> None:
    """A PVV starts because the patient declines the time the referral holds (offered or
    booked) and that time is within the limit (SKR's *patientvald väntan*): the time is
    released and the referral waits again. 409 when it holds no time, or one after its
    limit (declining that is not the patient's choice to wait longer)."""
    if row.status not in HOLDS_SLOT or row.week is None:
        raise Problem(
            409,
            "Conflict",
            "pvv: patient-chosen waiting starts when the patient declines an offered or "
            f"booked time within the limit; the referral is {row.status} and holds none",
        )
    deadline = row.clock_start + dt.timedelta(days=row.limit_days)
    if row.week > deadline:
        raise Problem(
            409,
            "Conflict",
            f"pvv: the time it holds (week {row.week}) is after its limit ({deadline}); "
            "declining it is not patient-chosen waiting",
        )
    back_to_waiting(session, row, declined=False, on=on)
    row.status = Status.waiting.value


def change_pause(
    session: Session,
    referral_id: str,
    kind: PauseKind,
    body: PauseIn,
    caller: Caller,
    request_id: str,
) -> ReferralRow:
    """Start or end the ``kind`` pause on ``body.on`` (default today in Sweden)."""
    row = for_change(session, referral_id, body.version)
    if row.status not in WAITING:
        raise Problem(409, "Conflict", f"{kind.value}: the referral is {row.status}")
    on = history.check_on(row, body.on)
    before = facts(row)
    if body.action == "start":
        waiting_pauses.check_start(row, kind, on, body.until)
        if kind is PauseKind.pvv:
            decline_held_time(session, row, on)
        waiting_pauses.start(row, kind, on, body.until)
    else:
        if body.until is not None:
            raise invalid_field("body.until", "only with action start")
        waiting_pauses.end(row, kind, on)
    detail = {"from": before, "until": body.until.isoformat() if body.until else None}
    changed(session, row, f"{kind.value}.{body.action}", on, caller, request_id, detail)
    return row
