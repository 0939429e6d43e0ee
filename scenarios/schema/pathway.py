"""The care guarantee, the priority groups and the pathway: assessment → first visit →
decision → treatment pools."""

from __future__ import annotations

from pydantic import Field, model_validator

from allokering.domain import GUARANTEE_DAYS
from simulering.spec import Distribution, Strict


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
