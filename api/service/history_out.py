"""A referral's history as the API shows it (``GET /v1/referrals/{id}/history``)."""

from __future__ import annotations

from collections.abc import Sequence

from api.service.db_schema import ReferralHistoryRow
from api.service.referrals import pause_out
from api.service.schemas import Assessment, HistoryEntry, ReferralHistory, Status


def entry_out(h: ReferralHistoryRow) -> HistoryEntry:
    return HistoryEntry(
        seq=h.seq,
        on=h.on_day,
        change=h.change,
        status=Status(h.status),
        assessment=Assessment(h.assessment),
        home_unit=h.home_unit,
        forwarded_to=h.forwarded_to,
        unit=h.unit_id,
        week=h.week,
        pvv=pause_out(h.pvv_from, h.pvv_until),
        mov=pause_out(h.mov_from, h.mov_until),
        excluded_days=h.excluded_days,
        completed_on=h.completed_on,
        at=h.at,
    )


def history_out(referral_id: str, rows: Sequence[ReferralHistoryRow]) -> ReferralHistory:
    return ReferralHistory(referral_id=referral_id, entries=[entry_out(h) for h in rows])
