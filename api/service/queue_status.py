"""Queue status: who is waiting now, per unit and per specialty, and the share within
the care-guarantee limit as SKR computes it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.service.db_schema import ReferralRow
from api.service.referrals import WAITING
from api.service.schemas import StageName, StatusRow


def queue_status(session: Session, as_of: dt.date) -> tuple[list[StatusRow], list[StatusRow]]:
    """Waiting now per unit and per specialty, with the share waiting within the limit
    computed as SKR does: of those waiting (PVV excluded), waited ≤ their limit in
    calendar days. A waiting referral counts at its booked unit, else its home unit."""
    unit = func.coalesce(ReferralRow.unit_id, ReferralRow.home_unit, "(unassigned)")
    groups = session.execute(
        select(
            ReferralRow.specialty,
            ReferralRow.stage,
            unit.label("unit"),
            ReferralRow.patient_chosen,
            ReferralRow.limit_days,
            ReferralRow.clock_start,
            func.count().label("n"),
        )
        .where(ReferralRow.status.in_(WAITING), ReferralRow.clock_start <= as_of)
        .group_by(
            ReferralRow.specialty,
            ReferralRow.stage,
            unit,
            ReferralRow.patient_chosen,
            ReferralRow.limit_days,
            ReferralRow.clock_start,
        )
    ).all()
    per_unit: dict[tuple[str, str, str], list[int]] = {}
    for g in groups:
        for key in ((g.specialty, g.stage, g.unit), (g.specialty, g.stage, "*")):
            acc = per_unit.setdefault(key, [0, 0, 0])
            acc[0] += g.n
            if g.patient_chosen:
                acc[1] += g.n
            elif (as_of - g.clock_start).days <= g.limit_days:
                acc[2] += g.n
    rows = [
        StatusRow(
            specialty=k[0],
            stage=StageName(k[1]),
            unit=k[2],
            waiting=v[0],
            patient_chosen=v[1],
            within_guarantee=v[2],
            share_waiting_within_guarantee=(v[2] / (v[0] - v[1])) if v[0] > v[1] else None,
        )
        for k, v in sorted(per_unit.items())
    ]
    return [r for r in rows if r.unit != "*"], [r for r in rows if r.unit == "*"]
