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
import numpy.typing as npt

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
    units = _Units.at(sites, n_units, areas)
    pop = np.array([a.population for a in areas], dtype=np.float64)
    iso = (start_iso_week - 1 + np.arange(h)) % 52 + 1
    season = np.where(np.isin(iso, list(SUMMER_WEEKS)), summer_factor, 1.0)
    capacity = _capacity(rng, units.home, n_units, pop, season, capacity_ratio * n_referrals)
    draw = _draw_referrals(rng, pop, n_referrals)
    limits = _limits(rng, draw.area, units)
    booked, b_unit, b_week = _bookings(rng, units.home[draw.area], capacity)
    width = max(6, len(str(max(n_referrals - 1, 0))))
    with gc_paused():
        elig: list[list[str] | None] = [None] * n_referrals
        for i in np.nonzero(limits.restricted)[0].tolist():
            picked = limits.near[draw.area[i], limits.pick[i]].tolist()
            elig[i] = [units.ids[j] for j in sorted(picked)]
        bookings: list[Booking | None] = [None] * n_referrals
        for i in np.nonzero(booked)[0].tolist():
            bookings[i] = Booking(units.ids[b_unit[i]], int(b_week[i]))
        area_ids = [a.id for a in areas]
        referrals = list(
            map(
                Referral,
                [f"R{i:0{width}d}" for i in range(n_referrals)],
                [area_ids[a] for a in draw.area.tolist()],
                draw.deadline.tolist(),
                [1] * n_referrals,
                elig,
                [None if m < 0 else float(m) for m in limits.max_km.tolist()],
                bookings,
                [0] * n_referrals,
                draw.level.tolist(),
            )
        )
        return AllocationProblem(
            horizon_weeks=h,
            units=units.capacities(capacity, areas),
            areas=[AreaRef(id=a.id, name=a.name, lat=a.lat, lon=a.lon) for a in areas],
            referrals=referrals,
            weights=weights or Weights(),
        )


@dataclass(frozen=True, eq=False)
class _Units:
    """The units at the sites (cycled, numbered when sites repeat), the whole-km
    distances from each area and each area's home unit (the nearest)."""

    sites: list[UnitSite]
    ids: list[str]
    names: list[str]
    km: npt.NDArray[np.int64]
    home: npt.NDArray[np.int64]

    @classmethod
    def at(cls, sites: Sequence[UnitSite], n_units: int, areas: Sequence[AreaSite]) -> _Units:
        chosen = [sites[i % len(sites)] for i in range(n_units)]
        ids = [
            s.id if i < len(sites) else f"{s.id}-{i // len(sites) + 1}"
            for i, s in enumerate(chosen)
        ]
        names = [
            s.name if i < len(sites) else f"{s.name} ({i // len(sites) + 1})"
            for i, s in enumerate(chosen)
        ]
        km = np.array(
            [[round_km(road_km(a.lat, a.lon, s.lat, s.lon)) for s in chosen] for a in areas],
            dtype=np.int64,
        )
        return cls(chosen, ids, names, km, np.argmin(km, axis=1))

    def capacities(
        self, capacity: npt.NDArray[np.int64], areas: Sequence[AreaSite]
    ) -> list[UnitCapacity]:
        """The units with their weekly capacity and catchments."""
        return [
            UnitCapacity(
                id=self.ids[j],
                name=self.names[j],
                capacity=capacity[j].tolist(),
                lat=self.sites[j].lat,
                lon=self.sites[j].lon,
                catchment=[areas[i].id for i in np.nonzero(self.home == j)[0].tolist()],
            )
            for j in range(len(self.ids))
        ]


def _capacity(
    rng: np.random.Generator,
    home: npt.NDArray[np.int64],
    n_units: int,
    pop: npt.NDArray[np.float64],
    season: npt.NDArray[np.float64],
    total: float,
) -> npt.NDArray[np.int64]:
    """Weekly capacity per unit: catchment population share × log-normal noise ×
    season, scaled to ``total`` slots over the horizon and rounded at random."""
    catch_pop = np.bincount(home, weights=pop, minlength=n_units) + 0.02 * pop.sum() / n_units
    base = catch_pop * rng.lognormal(0.0, 0.35, n_units)
    expected = np.outer(base, season)
    expected *= total / max(expected.sum(), 1e-9)
    capacity: npt.NDArray[np.int64] = np.floor(expected + rng.random(expected.shape)).astype(
        np.int64
    )
    return capacity


@dataclass(frozen=True, eq=False)
class _Draw:
    """The referrals in arrival order (longest waiting first): area, priority level and
    days to the limit."""

    area: npt.NDArray[np.int64]
    level: npt.NDArray[np.int64]
    deadline: npt.NDArray[np.int64]


def _draw_referrals(rng: np.random.Generator, pop: npt.NDArray[np.float64], n: int) -> _Draw:
    """Areas by population, priorities by share, days waited ~ exponential(0.6 × limit)."""
    area = rng.choice(len(pop), size=n, p=pop / pop.sum())
    shares = np.array([p[3] for p in PRIORITIES])
    prio = rng.choice(len(PRIORITIES), size=n, p=shares / shares.sum())
    limit = np.array([p[1] for p in PRIORITIES])[prio]
    level = np.array([p[2] for p in PRIORITIES])[prio]
    waited = np.floor(rng.exponential(0.6 * limit)).astype(np.int64)
    deadline = limit - waited
    order = np.argsort(-waited, kind="stable")  # arrival order: longest waiting first
    return _Draw(area[order], level[order], deadline[order])


@dataclass(frozen=True, eq=False)
class _Limits:
    """Who is restricted to some of the nearest units (and to which), and the longest
    distance each referral accepts (-1: no limit)."""

    restricted: npt.NDArray[np.bool_]
    max_km: npt.NDArray[np.int64]
    near: npt.NDArray[np.int64]
    pick: npt.NDArray[np.int64]


def _limits(rng: np.random.Generator, area: npt.NDArray[np.int64], units: _Units) -> _Limits:
    """5 % restricted to three of the six nearest units; 30 % with a distance limit of
    40, 60 or 100 km, never below the home unit's distance + 5."""
    n, n_units = len(area), len(units.ids)
    home_km = units.km[area, units.home[area]]
    restricted = rng.random(n) < 0.05
    max_km = np.where(
        rng.random(n) < 0.30,
        np.maximum(rng.choice(np.array([40, 60, 100]), size=n), home_km + 5),
        -1,
    )
    near = np.argsort(units.km, axis=1, kind="stable")[:, : min(6, n_units)]
    pick = np.argsort(rng.random((n, near.shape[1])), axis=1)[:, : min(3, n_units)]
    return _Limits(restricted, max_km, near, pick)


def _bookings(
    rng: np.random.Generator, b_unit: npt.NDArray[np.int64], capacity: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """20 % booked at their home unit (``b_unit``) in a random week, at most 60 % of a
    slot: who is booked, and the unit and week."""
    n, h = len(b_unit), capacity.shape[1]
    want = rng.random(n) < 0.20
    b_week = rng.integers(0, h, size=n)
    slot = np.where(want, b_unit * h + b_week, -1)
    srt = np.argsort(slot, kind="stable")
    s_slot = slot[srt]
    start_of = np.searchsorted(s_slot, s_slot, side="left")
    rank = np.empty(n, dtype=np.int64)
    rank[srt] = np.arange(n) - start_of
    limit_slot = np.floor(0.6 * capacity.reshape(-1)).astype(np.int64)
    booked = want & (rank < limit_slot[np.where(want, slot, 0)])
    return booked, b_unit, b_week
