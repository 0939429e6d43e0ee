"""The region file: the geography several scenarios share — areas (municipalities),
hospital groups with their catchments, and units."""

from __future__ import annotations

from pydantic import Field, model_validator

from simulering.spec import Strict


class AreaSpec(Strict):
    """A municipality (*kommun*)."""

    id: str = Field(description="Municipality code or other unique id")
    name: str
    population: int = Field(ge=0)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    subregion: str = Field(description="Sub-region (*delregion*), used for equity measures")
    region: str = Field(
        "",
        description="Administrative region (*region*, the county council) paying for its "
        "residents' care, when a file spans several; compared with the serving unit's "
        "region for the cross-region KPIs",
    )


class HospitalGroupSpec(Strict):
    """A hospital group (*förvaltning*) and the areas whose patients it owns."""

    id: str
    name: str
    catchment: list[str] = Field(default_factory=list, description="Area ids")


class UnitSpec(Strict):
    """A site of a hospital group where a specialty can have a unit (*enhet*)."""

    id: str
    name: str
    hospital_group: str
    site: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    private: bool = Field(False, description="Contracted private provider")
    region: str = Field("", description="Administrative region, when a file spans several")


class RegionSpec(Strict):
    """Shared geography: areas, hospital groups, units, optional given distances."""

    id: str
    name: str
    source: str = ""
    road_factor: float = Field(1.3, gt=0, description="Road km per great-circle km")
    areas: list[AreaSpec] = Field(min_length=1)
    hospital_groups: list[HospitalGroupSpec] = Field(default_factory=list)
    units: list[UnitSpec] = Field(min_length=1)
    travel_km: dict[str, dict[str, float]] | None = Field(
        None, description="Given road distances {area_id: {unit_id: km}}; others estimated"
    )

    @model_validator(mode="after")
    def _references(self) -> RegionSpec:
        unique_ids([a.id for a in self.areas], "areas")
        if any(a.region for a in self.areas):
            for i, area in enumerate(self.areas):
                if not area.region:
                    raise ValueError(f"areas.{i}.region: missing while other areas have one")
            for i, unit in enumerate(self.units):
                if not unit.region:
                    raise ValueError(
                        f"units.{i}.region: missing; the areas have administrative regions, "
                        "so every unit needs one"
                    )
        unique_ids([u.id for u in self.units], "units")
        unique_ids([g.id for g in self.hospital_groups], "hospital_groups")
        area_ids = {a.id for a in self.areas}
        group_ids = {g.id for g in self.hospital_groups}
        for i, g in enumerate(self.hospital_groups):
            for a in g.catchment:
                if a not in area_ids:
                    raise ValueError(f"hospital_groups.{i}.catchment: unknown area {a!r}")
        for i, u in enumerate(self.units):
            if group_ids and u.hospital_group not in group_ids:
                raise ValueError(
                    f"units.{i}.hospital_group: unknown hospital group {u.hospital_group!r}"
                )
        return self


def unique_ids(ids: list[str], where: str) -> None:
    """No id twice in a list; the error names the first duplicate's place."""
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise ValueError(f"{where}.{i}.id: duplicate id {x!r}")
        seen.add(x)
