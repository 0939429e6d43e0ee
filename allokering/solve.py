"""One entry point for every allocation solver.

Each solver module is imported when it is first chosen (lazy loading), so a caller
that never solves — or only runs a greedy rule — does not load OR-Tools.
"""

from __future__ import annotations

from typing import Literal, get_args

from allokering.problem import AllocationProblem, AllocationResult

SolverName = Literal["auto", "flow", "cpsat", "greedy", "greedy_home", "greedy_edd"]
SOLVERS: tuple[str, ...] = get_args(SolverName)


class SolverError(ValueError):
    """The chosen solver cannot handle this problem (or does not exist)."""


def solve(
    problem: AllocationProblem,
    solver: SolverName | str = "auto",
    time_limit: float | None = None,
    *,
    reasons: bool = True,
) -> AllocationResult:
    """Allocate the problem's referrals.

    ``auto`` is ``flow`` (exact, proven optimal) unless the problem sets a side
    constraint (session minutes, external share, area floor), then ``cpsat``.
    ``greedy`` is ``greedy_edd`` (shared queue, earliest deadline first to the nearest
    unit); ``greedy_home`` keeps separate queues (home unit, first come first served).
    ``time_limit`` (seconds) applies to ``cpsat``; the others are fast and ignore it.
    ``reasons=False`` skips the coordinator sentences (slightly faster).
    """
    if solver not in SOLVERS:
        raise SolverError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    if time_limit is not None and time_limit <= 0:
        raise SolverError("time_limit must be positive")
    if solver == "auto":
        solver = "cpsat" if problem.has_side_constraints else "flow"
    if solver == "flow":
        if problem.has_side_constraints:
            raise SolverError(
                "the problem sets side constraints (session minutes, external share or "
                "area floors) that the flow solver cannot model; use solver 'cpsat' or 'auto'"
            )
        from allokering.solvers.flow import solve_flow

        return solve_flow(problem, reasons=reasons)
    if solver == "cpsat":
        from allokering.solvers.cpsat import solve_cpsat

        return solve_cpsat(problem, time_limit=time_limit, reasons=reasons)
    from allokering.solvers.greedy import greedy_edd_nearest, greedy_home_fcfs

    if solver == "greedy_home":
        return greedy_home_fcfs(problem, reasons=reasons)
    return greedy_edd_nearest(problem, reasons=reasons)
