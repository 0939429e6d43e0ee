"""Patient behaviour: willingness to travel, no-shows and withdrawal."""

from __future__ import annotations

import itertools

from pydantic import Field, model_validator

from simulering.spec import Strict


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
