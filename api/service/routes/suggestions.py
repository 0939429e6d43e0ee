"""Suggestions for a referral: ranked units with room, nothing booked."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.service import service_layer
from api.service.deps import Portal, St, request_id, v1_router
from api.service.routes.referrals import ReferralId
from api.service.schemas import Suggestions

router = v1_router(tags=["queue"])


@router.get("/referrals/{referral_id}/suggestions", response_model=Suggestions)
def referral_suggestions(
    referral_id: ReferralId,
    caller: Portal,
    st: St,
    limit: Annotated[int, Query(ge=1, le=100)] = 5,
) -> Suggestions:
    """Ranked units with their earliest week with room, on-time flag and km, from the
    residual capacity (capacity minus times held). Nothing is booked."""
    return service_layer.suggest(st, referral_id, limit, caller, request_id())
