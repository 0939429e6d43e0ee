"""The plan of a whole problem as arrays, for ``remiss allocate`` on a file.

:func:`allokering.solve.solve` returns an :class:`~allokering.problem.AllocationResult`
with one row object per referral; a command that only checks the plan and writes it
out needs the unit and week per referral instead. :func:`plan_arrays` gives those:
the exact flow solver runs step by step on the compiled view (no rows at all); the
other solvers run through :func:`~allokering.solve.solve` and their rows are read
back into arrays. The summary result carries status, cost, objective and bound with
empty row lists, for the report, the validator and the streamed writer
(:mod:`allokering.result_json`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from allokering.compiled import Compiled, IntArray, compile_problem
from allokering.plan import objective_of_plan
from allokering.plan_checks import PlanRows
from allokering.problem import AllocationProblem, AllocationResult, Status
from allokering.solve import SolverError, solve


@dataclass(frozen=True, eq=False)
class ArrayPlan:
    """Unit index (-1: unassigned) and week per referral, and the summary result."""

    compiled: Compiled
    unit: IntArray
    week: IntArray
    summary: AllocationResult


def plan_arrays(
    problem: AllocationProblem, solver: str = "auto", time_limit: float | None = None
) -> ArrayPlan:
    """Solve ``problem`` (same choices and errors as :func:`~allokering.solve.solve`)."""
    if time_limit is not None and time_limit <= 0:
        raise SolverError("time_limit must be positive")
    flow = solver == "flow" or (solver == "auto" and not problem.has_side_constraints)
    if not flow or problem.has_side_constraints:
        return _through_rows(problem, solver, time_limit)
    from allokering.solvers.flow import build_network, disaggregate, solve_network

    started = time.perf_counter()
    c = compile_problem(problem)
    net = build_network(c)
    sol = solve_network(net)
    if not sol.ok:
        raise SolverError(f"min-cost flow ended with status {sol.status}")
    unit, week = disaggregate(c, net, sol.flows)
    cost, objective = objective_of_plan(c, unit, week)
    summary = AllocationResult.model_construct(
        status=Status.OPTIMAL,
        cost=cost,
        objective=objective,
        lower_bound=sol.cost,
        gap=max(0.0, (cost - sol.cost) / max(1, abs(cost))),
        assignments=[],
        unassigned=[],
        solve_seconds=time.perf_counter() - started,
        solver="flow",
        message="",
    )
    return ArrayPlan(c, unit, week, summary)


def _through_rows(problem: AllocationProblem, solver: str, time_limit: float | None) -> ArrayPlan:
    """Any solver through :func:`~allokering.solve.solve`; its rows read into arrays."""
    result = solve(problem, solver, time_limit, reasons=False)
    c = compile_problem(problem)
    index = {r: i for i, r in enumerate(c.referral_ids)}
    uindex = {u: j for j, u in enumerate(c.unit_ids)}
    unit = np.full(c.n_referrals, -1, dtype=np.int64)
    week = np.zeros(c.n_referrals, dtype=np.int64)
    for a in result.assignments:
        unit[index[a.referral]] = uindex[a.unit]
        week[index[a.referral]] = a.week
    summary = result.model_copy(update={"assignments": [], "unassigned": []})
    return ArrayPlan(c, unit, week, summary)


def plan_rows(plan: ArrayPlan) -> PlanRows:
    """The rows the streamed writer writes for ``plan``, for the validator."""
    c = plan.compiled
    placed = np.nonzero(plan.unit >= 0)[0]
    ids = c.referral_ids
    un = np.nonzero(plan.unit < 0)[0]
    return PlanRows(
        referral=placed,
        unit=plan.unit[placed],
        week=plan.week[placed],
        on_time=7 * plan.week[placed] <= c.deadline[placed],
        unassigned=un,
        label=lambda i: (ids[int(placed[i])], c.unit_ids[int(plan.unit[placed[i]])]),
        unassigned_label=lambda j: ids[int(un[j])],
    )
