"""The portal's referrals in the shared queue: register, read, one life-cycle step."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, Response, status

from api.service import service_layer
from api.service.deps import Portal, St, request_id, v1_router
from api.service.pseudonym import PseudonymousId
from api.service.schemas import (
    AssessmentIn,
    PauseIn,
    ReferralHistory,
    ReferralIn,
    ReferralOut,
    ReferralPatch,
)
from api.service.waiting_pauses import PauseKind

router = v1_router(tags=["queue"])
ReferralId = Annotated[PseudonymousId, Path(description="The client's pseudonymous referral id")]


@router.post(
    "/referrals",
    response_model=ReferralOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ReferralOut, "description": "Already registered (a retry)"}},
)
def register_referral(
    body: ReferralIn, caller: Portal, st: St, request: Request, response: Response
) -> ReferralOut:
    """Put a referral in the shared queue. Idempotent on ``referral_id``: a retry with
    the same content returns the stored record (200); different content is a 409."""
    request.state.referral_id = body.referral_id  # for the audit row of a refusal
    out, created = service_layer.register_referral(st, body, caller, request_id())
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


@router.get("/referrals/{referral_id}", response_model=ReferralOut)
def get_referral(referral_id: ReferralId, caller: Portal, st: St) -> ReferralOut:
    """The referral; the read is written to the audit log before it is answered."""
    return service_layer.get_referral(st, referral_id, caller, request_id())


@router.patch("/referrals/{referral_id}", response_model=ReferralOut)
def update_referral(
    referral_id: ReferralId, body: ReferralPatch, caller: Portal, st: St
) -> ReferralOut:
    """One step of the life cycle: waiting → offered → booked → completed, or withdrawn;
    back to waiting releases the time (``declined: true``: patient-chosen waiting when
    the offered week was within the limit). Slots are taken atomically: 409 when full."""
    return service_layer.update_referral(st, referral_id, body, caller, request_id())


@router.post("/referrals/{referral_id}/assessment", response_model=ReferralOut)
def assess_referral(
    referral_id: ReferralId, body: AssessmentIn, caller: Portal, st: St
) -> ReferralOut:
    """One step of the assessment (remissbedömning): ``received → accepted |
    returned_for_completion | rejected | forwarded`` (to ``unit``, which then assesses
    it), ``returned_for_completion → received`` when completed. Only an accepted
    referral is offered a time; rejected, it is withdrawn."""
    return service_layer.assess_referral(st, referral_id, body, caller, request_id())


@router.post("/referrals/{referral_id}/pvv", response_model=ReferralOut)
def change_pvv(referral_id: ReferralId, body: PauseIn, caller: Portal, st: St) -> ReferralOut:
    """Start or end patient-chosen waiting (PVV, patientvald väntan) on ``on``; PVV days
    are not counted as waiting and a referral in PVV is left out of SKR's shares."""
    return service_layer.change_pause(st, referral_id, PauseKind.pvv, body, caller, request_id())


@router.post("/referrals/{referral_id}/mov", response_model=ReferralOut)
def change_mov(referral_id: ReferralId, body: PauseIn, caller: Portal, st: St) -> ReferralOut:
    """Start or end medically caused waiting (MOV, medicinskt orsakad väntan) on ``on``;
    MOV days are not counted as waiting and a referral in MOV is left out of SKR's
    shares."""
    return service_layer.change_pause(st, referral_id, PauseKind.mov, body, caller, request_id())


@router.get("/referrals/{referral_id}/history", response_model=ReferralHistory)
def referral_history(referral_id: ReferralId, caller: Portal, st: St) -> ReferralHistory:
    """Every change of the referral with its business date; the read is written to the
    audit log before it is answered."""
    return service_layer.referral_history(st, referral_id, caller, request_id())
