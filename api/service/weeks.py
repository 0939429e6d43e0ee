"""Weeks as the shared queue counts them: dates in Sweden, ISO weeks from Monday."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def today() -> dt.date:
    """The date in Sweden."""
    return dt.datetime.now(STOCKHOLM).date()


def monday(day: dt.date) -> dt.date:
    """The Monday starting ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def iso_week(week: dt.date) -> str:
    """``2025-W07`` for any day of that ISO week."""
    y, w, _ = week.isocalendar()
    return f"{y}-W{w:02d}"
