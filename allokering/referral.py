r"""The rows of an allocation problem: a waiting referral (*remiss*) and its existing
booked time. Slotted dataclasses validated by pydantic (rather than ``BaseModel``\ s)
because problems hold up to millions of them; they are validated exactly like model
fields when read from JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^\S(.*\S)?$")]
"""A unit or area id: 1 to 128 characters, no surrounding whitespace."""


@dataclass(frozen=True, slots=True)
class Booking:
    """An existing booked time (*bokad tid*) of a referral."""

    unit: Annotated[str, Field(min_length=1, description="Id of the unit of the booked time.")]
    week: Annotated[
        int, Field(ge=0, description="Week of the booked time (0 = current week, < H).")
    ]


@dataclass(frozen=True, slots=True)
class Referral:
    """One waiting referral (*remiss*) to place at a unit and week."""

    id: Annotated[str, Field(min_length=1, max_length=128, description="Unique referral id.")]
    area: Annotated[
        str, Field(min_length=1, description="Id of the patient's home area (*kommun*).")
    ]
    deadline_day: Annotated[
        int,
        Field(
            ge=-100_000,
            le=100_000,
            description="Days from today to the care-guarantee limit; <= 0 when already "
            "breached. On time in week w iff 7*w <= deadline_day.",
        ),
    ]
    weight: Annotated[
        int,
        Field(
            ge=1,
            le=1_000,
            description="Base weight: W = min(10^6, weight * priority_step^(5 - priority) * "
            "(1 + overdue_per_week * floor(max(0, -deadline_day) / 7))) multiplies the "
            "breach and waiting costs.",
        ),
    ] = 1
    eligible_units: Annotated[
        list[str] | None,
        Field(description="Units allowed to take the referral; null means every unit."),
    ] = None
    max_travel_km: Annotated[
        float | None,
        Field(
            ge=0,
            description="Longest acceptable distance in whole km (rounded); null = no limit.",
        ),
    ] = None
    booked: Annotated[
        Booking | None,
        Field(description="Existing booked time; moving away from it costs weights.move."),
    ] = None
    procedure_minutes: Annotated[
        int,
        Field(
            ge=0,
            le=100_000,
            description="Session minutes the visit or procedure takes (CP-SAT session "
            "constraint only; 0 = uses no session time).",
        ),
    ] = 0
    priority: Annotated[
        int,
        Field(
            ge=1,
            le=5,
            description="Medical priority: 1 = most urgent (P1) … 5 = routine (default). "
            "The effective weight is multiplied by priority_step^(5 - priority).",
        ),
    ] = 5
    home_unit: Annotated[
        str | None,
        Field(
            min_length=1,
            description="The referral's home unit; overrides the unit whose catchment "
            "lists the area. Placing elsewhere costs weights.away_from_home; null = the "
            "catchment's unit, or no away cost when no unit lists the area.",
        ),
    ] = None
