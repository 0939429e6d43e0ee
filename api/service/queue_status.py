"""Queue status: who is waiting now, per unit and per specialty, and the share within
the care-guarantee limit as SKR computes it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.service.db_schema import ReferralRow
from api.service.referrals import WAITING
from api.service.schemas import StageName, StatusRow
from api.service.waiting_pauses import excluded_on, in_period

R = ReferralRow
GROUP = (
    R.specialty,
    R.stage,
    R.limit_days,
    R.clock_start,
    R.pvv_from,
    R.pvv_until,
    R.mov_from,
    R.mov_until,
    R.excluded_days,
)


def queue_status(session: Session, as_of: dt.date) -> tuple[list[StatusRow], list[StatusRow]]:
    """Waiting now per unit and per specialty, with the share waiting within the limit
    computed as SKR does: of those waiting on ``as_of`` and neither in patient-chosen
    (PVV) nor medically caused waiting (MOV), the share whose wait — calendar days since
    the clock start, PVV and MOV days left out — is no longer than their limit. A
    waiting referral counts at its booked unit, else its home unit."""
    unit = func.coalesce(R.unit_id, R.home_unit, "(unassigned)")
    groups = session.execute(
        select(*GROUP, unit.label("unit"), func.count().label("n"))
        .where(R.status.in_(WAITING), R.clock_start <= as_of)
        .group_by(*GROUP, unit)
    ).all()
    per_unit: dict[tuple[str, str, str], list[int]] = {}
    for g in groups:
        pvv = in_period(g.pvv_from, g.pvv_until, as_of)
        mov = not pvv and in_period(g.mov_from, g.mov_until, as_of)
        excluded = excluded_on(
            g.excluded_days, (g.pvv_from, g.pvv_until), (g.mov_from, g.mov_until), as_of
        )
        within = (as_of - g.clock_start).days - excluded <= g.limit_days
        for key in ((g.specialty, g.stage, g.unit), (g.specialty, g.stage, "*")):
            acc = per_unit.setdefault(key, [0, 0, 0, 0])
            acc[0] += g.n
            acc[1] += g.n if pvv else 0
            acc[2] += g.n if mov else 0
            acc[3] += g.n if within and not (pvv or mov) else 0
    rows = [
        StatusRow(
            specialty=k[0],
            stage=StageName(k[1]),
            unit=k[2],
            waiting=v[0],
            patient_chosen=v[1],
            medically_caused=v[2],
            within_guarantee=v[3],
            share_waiting_within_guarantee=(
                v[3] / (v[0] - v[1] - v[2]) if v[0] > v[1] + v[2] else None
            ),
        )
        for k, v in sorted(per_unit.items())
    ]
    return [r for r in rows if r.unit != "*"], [r for r in rows if r.unit == "*"]
