"""The integer cost weights of an allocation problem (the formula is
:mod:`allokering.cost`'s)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
