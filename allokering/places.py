"""Where patients live and where they can be seen: units (*enheter*) with their weekly
capacity, areas (*kommuner*), and the whole-km distances between them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from allokering.referral import Id
from allokering.travel import road_km


class UnitCapacity(BaseModel):
    """A unit (*enhet*) with its weekly slots and optional side-constraint data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Id = Field(description="Unique unit id.")
    name: str | None = Field(default=None, max_length=200, description="Readable name.")
    capacity: list[Annotated[int, Field(ge=0)]] = Field(
        description="Slots per week for weeks 0..H-1 (exactly horizon_weeks non-negative integers)."
    )
    lat: float | None = Field(default=None, ge=-90, le=90, description="Latitude (WGS84).")
    lon: float | None = Field(default=None, ge=-180, le=180, description="Longitude (WGS84).")
    catchment: list[str] = Field(
        default_factory=list,
        description="Ids of the areas whose home unit this is (*upptagningsområde*).",
    )
    session_minutes: list[Annotated[int, Field(ge=0)]] | None = Field(
        default=None,
        description="CP-SAT only: session minutes per week (H values); the procedure "
        "minutes of the referrals placed in a week may not exceed them.",
    )
    max_external_percent: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="CP-SAT only: at most this percentage of the referrals placed at the "
        "unit over the horizon may come from outside its catchment.",
    )

    @property
    def label(self) -> str:
        """The name if given, else the id."""
        return self.name or self.id


class AreaRef(BaseModel):
    """An area (*kommun*) patients live in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Id = Field(description="Unique area id.")
    name: str | None = Field(default=None, max_length=200, description="Readable name.")
    lat: float | None = Field(default=None, ge=-90, le=90, description="Latitude (WGS84).")
    lon: float | None = Field(default=None, ge=-180, le=180, description="Longitude (WGS84).")
    min_on_time_percent: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="CP-SAT only (fairness floor): of the area's referrals not yet "
        "breached (deadline_day >= 0), at least this percentage is placed on time.",
    )


def round_km(km: float) -> int:
    """Whole kilometres, halves rounded up (distances are never negative)."""
    return math.floor(km + 0.5)


def km_table(
    areas: Sequence[AreaRef],
    units: Sequence[UnitCapacity],
    travel_km: Mapping[str, Mapping[str, float]] | None,
) -> list[list[int]]:
    """Whole-km distance ``[area index][unit index]``: the given ``travel_km`` value,
    else the road estimate from the coordinates."""
    given = travel_km or {}
    table: list[list[int]] = []
    for area in areas:
        row = given.get(area.id, {})
        out: list[int] = []
        for unit in units:
            if unit.id in row:
                out.append(round_km(row[unit.id]))
            elif None in (area.lat, area.lon, unit.lat, unit.lon):
                raise ValueError(f"no distance for area {area.id} to unit {unit.id}")
            else:
                out.append(round_km(road_km(area.lat, area.lon, unit.lat, unit.lon)))  # type: ignore[arg-type]
        table.append(out)
    return table
