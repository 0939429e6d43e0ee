"""The request step that starts or ends a referral's PVV or MOV period
(:mod:`api.service.waiting_pauses` holds the rules), with its history and audit rows."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.service import history, waiting_pauses
from api.service.db_schema import ReferralRow
from api.service.http_problems import Problem, invalid_field
from api.service.keys import Caller
from api.service.referrals import WAITING, changed, facts, for_change
from api.service.schemas import PauseIn
from api.service.waiting_pauses import PauseKind


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
        waiting_pauses.start(row, kind, on, body.until)
    else:
        if body.until is not None:
            raise invalid_field("body.until", "only with action start")
        waiting_pauses.end(row, kind, on)
    detail = {"from": before, "until": body.until.isoformat() if body.until else None}
    changed(session, row, f"{kind.value}.{body.action}", on, caller, request_id, detail)
    return row
