"""The scenario file: a region and the demand, pathway, capacity, behaviour, backlog,
prices and run settings of a concept test, checked for consistency."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, model_validator

from scenarios.schema.behaviour import BehaviourSpec
from scenarios.schema.capacity import CapacityChangeSpec, ReductionSpec, UnitCapacitySpec
from scenarios.schema.demand import BacklogSpec, DemandSpec
from scenarios.schema.pathway import GuaranteeSpec, PathwaySpec, PrioritySpec
from scenarios.schema.region import RegionSpec, unique_ids
from scenarios.schema.waiting_list import WaitingReferralSpec, check_forecast_inputs
from simulering.policies import POLICIES
from simulering.spec import Offers, PolicyOptions, Strict

KNOWN_POLICIES: tuple[str, ...] = tuple(POLICIES)
"""The policy names a scenario may run, in the registry's order (today's baseline
first): :data:`simulering.policies.POLICIES`."""


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
    title_sv: str = Field("", description="The title in Swedish (the Swedish report)")
    description_sv: str = Field("", description="The description in Swedish")
    sources_sv: list[str] = Field(
        default_factory=list, description="The sources in Swedish, one for each, in order"
    )
    assumptions_sv: list[str] = Field(
        default_factory=list, description="The assumptions in Swedish, one for each, in order"
    )
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
    capacity_changes: list[CapacityChangeSpec] = Field(
        default_factory=list,
        description="Dated capacity per unit and pool (a summer closure, extra clinics), "
        "overriding the unit's base slots_per_week; later entries win where they overlap",
    )
    waiting_list: list[WaitingReferralSpec] | None = Field(
        None,
        description="The actual waiting list at run.start_date, one row per referral "
        "(used instead of backlog)",
    )
    forecast_estimates: dict[str, Any] | None = Field(
        None,
        description="What a forecast estimated from the history (name -> {value, from, "
        "weeks_of_history, n}); kept for the forecast document, ignored by the model",
    )
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
        for name, given, own in (
            ("sources_sv", self.sources_sv, self.sources),
            ("assumptions_sv", self.assumptions_sv, self.assumptions),
        ):
            if given and len(given) != len(own):
                raise ValueError(
                    f"{name}: {len(given)} item(s) but {name[:-3]} has {len(own)}; give each "
                    "one in Swedish, in the same order"
                )
        if abs(sum(p.share for p in self.priorities) - 1) > 1e-6:
            raise ValueError("priorities: shares must sum to 1")
        for i, p in enumerate(self.priorities):
            if p.first_visit_days > self.guarantee.first_visit_days:
                raise ValueError(f"priorities.{i}.first_visit_days: longer than the guarantee")
            if p.treatment_days > self.guarantee.treatment_days:
                raise ValueError(f"priorities.{i}.treatment_days: longer than the guarantee")
        unique_ids([u.unit for u in self.units], "units")
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
        check_forecast_inputs(self)
        return self
