"""A realistic allocation-instance generator (geography passed in by the caller).

What it draws, from one ``numpy`` Generator seeded by ``SeedSequence(seed)``:

- referrals from areas in proportion to population, listed in arrival order
  (longest waiting first, so list order = first come, first served);
- priorities: P1 (14-day limit, ``priority`` 1) 10 %, P2 (30 days, 2) 20 %,
  routine (90 days, 5) 70 %, all with ``weight`` 1 (the cost model weighs the
  priority, :mod:`allokering.cost`); days already waited ~ exponential with mean
  0.6 × the limit, so about a fifth of the backlog is already late;
- units at the given sites; each area's home unit (catchment) is its nearest unit;
- weekly capacity ≈ demand (``capacity_ratio`` × referrals over the horizon), split
  between units by catchment population with log-normal noise (some units are short,
  some have slack), with a summer dip: ISO weeks 26–32 at ``summer_factor``;
- 5 % of referrals restricted to three of the six nearest units (``eligible_units``),
  30 % with a ``max_travel_km`` (40/60/100 km, never below the home unit's distance),
  20 % already booked at the home unit (bookings never exceed 60 % of a slot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from allokering.problem import (
    AllocationProblem,
    AreaRef,
    Booking,
    Referral,
    UnitCapacity,
    Weights,
    gc_paused,
    round_km,
)
from allokering.travel import road_km

PRIORITIES: tuple[tuple[str, int, int, float], ...] = (
    ("P1", 14, 1, 0.10),
    ("P2", 30, 2, 0.20),
    ("routine", 90, 5, 0.70),
)
"""(name, limit in days, priority level, share)."""

SUMMER_WEEKS = range(26, 33)
"""ISO weeks with reduced capacity (Swedish summer holidays)."""


@dataclass(frozen=True, slots=True)
class AreaSite:
    """An area with population and coordinates (e.g. a row of vgr_kommuner.csv)."""

    id: str
    name: str
    population: int
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class UnitSite:
    """A unit at a site."""

    id: str
    name: str
    group: str
    lat: float
    lon: float


def generate(
    n_referrals: int,
    areas: Sequence[AreaSite],
    sites: Sequence[UnitSite],
    *,
    n_units: int = 40,
    weeks: int = 26,
    seed: int = 0,
    start_iso_week: int = 18,
    capacity_ratio: float = 1.0,
    summer_factor: float = 0.4,
    weights: Weights | None = None,
) -> AllocationProblem:
    """Draw a problem; the same arguments always give the same problem."""
    if n_referrals < 0 or n_units < 1 or weeks < 1:
        raise ValueError("need n_referrals >= 0, n_units >= 1, weeks >= 1")
    if not areas or not sites:
        raise ValueError("need at least one area and one unit site")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    h = weeks
    chosen = [sites[i % len(sites)] for i in range(n_units)]
    unit_ids = [
        s.id if i < len(sites) else f"{s.id}-{i // len(sites) + 1}" for i, s in enumerate(chosen)
    ]
    unit_names = [
        s.name if i < len(sites) else f"{s.name} ({i // len(sites) + 1})"
        for i, s in enumerate(chosen)
    ]
    km = np.array(
        [[round_km(road_km(a.lat, a.lon, s.lat, s.lon)) for s in chosen] for a in areas],
        dtype=np.int64,
    )
    home = np.argmin(km, axis=1)
    pop = np.array([a.population for a in areas], dtype=np.float64)
    n = n_referrals

    # capacity: catchment population share × noise × season, scaled to the demand
    catch_pop = np.bincount(home, weights=pop, minlength=n_units) + 0.02 * pop.sum() / n_units
    base = catch_pop * rng.lognormal(0.0, 0.35, n_units)
    iso = (start_iso_week - 1 + np.arange(h)) % 52 + 1
    season = np.where(np.isin(iso, list(SUMMER_WEEKS)), summer_factor, 1.0)
    expected = np.outer(base, season)
    expected *= capacity_ratio * n / max(expected.sum(), 1e-9)
    capacity = np.floor(expected + rng.random(expected.shape)).astype(np.int64)

    # referrals
    area = rng.choice(len(areas), size=n, p=pop / pop.sum())
    shares = np.array([p[3] for p in PRIORITIES])
    prio = rng.choice(len(PRIORITIES), size=n, p=shares / shares.sum())
    limit = np.array([p[1] for p in PRIORITIES])[prio]
    level = np.array([p[2] for p in PRIORITIES])[prio]
    waited = np.floor(rng.exponential(0.6 * limit)).astype(np.int64)
    deadline = limit - waited
    order = np.argsort(-waited, kind="stable")  # arrival order: longest waiting first
    area, prio, level, deadline = area[order], prio[order], level[order], deadline[order]
    home_km = km[area, home[area]]

    restricted = rng.random(n) < 0.05
    max_km = np.where(
        rng.random(n) < 0.30,
        np.maximum(rng.choice(np.array([40, 60, 100]), size=n), home_km + 5),
        -1,
    )
    near = np.argsort(km, axis=1, kind="stable")[:, : min(6, n_units)]
    pick = np.argsort(rng.random((n, near.shape[1])), axis=1)[:, : min(3, n_units)]

    # bookings at the home unit, at most 60 % of each slot
    want = rng.random(n) < 0.20
    b_unit = home[area]
    b_week = rng.integers(0, h, size=n)
    slot = np.where(want, b_unit * h + b_week, -1)
    srt = np.argsort(slot, kind="stable")
    s_slot = slot[srt]
    start_of = np.searchsorted(s_slot, s_slot, side="left")
    rank = np.empty(n, dtype=np.int64)
    rank[srt] = np.arange(n) - start_of
    limit_slot = np.floor(0.6 * capacity.reshape(-1)).astype(np.int64)
    booked = want & (rank < limit_slot[np.where(want, slot, 0)])

    width = max(6, len(str(max(n - 1, 0))))
    with gc_paused():
        elig: list[list[str] | None] = [None] * n
        for i in np.nonzero(restricted)[0].tolist():
            elig[i] = [unit_ids[j] for j in sorted(near[area[i], pick[i]].tolist())]
        bookings: list[Booking | None] = [None] * n
        for i in np.nonzero(booked)[0].tolist():
            bookings[i] = Booking(unit_ids[b_unit[i]], int(b_week[i]))
        area_ids = [a.id for a in areas]
        referrals = list(
            map(
                Referral,
                [f"R{i:0{width}d}" for i in range(n)],
                [area_ids[a] for a in area.tolist()],
                deadline.tolist(),
                [1] * n,
                elig,
                [None if m < 0 else float(m) for m in max_km.tolist()],
                bookings,
                [0] * n,
                level.tolist(),
            )
        )
        units = [
            UnitCapacity(
                id=unit_ids[j],
                name=unit_names[j],
                capacity=capacity[j].tolist(),
                lat=chosen[j].lat,
                lon=chosen[j].lon,
                catchment=[areas[i].id for i in np.nonzero(home == j)[0].tolist()],
            )
            for j in range(n_units)
        ]
        area_refs = [AreaRef(id=a.id, name=a.name, lat=a.lat, lon=a.lon) for a in areas]
        return AllocationProblem(
            horizon_weeks=h,
            units=units,
            areas=area_refs,
            referrals=referrals,
            weights=weights or Weights(),
        )
