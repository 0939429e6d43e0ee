"""The planners' simulation jobs and their HTML reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, status
from fastapi.responses import HTMLResponse

from api.service import service_layer
from api.service.deps import JobViewer, Planner, St, request_id, v1_router
from api.service.schemas import SimulationIn, SimulationOut

router = v1_router(tags=["planner"])
JobId = Annotated[str, Path(max_length=36)]


@router.post(
    "/simulations",
    response_model=SimulationOut,
    status_code=status.HTTP_202_ACCEPTED,
)
def start_simulation(body: SimulationIn, caller: Planner, st: St) -> SimulationOut:
    """Queue a simulation (202 with the job id); poll ``GET /v1/simulations/{id}``."""
    return service_layer.start_simulation(st, body, caller, request_id())


@router.get("/simulations/{job_id}", response_model=SimulationOut)
def get_simulation(job_id: JobId, caller: JobViewer, st: St) -> SimulationOut:
    """The job's state, progress and, when done, its result (own jobs; admin: all; the
    read is audited)."""
    return service_layer.get_simulation(st, job_id, caller, request_id())


@router.delete("/simulations/{job_id}", response_model=SimulationOut)
def cancel_simulation(job_id: JobId, caller: JobViewer, st: St) -> SimulationOut:
    """Cancel a queued or running job: its worker processes are stopped (409 when the
    job has already finished)."""
    return service_layer.cancel_simulation(st, job_id, caller, request_id())


@router.get(
    "/simulations/{job_id}/report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}},
)
def simulation_report(job_id: JobId, caller: JobViewer, st: St) -> HTMLResponse:
    """The self-contained HTML report (Plotly) of a finished job."""
    return HTMLResponse(service_layer.simulation_report(st, job_id, caller, request_id()))
