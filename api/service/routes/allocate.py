"""``POST /v1/allocate``: solve an allocation problem, stateless (no database, nothing
booked), for anyone with a portal or planner key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from allokering.problem import AllocationProblem, AllocationResult
from allokering.solve import SOLVERS, solve
from api.service.deps import Solver, v1_router
from api.service.http_problems import Problem

router = v1_router(tags=["allocation"])


@router.post("/allocate", response_model=AllocationResult)
def allocate(
    problem: AllocationProblem,
    caller: Solver,
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
