"""The areas referrals come from (the region's municipalities) and road km to units."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from allokering.problem import round_km
from allokering.travel import road_km
from api.service.db_schema import UnitRow
from scenarios.loader import REGION_DIR, load_region_file


@dataclass(frozen=True)
class Geography:
    """The areas referrals may come from: id → (name, lat, lon)."""

    areas: Mapping[str, tuple[str, float, float]]


def load_geography(region: str) -> Geography:
    """The municipalities of a region file (``scenarios/regioner/<region>.yaml``)."""
    spec = load_region_file(REGION_DIR / f"{region}.yaml")
    return Geography({a.id: (a.name, a.lat, a.lon) for a in spec.areas})


def km_matrix(
    geo: Geography, area_ids: Sequence[str], units: Sequence[UnitRow]
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Whole road km (great-circle × 1.3, rounded as in allokering) area × unit."""
    return np.array(
        [
            [round_km(road_km(geo.areas[a][1], geo.areas[a][2], u.lat, u.lon)) for u in units]
            for a in area_ids
        ],
        dtype=np.int64,
    ).reshape(len(area_ids), len(units))
