"""The live queue per priority group, counted as :mod:`api.service.queue_status` counts
it per unit (the same SKR share: of those waiting, patient-chosen waiting excluded, the
share who have waited no longer than their limit, in calendar days)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.service.db_schema import ReferralRow
from api.service.referrals import WAITING


@dataclass(frozen=True)
class PriorityRow:
    specialty: str
    stage: str
    priority: str
    waiting: int
    patient_chosen: int
    within_guarantee: int

    @property
    def share_within(self) -> float | None:
        """SKR's share waiting within the limit (PVV excluded); None when nobody counts."""
        counted = self.waiting - self.patient_chosen
        return self.within_guarantee / counted if counted > 0 else None


def by_priority(session: Session, as_of: dt.date) -> list[PriorityRow]:
    """Waiting now per specialty, stage and priority group."""
    groups = session.execute(
        select(
            ReferralRow.specialty,
            ReferralRow.stage,
            ReferralRow.priority,
            ReferralRow.patient_chosen,
            ReferralRow.limit_days,
            ReferralRow.clock_start,
            func.count().label("n"),
        )
        .where(ReferralRow.status.in_(WAITING), ReferralRow.clock_start <= as_of)
        .group_by(
            ReferralRow.specialty,
            ReferralRow.stage,
            ReferralRow.priority,
            ReferralRow.patient_chosen,
            ReferralRow.limit_days,
            ReferralRow.clock_start,
        )
    ).all()
    acc: dict[tuple[str, str, str], list[int]] = {}
    for g in groups:
        counts = acc.setdefault((g.specialty, g.stage, g.priority), [0, 0, 0])
        counts[0] += g.n
        if g.patient_chosen:
            counts[1] += g.n
        elif (as_of - g.clock_start).days <= g.limit_days:
            counts[2] += g.n
    return [PriorityRow(*k, *v) for k, v in sorted(acc.items())]
