"""The data the benchmark registers: referrals from VGR's municipalities, drawn by
population, with unique pseudonymous ids."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from benchmarks.service_load.figures import MAX_WAITED_DAYS, SPECIALTY, STAGE, STOCKHOLM
from scenarios.loader import REGION_DIR, load_region_file


def vgr_areas() -> tuple[list[str], list[float]]:
    """VGR's municipality codes and their population shares (the server's geography)."""
    spec = load_region_file(REGION_DIR / "vgr.yaml")
    pops = [float(a.population or 1) for a in spec.areas]
    total = sum(pops)
    return [a.id for a in spec.areas], [p / total for p in pops]


def today() -> dt.date:
    """Today in Stockholm (the service's calendar)."""
    return dt.datetime.now(STOCKHOLM).date()


def this_monday() -> dt.date:
    """The Monday of this week in Stockholm."""
    d = today()
    return d - dt.timedelta(days=d.weekday())


class Referrals:
    """Referral bodies with unique pseudonymous ids (never ten digits in a row)."""

    def __init__(self, seed: int, prefix: str):
        self.rng = random.Random(seed)
        self.areas, self.weights = vgr_areas()
        self.prefix = prefix
        self.today = today()

    def body(self, n: int) -> dict[str, Any]:
        """Referral ``n``: a municipality by population, waited 1 to 120 days so far."""
        area = self.rng.choices(self.areas, self.weights)[0]
        waited = self.rng.randint(1, MAX_WAITED_DAYS)
        return {
            "referral_id": f"{self.prefix}-{n:07d}",
            "specialty": SPECIALTY,
            "stage": STAGE,
            "area": area,
            "clock_start": (self.today - dt.timedelta(days=waited)).isoformat(),
        }
