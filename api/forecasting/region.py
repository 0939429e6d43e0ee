"""The forecast's region: the service's geography (the areas and hospital groups of its
region file, ``REMISS_REGION``) with the service's own units (their ids, names,
hospital groups and coordinates as registered), carried inline in the scenario so a
``--snapshot-out`` file needs nothing but itself."""

from __future__ import annotations

from collections.abc import Sequence

from api.service.db_schema import UnitRow
from scenarios.loader import REGION_DIR, load_region_file
from scenarios.schema import HospitalGroupSpec, RegionSpec, UnitSpec


def service_region(region_name: str, units: Sequence[UnitRow]) -> RegionSpec:
    """The region file ``region_name`` with ``units`` in place of its own units; a unit
    of a hospital group the file does not know (or of none) gets a group of its own."""
    base = load_region_file(REGION_DIR / f"{region_name}.yaml")
    groups = {g.id: g for g in base.hospital_groups}
    specs = []
    for u in units:
        group = u.hospital_group or u.id
        if group not in groups:
            groups[group] = HospitalGroupSpec(id=group, name=group, catchment=[])
        specs.append(
            UnitSpec(
                id=u.id,
                name=u.name,
                hospital_group=group,
                site=u.name,
                lat=u.lat,
                lon=u.lon,
                private=u.private,
            )
        )
    return base.model_copy(
        update={"units": specs, "hospital_groups": list(groups.values()), "travel_km": None}
    )
