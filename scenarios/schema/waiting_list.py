"""The actual waiting list at the start date: one row per waiting referral.

A forecast starts from the list as the service holds it, not from an assumed age
profile: each referral keeps its real clock start, priority, home area, stage, the unit
whose list it is on, its patient-chosen (PVV) and medically caused (MOV) waiting, and a
booking if it has one. Cross-references (priority names, units, the start date) are
checked by :class:`~scenarios.schema.scenario.Scenario`; area ids by the loader, which
knows the region.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from allokering.domain import Stage
from simulering.spec import Strict

if TYPE_CHECKING:
    from scenarios.schema.scenario import Scenario


class WaitingReferralSpec(Strict):
    """A referral waiting at the start date (*väntande remiss*)."""

    id: str = Field(min_length=1, description="Pseudonymous referral id (the worklist names it)")
    unit: str = Field(
        description="The unit whose list the referral is on: its booked or offered unit if "
        "any, else its home unit (a unit of the scenario)"
    )
    area: str = Field(description="Home area (an area id of the region)")
    priority: str = Field(description="A priority group name of the scenario")
    stage: Stage = Field(Stage.FIRST_VISIT, description="The list it waits on")
    clock_start: dt.date = Field(
        description="When the guarantee clock started (on or before run.start_date)"
    )
    excluded_days: int = Field(
        0, ge=0, description="PVV and MOV days already passed (not counted by SKR)"
    )
    pvv_until: dt.date | None = Field(
        None,
        description="Patient-chosen waiting (*patientvald väntan*) until this date: not "
        "served before it, and excluded from the official shares while it lasts",
    )
    mov_until: dt.date | None = Field(
        None,
        description="Medically caused waiting (*medicinskt orsakad väntan*) until this "
        "date: not served before it, and excluded from the official shares while it lasts",
    )
    booked_week: dt.date | None = Field(
        None,
        description="A Monday: booked at `unit` in that week (served then, holding a slot)",
    )

    @field_validator("booked_week")
    @classmethod
    def _monday(cls, v: dt.date | None) -> dt.date | None:
        if v is not None and v.weekday() != 0:
            raise ValueError(f"{v.isoformat()} is not a Monday")
        return v

    def excluded_until(self) -> dt.date | None:
        """The last of the PVV and MOV end dates (None: neither)."""
        ends = [d for d in (self.pvv_until, self.mov_until) if d is not None]
        return max(ends) if ends else None


def check_forecast_inputs(s: Scenario) -> None:
    """The waiting list, the dated capacity changes and the arrival stage agree with
    the rest of the scenario; the first problem is a ``ValueError`` naming its field."""
    servers = any(
        cap is not None and cap.kind == "servers"
        for u in s.units
        for cap in [u.first_visit, *u.treatment.values()]
    )
    if servers and (s.waiting_list is not None or s.capacity_changes):
        raise ValueError("waiting_list, capacity_changes: need slot calendars; units use servers")
    if s.demand.stage is Stage.TREATMENT and (servers or not s.pathway.treatment_pools):
        raise ValueError("demand.stage: 'treatment' needs treatment pools with slot calendars")
    _check_capacity_changes(s)
    if s.waiting_list is not None:
        if s.backlog:
            raise ValueError("backlog: give either backlog or waiting_list, not both")
        _check_waiting_list(s, s.waiting_list)


def _check_capacity_changes(s: Scenario) -> None:
    units = {u.unit: u for u in s.units}
    pools = ["first_visit"] + [p.name for p in s.pathway.treatment_pools]
    for i, c in enumerate(s.capacity_changes):
        if c.unit not in units:
            raise ValueError(f"capacity_changes.{i}.unit: unit {c.unit!r} is not in this scenario")
        if c.pool not in pools:
            raise ValueError(
                f"capacity_changes.{i}.pool: unknown pool {c.pool!r}; known: {', '.join(pools)}"
            )


def _check_waiting_list(s: Scenario, rows: list[WaitingReferralSpec]) -> None:
    priorities = {p.name for p in s.priorities}
    units = {u.unit for u in s.units}
    start = s.run.start_date
    seen: set[str] = set()
    for i, r in enumerate(rows):
        where = f"waiting_list.{i}"
        if r.id in seen:
            raise ValueError(f"{where}.id: duplicate id {r.id!r}")
        seen.add(r.id)
        if r.priority not in priorities:
            raise ValueError(f"{where}.priority: unknown priority {r.priority!r}")
        if r.unit not in units:
            raise ValueError(f"{where}.unit: unit {r.unit!r} is not in this scenario")
        if r.clock_start > start:
            raise ValueError(
                f"{where}.clock_start: {r.clock_start} is after run.start_date {start}"
            )
        if r.booked_week is not None and r.booked_week + dt.timedelta(days=6) < start:
            raise ValueError(
                f"{where}.booked_week: week {r.booked_week} ended before run.start_date {start}"
            )
        if r.stage is Stage.TREATMENT and not s.pathway.treatment_pools:
            raise ValueError(f"{where}.stage: 'treatment' but the pathway has no treatment pools")
