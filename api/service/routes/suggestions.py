"""Suggestions for a referral: ranked units with room, nothing booked."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

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
) -> Response:
    """Ranked units with their earliest week with room, on-time flag and km, from the
    residual capacity (capacity minus times held). Nothing is booked.

    The answer is serialised once, here (``response_model`` documents it): FastAPI would
    otherwise validate the model the service built, on a second worker thread."""
    out = service_layer.suggest(st, referral_id, limit, caller, request_id())
    return Response(out.model_dump_json(), media_type="application/json")
