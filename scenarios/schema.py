"""The scenario file format: YAML validated by these pydantic models.

A *region file* (``scenarios/regioner/*.yaml``) holds the geography several scenarios
share: areas (municipalities), hospital groups with their catchments, and units. A
*scenario file* names a region (or embeds one) and adds demand, pathway, capacity,
patient behaviour, backlog and run settings. ``remiss scenarios schema`` prints the JSON
Schema of :class:`Scenario`.

The settings the compiled spec holds as they are — a duration
(:class:`~simulering.spec.Distribution`), the coordinator's offers
(:class:`~simulering.spec.Offers`) and the policies' options
(:class:`~simulering.spec.PolicyOptions`) — are defined once in :mod:`simulering.spec`
and used here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from allokering.domain import GUARANTEE_DAYS, Stage
from simulering.policies import POLICIES
from simulering.spec import Distribution, Offers, PolicyOptions, Strict

KNOWN_POLICIES: tuple[str, ...] = tuple(POLICIES)
"""The policy names a scenario may run, in the registry's order (today's baseline
first): :data:`simulering.policies.POLICIES`."""


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
        _unique([a.id for a in self.areas], "areas")
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
        _unique([u.id for u in self.units], "units")
        _unique([g.id for g in self.hospital_groups], "hospital_groups")
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


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise ValueError(f"{where}.{i}.id: duplicate id {x!r}")
        seen.add(x)


# --- the scenario ----------------------------------------------------------------------
class GuaranteeSpec(Strict):
    """The care guarantee (*vårdgaranti*) in calendar days."""

    first_visit_days: int = Field(GUARANTEE_DAYS, gt=0, le=GUARANTEE_DAYS)
    treatment_days: int = Field(GUARANTEE_DAYS, gt=0, le=GUARANTEE_DAYS)


class PrioritySpec(Strict):
    """A priority group with its own limits (never longer than the guarantee)."""

    name: str
    share: float = Field(ge=0, le=1)
    first_visit_days: int = Field(GUARANTEE_DAYS, gt=0, le=GUARANTEE_DAYS)
    treatment_days: int = Field(GUARANTEE_DAYS, gt=0, le=GUARANTEE_DAYS)


class StepChange(Strict):
    """Demand multiplied by ``factor`` from a date, e.g. a care area moved to primary care."""

    from_date: dt.date
    factor: float = Field(ge=0)
    areas: list[str] | None = Field(None, description="Only these areas (default: all)")
    note: str = ""


class DemandSpec(Strict):
    """Referrals: volume, split over areas, seasonality, trend and step changes."""

    split: Literal["population", "rates"] = "population"
    referrals_per_year: float | None = Field(
        None, ge=0, description="Total referrals per year, split by population"
    )
    rates_per_1000: dict[str, float] = Field(
        default_factory=dict, description="Referrals per 1000 inhabitants per year, by area"
    )
    default_rate_per_1000: float = Field(0.0, ge=0)
    seasonality: list[float] = Field(
        default_factory=lambda: [1.0] * 12,
        min_length=12,
        max_length=12,
        description="Relative volume per month Jan..Dec (normalised to mean 1)",
    )
    trend_per_year: float = Field(0.0, gt=-1, description="Growth per year, 0.02 = +2 %")
    steps: list[StepChange] = Field(default_factory=list)

    @model_validator(mode="after")
    def _volume(self) -> DemandSpec:
        if self.split == "population" and self.referrals_per_year is None:
            raise ValueError("split 'population' needs referrals_per_year")
        if self.split == "rates" and not self.rates_per_1000 and not self.default_rate_per_1000:
            raise ValueError("split 'rates' needs rates_per_1000 or default_rate_per_1000")
        if any(x < 0 for x in self.seasonality) or sum(self.seasonality) <= 0:
            raise ValueError("seasonality: needs 12 non-negative numbers, not all zero")
        return self


class AssessmentSpec(Strict):
    """Referral assessment (*remissbedömning*); the guarantee clock runs throughout."""

    delay_days: Distribution = Field(default_factory=Distribution)
    returned_share: float = Field(0.0, ge=0, le=1, description="Returned for completion")
    completion_days: Distribution = Field(default_factory=Distribution)


class TreatmentPoolSpec(Strict):
    """A treatment sub-pool, e.g. day surgery or central operating theatres."""

    name: str
    share: float = Field(ge=0, le=1, description="Share of treated patients in this pool")


class PathwaySpec(Strict):
    """Assessment → first visit → decision → treatment (own 90-day clock)."""

    assessment: AssessmentSpec = Field(default_factory=AssessmentSpec)
    decision_share: float = Field(0.0, ge=0, le=1, description="Share decided for treatment")
    treatment_pools: list[TreatmentPoolSpec] = Field(
        default_factory=lambda: [TreatmentPoolSpec(name="treatment", share=1.0)]
    )

    @model_validator(mode="after")
    def _pools(self) -> PathwaySpec:
        names = [p.name for p in self.treatment_pools]
        if len(set(names)) != len(names):
            raise ValueError("treatment_pools: duplicate pool names")
        if self.treatment_pools and abs(sum(p.share for p in self.treatment_pools) - 1) > 1e-6:
            raise ValueError("treatment_pools: shares must sum to 1")
        return self


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


class TravelSpec(Strict):
    """Willingness to travel to a unit other than the home unit.

    Either a hard ``limit_km`` or an ``acceptance`` curve of ``[km, probability]``
    points (piecewise linear, probability non-increasing with distance).
    """

    limit_km: float | None = Field(None, ge=0)
    acceptance: list[tuple[float, float]] | None = None

    @model_validator(mode="after")
    def _one(self) -> TravelSpec:
        if (self.limit_km is None) == (self.acceptance is None):
            raise ValueError("give exactly one of limit_km or acceptance")
        if self.acceptance is not None:
            pts = self.acceptance
            if len(pts) < 2:
                raise ValueError("acceptance: at least two [km, probability] points")
            for (k1, p1), (k2, p2) in itertools.pairwise(pts):
                if k2 <= k1 or p2 > p1:
                    raise ValueError(
                        "acceptance: km must increase and probability must not increase"
                    )
            if any(not 0 <= p <= 1 for _, p in pts):
                raise ValueError("acceptance: probabilities must be in [0, 1]")
        return self


class BehaviourSpec(Strict):
    """Patient behaviour."""

    travel: TravelSpec = Field(default_factory=lambda: TravelSpec(limit_km=1e9))
    no_show_share: float = Field(0.0, ge=0, lt=1)
    no_show_restarts_clock: bool = Field(
        False, description="Restart the guarantee clock at rebooking after a no-show"
    )
    withdrawal_share_per_year: float = Field(
        0.0, ge=0, lt=1, description="Share of waiting patients who withdraw within a year"
    )


class AgeBand(Strict):
    """Part of an age profile: ``share`` of the backlog has waited from..to days."""

    from_days: float = Field(ge=0)
    to_days: float = Field(ge=0)
    share: float = Field(ge=0, le=1)


class BacklogSpec(Strict):
    """Patients already waiting at a unit at the start."""

    unit: str
    stage: Stage = Stage.FIRST_VISIT
    count: int = Field(ge=0)
    age_profile: list[AgeBand] = Field(
        default_factory=lambda: [AgeBand(from_days=0, to_days=90, share=1.0)]
    )

    @model_validator(mode="after")
    def _profile(self) -> BacklogSpec:
        if abs(sum(b.share for b in self.age_profile) - 1) > 1e-6:
            raise ValueError("age_profile: shares must sum to 1")
        if any(b.to_days < b.from_days for b in self.age_profile):
            raise ValueError("age_profile: to_days must be >= from_days")
        return self


class RunSpec(Strict):
    """Run settings."""

    start_date: dt.date = dt.date(2026, 1, 1)
    horizon_days: int = Field(730, gt=0, le=365 * 20)
    warmup_days: int = Field(180, ge=0)
    seed: int = Field(20260101, ge=0)
    replications: int = Field(10, ge=1)
    policies: list[str] = Field(default_factory=lambda: ["separate", "shared"], min_length=1)

    @model_validator(mode="after")
    def _check(self) -> RunSpec:
        if self.warmup_days >= self.horizon_days:
            raise ValueError("warmup_days must be shorter than horizon_days")
        return self


class CrossRegionSpec(Strict):
    """Prices for care given to residents of another administrative region.

    A unit of one region that treats a patient whose home area belongs to another region
    bills the patient's region (*utomlänsvård*, within a healthcare region by its price
    list). The KPI ``cross_region_cost_sek`` counts such patients served in the measured
    period per stage and multiplies by the stage's price. Needs ``region`` on the areas
    and units of the region file.
    """

    price_per_referral_sek: float = Field(
        0.0,
        ge=0,
        description="Price (SEK) per referral whose treatment is carried out at a unit of "
        "another administrative region than the patient's home area",
    )
    price_per_first_visit_sek: float = Field(
        0.0,
        ge=0,
        description="Price (SEK) per first visit at a unit of another administrative region",
    )


class Scenario(Strict):
    """A concept-test scenario."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str = ""
    description: str = ""
    sources: list[str] = Field(default_factory=list, description="Where the numbers come from")
    assumptions: list[str] = Field(default_factory=list, description="Numbers that are guesses")
    region: str | RegionSpec = Field(
        description="A region file name in scenarios/regioner (e.g. 'vgr'), a path, or inline"
    )
    guarantee: GuaranteeSpec = Field(default_factory=GuaranteeSpec)
    priorities: list[PrioritySpec] = Field(
        default_factory=lambda: [PrioritySpec(name="standard", share=1.0)]
    )
    demand: DemandSpec
    pathway: PathwaySpec = Field(default_factory=PathwaySpec)
    units: list[UnitCapacitySpec] = Field(min_length=1)
    reductions: list[ReductionSpec] = Field(default_factory=list)
    behaviour: BehaviourSpec = Field(default_factory=BehaviourSpec)
    backlog: list[BacklogSpec] = Field(default_factory=list)
    offer_scan_limit: int = Field(
        5, ge=1, description="Offers a coordinator makes per freed slot (shared lists)"
    )
    offers: Offers = Field(
        default_factory=Offers, description="When and how often another unit is offered"
    )
    priority_rule: Literal["strict", "deadline"] = Field(
        "strict",
        description="The turn order of every list: 'strict' serves a higher priority group "
        "(shorter limit) before any lower one, within a group the oldest clock first, "
        "overdue included; 'deadline' serves the earliest guarantee deadline first (a "
        "weighted rule: a group whose limit is L days shorter goes as if it had waited "
        "L days longer)",
    )
    policy_options: PolicyOptions = Field(
        default_factory=PolicyOptions,
        description="Settings of the optimised and patient_choice policies",
    )
    cross_region: CrossRegionSpec = Field(
        default_factory=CrossRegionSpec,
        description="Prices per referral served in another administrative region "
        "(default none: the cross-region cost KPI is 0)",
    )
    run: RunSpec = Field(default_factory=RunSpec)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if abs(sum(p.share for p in self.priorities) - 1) > 1e-6:
            raise ValueError("priorities: shares must sum to 1")
        for i, p in enumerate(self.priorities):
            if p.first_visit_days > self.guarantee.first_visit_days:
                raise ValueError(f"priorities.{i}.first_visit_days: longer than the guarantee")
            if p.treatment_days > self.guarantee.treatment_days:
                raise ValueError(f"priorities.{i}.treatment_days: longer than the guarantee")
        _unique([u.unit for u in self.units], "units")
        pools = {p.name for p in self.pathway.treatment_pools}
        for i, u in enumerate(self.units):
            for name in u.treatment:
                if name not in pools:
                    raise ValueError(
                        f"units.{i}.treatment.{name}: not a treatment pool of the pathway "
                        f"({', '.join(sorted(pools))})"
                    )
        for pool_name, caps in [("first_visit", [u.first_visit for u in self.units])] + [
            (p, [u.treatment.get(p) for u in self.units]) for p in sorted(pools)
        ]:
            kinds = {c.kind for c in caps if c is not None}
            if len(kinds) > 1:
                raise ValueError(
                    f"units: pool {pool_name!r} mixes slot calendars and servers; use one kind"
                )
        for i, pol in enumerate(self.run.policies):
            if pol not in KNOWN_POLICIES:
                raise ValueError(
                    f"run.policies.{i}: unknown policy {pol!r}; known: {', '.join(KNOWN_POLICIES)}"
                )
        return self
