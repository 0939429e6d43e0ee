"""The portal's routes: the shared queue, suggestions, allocation runs, queue status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from sqlalchemy.exc import IntegrityError

from api.service import allocation_runs, http_problems, queue
from api.service.deps import State, no_unknown_query, request_id, state
from api.service.keys import Caller, Role, require
from api.service.pseudonym import PseudonymousId
from api.service.schemas import (
    AllocationRunIn,
    AllocationRunOut,
    IsoDate,
    QueueStatus,
    ReferralIn,
    ReferralOut,
    ReferralPatch,
    Suggestions,
)

router = APIRouter(
    prefix="/v1",
    responses=http_problems.RESPONSES,
    dependencies=[Depends(no_unknown_query)],
)
Portal = Annotated[Caller, Depends(require(Role.portal))]
ReferralId = Annotated[PseudonymousId, Path(description="The client's pseudonymous referral id")]
St = Annotated[State, Depends(state)]


@router.post(
    "/referrals",
    response_model=ReferralOut,
    status_code=status.HTTP_201_CREATED,
    tags=["queue"],
    responses={200: {"model": ReferralOut, "description": "Already registered (a retry)"}},
)
def register_referral(body: ReferralIn, caller: Portal, st: St, response: Response) -> ReferralOut:
    """Put a referral in the shared queue. Idempotent on ``referral_id``: a retry with
    the same content returns the stored record (200); different content is a 409."""
    try:
        with st.sessions.begin() as s:
            row, created = queue.register(s, st.geography, body, caller, request_id())
            out = queue.referral_out(row)
    except IntegrityError:  # the same id arrived concurrently: answer as a retry
        with st.sessions.begin() as s:
            row, created = queue.register(s, st.geography, body, caller, request_id())
            out = queue.referral_out(row)
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


@router.get("/referrals/{referral_id}", response_model=ReferralOut, tags=["queue"])
def get_referral(referral_id: ReferralId, caller: Portal, st: St) -> ReferralOut:
    with st.readers() as s:
        return queue.referral_out(queue.find(s, referral_id))


@router.patch("/referrals/{referral_id}", response_model=ReferralOut, tags=["queue"])
def update_referral(
    referral_id: ReferralId, body: ReferralPatch, caller: Portal, st: St
) -> ReferralOut:
    """One step of the life cycle: waiting → offered → booked → completed, or withdrawn;
    back to waiting releases the time (``declined: true``: patient-chosen waiting when
    the offered week was within the limit). Slots are taken atomically: 409 when full."""
    with st.sessions.begin() as s:
        row = queue.transition(s, referral_id, body, caller, request_id())
        out = queue.referral_out(row)
    st.suggestions.invalidate()
    return out


@router.get("/referrals/{referral_id}/suggestions", response_model=Suggestions, tags=["queue"])
def referral_suggestions(
    referral_id: ReferralId,
    caller: Portal,
    st: St,
    limit: Annotated[int, Query(ge=1, le=100)] = 5,
) -> Suggestions:
    """Ranked units with their earliest week with room, on-time flag and km, from the
    residual capacity (capacity minus times held). Nothing is booked."""
    with st.readers() as s:
        out, record = queue.suggestions_for(
            s, st.suggestions, referral_id, st.settings.horizon_weeks, limit, caller, request_id()
        )
    st.audit.write(record)  # answered once the audit row is committed
    return out


@router.post(
    "/allocation-runs",
    response_model=AllocationRunOut,
    status_code=status.HTTP_201_CREATED,
    tags=["queue"],
)
def create_allocation_run(body: AllocationRunIn, caller: Portal, st: St) -> AllocationRunOut:
    """Optimise the waiting referrals (all, or one specialty) over the residual
    capacity; returns the plan. Nothing is booked until the plan is accepted."""
    return allocation_runs.create(st, body, caller, request_id())


@router.post("/allocation-runs/{run_id}/accept", response_model=AllocationRunOut, tags=["queue"])
def accept_allocation_run(
    run_id: Annotated[str, Path(max_length=36)], caller: Portal, st: St
) -> AllocationRunOut:
    """Turn the plan into bookings, each taken atomically; referrals no longer waiting
    or whose slot has gone are skipped and listed."""
    out = allocation_runs.accept(st, run_id, caller, request_id())
    st.suggestions.invalidate()
    return out


@router.get("/queue/status", response_model=QueueStatus, tags=["queue"])
def queue_status(
    caller: Annotated[Caller, Depends(require(Role.planner, Role.portal))],
    st: St,
    as_of: Annotated[IsoDate | None, Query(description="Default: today")] = None,
) -> QueueStatus:
    """Waiting now per unit and specialty and the share within the guarantee (SKR)."""
    day = as_of or queue.today()
    with st.readers() as s:
        units, specialties = queue.queue_status(s, day)
    return QueueStatus(as_of=day, units=units, specialties=specialties)
