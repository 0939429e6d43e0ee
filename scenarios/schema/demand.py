"""Who is referred: the referral volume and its split, seasonality, trend and step
changes, and the backlog of patients already waiting at the start."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator

from allokering.domain import Stage
from simulering.spec import Strict


class StepChange(Strict):
    """Demand multiplied by ``factor`` from a date, e.g. a care area moved to primary care."""

    from_date: dt.date
    factor: float = Field(ge=0)
    areas: list[str] | None = Field(None, description="Only these areas (default: all)")
    note: str = ""


class DemandSpec(Strict):
    """Referrals: volume, split over areas, seasonality, trend and step changes."""

    split: Literal["population", "rates", "counts"] = Field(
        "population",
        description="'population': referrals_per_year split by population; 'rates': "
        "rates_per_1000 by area; 'counts': referrals_per_week by area, given directly "
        "(as a forecast estimates them from the history)",
    )
    referrals_per_year: float | None = Field(
        None, ge=0, description="Total referrals per year, split by population"
    )
    rates_per_1000: dict[str, float] = Field(
        default_factory=dict, description="Referrals per 1000 inhabitants per year, by area"
    )
    default_rate_per_1000: float = Field(0.0, ge=0)
    referrals_per_week: dict[str, Annotated[float, Field(ge=0)]] | None = Field(
        None,
        description="split 'counts': expected referrals per week by area id (a Poisson "
        "rate, >= 0); an area not named gets none",
    )
    stage: Stage = Field(
        Stage.FIRST_VISIT,
        description="The list new referrals join: 'first_visit'; or 'treatment': decided "
        "already, they join the treatment list directly and its clock starts at arrival",
    )
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
        if self.split == "counts" and self.referrals_per_week is None:
            raise ValueError("split 'counts' needs referrals_per_week")
        if self.split != "counts" and self.referrals_per_week is not None:
            raise ValueError(f"referrals_per_week: only with split 'counts', not {self.split!r}")
        if any(x < 0 for x in self.seasonality) or sum(self.seasonality) <= 0:
            raise ValueError("seasonality: needs 12 non-negative numbers, not all zero")
        return self


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
