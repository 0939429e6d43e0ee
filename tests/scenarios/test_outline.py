"""The region outlines shipped for the report's map are what scenarios.outline computes,
and every municipality's main town lies inside its region's outline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.loader import REGION_DIR, load_region_file
from scenarios.outline import geojson, outline_path, read_outline, region_outline

REGION_FILES = [p for p in sorted(REGION_DIR.glob("*.yaml")) if outline_path(p).is_file()]


def inside(point: tuple[float, float], ring: list[tuple[float, float]]) -> bool:
    """Ray casting: an odd number of edge crossings to the east means inside."""
    x, y = point
    crossings = 0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            crossings += 1
    return crossings % 2 == 1


def test_vgr_ships_an_outline() -> None:
    assert outline_path(REGION_DIR / "vgr.yaml") in [outline_path(p) for p in REGION_FILES]


@pytest.mark.parametrize("region_file", REGION_FILES, ids=lambda p: Path(p).stem)
def test_the_shipped_outline_is_the_computed_one(region_file: Path) -> None:
    region = load_region_file(region_file)
    shipped = json.loads(outline_path(region_file).read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(geojson(region, region_outline(region))))


@pytest.mark.parametrize("region_file", REGION_FILES, ids=lambda p: Path(p).stem)
def test_every_town_lies_inside_the_outline(region_file: Path) -> None:
    region = load_region_file(region_file)
    ring = read_outline(outline_path(region_file))
    assert len(ring) >= 3
    outside = [a.id for a in region.areas if not inside((a.lon, a.lat), ring)]
    assert outside == []
