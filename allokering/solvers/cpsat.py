"""CP-SAT for what a flow cannot say: the side constraints.

The model is the flow network of :mod:`allokering.solvers.flow` (built with
``side=True``, so time classes also keep procedure minutes and floored areas apart)
with one integer variable per arc, flow conservation per node, the same objective,
and these added constraints — each set only where the problem asks for it:

1. **Session minutes** (``units[].session_minutes[w]``): the ``procedure_minutes`` of
   the referrals placed at unit u in week w sum to at most ``session_minutes[w]``.
   Procedures of different lengths compete for the same theatre/clinic time.
2. **External share** (``units[].max_external_percent = p``): of the referrals placed
   at unit u over the horizon, those from areas outside its ``catchment`` are at most
   p %: ``100·external ≤ p·placed``.
3. **Fairness floor** (``areas[].min_on_time_percent = p``): of the area's referrals
   not yet breached (``deadline_day ≥ 0``), at least p % are placed on time:
   ``100·on_time ≥ p·eligible``. This one can make the problem infeasible.

The flow optimum (same network, side constraints dropped) is both the warm start
(``add_hint``) and a lower bound. When it already satisfies every side constraint it
is optimal and returned at once (``shortcut``). Status: ``optimal`` when proven,
``time_limit`` when the limit stopped the search with a plan in hand (``gap``
reported), ``infeasible`` when proven so. Intended for up to ~10⁵ referrals.
"""

from __future__ import annotations

import math
import time

import numpy as np
from ortools.sat.python import cp_model

from allokering.compiled import Compiled, IntArray, compile_problem
from allokering.plan import make_result
from allokering.problem import AllocationProblem, AllocationResult, Status
from allokering.solvers.flow import FlowNetwork, build_network, disaggregate, solve_network

DEFAULT_TIME_LIMIT = 30.0
"""Seconds, when the caller gives none."""
MAX_OBJECTIVE = 2**61
"""Largest Σ |arc cost| × arc capacity handed to CP-SAT (its overflow precheck)."""


def _arc_blocks(net: FlowNetwork) -> tuple[int, int, int, int, int]:
    o1 = len(net.class_arc_class)
    o2 = o1 + len(net.week_arc_pair)
    o3 = o2 + net.n_slot_arcs
    o4 = o3 + net.n_groups
    o5 = o4 + net.n_groups
    return o1, o2, o3, o4, o5


def _terms(c: Compiled, net: FlowNetwork) -> dict[str, list[tuple[IntArray, IntArray, int, int]]]:
    """Each side constraint as (arc indices, coefficients, sense, rhs): sense +1 means
    ``sum ≤ rhs``, -1 means ``sum ≥ rhs``."""
    o1, _, o3, _, _ = _arc_blocks(net)
    out: dict[str, list[tuple[IntArray, IntArray, int, int]]] = {
        "session": [],
        "external": [],
        "floor": [],
    }
    week_arcs = o1 + np.arange(len(net.week_arc_pair))
    group_arcs = o3 + np.arange(net.n_groups)
    wa_tc = net.pair_tc[net.week_arc_pair]
    g_tc = net.class_tc[net.group_class]

    for u, w in zip(*np.nonzero(c.session_minutes >= 0), strict=True):
        sel_w = (net.week_arc_unit == u) & (net.week_arc_week == w)
        sel_g = (net.group_unit == u) & (net.group_week == w)
        arcs = np.concatenate([week_arcs[sel_w], group_arcs[sel_g]])
        coef = np.concatenate([net.tc_minutes[wa_tc[sel_w]], net.tc_minutes[g_tc[sel_g]]])
        keep = coef > 0
        out["session"].append((arcs[keep], coef[keep], 1, int(c.session_minutes[u, w])))

    ca_unit = net.pair_unit[net.class_arc_pair]
    ca_area = net.class_area[net.class_arc_class]
    g_area = net.class_area[net.group_class]
    for u in np.nonzero(c.max_external_percent >= 0)[0]:
        p = int(c.max_external_percent[u])
        sel_c = ca_unit == u
        sel_g = net.group_unit == u
        arcs = np.concatenate([np.nonzero(sel_c)[0], group_arcs[sel_g]])
        ext = np.concatenate([~c.catchment[u, ca_area[sel_c]], ~c.catchment[u, g_area[sel_g]]])
        # 100·external - p·placed ≤ 0
        out["external"].append((arcs, np.where(ext, 100 - p, -p).astype(np.int64), 1, 0))

    k = c.time_class()
    for a in np.nonzero(c.min_on_time_percent >= 0)[0]:
        n_a = int(np.count_nonzero((c.area == a) & (k >= 1)))
        need = math.ceil(int(c.min_on_time_percent[a]) * n_a / 100)
        tc_ok = (net.tc_area == a) & (net.tc_k >= 1)
        sel_w = tc_ok[wa_tc] & (net.week_arc_week < net.tc_k[wa_tc])
        g_k = net.tc_k[g_tc]
        sel_g = (g_area == a) & (g_k >= 1) & (net.group_week < g_k)
        arcs = np.concatenate([week_arcs[sel_w], group_arcs[sel_g]])
        out["floor"].append((arcs, np.ones(len(arcs), dtype=np.int64), -1, need))
    return out


def _check(c: Compiled, net: FlowNetwork, flows: IntArray) -> list[bool]:
    oks: list[bool] = []
    for items in _terms(c, net).values():
        for arcs, coef, sense, rhs in items:
            total = int(np.dot(coef, flows[arcs])) if len(arcs) else 0
            oks.append(total <= rhs if sense > 0 else total >= rhs)
    return oks


def solve_cpsat(
    problem: AllocationProblem,
    *,
    time_limit: float | None = None,
    workers: int | None = None,
    shortcut: bool = True,
    reasons: bool = True,
) -> AllocationResult:
    """Solve with the side constraints; see the module docstring."""
    started = time.perf_counter()
    limit = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
    c = compile_problem(problem)
    net = build_network(c, side=True)
    relaxed = solve_network(net)
    if not relaxed.ok:
        return _error(started, f"flow relaxation ended with status {relaxed.status}")
    terms = _terms(c, net)
    if shortcut and all(_check(c, net, relaxed.flows)):
        unit, week = disaggregate(c, net, relaxed.flows)
        return make_result(
            problem,
            c,
            unit,
            week,
            status=Status.OPTIMAL,
            solver="cpsat",
            started=started,
            lower_bound=relaxed.cost,
            message="the flow optimum satisfies every side constraint",
            reasons=reasons,
        )

    # CP-SAT refuses a model whose objective could overflow: say so plainly instead
    worst = sum(abs(int(c)) * int(u) for c, u in zip(net.costs, net.capacities, strict=True))
    if worst > MAX_OBJECTIVE:
        return _error(
            started,
            f"objective bound {worst:,} exceeds CP-SAT's int64 range ({MAX_OBJECTIVE:,}); "
            "lower the weights or split the problem",
            lower_bound=relaxed.cost,
        )
    model, x = _model(net, terms, relaxed.flows)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, limit - (time.perf_counter() - started))
    if workers is not None:
        solver.parameters.num_workers = workers
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _no_plan(code, solver, started, limit, relaxed.cost)
    return _plan(problem, c, net, solver, x, code == cp_model.OPTIMAL, relaxed.cost, started,
                 limit, reasons)  # fmt: skip


def _plan(
    problem: AllocationProblem,
    c: Compiled,
    net: FlowNetwork,
    solver: cp_model.CpSolver,
    x: list[cp_model.IntVar],
    optimal: bool,
    relaxed_cost: int,
    started: float,
    limit: float,
    reasons: bool,
) -> AllocationResult:
    """The plan CP-SAT found: ``optimal`` when proven so (or its bound meets its value),
    else stopped by the time limit with the better of its bound and the relaxation's."""
    flows = np.fromiter((solver.value(v) for v in x), dtype=np.int64, count=len(x))
    bound = max(relaxed_cost, math.ceil(solver.best_objective_bound - 1e-6))
    value = round(solver.objective_value)
    proven = optimal or bound >= value
    unit, week = disaggregate(c, net, flows)
    return make_result(
        problem,
        c,
        unit,
        week,
        status=Status.OPTIMAL if proven else Status.TIME_LIMIT,
        solver="cpsat",
        started=started,
        lower_bound=value if proven else bound,
        message="" if proven else f"stopped at the {limit:g} s limit",
        reasons=reasons,
    )


def _model(
    net: FlowNetwork,
    terms: dict[str, list[tuple[IntArray, IntArray, int, int]]],
    hint: IntArray,
) -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
    """The CP-SAT model: an integer flow per arc, conservation per node, the side
    constraints' ``terms``, the network's objective, and ``hint`` as the warm start."""
    model = cp_model.CpModel()
    x = [model.new_int_var(0, cap, "") for cap in net.capacities.tolist()]
    # conservation: out - in = supply
    out_arcs: list[list[int]] = [[] for _ in range(net.n_nodes)]
    in_arcs: list[list[int]] = [[] for _ in range(net.n_nodes)]
    for a, (t, hd) in enumerate(zip(net.tails.tolist(), net.heads.tolist(), strict=True)):
        out_arcs[t].append(a)
        in_arcs[hd].append(a)
    for node, supply in enumerate(net.supplies.tolist()):
        expr = sum(x[a] for a in out_arcs[node]) - sum(x[a] for a in in_arcs[node])
        model.add(expr == supply)
    for items in terms.values():
        for arcs, coef, sense, rhs in items:
            lin = cp_model.LinearExpr.weighted_sum([x[a] for a in arcs.tolist()], coef.tolist())
            if sense > 0:
                model.add(lin <= rhs)
            else:
                model.add(lin >= rhs)
    model.minimize(cp_model.LinearExpr.weighted_sum(x, net.costs.tolist()))
    for var, f in zip(x, hint.tolist(), strict=True):
        model.add_hint(var, f)
    return model, x


def _error(started: float, message: str, lower_bound: int | None = None) -> AllocationResult:
    """An ``error`` result with no plan."""
    return AllocationResult(
        status=Status.ERROR,
        solver="cpsat",
        solve_seconds=time.perf_counter() - started,
        lower_bound=lower_bound,
        message=message,
    )


def _no_plan(
    code: cp_model.CpSolverStatus,
    solver: cp_model.CpSolver,
    started: float,
    limit: float,
    relaxed_cost: int,
) -> AllocationResult:
    """The result when CP-SAT ended without a plan: proven infeasible, the time limit,
    or another status."""
    if code == cp_model.INFEASIBLE:
        return AllocationResult(
            status=Status.INFEASIBLE,
            solver="cpsat",
            solve_seconds=time.perf_counter() - started,
            lower_bound=None,
            message="the side constraints cannot all hold (check the fairness floors)",
        )
    return AllocationResult(
        status=Status.TIME_LIMIT if code == cp_model.UNKNOWN else Status.ERROR,
        solver="cpsat",
        solve_seconds=time.perf_counter() - started,
        lower_bound=relaxed_cost,
        message=f"no plan found ({solver.status_name(code)}) within {limit:g} s",
    )
