"""The referral history: every state change with its business date, and the queue on
any past day reconstructed from it alone.

Each change writes one :class:`~api.service.db_schema.ReferralHistoryRow` — the
referral's state after the change, dated ``on`` (given by the client, default today in
Sweden) — in the transaction of the change and its audit row (:func:`record`). ``on``
is never in the future and never before the referral's previous change
(:func:`check_on`), so a referral's rows are ordered by date as by ``seq``, and its state
on day D is its last row dated D or earlier: what the service had at the end of D.

:func:`queue_on` lists the referrals waiting on a day (one query); :func:`realised_weeks`
gives the weekly queue and breaches over a span (the back-test's realised values).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from api.service.db_schema import ReferralHistoryRow, ReferralRow
from api.service.http_problems import invalid_field
from api.service.waiting_pauses import excluded_on, in_period
from api.service.weeks import monday, today

WAITING = ("waiting", "offered", "booked")
"""The statuses of a referral still waiting for care (as :data:`referrals.WAITING`)."""
H = ReferralHistoryRow


def check_on(row: ReferralRow | None, on: dt.date | None, field: str = "body.on") -> dt.date:
    """The change's business date: ``on``, or today in Sweden; 422 naming ``field`` when
    it is in the future, before the referral's clock start or before its previous
    change."""
    day = on if on is not None else today()
    if day > today():
        raise invalid_field(field, "is in the future")
    if row is not None and day < row.clock_start:
        raise invalid_field(
            field, f"is before the referral's clock start ({row.clock_start.isoformat()})"
        )
    if row is not None and row.changed_on is not None and day < row.changed_on:
        raise invalid_field(
            field, f"is before the referral's previous change ({row.changed_on.isoformat()})"
        )
    return day


def record(session: Session, row: ReferralRow, change: str, on: dt.date, actor: str) -> None:
    """Write the referral's state after ``change`` (its version is the row's ``seq``)."""
    row.changed_on = on
    row.patient_chosen = in_period(row.pvv_from, row.pvv_until, on)
    session.add(
        ReferralHistoryRow(
            referral_id=row.id,
            seq=row.version,
            on_day=on,
            change=change,
            specialty=row.specialty,
            stage=row.stage,
            status=row.status,
            assessment=row.assessment,
            home_unit=row.home_unit,
            forwarded_to=row.forwarded_to,
            unit_id=row.unit_id,
            week=row.week,
            pvv_from=row.pvv_from,
            pvv_until=row.pvv_until,
            mov_from=row.mov_from,
            mov_until=row.mov_until,
            excluded_days=row.excluded_days,
            completed_on=row.completed_on,
            actor=actor,
        )
    )


@dataclass(frozen=True)
class WaitingOnDay:
    """A referral waiting on ``day``, as the service had it at the end of that day."""

    id: str
    specialty: str
    stage: str
    area: str
    priority: str
    limit_days: int
    clock_start: dt.date
    home_unit: str | None
    unit: str | None
    """The unit of its offered or booked time (None while it has none)."""
    week: dt.date | None
    """The Monday of its offered or booked time."""
    status: str
    """waiting | offered | booked"""
    assessment: str
    """accepted, or still in assessment: received | returned_for_completion | forwarded"""
    forwarded_to: str | None
    pvv_from: dt.date | None
    pvv_until: dt.date | None
    mov_from: dt.date | None
    mov_until: dt.date | None
    excluded_days: int
    """PVV and MOV days passed by ``day`` (not counted as waiting by SKR)."""
    day: dt.date

    @property
    def list_unit(self) -> str | None:
        """The unit whose list it is on: its offered/booked unit, else its home unit."""
        return self.unit if self.unit is not None else self.home_unit

    @property
    def in_pvv(self) -> bool:
        return in_period(self.pvv_from, self.pvv_until, self.day)

    @property
    def in_mov(self) -> bool:
        return in_period(self.mov_from, self.mov_until, self.day)

    @property
    def waited_days(self) -> int:
        """Calendar days since the clock start (PVV and MOV included)."""
        return (self.day - self.clock_start).days

    @property
    def counted_days(self) -> int:
        """Days waited as SKR counts them: PVV and MOV days left out."""
        return self.waited_days - self.excluded_days


@dataclass(frozen=True)
class Fixed:
    """What a change never alters: the referral's own facts."""

    area: str
    priority: str
    limit_days: int
    clock_start: dt.date


def waiting_on_day(h: ReferralHistoryRow, fixed: Fixed, day: dt.date) -> WaitingOnDay:
    pvv, mov = (h.pvv_from, h.pvv_until), (h.mov_from, h.mov_until)
    return WaitingOnDay(
        id=h.referral_id,
        specialty=h.specialty,
        stage=h.stage,
        area=fixed.area,
        priority=fixed.priority,
        limit_days=fixed.limit_days,
        clock_start=fixed.clock_start,
        home_unit=h.home_unit,
        unit=h.unit_id,
        week=h.week,
        status=h.status,
        assessment=h.assessment,
        forwarded_to=h.forwarded_to,
        pvv_from=h.pvv_from,
        pvv_until=h.pvv_until,
        mov_from=h.mov_from,
        mov_until=h.mov_until,
        excluded_days=excluded_on(h.excluded_days, pvv, mov, day),
        day=day,
    )


FIXED = (ReferralRow.area, ReferralRow.priority, ReferralRow.limit_days, ReferralRow.clock_start)


def queue_on(session: Session, specialty: str, stage: str, day: dt.date) -> list[WaitingOnDay]:
    """The referrals of ``specialty`` and ``stage`` waiting on ``day`` — status waiting,
    offered or booked at the end of that day — from the history alone, ordered by id."""
    latest = (
        select(H.referral_id, func.max(H.seq).label("seq"))
        .where(H.specialty == specialty, H.stage == stage, H.on_day <= day)
        .group_by(H.referral_id)
        .subquery()
    )
    rows = session.execute(
        select(H, *FIXED)
        .join(latest, and_(H.referral_id == latest.c.referral_id, H.seq == latest.c.seq))
        .join(ReferralRow, ReferralRow.id == H.referral_id)
        .where(H.status.in_(WAITING))
        .order_by(H.referral_id)
    ).all()
    return [waiting_on_day(r[0], Fixed(*r[1:]), day) for r in rows]


@dataclass
class Timeline:
    """One referral's history rows, oldest first."""

    fixed: Fixed
    days: list[dt.date]
    rows: list[ReferralHistoryRow]

    def state_on(self, day: dt.date) -> ReferralHistoryRow | None:
        """The last row dated ``day`` or earlier (None before the referral was known)."""
        i = bisect.bisect_right(self.days, day)
        return self.rows[i - 1] if i else None


def timelines(session: Session, specialty: str, stage: str, upto: dt.date) -> list[Timeline]:
    """Every referral's history of ``specialty`` and ``stage`` up to ``upto``."""
    stmt = (
        select(H, *FIXED)
        .join(ReferralRow, ReferralRow.id == H.referral_id)
        .where(H.specialty == specialty, H.stage == stage, H.on_day <= upto)
        .order_by(H.referral_id, H.seq)
    )
    out: list[Timeline] = []
    current = ""
    for r in session.execute(stmt):
        h = r[0]
        if h.referral_id != current:
            current = h.referral_id
            out.append(Timeline(Fixed(*r[1:]), [], []))
        out[-1].days.append(h.on_day)
        out[-1].rows.append(h)
    return out


def counted(h: ReferralHistoryRow, fixed: Fixed, day: dt.date) -> int:
    """Days waited by ``day`` as SKR counts them, in the state of ``h``."""
    pvv, mov = (h.pvv_from, h.pvv_until), (h.mov_from, h.mov_until)
    return (day - fixed.clock_start).days - excluded_on(h.excluded_days, pvv, mov, day)


def breach_day(t: Timeline, last: dt.date) -> dt.date | None:
    """The day the referral passes its limit while waiting (its SKR-counted wait first
    exceeds ``limit_days``), if that is on or before ``last``. A referral registered
    already past its limit did not pass it in the service's time: None."""
    over = t.fixed.limit_days + 1
    for i, h in enumerate(t.rows):
        if h.status not in WAITING:
            continue
        lo = t.days[i]
        hi = min(t.days[i + 1] - dt.timedelta(days=1) if i + 1 < len(t.rows) else last, last)
        if lo > hi or counted(h, t.fixed, hi) < over:
            continue
        while lo < hi:  # counted is non-decreasing in the day: the first day at ``over``
            mid = lo + (hi - lo) // 2
            if counted(h, t.fixed, mid) >= over:
                hi = mid
            else:
                lo = mid + dt.timedelta(days=1)
        return lo if counted(h, t.fixed, lo) == over else None
    return None


def realised_weeks(
    session: Session, specialty: str, stage: str, first_monday: dt.date, weeks: int
) -> dict[str, dict[str, int]]:
    """Per week from ``first_monday`` (its Monday's ISO date, ``2026-06-01``): ``queue``,
    the referrals waiting on that Monday (:func:`queue_on`, PVV and MOV included; of
    them ``pvv`` and ``mov``), and ``breaches``, the referrals passing their limit in
    that week (:func:`breach_day`). Weeks after today are left out."""
    first = monday(first_monday)
    mondays = [first + dt.timedelta(weeks=k) for k in range(weeks)]
    mondays = [m for m in mondays if m <= today()]
    if not mondays:
        return {}
    last = min(mondays[-1] + dt.timedelta(days=6), today())
    out = {m.isoformat(): {"queue": 0, "pvv": 0, "mov": 0, "breaches": 0} for m in mondays}
    for t in timelines(session, specialty, stage, last):
        count_week_states(t, mondays, out)
        day = breach_day(t, last)
        if day is not None and day >= first:
            key = monday(day).isoformat()
            if key in out:
                out[key]["breaches"] += 1
    return out


def count_week_states(
    t: Timeline, mondays: Iterable[dt.date], out: dict[str, dict[str, int]]
) -> None:
    """Add the referral to each Monday's queue (and PVV/MOV counts) it was waiting on."""
    for m in mondays:
        h = t.state_on(m)
        if h is None or h.status not in WAITING:
            continue
        acc = out[m.isoformat()]
        acc["queue"] += 1
        acc["pvv"] += in_period(h.pvv_from, h.pvv_until, m)
        acc["mov"] += in_period(h.mov_from, h.mov_until, m)


def history_of(session: Session, referral_id: str) -> list[ReferralHistoryRow]:
    """One referral's history, oldest first."""
    return list(session.scalars(select(H).where(H.referral_id == referral_id).order_by(H.seq)))
