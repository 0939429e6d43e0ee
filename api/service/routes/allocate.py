"""``POST /v1/allocate``: solve an allocation problem, stateless (no database, nothing
booked), for anyone with a portal or planner key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from allokering.problem import AllocationProblem, AllocationResult
from allokering.solve import SOLVERS, solve
from api.service.allocation_limits import check_problem_size, solver_seconds
from api.service.deps import Solver, St, v1_router
from api.service.http_problems import Problem

router = v1_router(tags=["allocation"])


@router.post("/allocate", response_model=AllocationResult)
def allocate(
    problem: AllocationProblem,
    caller: Solver,
    st: St,
    solver: Annotated[str, Query(description=f"One of {', '.join(SOLVERS)}")] = "auto",
    time_limit: Annotated[float | None, Query(gt=0, le=300)] = None,
) -> AllocationResult:
    """Solve an allocation problem (stateless; nothing is stored or booked), within the
    service's limits on its size, the solver's time and solves at once per key."""
    if solver not in SOLVERS:
        raise Problem(
            422,
            "Invalid request",
            f"query.solver: unknown solver; known: {', '.join(SOLVERS)}",
            [{"field": "query.solver", "message": "unknown solver"}],
        )
    check_problem_size(problem, st.settings)
    seconds = solver_seconds(time_limit, st.settings, "query.time_limit")
    with st.solves.enter(caller.key_id):
        return solve(problem, solver, seconds)
