"""The service layer: one function per request of the API, each its own unit of work.

The routes parse the request and shape the response; these functions decide which
sessions a request needs — a read-only one, or one write transaction that holds the
change and its audit rows — through :class:`~api.service.unit_of_work.UnitOfWork`,
which also retries a registration that lost a race on the client's id and clears the
suggestion cache when a commit changed what suggestions read. The rules themselves live
in the modules named after what they are about (referrals, slots, units, ...).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.service import allocation_runs, audit, queue_status, referrals, units
from api.service.db_schema import ApiKeyRow, SimulationJobRow, utcnow
from api.service.http_problems import Problem
from api.service.jobs import check_policies, library_names, resolve
from api.service.keys import Caller, Role, create_key, roles_of
from api.service.schemas import (
    AllocationRunIn,
    AllocationRunOut,
    CapacityIn,
    KeyIn,
    KeyOut,
    NewKey,
    QueueStatus,
    ReferralIn,
    ReferralOut,
    ReferralPatch,
    ScenarioInfo,
    SimulationIn,
    SimulationOut,
    Suggestions,
    UnitIn,
    UnitOut,
)
from api.service.state import State
from api.service.suggestions import suggestions_for
from api.service.weeks import today
from scenarios.loader import LIBRARY_DIR, load_scenario


# --- referrals -------------------------------------------------------------------------
def register_referral(
    st: State, body: ReferralIn, caller: Caller, request_id: str
) -> tuple[ReferralOut, bool]:
    """The stored referral and whether it is new (False: a retry of the same content)."""

    def work(session: Session) -> tuple[ReferralOut, bool]:
        row, created = referrals.register(session, st.geography, body, caller, request_id)
        return referrals.referral_out(row), created

    return st.uow.write_idempotent(work)


def get_referral(st: State, referral_id: str) -> ReferralOut:
    with st.uow.reading() as s:
        return referrals.referral_out(referrals.find(s, referral_id))


def update_referral(
    st: State, referral_id: str, patch: ReferralPatch, caller: Caller, request_id: str
) -> ReferralOut:
    def work(session: Session) -> ReferralOut:
        row = referrals.transition(session, referral_id, patch, caller, request_id)
        return referrals.referral_out(row)

    return st.uow.write_retrying(work)  # once more if PostgreSQL broke a deadlock


def suggest(
    st: State, referral_id: str, limit: int, caller: Caller, request_id: str
) -> Suggestions:
    """Suggestions, answered once their audit row is committed (group commit)."""
    with st.uow.reading() as s:
        out, row = suggestions_for(
            s, st.suggestions, referral_id, st.settings.horizon_weeks, limit, caller, request_id
        )
    st.audit.write(row)
    return out


# --- allocation runs and queue status --------------------------------------------------
def create_allocation_run(
    st: State, body: AllocationRunIn, caller: Caller, request_id: str
) -> AllocationRunOut:
    """Plan on a read-only session (the solver may take seconds), then store the plan."""
    weeks = body.horizon_weeks or st.settings.horizon_weeks
    with st.uow.reading() as s:
        run = allocation_runs.plan_run(s, st.geography, body, weeks, caller)
    with st.uow.writing() as s:
        allocation_runs.save_run(s, run, caller, request_id)
    return allocation_runs.run_out(run)


def accept_allocation_run(
    st: State, run_id: str, caller: Caller, request_id: str
) -> AllocationRunOut:
    return st.uow.write_retrying(
        lambda s: allocation_runs.accept_run(s, run_id, caller, request_id)
    )


def waiting_now(st: State, as_of: dt.date | None) -> QueueStatus:
    day = as_of or today()
    with st.uow.reading() as s:
        by_unit, by_specialty = queue_status.queue_status(s, day)
    return QueueStatus(as_of=day, units=by_unit, specialties=by_specialty)


# --- units and capacity ----------------------------------------------------------------
def put_unit(
    st: State, unit_id: str, body: UnitIn, caller: Caller, request_id: str
) -> tuple[UnitOut, bool]:
    with st.uow.writing() as s:
        return units.put_unit(s, unit_id, body, caller, request_id)


def put_capacity(
    st: State, unit_id: str, body: CapacityIn, caller: Caller, request_id: str
) -> UnitOut:
    with st.uow.writing() as s:
        return units.set_capacity(s, unit_id, body, caller, request_id)


def list_units(st: State) -> list[UnitOut]:
    with st.uow.reading() as s:
        return units.all_units(s)


# --- API keys --------------------------------------------------------------------------
def key_out(row: ApiKeyRow) -> KeyOut:
    return KeyOut(
        id=row.id,
        name=row.name,
        roles=sorted(r.value for r in roles_of(row)),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def create_api_key(st: State, body: KeyIn, caller: Caller, request_id: str) -> NewKey:
    with st.uow.writing() as s:
        row, key = create_key(s, [Role(r) for r in body.roles], body.name)
        s.flush()
        detail = {"roles": row.roles}
        audit.record(s, caller, request_id, "key.create", "api_key", row.id, detail)
        return NewKey(**key_out(row).model_dump(), key=key)


def list_api_keys(st: State) -> list[KeyOut]:
    with st.uow.reading() as s:
        return [key_out(r) for r in s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))]


def revoke_api_key(st: State, key_id: str, caller: Caller, request_id: str) -> KeyOut:
    """Revoke a key; this process forgets the keys it has looked up once committed (so
    no one re-caches the live row)."""
    with st.uow.writing() as s:
        row = s.get(ApiKeyRow, key_id)
        if row is None:
            raise Problem(404, "Not found", "no key with this id")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.record(s, caller, request_id, "key.revoke", "api_key", row.id)
        out = key_out(row)
    st.keys.forget()
    return out


# --- scenarios and simulation jobs -----------------------------------------------------
def list_scenarios() -> list[ScenarioInfo]:
    out = []
    for name in library_names():
        sc = load_scenario(LIBRARY_DIR / f"{name}.yaml")
        out.append(
            ScenarioInfo(
                name=sc.name,
                title=sc.title,
                description=" ".join(sc.description.split()),
                policies=list(sc.run.policies),
                replications=sc.run.replications,
                horizon_days=sc.run.horizon_days,
            )
        )
    return out


def start_simulation(
    st: State, body: SimulationIn, caller: Caller, request_id: str
) -> SimulationOut:
    """Check the request, store the queued job with its audit row, then start it."""
    if body.replications is not None and body.replications > st.settings.max_replications:
        raise Problem(
            422,
            "Invalid request",
            f"body.replications: at most {st.settings.max_replications}",
            [{"field": "body.replications", "message": "too many"}],
        )
    if body.policies is not None:
        check_policies(body.policies)
    scenario = resolve(body.scenario, body.horizon_days, body.warmup_days)[0]  # fail fast
    request = body.model_dump()
    detail = {
        "scenario": scenario.name,
        "policies": body.policies,
        "replications": body.replications,
    }
    with st.uow.writing() as s:
        job_id = st.jobs.add(s, caller.key_id, request)
        audit.record(s, caller, request_id, "simulation.start", "simulation", job_id, detail)
    st.jobs.start(job_id)
    return SimulationOut(id=job_id, state="queued", progress=0.0, request=request)


def find_job(session: Session, job_id: str) -> SimulationJobRow:
    job = session.get(SimulationJobRow, job_id)
    if job is None:
        raise Problem(404, "Not found", "no simulation job with this id")
    return job


def get_simulation(st: State, job_id: str) -> SimulationOut:
    with st.uow.reading() as s:
        job = find_job(s, job_id)
        return SimulationOut(
            id=job.id,
            state=job.state,
            progress=job.progress,
            request=job.request,
            error=job.error,
            result=job.result,
            report_url=f"/v1/simulations/{job.id}/report" if job.state == "done" else None,
        )


def simulation_report(st: State, job_id: str) -> str:
    """The finished job's HTML report; 409 while it is not done."""
    with st.uow.reading() as s:
        job = find_job(s, job_id)
        if job.state != "done" or job.report is None:
            raise Problem(409, "Conflict", f"the job is {job.state}; the report comes when done")
        return job.report


# --- operations ------------------------------------------------------------------------
def database_state(st: State) -> str:
    """``"ok"`` when the database takes a write now, else the kind of unavailability
    (:data:`api.service.db_errors.KINDS`); probed at most once a second."""
    return st.probe.state()
