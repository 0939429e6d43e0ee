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
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
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

from allokering.cost import ROUTINE, cost_bound_errors, effective_weight
from allokering.domain import priority_ranks
from allokering.travel import road_km

MAX_ERRORS = 20
"""At most this many cross-field errors are reported for one problem."""

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^\S(.*\S)?$")]


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


class Weights(BaseModel):
    """Integer cost weights; the defaults make breaches dominate waiting and a day of
    waiting cost more than a kilometre of travel."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    breach: int = Field(
        default=10_000, ge=0, le=10**9, description="Cost of one care-guarantee breach."
    )
    wait_per_day: int = Field(default=10, ge=0, le=10**6, description="Cost per day waited.")
    travel_per_km: int = Field(default=1, ge=0, le=10**6, description="Cost per km (whole).")
    move: int = Field(
        default=300, ge=0, le=10**9, description="Cost of moving a referral off its booking."
    )
    priority_step: int = Field(
        default=10,
        ge=1,
        le=100,
        description="Each priority level above routine multiplies the effective weight by "
        "this (P1 = step^4 × routine); 1 ignores priority.",
    )
    overdue_per_week: int = Field(
        default=1,
        ge=0,
        le=1_000,
        description="Each full week already past the limit adds this to the effective "
        "weight's factor (1 + overdue_per_week·weeks overdue), so a breach is never sunk; "
        "0 = the older objective.",
    )
    away_from_home: int = Field(
        default=2_000,
        ge=0,
        le=10**9,
        description="Cost of placing a referral away from its home unit (2000 = 200 days "
        "of waiting at weight 1); 0 = no preference for the home unit.",
    )


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
        errors = _cross_errors(self)
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
        given = self.travel_km or {}
        table: list[list[int]] = []
        for area in self.areas:
            row = given.get(area.id, {})
            out: list[int] = []
            for unit in self.units:
                if unit.id in row:
                    out.append(round_km(row[unit.id]))
                elif None in (area.lat, area.lon, unit.lat, unit.lon):
                    raise ValueError(f"no distance for area {area.id} to unit {unit.id}")
                else:
                    out.append(round_km(road_km(area.lat, area.lon, unit.lat, unit.lon)))  # type: ignore[arg-type]
            table.append(out)
        return table


def round_km(km: float) -> int:
    """Whole kilometres, halves rounded up (distances are never negative)."""
    return math.floor(km + 0.5)


ErrorItem = tuple[tuple[str | int, ...], str, Any]


def _duplicates(ids: Sequence[str], field: str, errors: list[ErrorItem]) -> None:
    if len(set(ids)) == len(ids):
        return
    counts = Counter(ids)
    for i, x in enumerate(ids):
        if counts[x] > 1 and len(errors) < MAX_ERRORS:
            errors.append(((field, i, "id"), f"duplicate id {x!r}", x))


def _cross_errors(p: AllocationProblem) -> list[ErrorItem]:
    """Errors no single field can see: ids, references, lengths, distances."""
    errors: list[ErrorItem] = []
    h = p.horizon_weeks
    unit_ids = [u.id for u in p.units]
    area_ids = [a.id for a in p.areas]
    _duplicates(unit_ids, "units", errors)
    _duplicates(area_ids, "areas", errors)
    units, areas = set(unit_ids), set(area_ids)
    for i, u in enumerate(p.units):
        if len(u.capacity) != h:
            errors.append(
                (("units", i, "capacity"), f"has {len(u.capacity)} weeks, expected {h}", None)
            )
        if u.session_minutes is not None and len(u.session_minutes) != h:
            errors.append(
                (
                    ("units", i, "session_minutes"),
                    f"has {len(u.session_minutes)} weeks, expected {h}",
                    None,
                )
            )
        for j, a_id in enumerate(u.catchment):
            if a_id not in areas:
                errors.append((("units", i, "catchment", j), f"unknown area {a_id!r}", a_id))
    given = p.travel_km or {}
    for a_id, row in given.items():
        if a_id not in areas:
            errors.append((("travel_km", a_id), f"unknown area {a_id!r}", a_id))
        for u_id in row:
            if u_id not in units:
                errors.append((("travel_km", a_id, u_id), f"unknown unit {u_id!r}", u_id))
    for a in p.areas:
        row = given.get(a.id, {})
        for u in p.units:
            if u.id not in row and None in (a.lat, a.lon, u.lat, u.lon):
                if len(errors) >= MAX_ERRORS:
                    break
                errors.append(
                    (
                        ("travel_km", a.id, u.id),
                        "no distance: give coordinates for both the area and the unit, "
                        "or a travel_km entry",
                        None,
                    )
                )
    if len(errors) >= MAX_ERRORS:
        return errors[:MAX_ERRORS]
    refs = p.referrals
    ref_ids = [r.id for r in refs]
    _duplicates(ref_ids, "referrals", errors)
    if not {r.area for r in refs} <= areas:
        for i, r in enumerate(refs):
            if r.area not in areas and len(errors) < MAX_ERRORS:
                errors.append((("referrals", i, "area"), f"unknown area {r.area!r}", r.area))
    for i, r in enumerate(refs):
        if len(errors) >= MAX_ERRORS:
            break
        if r.eligible_units is not None:
            for j, u_id in enumerate(r.eligible_units):
                if u_id not in units:
                    errors.append(
                        (("referrals", i, "eligible_units", j), f"unknown unit {u_id!r}", u_id)
                    )
        if r.booked is not None:
            if r.booked.unit not in units:
                errors.append(
                    (
                        ("referrals", i, "booked", "unit"),
                        f"unknown unit {r.booked.unit!r}",
                        r.booked.unit,
                    )
                )
            if r.booked.week >= h:
                errors.append(
                    (
                        ("referrals", i, "booked", "week"),
                        f"week {r.booked.week} is outside the horizon 0..{h - 1}",
                        r.booked.week,
                    )
                )
        if r.home_unit is not None and r.home_unit not in units:
            errors.append(
                (("referrals", i, "home_unit"), f"unknown unit {r.home_unit!r}", r.home_unit)
            )
    if not errors:
        errors.extend(_cost_errors(p))
    return errors[:MAX_ERRORS]


def _cost_errors(p: AllocationProblem) -> list[ErrorItem]:
    """The int64 guard of :mod:`allokering.cost`: refuse weights that could overflow."""
    refs = p.referrals
    max_km = max((max(row) for row in p.km_table()), default=0)
    if refs:
        max_eff = effective_weight(
            max(map(attrgetter("weight"), refs)),
            min(map(attrgetter("priority"), refs)),
            min(map(attrgetter("deadline_day"), refs)),
            p.weights,
        )
    else:
        max_eff = 0
    found = cost_bound_errors(len(refs), max_eff, p.horizon_weeks, max_km, p.weights)
    return [(loc, msg, None) for loc, msg in found]


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
