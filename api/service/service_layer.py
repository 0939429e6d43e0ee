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
import itertools
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from api.service import (
    allocation_runs,
    assessment,
    audit,
    audit_query,
    history,
    pause_steps,
    queue_status,
    referrals,
    units,
)
from api.service.allocation_limits import solver_seconds
from api.service.audit_query import AuditPage, AuditQuery
from api.service.db_schema import ApiKeyRow, SimulationJobRow, utcnow
from api.service.history_out import history_out
from api.service.http_problems import Problem
from api.service.job_scenarios import check_policies, experiment_for, library_names
from api.service.jobs import CANCELLED, LIVE
from api.service.keys import Caller, Role, create_key, roles_of
from api.service.schemas import (
    AllocationRunIn,
    AllocationRunOut,
    AssessmentIn,
    CapacityIn,
    KeyIn,
    KeyOut,
    NewKey,
    PauseIn,
    QueueStatus,
    ReferralHistory,
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
from api.service.waiting_pauses import PauseKind
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


def get_referral(st: State, referral_id: str, caller: Caller, request_id: str) -> ReferralOut:
    """The referral, answered once its access row is committed (group commit)."""
    with st.uow.reading() as s:
        out = referrals.referral_out(referrals.find(s, referral_id))
    row = audit.audit_row(caller, request_id, "referral.read", "referral", out.referral_id)
    st.audit.write(row)
    return out


def update_referral(
    st: State, referral_id: str, patch: ReferralPatch, caller: Caller, request_id: str
) -> ReferralOut:
    def work(session: Session) -> ReferralOut:
        row = referrals.transition(session, referral_id, patch, caller, request_id)
        return referrals.referral_out(row)

    return st.uow.write_retrying(work)  # once more if PostgreSQL broke a deadlock


def assess_referral(
    st: State, referral_id: str, body: AssessmentIn, caller: Caller, request_id: str
) -> ReferralOut:
    """One assessment step (remissbedömning), its history and audit rows committed."""

    def work(session: Session) -> ReferralOut:
        row = assessment.assess(session, referral_id, body, caller, request_id)
        return referrals.referral_out(row)

    return st.uow.write_retrying(work)


def change_pause(
    st: State, referral_id: str, kind: PauseKind, body: PauseIn, caller: Caller, request_id: str
) -> ReferralOut:
    """Start or end a PVV or MOV period, its history and audit rows committed."""

    def work(session: Session) -> ReferralOut:
        row = pause_steps.change_pause(session, referral_id, kind, body, caller, request_id)
        return referrals.referral_out(row)

    return st.uow.write_retrying(work)


def referral_history(
    st: State, referral_id: str, caller: Caller, request_id: str
) -> ReferralHistory:
    """The referral's dated history, answered once its access row is committed."""
    with st.uow.reading() as s:
        referrals.find(s, referral_id)
        out = history_out(referral_id, history.history_of(s, referral_id))
    row = audit.audit_row(caller, request_id, "referral.history.read", "referral", referral_id)
    st.audit.write(row)
    return out


def suggest(
    st: State, referral_id: str, limit: int, caller: Caller, request_id: str
) -> Suggestions:
    """Suggestions, answered once their audit row is committed (group commit)."""
    out, row = suggestions_for(
        st.uow, st.suggestions, referral_id, st.settings.horizon_weeks, limit, caller, request_id
    )
    st.audit.write(row)
    return out


# --- allocation runs and queue status --------------------------------------------------
def create_allocation_run(
    st: State, body: AllocationRunIn, caller: Caller, request_id: str
) -> AllocationRunOut:
    """Plan on a read-only session (the solver may take seconds), then store the plan."""
    weeks = body.horizon_weeks or st.settings.horizon_weeks
    if "time_limit_seconds" in body.model_fields_set:
        solver_seconds(body.time_limit_seconds, st.settings, "body.time_limit_seconds")
    else:  # the schema's default, within the service's limit
        seconds = min(body.time_limit_seconds, st.settings.max_solver_seconds)
        body = body.model_copy(update={"time_limit_seconds": seconds})
    with st.solves.enter(caller.key_id), st.uow.reading() as s:
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


def waiting_now(st: State, as_of: dt.date | None, caller: Caller, request_id: str) -> QueueStatus:
    """The queue status, answered once its access row is committed."""
    day = as_of or today()
    with st.uow.reading() as s:
        by_unit, by_specialty = queue_status.queue_status(s, day)
    st.audit.write(audit.audit_row(caller, request_id, "queue.read", "queue", day.isoformat()))
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
            check_not_last_admin(s, row)
            row.revoked_at = utcnow()
            audit.record(s, caller, request_id, "key.revoke", "api_key", row.id)
        out = key_out(row)
    st.keys.forget()
    return out


def check_not_last_admin(session: Session, row: ApiKeyRow) -> None:
    """409 when ``row`` is the last live admin key: with it gone, no one could manage
    keys or units through the API. The live keys are locked (PostgreSQL), so two admins
    revoking each other's keys at once cannot both succeed."""
    if Role.admin not in roles_of(row):
        return
    live = session.scalars(
        select(ApiKeyRow).where(ApiKeyRow.revoked_at.is_(None)).with_for_update()
    ).all()
    if not any(k.id != row.id and Role.admin in roles_of(k) for k in live):
        raise Problem(
            409,
            "Conflict",
            "this is the last live admin key; create another admin key before revoking it",
        )


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
                title_sv=sc.title_sv,
                description_sv=" ".join(sc.description_sv.split()),
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
    if body.policies is not None:
        check_policies(body.policies)
    request = body.model_dump()
    experiment = experiment_for(request, st.settings)  # fail fast, limits included
    detail = {
        "scenario": experiment.name,
        "policies": body.policies,
        "replications": body.replications,
    }
    with st.uow.writing() as s:
        check_job_quota(s, caller, st.settings.max_jobs_per_key)
        job_id = st.jobs.add(s, caller.key_id, request, experiment.simulated_days)
        audit.record(s, caller, request_id, "simulation.start", "simulation", job_id, detail)
    st.jobs.start(job_id)
    return SimulationOut(
        id=job_id,
        state="queued",
        progress=0.0,
        days_done=0.0,
        days_total=experiment.simulated_days,
        request=request,
    )


def check_job_quota(session: Session, caller: Caller, limit: int) -> None:
    """429 when the caller's key already has ``limit`` jobs (simulations and forecasts)
    queued or running, naming the route that cancels each kind it has. The key's row is
    locked first (PostgreSQL), so two requests of one key count in turn."""
    session.execute(select(ApiKeyRow.id).where(ApiKeyRow.id == caller.key_id).with_for_update())
    live = session.scalars(
        select(SimulationJobRow.request).where(
            SimulationJobRow.actor == caller.key_id, SimulationJobRow.state.in_(LIVE)
        )
    ).all()
    if len(live) >= limit:
        kinds = Counter(request_kind(r) for r in live)
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        routes = ", ".join(f"DELETE /v1/{kind}s/{{id}}" for kind in sorted(kinds))
        raise Problem(
            429,
            "Too many requests",
            f"this key has {len(live)} jobs queued or running ({counts}; at most {limit}); "
            f"wait for one to finish or cancel it ({routes})",
            headers={"Retry-After": "30"},
        )


def request_kind(request: Any) -> str:
    """``simulation``, or the ``kind`` a job's request names (``forecast``)."""
    kind = request.get("kind") if isinstance(request, dict) else None
    return str(kind) if kind else "simulation"


def job_kind(job: SimulationJobRow) -> str:
    """``simulation``, or the ``kind`` its request names (``forecast``)."""
    return request_kind(job.request)


def list_jobs(session: Session, caller: Caller, kind: str, limit: int) -> list[SimulationJobRow]:
    """The newest ``limit`` jobs of ``kind`` the caller may see (their own; an admin key:
    all), without their results (only the columns a listing shows are read)."""
    stmt = (
        select(SimulationJobRow)
        .options(load_only(*LISTED, raiseload=True))
        .order_by(SimulationJobRow.created_at.desc(), SimulationJobRow.id)
    )
    if Role.admin not in caller.roles:
        stmt = stmt.where(SimulationJobRow.actor == caller.key_id)
    jobs = (job for job in session.scalars(stmt) if job_kind(job) == kind)
    return list(itertools.islice(jobs, limit))


LISTED = (
    SimulationJobRow.id,
    SimulationJobRow.state,
    SimulationJobRow.progress,
    SimulationJobRow.request,
    SimulationJobRow.error,
    SimulationJobRow.created_at,
)
"""The columns of a job a listing reads (not its result nor its report)."""


def cancel_live(job: SimulationJobRow) -> bool:
    """Mark a queued or running job cancelled, in the caller's transaction (once it is
    committed, :meth:`~api.service.jobs.JobRunner.stop_job` stops its workers); whether
    the job was live."""
    if job.state not in LIVE:
        return False
    job.state, job.error, job.updated_at = "cancelled", CANCELLED, utcnow()
    return True


def find_job(
    session: Session, job_id: str, caller: Caller, kind: str = "simulation"
) -> SimulationJobRow:
    """The job of this kind if the caller may see it: their own, or any job for an admin
    key. Another planner's job, or a job of the other kind (``/v1/simulations`` and
    ``/v1/forecasts`` each show their own), is a 404, as if it did not exist."""
    job = session.get(SimulationJobRow, job_id)
    if job is None or job_kind(job) != kind:
        raise Problem(404, "Not found", f"no {kind} job with this id")
    if not (job.actor == caller.key_id or Role.admin in caller.roles):
        raise Problem(404, "Not found", f"no {kind} job with this id")
    return job


def job_out(job: SimulationJobRow) -> SimulationOut:
    return SimulationOut(
        id=job.id,
        state=job.state,
        progress=job.progress,
        days_done=job.days_done,
        days_total=job.days_total,
        seconds_left=job.seconds_left,
        request=job.request,
        error=job.error,
        result=job.result,
        report_url=f"/v1/simulations/{job.id}/report" if job.state == "done" else None,
    )


def get_simulation(st: State, job_id: str, caller: Caller, request_id: str) -> SimulationOut:
    """The job and its result (own jobs; admin: all), answered once its access row is
    committed."""
    with st.uow.reading() as s:
        out = job_out(find_job(s, job_id, caller))
    st.audit.write(audit.audit_row(caller, request_id, "simulation.read", "simulation", job_id))
    return out


def cancel_simulation(st: State, job_id: str, caller: Caller, request_id: str) -> SimulationOut:
    """Cancel a queued or running job (its workers stop once this is committed); a
    cancelled job again is a no-op; a finished one a 409."""
    with st.uow.writing() as s:
        job = find_job(s, job_id, caller)
        if job.state in ("done", "failed"):
            raise Problem(409, "Conflict", f"the job is {job.state}; nothing to cancel")
        if cancel_live(job):
            audit.record(s, caller, request_id, "simulation.cancel", "simulation", job.id)
        out = job_out(job)
    st.jobs.stop_job(job_id)
    return out


def simulation_report(st: State, job_id: str, caller: Caller, request_id: str) -> str:
    """The finished simulation job's HTML report (:func:`job_report`)."""
    return job_report(st, job_id, caller, request_id, "simulation")


def job_report(st: State, job_id: str, caller: Caller, request_id: str, kind: str) -> str:
    """The finished job's HTML report (409 while it is not done), answered once its
    access row (``<kind>.report``) is committed."""
    with st.uow.reading() as s:
        job = find_job(s, job_id, caller, kind)
        if job.state != "done" or job.report is None:
            raise Problem(409, "Conflict", f"the job is {job.state}; the report comes when done")
        report = job.report
    st.audit.write(audit.audit_row(caller, request_id, f"{kind}.report", kind, job_id))
    return report


# --- the audit log ---------------------------------------------------------------------
def read_audit(st: State, query: AuditQuery, caller: Caller, request_id: str) -> AuditPage:
    """A page of the audit log; reading it is itself audited (``audit.read``)."""
    with st.uow.reading() as s:
        page = audit_query.audit_page(s, query)
    detail = query.model_dump(mode="json", exclude_none=True)
    st.audit.write(audit.audit_row(caller, request_id, "audit.read", "audit_log", "", detail))
    return page


# --- operations ------------------------------------------------------------------------
def database_state(st: State) -> str:
    """``"ok"`` when the database takes a write now, else the kind of unavailability
    (:data:`api.service.db_errors.KINDS`); probed at most once a second."""
    return st.probe.state()
