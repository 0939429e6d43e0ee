"""Request and response bodies of the service (pydantic). Unknown fields are refused."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from allokering.domain import GUARANTEE_DAYS
from api.service.pseudonym import PseudonymousId

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_]*$")]
"""A specialty code such as ``gallsten`` or ``ogon``."""
AreaCode = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[0-9A-Za-z_]+$")]


def _iso_date(value: object) -> object:
    if isinstance(value, dt.date) or (
        isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
    ):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)
"""Dates the service accepts: a referral, week or capacity outside these is a typo."""


def _sane_date(value: dt.date) -> dt.date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"must be a date from {EARLIEST_DATE} to {LATEST_DATE}")
    return value


IsoDate = Annotated[
    dt.date, BeforeValidator(_iso_date), AfterValidator(_sane_date), Field(strict=False)
]
"""A calendar date as ISO 8601 ``YYYY-MM-DD`` (not a number of seconds), from
:data:`EARLIEST_DATE` to :data:`LATEST_DATE`."""


class Body(BaseModel):
    """An input body: unknown fields refused, no coercion (``"1"`` is not a number,
    ``0`` not a boolean); dates are ISO strings."""

    model_config = ConfigDict(extra="forbid", strict=True)


class StageName(StrEnum):
    first_visit = "first_visit"
    treatment = "treatment"


class Status(StrEnum):
    waiting = "waiting"
    offered = "offered"
    booked = "booked"
    completed = "completed"
    withdrawn = "withdrawn"


class Assessment(StrEnum):
    """Remissbedömning: a referral received is assessed before it joins the waiting
    list; returned for completion it comes back (``received``) with its clock running;
    forwarded, the receiving unit accepts (or rejects, or returns) it."""

    received = "received"
    accepted = "accepted"
    returned_for_completion = "returned_for_completion"
    rejected = "rejected"
    forwarded = "forwarded"


# --- units and capacity ----------------------------------------------------------------
class UnitIn(Body):
    name: str = Field(min_length=1, max_length=200)
    hospital_group: str = Field("", max_length=64)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    private: bool = False


class CapacityIn(Body):
    specialty: Code
    stage: Annotated[StageName, Field(strict=False)]
    from_week: IsoDate = Field(description="Any day of the first week; stored as its Monday")
    slots_per_week: int = Field(ge=0, le=100_000)


class CapacityOut(BaseModel):
    specialty: str
    stage: Annotated[StageName, Field(strict=False)]
    from_week: dt.date
    slots_per_week: int


class UnitOut(UnitIn):
    id: str
    capacity: list[CapacityOut]


# --- referrals -------------------------------------------------------------------------
class ReferralIn(Body):
    referral_id: PseudonymousId = Field(description="The client's pseudonymous id (idempotency)")
    specialty: Code
    stage: Annotated[StageName, Field(strict=False)] = StageName.first_visit
    area: AreaCode = Field(description="Home municipality code (kommunkod), e.g. 1480")
    priority: str = Field("standard", min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")
    limit_days: int = Field(
        GUARANTEE_DAYS, ge=1, le=GUARANTEE_DAYS, description="Care-guarantee limit (days)"
    )
    clock_start: IsoDate = Field(
        description="Referral received (first visit) or decision to treat (treatment)"
    )
    home_unit: PseudonymousId | None = None
    max_travel_km: float | None = Field(None, ge=0, le=5_000)
    assessment: Literal["received"] | None = Field(
        None,
        description="'received': the referral is assessed (remissbedömning) before it "
        "joins the waiting list; omitted: it is accepted at once",
    )
    on: IsoDate | None = Field(
        None, description="The day it is registered (default today in Sweden); not future"
    )


class Pause(BaseModel):
    """A PVV or MOV period: from ``from_date`` until the day before ``until`` (the first
    day the patient can be served again; null while open-ended)."""

    from_date: dt.date
    until: dt.date | None


class ReferralOut(BaseModel):
    referral_id: str
    specialty: str
    stage: StageName
    area: str
    priority: str
    limit_days: int
    clock_start: dt.date
    home_unit: str | None
    max_travel_km: float | None
    status: Status
    unit: str | None
    week: dt.date | None
    patient_chosen: bool
    completed_on: dt.date | None
    version: int
    waited_days: int
    created_at: dt.datetime
    assessment: Assessment
    forwarded_to: str | None = Field(description="The unit a forwarded referral is handed to")
    pvv: Pause | None = Field(description="The current or last patient-chosen waiting (PVV)")
    mov: Pause | None = Field(description="The current or last medically caused waiting (MOV)")
    excluded_days: int = Field(description="PVV and MOV days passed (SKR leaves them out)")
    changed_on: dt.date | None = Field(description="The business date of the last change")


class ReferralPatch(Body):
    """A life-cycle step. ``offered``/``booked`` need ``unit`` and ``week`` (except
    ``offered → booked``, which confirms the offered time); ``waiting`` releases a held
    time, ``declined: true`` when the patient said no (patient-chosen waiting if the
    offered week was within the limit)."""

    status: Annotated[Status, Field(strict=False)]
    unit: PseudonymousId | None = None
    week: IsoDate | None = Field(None, description="Any day of the week; stored as its Monday")
    declined: bool = False
    completed_on: IsoDate | None = None
    version: int | None = Field(None, ge=1, description="Refuse (409) unless still at this")
    no_show: bool = Field(False, description="booked → waiting: the patient did not come")
    on: IsoDate | None = Field(
        None,
        description="The business date of the change (default today in Sweden): not in the "
        "future, not before the referral's previous change",
    )


class AssessmentIn(Body):
    """One assessment step: ``received → accepted | returned_for_completion | rejected |
    forwarded`` (``unit`` the receiving unit); ``returned_for_completion → received``
    when the completed referral comes back; a forwarded referral is assessed by the
    receiving unit (accepted there: that unit becomes its home unit). Rejected, it
    leaves the queue (status ``withdrawn``)."""

    decision: Annotated[Assessment, Field(strict=False)]
    unit: PseudonymousId | None = Field(None, description="forwarded: the receiving unit")
    on: IsoDate | None = Field(
        None, description="The business date (default today in Sweden); see PATCH"
    )
    version: int | None = Field(None, ge=1, description="Refuse (409) unless still at this")


class PauseIn(Body):
    """Start (``action: start``, optionally ``until`` the first day served again) or end
    (``action: end``) a PVV or MOV period on the business date ``on``."""

    action: Literal["start", "end"]
    until: IsoDate | None = Field(None, description="start: the first day served again")
    on: IsoDate | None = Field(
        None, description="The business date (default today in Sweden); see PATCH"
    )
    version: int | None = Field(None, ge=1, description="Refuse (409) unless still at this")


class HistoryEntry(BaseModel):
    """The referral's state after one change, dated by the change's business date."""

    seq: int
    on: dt.date
    change: str
    status: Status
    assessment: Assessment
    home_unit: str | None
    forwarded_to: str | None
    unit: str | None
    week: dt.date | None
    pvv: Pause | None
    mov: Pause | None
    excluded_days: int = Field(description="Days of earlier PVV/MOV periods")
    completed_on: dt.date | None
    at: dt.datetime


class ReferralHistory(BaseModel):
    referral_id: str
    entries: list[HistoryEntry]


class Option(BaseModel):
    rank: int
    unit: str
    unit_name: str
    earliest_week: dt.date
    iso_week: str
    on_time: bool
    km: int
    cost: int


class Suggestions(BaseModel):
    referral_id: str
    current_week: dt.date
    options: list[Option]


# --- allocation runs -------------------------------------------------------------------
class AllocationRunIn(Body):
    specialty: Code | None = Field(None, description="One specialty, or every specialty")
    stage: Annotated[StageName, Field(strict=False)] = StageName.first_visit
    horizon_weeks: int | None = Field(None, ge=1, le=104)
    solver: Literal["flow", "cpsat", "greedy", "greedy_home", "greedy_edd", "auto"] = "flow"
    time_limit_seconds: float = Field(10.0, gt=0, le=300)


class PlannedBooking(BaseModel):
    referral_id: str
    specialty: str
    unit: str
    week: dt.date
    on_time: bool
    km: int


class AllocationRunOut(BaseModel):
    id: str
    status: Literal["planned", "accepted"]
    created_at: dt.datetime
    stage: StageName
    specialty: str | None
    summary: dict[str, Any]
    plan: list[PlannedBooking]
    accepted: dict[str, Any] | None = None


# --- queue status ----------------------------------------------------------------------
class StatusRow(BaseModel):
    specialty: str
    stage: StageName
    unit: str
    waiting: int = Field(description="Waiting now, patient-chosen waits included")
    patient_chosen: int = Field(description="Patient-chosen waiting (PVV), excluded below")
    medically_caused: int = Field(
        0, description="Medically caused waiting (MOV) on the day, excluded below"
    )
    within_guarantee: int
    share_waiting_within_guarantee: float | None = Field(
        description="Of those waiting (PVV and MOV excluded), the share who have waited no "
        "longer than their limit, PVV and MOV days not counted (SKR: andel väntande inom "
        "90 dagar)"
    )


class QueueStatus(BaseModel):
    as_of: dt.date
    units: list[StatusRow]
    specialties: list[StatusRow] = Field(description="Per specialty and stage (unit '*')")


# --- keys ------------------------------------------------------------------------------
class KeyIn(Body):
    roles: list[Literal["portal", "planner", "admin", "auditor"]] = Field(min_length=1)
    name: str = Field("", max_length=200)


class KeyOut(BaseModel):
    id: str
    name: str
    roles: list[str]
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class NewKey(KeyOut):
    key: str = Field(description="Shown once; only its hash is stored")


# --- scenarios and simulation jobs -----------------------------------------------------
class ScenarioInfo(BaseModel):
    name: str
    title: str
    description: str
    title_sv: str = Field("", description="The title in Swedish (empty: none)")
    description_sv: str = Field("", description="The description in Swedish (empty: none)")
    policies: list[str]
    replications: int
    horizon_days: int


class SimulationIn(BaseModel):
    model_config = {"extra": "forbid", "strict": True}

    scenario: str | dict[str, Any] = Field(
        description="A library scenario name, or a whole scenario (its region a region "
        "file name such as 'vgr', or inline)"
    )
    policies: list[str] | None = Field(None, min_length=1, max_length=5)
    replications: int | None = Field(None, ge=1, le=1000)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    horizon_days: int | None = Field(None, ge=1, le=3650)
    warmup_days: int | None = Field(None, ge=0, le=3650)


class SimulationOut(BaseModel):
    id: str
    state: str = Field(description="queued | running | done | failed | cancelled")
    progress: float = Field(
        description="The share done, 0–1, moving within replications (updated at most "
        "once a second)"
    )
    days_done: float | None = Field(
        None, description="Simulated days done, across all replications and policies"
    )
    days_total: float | None = Field(
        None, description="Simulated days of the whole job: replications × policies × horizon"
    )
    seconds_left: float | None = Field(
        None, description="Estimated seconds left at the rate so far (none before any progress)"
    )
    request: dict[str, Any]
    error: str | None = None
    result: dict[str, Any] | None = Field(
        None, description="When done: the document `remiss simulate --json` writes"
    )
    report_url: str | None = None
