"""Patient-chosen waiting (PVV, *patientvald väntan*) and medically caused waiting (MOV,
*medicinskt orsakad väntan*), each a period from a date until a date.

A period covers the days ``from ≤ day < until``: ``until`` is the first day the patient
can be served again (open-ended while ``until`` is None). A referral in PVV or MOV on a
day is left out of SKR's shares that day, and the days of its periods are not counted as
waiting (SKR, *Väntetider i vården*: waits the patient chose and waits for medical reasons
are reported apart and excluded from the shares within the care guarantee).

A referral holds its current PVV and its current MOV period; when a new period of a kind
starts after the old one ended, the old one's days move into ``excluded_days``. Periods
do not overlap: a pause cannot start while another is in effect.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from api.service.db_schema import ReferralRow
from api.service.http_problems import Problem, invalid_field


class PauseKind(StrEnum):
    pvv = "pvv"
    mov = "mov"


def in_period(start: dt.date | None, until: dt.date | None, day: dt.date) -> bool:
    """Whether ``day`` lies in the period ``start ≤ day < until``."""
    return start is not None and start <= day and (until is None or day < until)


def days_passed(start: dt.date | None, until: dt.date | None, day: dt.date) -> int:
    """Days of the period that have passed by ``day`` (``day`` itself not yet)."""
    if start is None or day <= start:
        return 0
    end = day if until is None else min(day, until)
    return max(0, (end - start).days)


def excluded_on(
    folded: int,
    pvv: tuple[dt.date | None, dt.date | None],
    mov: tuple[dt.date | None, dt.date | None],
    day: dt.date,
) -> int:
    """PVV and MOV days passed by ``day``: earlier periods (``folded``) and current ones."""
    return folded + days_passed(*pvv, day) + days_passed(*mov, day)


def period(row: ReferralRow, kind: PauseKind) -> tuple[dt.date | None, dt.date | None]:
    if kind is PauseKind.pvv:
        return row.pvv_from, row.pvv_until
    return row.mov_from, row.mov_until


def set_period(
    row: ReferralRow, kind: PauseKind, start: dt.date | None, until: dt.date | None
) -> None:
    if kind is PauseKind.pvv:
        row.pvv_from, row.pvv_until = start, until
    else:
        row.mov_from, row.mov_until = start, until


def row_excluded_on(row: ReferralRow, day: dt.date) -> int:
    """The referral's PVV and MOV days passed by ``day``."""
    return excluded_on(
        row.excluded_days, (row.pvv_from, row.pvv_until), (row.mov_from, row.mov_until), day
    )


def paused_on(row: ReferralRow, day: dt.date) -> PauseKind | None:
    """The pause in effect on ``day``, if any."""
    for kind in PauseKind:
        if in_period(*period(row, kind), day):
            return kind
    return None


def check_start(row: ReferralRow, kind: PauseKind, on: dt.date, until: dt.date | None) -> None:
    """Whether a ``kind`` pause may start on ``on``: 409 when a pause is in effect on
    ``on``, 422 when ``until`` is not after ``on``."""
    current = paused_on(row, on)
    if current is not None:
        raise Problem(409, "Conflict", f"{kind.value}: the referral is in {current.value} on {on}")
    if until is not None and until <= on:
        raise invalid_field("body.until", "must be after on (the first day served again)")


def start(row: ReferralRow, kind: PauseKind, on: dt.date, until: dt.date | None) -> None:
    """Start a ``kind`` pause on ``on`` (until ``until``, or open-ended), as
    :func:`check_start` allows."""
    check_start(row, kind, on, until)
    old_start, old_until = period(row, kind)
    if old_start is not None:  # ended by ``on``: its days become earlier days
        row.excluded_days += days_passed(old_start, old_until, on)
    set_period(row, kind, on, until)


def end(row: ReferralRow, kind: PauseKind, on: dt.date) -> None:
    """End the ``kind`` pause in effect on ``on``: the patient can be served from ``on``."""
    start_day, _ = period(row, kind)
    if not in_period(*period(row, kind), on):
        raise Problem(409, "Conflict", f"{kind.value}: the referral is not in {kind.value} on {on}")
    set_period(row, kind, start_day, on)


def end_open(row: ReferralRow, on: dt.date) -> None:
    """End an open-ended PVV in effect on ``on`` (an offer or booking ends the patient's
    choice to wait); a dated one keeps its end (the booked time is after it)."""
    if row.pvv_until is None and in_period(row.pvv_from, row.pvv_until, on):
        end(row, PauseKind.pvv, on)


def end_all(row: ReferralRow, on: dt.date) -> None:
    """End every pause in effect on ``on`` (the referral is completed or leaves)."""
    for kind in PauseKind:
        if in_period(*period(row, kind), on):
            end(row, kind, on)
