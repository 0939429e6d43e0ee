"""Demand and pathway rates estimated from the service's own history.

Over the last N weeks before the forecast date (:class:`History`, counted by
:func:`api.service.history.history_counts` and the realised weekly queue), each rate a
forecast scenario needs is estimated by the definition the model uses:

- ``arrivals`` — referrals per week and home area (``demand.referrals_per_week``, a
  Poisson rate): registrations in the window / its weeks;
- ``returned_share`` — returns for completion (*komplettering*) per referral
  registered (``pathway.assessment.returned_share``; first visits only);
- ``no_show_share`` — no-shows per booked time that came due (``behaviour.no_show_share``);
- ``withdrawal_share_per_year`` — from the hazard withdrawals / days waited, as the
  model draws it: ``1 - exp(-365 h)`` (``behaviour.withdrawal_share_per_year``).

A rate needs at least :data:`MIN_WEEKS` weeks of history and :data:`MIN_EVENTS` events
in its denominator; otherwise it is not estimated (``value`` None, with the reason) and
the forecast stops unless the scenario overrides name it — never a silent default.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MIN_WEEKS = 4
"""Weeks of history a rate needs."""
MIN_EVENTS = 20
"""Events in a share's denominator (registrations, booked times come due) it needs."""

PATHS: Mapping[str, str] = {
    "arrivals": "demand.referrals_per_week",
    "returned_share": "pathway.assessment.returned_share",
    "no_show_share": "behaviour.no_show_share",
    "withdrawal_share_per_year": "behaviour.withdrawal_share_per_year",
}
"""Where each estimate goes in the scenario (the field an override sets)."""


@dataclass(frozen=True)
class History:
    """What happened in the window ``from_day ≤ day < to_day`` for one specialty and
    stage."""

    from_day: dt.date
    to_day: dt.date
    arrivals_by_area: Mapping[str, int]
    registered: int
    """Referrals registered in the window."""
    returned: int
    due: int
    """Booked times that came due (completed or no-show)."""
    no_shows: int
    withdrawals: int
    waiting_days: float
    """Days waited by all referrals in the window (the sum of the daily queue)."""

    @property
    def weeks(self) -> float:
        return (self.to_day - self.from_day).days / 7.0

    @property
    def arrivals(self) -> int:
        return sum(self.arrivals_by_area.values())


@dataclass(frozen=True)
class Estimate:
    """One estimated rate: its value (None: not estimable, see ``reason``), the events
    it rests on and the weeks of history."""

    name: str
    value: Any
    n: int
    weeks_of_history: float
    source: str
    reason: str = ""

    def record(self) -> dict[str, Any]:
        """As the scenario's ``forecast_estimates`` keeps it."""
        return {
            "value": self.value,
            "from": self.source,
            "weeks_of_history": round(self.weeks_of_history, 1),
            "n": self.n,
        }


def _share(name: str, events: int, base: int, h: History, source: str) -> Estimate:
    if h.weeks < MIN_WEEKS or base < MIN_EVENTS:
        reason = (
            f"only {h.weeks:.1f} weeks of history (at least {MIN_WEEKS} needed)"
            if h.weeks < MIN_WEEKS
            else f"only {base} events to estimate it from (at least {MIN_EVENTS} needed)"
        )
        return Estimate(name, None, base, h.weeks, source, reason)
    return Estimate(name, round(events / base, 4), base, h.weeks, source)


def estimate_rates(h: History, stage: str) -> dict[str, Estimate]:
    """Every rate the forecast of ``stage`` needs, estimated from ``h``."""
    source = f"history {h.from_day.isoformat()}..{h.to_day.isoformat()}"
    out: dict[str, Estimate] = {}
    if h.weeks < MIN_WEEKS:
        reason = f"only {h.weeks:.1f} weeks of history (at least {MIN_WEEKS} needed)"
        out["arrivals"] = Estimate("arrivals", None, h.arrivals, h.weeks, source, reason)
    else:
        per_week = {a: round(n / h.weeks, 4) for a, n in sorted(h.arrivals_by_area.items())}
        out["arrivals"] = Estimate("arrivals", per_week, h.arrivals, h.weeks, source)
    if stage == "first_visit":
        out["returned_share"] = _share("returned_share", h.returned, h.registered, h, source)
    out["no_show_share"] = _share("no_show_share", h.no_shows, h.due, h, source)
    out["withdrawal_share_per_year"] = _withdrawal(h, source)
    return out


def _withdrawal(h: History, source: str) -> Estimate:
    name = "withdrawal_share_per_year"
    if h.weeks < MIN_WEEKS or h.waiting_days <= 0:
        reason = (
            f"only {h.weeks:.1f} weeks of history (at least {MIN_WEEKS} needed)"
            if h.weeks < MIN_WEEKS
            else "no one waited in the window"
        )
        return Estimate(name, None, h.withdrawals, h.weeks, source, reason)
    hazard = h.withdrawals / h.waiting_days
    share = min(0.99, 1.0 - math.exp(-365.0 * hazard))
    return Estimate(name, round(share, 4), h.withdrawals, h.weeks, source)


def overridden(name: str, value: Any) -> Estimate:
    """A rate the scenario overrides gave instead of the history."""
    return Estimate(name, value, 0, 0.0, "override")
