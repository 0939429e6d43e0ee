"""Counts from the referral history over a span of days, for estimating a forecast's
rates (arrivals per area and week, returned share, no-show and withdrawal rates).

Counts only; the estimate (a rate and how much history it rests on) is the caller's.
A change counts in the span when its business date ``on`` lies in it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.service.db_schema import ReferralHistoryRow, ReferralRow
from api.service.history import WAITING, timelines
from api.service.weeks import monday, today

H = ReferralHistoryRow


@dataclass(frozen=True)
class HistoryCounts:
    """What happened to the referrals of one specialty and stage from ``from_day`` to
    ``to_day`` (both included)."""

    specialty: str
    stage: str
    from_day: dt.date
    to_day: dt.date
    first_record: dt.date | None
    """The earliest change of this specialty and stage in the database (any date)."""
    arrivals: dict[str, dict[str, int]] = field(default_factory=dict)
    """area → week (its Monday, ISO date) → referrals whose clock started that week."""
    registered: int = 0
    """Referrals registered in the span."""
    changes: dict[str, int] = field(default_factory=dict)
    """Changes in the span by name: booked, completed, withdrawn, declined, no_show,
    assessment.accepted, assessment.returned_for_completion, pvv.start, mov.start, ..."""
    waiting_days: int = 0
    """Referral-days spent waiting (status waiting, offered or booked) in the span."""

    @property
    def days(self) -> int:
        return (self.to_day - self.from_day).days + 1

    @property
    def weeks(self) -> float:
        return self.days / 7

    def count(self, change: str) -> int:
        return self.changes.get(change, 0)

    @property
    def completed(self) -> int:
        return self.count("completed")

    @property
    def withdrawn(self) -> int:
        return self.count("withdrawn")

    @property
    def no_shows(self) -> int:
        return self.count("no_show")

    @property
    def assessed(self) -> int:
        """Assessment decisions taken (accepted, returned, rejected, forwarded)."""
        return sum(
            self.count(f"assessment.{d}")
            for d in ("accepted", "returned_for_completion", "rejected", "forwarded")
        )

    @property
    def returned_share(self) -> float | None:
        """Of the assessment decisions, the share returned for completion."""
        n = self.assessed
        return self.count("assessment.returned_for_completion") / n if n else None

    @property
    def no_show_rate(self) -> float | None:
        """Of the booked times that came (completed) or were missed, the share missed."""
        n = self.completed + self.no_shows
        return self.no_shows / n if n else None

    @property
    def withdrawal_rate_per_week(self) -> float | None:
        """Withdrawals per referral-week waiting."""
        return self.withdrawn / (self.waiting_days / 7) if self.waiting_days else None


def arrivals(
    session: Session, specialty: str, stage: str, from_day: dt.date, to_day: dt.date
) -> dict[str, dict[str, int]]:
    """area → week → referrals whose clock started in the span (registered by ``to_day``)."""
    registered = select(H.referral_id).where(H.seq == 1, H.on_day <= to_day)
    rows = session.execute(
        select(ReferralRow.area, ReferralRow.clock_start).where(
            ReferralRow.specialty == specialty,
            ReferralRow.stage == stage,
            ReferralRow.clock_start >= from_day,
            ReferralRow.clock_start <= to_day,
            ReferralRow.id.in_(registered),
        )
    ).all()
    out: dict[str, Counter[str]] = {}
    for area, clock_start in rows:
        out.setdefault(area, Counter())[monday(clock_start).isoformat()] += 1
    return {a: dict(sorted(c.items())) for a, c in sorted(out.items())}


def waiting_days(session: Session, specialty: str, stage: str, a: dt.date, b: dt.date) -> int:
    """Referral-days waiting from ``a`` to ``b`` (both included), from the history."""
    total = 0
    for t in timelines(session, specialty, stage, b):
        for i, h in enumerate(t.rows):
            if h.status not in WAITING:
                continue
            start = max(t.days[i], a)
            end = min(t.days[i + 1] - dt.timedelta(days=1) if i + 1 < len(t.rows) else b, b)
            total += max(0, (end - start).days + 1)
    return total


def history_counts(
    session: Session, specialty: str, stage: str, from_day: dt.date, to_day: dt.date
) -> HistoryCounts:
    """The counts of :class:`HistoryCounts` for ``specialty`` and ``stage``; ValueError
    when ``to_day`` is after today (no history yet) or before ``from_day``."""
    if to_day > today():
        raise ValueError(f"to_day: is in the future ({to_day.isoformat()})")
    if to_day < from_day:
        raise ValueError("to_day: is before from_day")
    span = (H.specialty == specialty, H.stage == stage)
    first = session.scalar(select(func.min(H.on_day)).where(*span))
    changes = dict(
        session.execute(
            select(H.change, func.count())
            .where(*span, H.on_day >= from_day, H.on_day <= to_day)
            .group_by(H.change)
        ).all()
    )
    return HistoryCounts(
        specialty=specialty,
        stage=stage,
        from_day=from_day,
        to_day=to_day,
        first_record=first,
        arrivals=arrivals(session, specialty, stage, from_day, to_day),
        registered=int(changes.get("registered", 0)),
        changes={str(k): int(v) for k, v in sorted(changes.items())},
        waiting_days=waiting_days(session, specialty, stage, from_day, to_day),
    )
