"""The planners' routes: scenarios, simulation jobs and their reports; stateless
allocation for anyone with a portal or planner key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from allokering.problem import AllocationProblem, AllocationResult
from allokering.solve import SOLVERS, solve
from api.service import http_problems
from api.service.db_schema import SimulationJobRow
from api.service.deps import State, no_unknown_query, request_id, state
from api.service.http_problems import Problem
from api.service.jobs import check_policies, library_names, resolve
from api.service.keys import Caller, Role, require
from api.service.queue import audit
from scenarios.loader import LIBRARY_DIR, load_scenario

router = APIRouter(
    prefix="/v1",
    responses=http_problems.RESPONSES,
    dependencies=[Depends(no_unknown_query)],
)
Planner = Annotated[Caller, Depends(require(Role.planner))]
St = Annotated[State, Depends(state)]
JobId = Annotated[str, Path(max_length=36)]


class ScenarioInfo(BaseModel):
    name: str
    title: str
    description: str
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
    state: str = Field(description="queued | running | done | failed")
    progress: float
    request: dict[str, Any]
    error: str | None = None
    result: dict[str, Any] | None = Field(
        None, description="When done: the document `remiss simulate --json` writes"
    )
    report_url: str | None = None


@router.get("/scenarios", response_model=list[ScenarioInfo], tags=["planner"])
def list_scenarios(caller: Planner) -> list[ScenarioInfo]:
    """The scenario library."""
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


@router.post(
    "/simulations",
    response_model=SimulationOut,
    status_code=status.HTTP_202_ACCEPTED,
    tags=["planner"],
)
def start_simulation(body: SimulationIn, caller: Planner, st: St) -> SimulationOut:
    """Queue a simulation (202 with the job id); poll ``GET /v1/simulations/{id}``."""
    if body.replications is not None and body.replications > st.settings.max_replications:
        raise Problem(
            422,
            "Invalid request",
            f"body.replications: at most {st.settings.max_replications}",
            [{"field": "body.replications", "message": "too many"}],
        )
    if body.policies is not None:
        check_policies(body.policies)
    sc, _spec, _path = resolve(body.scenario, body.horizon_days, body.warmup_days)  # fail fast
    request = body.model_dump()
    job_id = st.jobs.submit(caller.key_id, request)
    with st.sessions.begin() as s:
        audit(
            s,
            caller,
            request_id(),
            "simulation.start",
            "simulation",
            job_id,
            {"scenario": sc.name, "policies": body.policies, "replications": body.replications},
        )
    return SimulationOut(id=job_id, state="queued", progress=0.0, request=request)


def _job(s: Session, job_id: str) -> SimulationJobRow:
    job = s.get(SimulationJobRow, job_id)
    if job is None:
        raise Problem(404, "Not found", "no simulation job with this id")
    return job


@router.get("/simulations/{job_id}", response_model=SimulationOut, tags=["planner"])
def get_simulation(job_id: JobId, caller: Planner, st: St) -> SimulationOut:
    with st.readers() as s:
        job = _job(s, job_id)
        return SimulationOut(
            id=job.id,
            state=job.state,
            progress=job.progress,
            request=job.request,
            error=job.error,
            result=job.result,
            report_url=f"/v1/simulations/{job.id}/report" if job.state == "done" else None,
        )


@router.get(
    "/simulations/{job_id}/report",
    response_class=HTMLResponse,
    tags=["planner"],
    responses={200: {"content": {"text/html": {}}}},
)
def simulation_report(job_id: JobId, caller: Planner, st: St) -> HTMLResponse:
    """The self-contained HTML report (Plotly) of a finished job."""
    with st.readers() as s:
        job = _job(s, job_id)
        if job.state != "done" or job.report is None:
            raise Problem(409, "Conflict", f"the job is {job.state}; the report comes when done")
        return HTMLResponse(job.report)


@router.post("/allocate", response_model=AllocationResult, tags=["allocation"])
def allocate(
    problem: AllocationProblem,
    caller: Annotated[Caller, Depends(require(Role.portal, Role.planner))],
    solver: Annotated[str, Query(description=f"One of {', '.join(SOLVERS)}")] = "auto",
    time_limit: Annotated[float | None, Query(gt=0, le=300)] = None,
) -> AllocationResult:
    """Solve an allocation problem (stateless; nothing is stored or booked)."""
    if solver not in SOLVERS:
        raise Problem(
            422,
            "Invalid request",
            f"query.solver: unknown solver; known: {', '.join(SOLVERS)}",
            [{"field": "query.solver", "message": "unknown solver"}],
        )
    return solve(problem, solver, time_limit)
