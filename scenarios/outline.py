"""A region's outline for the report's map, shipped with the region file (never fetched).

No boundary data is in the repository, so the outline is derived from what is: the
municipalities' main towns of the region file. It is their convex hull widened by
:data:`MARGIN_KM` (the hull of a circle around every corner), in a plane scaled by
the cosine of the mean latitude so the margin is as wide east–west as north–south. It
is an approximate background, not a border: it cuts across bays and covers lakes.

``python -m scenarios.outline`` writes ``scenarios/regioner/NAME_outline.geojson`` for
every region file; ``tests/scenarios/test_outline.py`` checks that the committed files
are what this module computes and that every town lies inside.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from scenarios.loader import REGION_DIR, load_region_file
from scenarios.schema import RegionSpec

MARGIN_KM: Final = 12.0
"""How far the outline lies outside the outermost towns."""
KM_PER_DEGREE: Final = 111.2
CORNER_POINTS: Final = 16
"""Points on the circle around each hull corner."""

Point = tuple[float, float]
"""(lon, lat)"""


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: Sequence[Point]) -> list[Point]:
    """The convex hull, counter-clockwise, without repeating the first point (Andrew's
    monotone chain)."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts
    lower: list[Point] = []
    upper: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def outline(points: Sequence[Point], margin_km: float = MARGIN_KM) -> list[Point]:
    """The closed ring (lon, lat) around ``points``, ``margin_km`` outside them."""
    if not points:
        return []
    scale = math.cos(math.radians(sum(p[1] for p in points) / len(points)))
    flat = [(lon * scale, lat) for lon, lat in points]
    r = margin_km / KM_PER_DEGREE
    turns = [2 * math.pi * k / CORNER_POINTS for k in range(CORNER_POINTS)]
    circles = [
        (x + r * math.cos(a), y + r * math.sin(a)) for x, y in convex_hull(flat) for a in turns
    ]
    ring = [(round(x / scale, 4), round(y, 4)) for x, y in convex_hull(circles)]
    return [*ring, ring[0]]


def region_outline(region: RegionSpec) -> list[Point]:
    """The outline of a region's areas (main towns)."""
    return outline([(a.lon, a.lat) for a in region.areas])


def outline_path(region_file: Path) -> Path:
    """Where a region file's outline is shipped: ``NAME_outline.geojson`` beside it."""
    return region_file.with_name(f"{region_file.stem}_outline.geojson")


def geojson(region: RegionSpec, ring: list[Point]) -> dict[str, Any]:
    """The outline as a GeoJSON FeatureCollection of one polygon."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": region.name,
                    "method": f"convex hull of the municipalities' main towns, {MARGIN_KM:g} "
                    "km margin (scenarios/outline.py); approximate, not a border",
                },
                "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
            }
        ],
    }


def read_outline(path: Path) -> list[Point]:
    """The ring of a shipped outline file (empty when there is none)."""
    if not path.is_file():
        return []
    doc = json.loads(path.read_text(encoding="utf-8"))
    ring = doc["features"][0]["geometry"]["coordinates"][0]
    return [(float(lon), float(lat)) for lon, lat in ring]


def write_outlines(folder: Path = REGION_DIR) -> list[Path]:
    """Write the outline of every region file in ``folder``; the paths written."""
    written = []
    for region_file in sorted(folder.glob("*.yaml")):
        region = load_region_file(region_file)
        target = outline_path(region_file)
        doc = geojson(region, region_outline(region))
        target.write_text(json.dumps(doc, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write_outlines():
        print(f"wrote {path}")
