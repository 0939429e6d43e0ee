"""Domain types shared by every layer: stages, priorities, the care guarantee, capacity.

Swedish terms, glossed once:
- *kommun* (municipality) is an area; *delregion* its sub-region.
- *enhet* (unit) is a clinic of a hospital group (*förvaltning*) at a site.
- *vårdgaranti* (care guarantee): 90 days to the first visit (*förstabesök*), 90 days
  from the decision to treat to treatment (*operation/åtgärd*).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

GUARANTEE_DAYS = 90
"""The national care guarantee limit for the first visit and for treatment (days)."""


class Stage(StrEnum):
    """A waiting stage of the pathway that the care guarantee covers."""

    FIRST_VISIT = "first_visit"
    TREATMENT = "treatment"


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


def priority_ranks(limits: Sequence[int]) -> list[int]:
    """The turn order of priority groups given their limits for one stage (in any order).

    A higher clinical priority — a shorter limit — is served first: rank 0 for the most
    urgent group (the shortest limit), 1 for the next, and so on; groups with equal
    limits keep file order (the first is the more urgent).
    """
    order = sorted(range(len(limits)), key=lambda g: (limits[g], g))
    rank = [0] * len(limits)
    for r, g in enumerate(order):
        rank[g] = r
    return rank


@dataclass(frozen=True, slots=True)
class CapacityPlan:
    """Bookable slots of one unit in one capacity pool, per day from a start day.

    Built from a weekly slot count spread over weekdays, times a per-day factor for
    reductions such as the Swedish summer. Fractional capacity carries over: the
    running total of slots tracks ``slots_per_week × factor`` exactly, so 7.5 slots a
    week gives 15 slots in two weeks.
    """

    unit: str
    pool: str
    slots_per_day: tuple[int, ...]

    @classmethod
    def from_calendar(
        cls,
        unit: str,
        pool: str,
        slots_per_week: float,
        weekdays: frozenset[int],
        day_of_week: list[int],
        factors: list[float],
    ) -> CapacityPlan:
        """Slots per day for days with the given weekday numbers (0 = Monday) and factors."""
        if slots_per_week < 0:
            raise ValueError(f"{unit}/{pool}: slots_per_week must be >= 0")
        if not weekdays:
            raise ValueError(f"{unit}/{pool}: at least one weekday")
        per_open_day = slots_per_week / len(weekdays)
        slots: list[int] = []
        running, issued = 0.0, 0
        for dow, factor in zip(day_of_week, factors, strict=True):
            if dow in weekdays:
                running += per_open_day * factor
            day = int(running + 1e-9) - issued
            issued += day
            slots.append(day)
        return cls(unit, pool, tuple(slots))
