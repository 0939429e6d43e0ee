"""The planners' forecasts of the service's own queue (issue 13) and their HTML reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, status
from fastapi.responses import HTMLResponse

from api.service import forecast_jobs
from api.service.deps import JobViewer, Planner, St, request_id, v1_router
from api.service.forecast_schemas import ForecastIn, ForecastList, ForecastOut

router = v1_router(tags=["planner"])
JobId = Annotated[str, Path(max_length=36)]


@router.post("/forecasts", response_model=ForecastOut, status_code=status.HTTP_202_ACCEPTED)
def start_forecast(body: ForecastIn, caller: Planner, st: St) -> ForecastOut:
    """Queue a forecast of one specialty and stage from the queue on ``as_of`` (default
    today; 202 with the job id); poll ``GET /v1/forecasts/{id}``. Bad input (an unknown
    specialty, a unit without capacity, too little history) is a 422 at once."""
    return forecast_jobs.start_forecast(st, body, caller, request_id())


@router.get("/forecasts", response_model=ForecastList)
def list_forecasts(
    caller: JobViewer,
    st: St,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many")] = 100,
) -> ForecastList:
    """The caller's forecast jobs, newest first (an admin key: all), with their state and
    request but not their results."""
    return forecast_jobs.list_forecasts(st, caller, limit)


@router.get("/forecasts/{job_id}", response_model=ForecastOut)
def get_forecast(job_id: JobId, caller: JobViewer, st: St) -> ForecastOut:
    """The job's state, progress and, when done, the forecast (own jobs; admin: all;
    the read is audited)."""
    return forecast_jobs.get_forecast(st, job_id, caller, request_id())


@router.delete("/forecasts/{job_id}", response_model=ForecastOut)
def delete_forecast(job_id: JobId, caller: JobViewer, st: St) -> ForecastOut:
    """Cancel the job if it is queued or running (its run stops) and remove it with its
    stored result and report (audited); afterwards it is a 404."""
    return forecast_jobs.delete_forecast(st, job_id, caller, request_id())


@router.get(
    "/forecasts/{job_id}/report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}},
)
def forecast_report(job_id: JobId, caller: JobViewer, st: St) -> HTMLResponse:
    """The Swedish HTML forecast report of a finished job."""
    return HTMLResponse(forecast_jobs.forecast_report(st, job_id, caller, request_id()))
