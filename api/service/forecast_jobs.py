"""Planners' forecast jobs (``/v1/forecasts``, issue 13): the queue of one specialty and
stage forecast from the service's own database, run by the same job runner as the
simulations (:class:`api.service.jobs.JobRunner`).

A forecast job is a row of ``simulation_jobs`` whose request says ``kind: forecast``
(no second table: the state machine, the owner, the per-key quota, cancellation and the
restart recovery are the simulation jobs'). ``/v1/simulations/{id}`` does not show a
forecast job, nor ``/v1/forecasts/{id}`` a simulation.

The request is checked before the job is queued: the options against the service's
limits, and the snapshot itself is built once (an unknown specialty, a unit without a
capacity calendar, too little history are a 422 at once). A forecast reads
patient-level data — the waiting list on the date, and the worklist names referrals —
so its start (``forecast.start``), its read when it runs (``forecast.read``) and every
read of its result or report are audited. Its owner (or an admin) deletes it with
``DELETE /v1/forecasts/{id}``: a queued or running job is cancelled as a simulation is
(:func:`~api.service.service_layer.cancel_live`), and the job with its stored result
and report is removed (``forecast.delete``). ``GET /v1/forecasts`` lists the caller's
forecasts (an admin's: all), without their results.
"""

from __future__ import annotations

from typing import Any

from api.forecasting.errors import ForecastInputError
from api.forecasting.forecast import prepare
from api.service import audit
from api.service.db_schema import SimulationJobRow
from api.service.forecast_runs import KIND, forecast_request
from api.service.forecast_schemas import ForecastIn, ForecastList, ForecastOut, ForecastSummary
from api.service.http_problems import Problem, invalid_field
from api.service.job_scenarios import check_policies, too_large
from api.service.keys import Caller
from api.service.service_layer import (
    cancel_live,
    check_job_quota,
    find_job,
    job_report,
    list_jobs,
)
from api.service.settings import Settings
from api.service.state import State


def input_problem(exc: ForecastInputError) -> Problem:
    """A 422 naming the request's field (``body.as_of``) or the scenario's."""
    return invalid_field(f"body.{exc.field}", exc.problem)


def check_limits(body: ForecastIn, settings: Settings) -> None:
    if body.policies is not None:
        check_policies(body.policies)
    if body.replications > settings.max_replications:
        raise too_large("body.replications", body.replications, settings.max_replications)


def start_forecast(st: State, body: ForecastIn, caller: Caller, request_id: str) -> ForecastOut:
    """Check the request (the snapshot built once), store the queued job with its audit
    row, then start it."""
    check_limits(body, st.settings)
    request = {"kind": KIND, **body.model_dump(mode="json")}
    req = forecast_request(request)
    try:
        with st.uow.reading() as s:
            prep = prepare(s, st.settings.region, req)
    except ForecastInputError as exc:
        raise input_problem(exc) from None
    if len(prep.scenario.waiting_list or []) > st.settings.max_referrals_per_year:
        raise too_large(
            "body.specialty",
            len(prep.scenario.waiting_list or []),
            st.settings.max_referrals_per_year,
        )
    detail = {
        "specialty": req.specialty,
        "stage": req.stage,
        "as_of": request["as_of"],
        "policies": list(req.policies),
        "replications": req.replications,
    }
    with st.uow.writing() as s:
        check_job_quota(s, caller, st.settings.max_jobs_per_key)
        job_id = st.jobs.add(s, caller.key_id, request)
        audit.record(s, caller, request_id, "forecast.start", "forecast", job_id, detail)
    st.jobs.start(job_id)
    return ForecastOut(id=job_id, state="queued", progress=0.0, request=request)


def job_fields(job: SimulationJobRow) -> dict[str, Any]:
    """What every view of a forecast job shows (:class:`ForecastJob`)."""
    return {
        "id": job.id,
        "state": job.state,
        "progress": job.progress,
        "request": job.request,
        "error": job.error,
        "report_url": f"/v1/forecasts/{job.id}/report" if job.state == "done" else None,
    }


def forecast_out(job: SimulationJobRow) -> ForecastOut:
    return ForecastOut(**job_fields(job), result=job.result)


def list_forecasts(st: State, caller: Caller, limit: int) -> ForecastList:
    """The caller's forecasts, newest first (an admin key: everyone's); no result is
    read, so nothing patient-level is shown (not audited)."""
    with st.uow.reading() as s:
        jobs = list_jobs(s, caller, KIND, limit)
        summaries = [ForecastSummary(**job_fields(j), created_at=j.created_at) for j in jobs]
    return ForecastList(forecasts=summaries)


def delete_forecast(st: State, job_id: str, caller: Caller, request_id: str) -> ForecastOut:
    """Cancel the job if it is queued or running and remove it with its result and
    report (audited as ``forecast.delete`` with the state it had); the answer is the job
    as it was removed, without its result. Afterwards the job is a 404."""
    with st.uow.writing() as s:
        job = find_job(s, job_id, caller, KIND)
        had = job.state
        cancel_live(job)
        out = ForecastOut(**{**job_fields(job), "report_url": None})
        s.delete(job)
        detail = {"state": had}
        audit.record(s, caller, request_id, "forecast.delete", "forecast", job_id, detail)
    st.jobs.stop_job(job_id)
    return out


def get_forecast(st: State, job_id: str, caller: Caller, request_id: str) -> ForecastOut:
    """The job and its forecast, answered once its access row is committed."""
    with st.uow.reading() as s:
        out = forecast_out(find_job(s, job_id, caller, KIND))
    st.audit.write(audit.audit_row(caller, request_id, "forecast.result", "forecast", job_id))
    return out


def forecast_report(st: State, job_id: str, caller: Caller, request_id: str) -> str:
    """The finished job's HTML report (409 while not done), audited."""
    return job_report(st, job_id, caller, request_id, KIND)
