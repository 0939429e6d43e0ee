"""A small shared queue for the forecast's request tests: units ``u_a`` (gallsten and
ogon first-visit capacity) and ``u_b`` (none); 30 gallsten referrals registered over the
last two weeks at ``u_a``, one ogon referral at ``u_b``, one hud referral with no home
unit (and no unit with hud capacity) — written over HTTP with their business dates. Two
weeks of history are too few to estimate a rate: :data:`RATES` gives them."""

from __future__ import annotations

import datetime as dt

import httpx

from api.service.weeks import today

FIRST = today() - dt.timedelta(days=14)
"""The day of the first record."""
RATE_SETS = (
    "demand.referrals_per_week={'1480': 15}",
    "pathway.assessment.returned_share=0.0",
    "behaviour.no_show_share=0.02",
    "behaviour.withdrawal_share_per_year=0.1",
)
"""Every rate the history is too short for."""
RATES = tuple(arg for s in RATE_SETS for arg in ("--set", s))
""":data:`RATE_SETS` as ``remiss forecast`` options."""


def write_small_queue(c: httpx.Client) -> None:
    """Write the queue through ``c`` (a client with the admin and portal roles)."""
    for uid, lat in (("u_a", 57.7), ("u_b", 58.3)):
        unit = {"name": uid, "hospital_group": "SU", "lat": lat, "lon": 12.0}
        c.put(f"/v1/units/{uid}", json=unit).raise_for_status()
    for spec in ("gallsten", "ogon"):
        cap = {
            "specialty": spec,
            "stage": "first_visit",
            "from_week": FIRST.isoformat(),
            "slots_per_week": 5,
        }
        c.put("/v1/units/u_a/capacity", json=cap).raise_for_status()
    for i in range(30):
        day = (FIRST + dt.timedelta(days=i % 14)).isoformat()
        c.post(
            "/v1/referrals",
            json={
                "referral_id": f"b-{i}",
                "specialty": "gallsten",
                "area": "1480",
                "clock_start": day,
                "home_unit": "u_a",
                "on": day,
            },
        ).raise_for_status()
    for rid, spec, home in (("o-1", "ogon", "u_b"), ("h-1", "hud", None)):
        c.post(
            "/v1/referrals",
            json={
                "referral_id": rid,
                "specialty": spec,
                "area": "1480",
                "clock_start": FIRST.isoformat(),
                "home_unit": home,
                "on": FIRST.isoformat(),
            },
        ).raise_for_status()
