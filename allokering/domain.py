"""Domain types shared by every layer: areas, units, priorities, the care guarantee.

Swedish terms, glossed once:
- *kommun* (municipality) is an :class:`Area`; *delregion* its sub-region.
- *enhet* (unit) is a clinic of a hospital group (*förvaltning*) at a site.
- *vårdgaranti* (care guarantee): 90 days to the first visit (*förstabesök*), 90 days
  from the decision to treat to treatment (*operation/åtgärd*).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

GUARANTEE_DAYS = 90
"""The national care guarantee limit for the first visit and for treatment (days)."""


class Stage(StrEnum):
    """A waiting stage of the pathway that the care guarantee covers."""

    FIRST_VISIT = "first_visit"
    TREATMENT = "treatment"


@dataclass(frozen=True, slots=True)
class Area:
    """A municipality (*kommun*): where referred patients live."""

    id: str
    name: str
    population: int
    lat: float
    lon: float
    subregion: str

    def __post_init__(self) -> None:
        if self.population < 0:
            raise ValueError(f"area {self.id}: population must be >= 0")
        if not (-90.0 <= self.lat <= 90.0 and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"area {self.id}: coordinates out of range")


@dataclass(frozen=True, slots=True)
class Unit:
    """A specialist clinic (*enhet*) of a hospital group at one site."""

    id: str
    name: str
    hospital_group: str
    site: str
    lat: float
    lon: float
    stages: frozenset[Stage] = frozenset({Stage.FIRST_VISIT, Stage.TREATMENT})
    catchment: frozenset[str] = field(default_factory=frozenset)
    """Ids of the areas whose patients are on this unit's own list under separate queues."""
    region: str = ""


@dataclass(frozen=True, slots=True)
class CareGuarantee:
    """The care guarantee (*vårdgaranti*): calendar-day limits per stage."""

    first_visit_days: int = GUARANTEE_DAYS
    treatment_days: int = GUARANTEE_DAYS

    def __post_init__(self) -> None:
        if not (0 < self.first_visit_days <= GUARANTEE_DAYS):
            raise ValueError("first_visit_days must be in 1..90 (regions may not exceed 90)")
        if not (0 < self.treatment_days <= GUARANTEE_DAYS):
            raise ValueError("treatment_days must be in 1..90 (regions may not exceed 90)")

    def limit(self, stage: Stage) -> int:
        return self.first_visit_days if stage is Stage.FIRST_VISIT else self.treatment_days


@dataclass(frozen=True, slots=True)
class Priority:
    """A medical priority group with its own limit, never longer than the guarantee."""

    name: str
    share: float
    first_visit_days: int = GUARANTEE_DAYS
    treatment_days: int = GUARANTEE_DAYS

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"priority {self.name}: share must be in [0, 1]")
        for days in (self.first_visit_days, self.treatment_days):
            if not 0 < days <= GUARANTEE_DAYS:
                raise ValueError(
                    f"priority {self.name}: limits must be in 1..{GUARANTEE_DAYS} days "
                    "(a priority limit may not exceed the care guarantee)"
                )

    def limit(self, stage: Stage) -> int:
        return self.first_visit_days if stage is Stage.FIRST_VISIT else self.treatment_days
