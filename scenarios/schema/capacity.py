"""Capacity: slot calendars or server pools per unit and stage, and recurring
reductions such as the summer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from simulering.spec import Distribution, Strict


class SlotCalendar(Strict):
    """Capacity as a slot calendar: slots per week spread over weekdays."""

    kind: Literal["slots"] = "slots"
    slots_per_week: float = Field(ge=0)
    weekdays: list[int] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], description="0 = Monday … 6 = Sunday"
    )

    @field_validator("weekdays")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if not v or any(d < 0 or d > 6 for d in v) or len(set(v)) != len(v):
            raise ValueError("weekdays: distinct numbers 0 (Monday) … 6 (Sunday), at least one")
        return v


class Servers(Strict):
    """Capacity as parallel servers with a service-time distribution (for theory checks)."""

    kind: Literal["servers"] = "servers"
    servers: int = Field(ge=1)
    service_days: Distribution


def _capacity_kind(v: Any) -> str:
    """``kind`` may be left out: ``servers:`` implies a server pool, else slots."""
    if isinstance(v, dict):
        return str(v.get("kind", "servers" if "servers" in v else "slots"))
    return str(getattr(v, "kind", "slots"))


Capacity = Annotated[
    Annotated[SlotCalendar, Tag("slots")] | Annotated[Servers, Tag("servers")],
    Discriminator(_capacity_kind),
]


class UnitCapacitySpec(Strict):
    """A unit taking part in the scenario and its capacity per stage/pool."""

    unit: str = Field(description="A unit id of the region")
    catchment: list[str] | None = Field(
        None, description="Area ids this unit owns (default: by its hospital group)"
    )
    first_visit: Capacity | None = None
    treatment: dict[str, Capacity] = Field(
        default_factory=dict, description="Capacity per treatment pool name"
    )


class ReductionSpec(Strict):
    """A recurring capacity reduction each year, e.g. the Swedish summer."""

    name: str
    start: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD, first day")
    end: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD, last day")
    factor: float = Field(ge=0, le=1, description="Share of normal capacity kept")
    units: list[str] | None = None
    pools: list[str] | None = Field(None, description="'first_visit' or treatment pool names")

    @field_validator("start", "end")
    @classmethod
    def _month_day(cls, v: str) -> str:
        try:
            dt.date(2024, int(v[:2]), int(v[3:]))
        except ValueError:
            raise ValueError(f"{v!r} is not a valid MM-DD day") from None
        return v


class CapacityChangeSpec(Strict):
    """A dated change of one unit's capacity in one pool: from ``from_date`` to
    ``to_date`` inclusive the unit offers ``slots_per_week`` instead of its calendar's
    base (0 = closed). Later entries win where they overlap."""

    unit: str = Field(description="A unit of the scenario")
    pool: str = Field(description="'first_visit' or a treatment pool name")
    from_date: dt.date
    to_date: dt.date | None = Field(None, description="Last day (null: to the horizon)")
    slots_per_week: float = Field(ge=0, description="Slots per week in the period; 0 = closed")

    @model_validator(mode="after")
    def _order(self) -> CapacityChangeSpec:
        if self.to_date is not None and self.to_date < self.from_date:
            raise ValueError("to_date: before from_date")
        return self
