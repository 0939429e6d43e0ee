"""The geography of generated instances comes from the region file, which matches the
shared facts it was built from."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from allokering.generate import AreaSite
from scenarios.geography import VGR_UNIT_SITES, vgr_areas
from scenarios.loader import REGION_DIR, load_region_file

SHARED_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "vgr_kommuner.csv"


def test_vgr_areas_are_the_region_files_municipalities() -> None:
    region = load_region_file(REGION_DIR / "vgr.yaml")
    areas = vgr_areas()
    assert len(areas) == 49
    assert [a.id for a in areas] == [a.id for a in region.areas]
    assert sum(a.population for a in areas) == 1_773_197


@pytest.mark.skipif(not SHARED_CSV.is_file(), reason="../shared/data/vgr_kommuner.csv absent")
def test_vgr_areas_match_the_shared_facts() -> None:
    with SHARED_CSV.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    expected = [
        AreaSite(r["kod"], r["kommun"], int(r["befolkning"]), float(r["lat"]), float(r["lon"]))
        for r in rows
    ]
    assert list(vgr_areas()) == expected


def test_unit_sites_are_forty_distinct_units() -> None:
    assert len(VGR_UNIT_SITES) == 40
    assert len({s.id for s in VGR_UNIT_SITES}) == 40
