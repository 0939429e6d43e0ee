"""The service's queue on a date, read from its database: what a forecast starts from.

:func:`read_snapshot` gathers, for one specialty and stage on ``as_of`` (today, or a past
date reconstructed by :func:`api.service.history.queue_on`): every waiting referral, the
units with their capacity calendars (:class:`~api.service.db_schema.CapacityRow`, slots
per week from a week on), the priorities with their limits, each area's usual unit, and
the history of the last N weeks (:class:`~api.forecasting.estimates.History`).
:mod:`api.forecasting.scenario_doc` turns it into a scenario.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allokering.travel import road_km
from api.forecasting.errors import ForecastInputError
from api.forecasting.estimates import History
from api.service.db_schema import CapacityRow, ReferralHistoryRow, ReferralRow, UnitRow
from api.service.history import WaitingOnDay, queue_on
from api.service.history_counts import history_counts
from api.service.weeks import monday, today
from scenarios.schema import RegionSpec

STAGES = ("first_visit", "treatment")


@dataclass(frozen=True)
class UnitCalendar:
    """A unit of the forecast and its slots per week: ``base`` on the forecast date,
    then ``changes`` as (from Monday, slots per week) in date order."""

    unit: UnitRow
    base: int
    changes: tuple[tuple[dt.date, int], ...]


@dataclass(frozen=True)
class Snapshot:
    """Everything a forecast scenario is made of, read in one session."""

    specialty: str
    stage: str
    as_of: dt.date
    waiting: list[WaitingOnDay]
    calendars: list[UnitCalendar]
    priorities: dict[str, tuple[int, float]]
    """Priority name → (limit days, share of the arrivals)."""
    catchment: dict[str, str]
    """Area id → the unit its referrals are listed at (usual home unit, else nearest)."""
    history: History
    warnings: list[str]


def check_request(session: Session, specialty: str, stage: str, as_of: dt.date) -> dt.date:
    """The specialty, the stage and the date name something the database holds; its
    first record's date. One :class:`ForecastInputError` naming what is wrong."""
    if stage not in STAGES:
        raise ForecastInputError("stage", f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    known = set(session.scalars(select(ReferralRow.specialty).distinct()))
    known |= set(session.scalars(select(CapacityRow.specialty).distinct()))
    if specialty not in known:
        names = ", ".join(sorted(known)) or "none: the database holds no referrals"
        raise ForecastInputError("specialty", f"unknown specialty {specialty!r}; known: {names}")
    if as_of > today():
        raise ForecastInputError("as_of", f"{as_of.isoformat()} is in the future")
    first = session.scalar(
        select(func.min(ReferralHistoryRow.on_day)).where(
            ReferralHistoryRow.specialty == specialty, ReferralHistoryRow.stage == stage
        )
    )
    if first is None:
        raise ForecastInputError("stage", f"no {stage} referrals of {specialty!r} in the database")
    if as_of < first:
        raise ForecastInputError(
            "as_of", f"{as_of.isoformat()} is before the first record ({first.isoformat()})"
        )
    return first


def calendars(
    session: Session, specialty: str, stage: str, as_of: dt.date, units: set[str]
) -> list[UnitCalendar]:
    """Each unit's calendar: the units with capacity for the specialty and stage, and
    the ``units`` referrals are listed at (one without a calendar is an error)."""
    rows = session.scalars(
        select(CapacityRow)
        .where(CapacityRow.specialty == specialty, CapacityRow.stage == stage)
        .order_by(CapacityRow.unit_id, CapacityRow.from_week)
    ).all()
    by_unit: dict[str, list[CapacityRow]] = {}
    for r in rows:
        by_unit.setdefault(r.unit_id, []).append(r)
    for uid in sorted(units - set(by_unit)):
        raise ForecastInputError(
            f"units.{uid}",
            f"no capacity calendar for {specialty} {stage}, but referrals wait there "
            f"(PUT /v1/units/{uid}/capacity)",
        )
    out = []
    for uid, cal in by_unit.items():
        unit = session.get(UnitRow, uid)
        assert unit is not None  # capacity rows belong to a unit (foreign key)
        start = monday(as_of)
        before = [r.slots_per_week for r in cal if r.from_week <= start]
        later = tuple((r.from_week, r.slots_per_week) for r in cal if r.from_week > start)
        out.append(UnitCalendar(unit, before[-1] if before else 0, later))
    return out


def priorities(
    session: Session,
    specialty: str,
    stage: str,
    window: tuple[dt.date, dt.date],
    waiting: Sequence[WaitingOnDay],
    warnings: list[str],
) -> dict[str, tuple[int, float]]:
    """The distinct priorities of the data with their limits and their shares of the
    arrivals in ``window`` (of the waiting list when nothing arrived)."""
    arrived = session.execute(
        select(ReferralRow.priority, ReferralRow.limit_days, func.count())
        .where(
            ReferralRow.specialty == specialty,
            ReferralRow.stage == stage,
            ReferralRow.clock_start >= window[0],
            ReferralRow.clock_start < window[1],
        )
        .group_by(ReferralRow.priority, ReferralRow.limit_days)
    ).all()
    counts: Counter[tuple[str, int]] = Counter({(p, d): int(n) for p, d, n in arrived})
    waiting_counts = Counter((w.priority, w.limit_days) for w in waiting)
    shares = counts if sum(counts.values()) else waiting_counts
    limits: dict[str, Counter[int]] = {}
    for (name, days), n in (counts + waiting_counts).items():
        limits.setdefault(name, Counter())[days] += n
    total = sum(shares.values()) or 1
    out = {}
    for name, seen in sorted(limits.items()):
        limit = seen.most_common(1)[0][0]
        if len(seen) > 1:
            warnings.append(f"priority {name}: several limits in the data, {limit} days used")
        share = sum(n for (p, _), n in shares.items() if p == name) / total
        out[name] = (limit, share)
    return out


def catchment(
    session: Session, specialty: str, stage: str, region: RegionSpec, units: Sequence[UnitRow]
) -> dict[str, str]:
    """Each area's unit: the home unit most of its referrals name, else the nearest
    public unit of the forecast (as the compiler would choose)."""
    ids = {u.id for u in units}
    named = session.execute(
        select(ReferralRow.area, ReferralRow.home_unit, func.count())
        .where(ReferralRow.specialty == specialty, ReferralRow.stage == stage)
        .group_by(ReferralRow.area, ReferralRow.home_unit)
    ).all()
    best: dict[str, tuple[int, str]] = {}
    for area, unit, n in named:
        if unit in ids and (area not in best or int(n) > best[area][0]):
            best[area] = (int(n), unit)
    public = [u for u in units if not u.private] or list(units)
    out = {}
    for a in region.areas:
        if a.id in best:
            out[a.id] = best[a.id][1]
        else:
            out[a.id] = min(public, key=lambda u: (road_km(a.lat, a.lon, u.lat, u.lon), u.id)).id
    return out


def history(
    session: Session, specialty: str, stage: str, window: tuple[dt.date, dt.date]
) -> History:
    """What happened in ``window`` (:func:`api.service.history_counts.history_counts`;
    the window's end is the forecast date, not included)."""
    last = window[1] - dt.timedelta(days=1)
    counts = history_counts(session, specialty, stage, window[0], last)
    return History(
        from_day=window[0],
        to_day=window[1],
        arrivals_by_area={a: sum(w.values()) for a, w in counts.arrivals.items()},
        registered=counts.registered,
        returned=counts.count("assessment.returned_for_completion"),
        due=counts.completed + counts.no_shows,
        no_shows=counts.no_shows,
        withdrawals=counts.withdrawn,
        waiting_days=float(counts.waiting_days),
    )


def read_snapshot(
    session: Session,
    region: RegionSpec,
    specialty: str,
    stage: str,
    as_of: dt.date,
    history_weeks: int,
) -> Snapshot:
    """The queue of ``specialty``/``stage`` on ``as_of`` and its last ``history_weeks``
    weeks of history."""
    first = check_request(session, specialty, stage, as_of)
    warnings: list[str] = []
    waiting = queue_on(session, specialty, stage, as_of)
    window = (max(first, as_of - dt.timedelta(weeks=history_weeks)), as_of)
    listed = {w.unit or w.home_unit for w in waiting} - {None}
    cals = calendars(session, specialty, stage, as_of, {u for u in listed if u})
    if not cals:
        raise ForecastInputError(
            "units", f"no unit has a capacity calendar for {specialty} {stage}"
        )
    areas = catchment(session, specialty, stage, region, [c.unit for c in cals])
    prios = priorities(session, specialty, stage, window, waiting, warnings)
    hist = history(session, specialty, stage, window)
    return Snapshot(specialty, stage, as_of, waiting, cals, prios, areas, hist, warnings)
