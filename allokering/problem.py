"""The allocation problem and its result: the public JSON contract (pydantic v2).

An :class:`AllocationProblem` asks where each waiting referral (*remiss*) should go —
which unit (*enhet*) and which week — so that few patients break the care guarantee
(*vårdgaranti*), waits are short and travel is reasonable.

Semantics (exact; every solver and :func:`allokering.validate.validate` follow them):

- week ``w`` (0 = the current week) covers days ``7w … 7w+6`` from today;
- assigning referral ``r`` to unit ``u`` in week ``w`` is **on time** iff
  ``7·w ≤ deadline_day``;
- it is **allowed** iff ``u`` is in ``eligible_units`` (when given) and the distance
  ``km(area, u)`` is at most ``max_travel_km`` (when given);
- at most ``capacity[u][w]`` referrals go to ``(u, w)``;
- the **effective weight** is ``W = min(MAX_EFFECTIVE_WEIGHT, weight·priority_step^(5 −
  priority)·(1 + overdue_per_week·floor(max(0, −deadline_day)/7)))``
  (:mod:`allokering.cost`; ``MAX_EFFECTIVE_WEIGHT`` = 10⁶);
- the **home unit** of a referral is its ``home_unit`` when given, else the unit whose
  ``catchment`` lists its area (the first such unit), else none;
- its cost is ``W·(breach·[late] + wait_per_day·7w) + travel_per_km·km(area, u)
  + away_from_home·[home set and u ≠ home] + move·[booked and (u, w) ≠ booked]``;
- a referral may stay unassigned at cost ``W·(breach·[deadline_day < 7H] +
  wait_per_day·7H) + move·[booked]`` and no travel;
- ``priority_step=1, overdue_per_week=0, away_from_home=0`` give the older objective
  (``weight`` in place of ``W``, no away cost);
- a problem is refused when its worst-case referral cost exceeds 2·10¹² or the worst
  total exceeds 2⁶² (so no solver's int64 arithmetic can overflow); the error names the
  weight to lower.

Distances ``km(area, u)`` are whole kilometres: the given ``travel_km`` value or the
great-circle distance × 1.3, **rounded to the nearest whole km** — for the travel cost,
the travel totals and the ``max_travel_km`` test alike.

Referral, booking and assignment rows are slotted dataclasses validated by pydantic
(rather than ``BaseModel``\\ s) because problems hold up to millions of them; they are
validated exactly like model fields when read from JSON.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from allokering.cost import ROUTINE
from allokering.domain import priority_ranks
from allokering.places import AreaRef, UnitCapacity, km_table, round_km
from allokering.problem_checks import MAX_ERRORS, cross_errors
from allokering.referral import Booking, Id, Referral
from allokering.weights import Weights

__all__ = [
    "MAX_ERRORS",
    "AllocationProblem",
    "AllocationResult",
    "AreaRef",
    "Assignment",
    "Booking",
    "Id",
    "Objective",
    "Referral",
    "Status",
    "UnitCapacity",
    "Weights",
    "gc_paused",
    "load_problem",
    "priority_level",
    "priority_levels",
    "round_km",
]


class AllocationProblem(BaseModel):
    """Waiting referrals, units with weekly capacity, areas, distances and weights."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    horizon_weeks: int = Field(ge=1, le=520, description="H: weeks 0..H-1 are planned.")
    units: list[UnitCapacity] = Field(min_length=1, description="Units with capacity.")
    areas: list[AreaRef] = Field(min_length=1, description="Areas patients live in.")
    travel_km: dict[str, dict[str, Annotated[float, Field(ge=0)]]] | None = Field(
        default=None,
        description="Road km {area_id: {unit_id: km}}; where absent, great-circle × 1.3 "
        "from the coordinates. Rounded to whole km.",
    )
    referrals: list[Referral] = Field(description="The waiting referrals.")
    weights: Weights = Field(default_factory=Weights, description="Cost weights.")

    _compiled: Any = PrivateAttr(default=None)
    """Cache of the columnar view (:mod:`allokering.compiled`)."""

    @model_validator(mode="after")
    def _check_references(self) -> AllocationProblem:
        errors = cross_errors(
            self.horizon_weeks,
            self.units,
            self.areas,
            self.travel_km,
            self.referrals,
            self.weights,
        )
        if errors:
            raise ValidationError.from_exception_data(
                "AllocationProblem",
                [
                    InitErrorDetails(
                        type=PydanticCustomError("invalid_reference", msg),
                        loc=loc,
                        input=value,
                    )
                    for loc, msg, value in errors
                ],
            )
        return self

    @property
    def has_side_constraints(self) -> bool:
        """True when a CP-SAT-only constraint (sessions, external share, floors) is set."""
        return (
            any(u.session_minutes is not None for u in self.units)
            or any(u.max_external_percent is not None for u in self.units)
            or any(a.min_on_time_percent is not None for a in self.areas)
        )

    def km_table(self) -> list[list[int]]:
        """Whole-km distance ``[area index][unit index]`` (given, else road estimate)."""
        return km_table(self.areas, self.units, self.travel_km)


def priority_level(name: str) -> int:
    """The cost priority level of a service priority name: ``"P1"``..``"P4"``
    (case-insensitive, surrounding spaces ignored) → 1..4; anything else (``"standard"``,
    ``"routine"``, ``"P5"``, ...) → 5 (routine)."""
    s = name.strip().upper()
    if len(s) == 2 and s[0] == "P" and s[1] in "1234":
        return int(s[1])
    return ROUTINE


def priority_levels(limits: Sequence[int]) -> list[int]:
    """Levels for a scenario's priority groups given their guarantee limits (in any
    order): the group ranked first by :func:`~allokering.domain.priority_ranks` (the
    shortest limit) → 1, the next → 2, …; the group(s) with the longest limit (the
    routine one) always → 5. Equal shorter limits keep file order (the first gets the
    more urgent level); a single group → 5; more than four shorter groups share 4."""
    longest = max(limits, default=0)
    return [
        ROUTINE if limit == longest else min(rank + 1, ROUTINE - 1)
        for limit, rank in zip(limits, priority_ranks(limits), strict=True)
    ]


class Status(StrEnum):
    """How a solver ended."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIME_LIMIT = "time_limit"
    ERROR = "error"


class Objective(BaseModel):
    """The objective's parts, unweighted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    breaches: int = Field(
        ge=0,
        description="Referrals placed late plus unassigned ones whose limit falls within "
        "the horizon (deadline_day < 7H).",
    )
    total_wait_days: int = Field(
        ge=0, description="Sum of 7·week over placed referrals plus 7·H per unassigned one."
    )
    total_travel_km: int = Field(ge=0, description="Sum of whole km over placed referrals.")
    moves: int = Field(ge=0, description="Booked referrals not kept at their booked time.")


@dataclass(slots=True)
class Assignment:
    """One referral placed at a unit and week (a result row)."""

    referral: Annotated[str, Field(description="Referral id.")]
    unit: Annotated[str, Field(description="Unit id.")]
    week: Annotated[int, Field(ge=0, description="Week (0 = current week).")]
    on_time: Annotated[bool, Field(description="7·week <= deadline_day.")]
    reason: Annotated[str, Field(description="Short explanation for a coordinator.")] = ""


class AllocationResult(BaseModel):
    """A solver's answer; re-check it with :func:`allokering.validate.validate`."""

    model_config = ConfigDict(extra="forbid")

    status: Status = Field(description="optimal | feasible | infeasible | time_limit | error")
    cost: int | None = Field(default=None, description="Total cost (see the problem docs).")
    objective: Objective | None = Field(default=None, description="Unweighted parts.")
    lower_bound: int | None = Field(
        default=None, description="Proven lower bound on the optimal cost, when known."
    )
    gap: float | None = Field(
        default=None, ge=0, description="(cost - lower_bound) / max(1, cost), when known."
    )
    assignments: list[Assignment] = Field(default_factory=list, description="Placements.")
    unassigned: list[str] = Field(default_factory=list, description="Unplaced referral ids.")
    solve_seconds: float = Field(default=0.0, ge=0, description="Wall time of the solver.")
    solver: str = Field(description="Solver name.")
    message: str = Field(default="", description="Details, e.g. why the status is error.")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of acyclic rows."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_problem(path: str | Path) -> AllocationProblem:
    """Read and validate a problem JSON file (raises ``ValidationError`` / ``OSError``)."""
    data = Path(path).read_bytes()
    with gc_paused():
        return AllocationProblem.model_validate_json(data)
