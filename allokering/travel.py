"""Travel distance between areas and units: given, or great-circle × a road factor."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG)."""

ROAD_FACTOR = 1.3
"""Typical ratio of road distance to great-circle distance in Swedish regions."""


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def road_km(
    lat1: float, lon1: float, lat2: float, lon2: float, factor: float = ROAD_FACTOR
) -> float:
    """Estimated road distance: great-circle distance times a road factor."""
    return factor * great_circle_km(lat1, lon1, lat2, lon2)


@dataclass(frozen=True)
class TravelMatrix:
    """Distances in km from each area (rows) to each unit (columns)."""

    area_ids: tuple[str, ...]
    unit_ids: tuple[str, ...]
    km: npt.NDArray[np.float64]

    @classmethod
    def build(
        cls,
        areas: Sequence[tuple[str, float, float]],
        units: Sequence[tuple[str, float, float]],
        given: Mapping[str, Mapping[str, float]] | None = None,
        factor: float = ROAD_FACTOR,
    ) -> TravelMatrix:
        """Distances from ``(id, lat, lon)`` tuples; ``given[area][unit]`` overrides."""
        km = np.empty((len(areas), len(units)), dtype=np.float64)
        for i, (aid, alat, alon) in enumerate(areas):
            row = given.get(aid, {}) if given else {}
            for j, (uid, ulat, ulon) in enumerate(units):
                km[i, j] = row[uid] if uid in row else road_km(alat, alon, ulat, ulon, factor)
        km.setflags(write=False)
        return cls(tuple(a[0] for a in areas), tuple(u[0] for u in units), km)
