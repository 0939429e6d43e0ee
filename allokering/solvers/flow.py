"""Exact solver: a min-cost flow on a layered network of referral classes.

The cost (:mod:`allokering.cost`) is separable — travel and the away-from-home cost
depend on (area, home unit, unit), lateness and waiting on (deadline, effective weight,
week), a move on the booking — so referrals that agree on

    allowed units (area, eligibility, max km) · time class k · effective weight W ·
    home unit · booked

are interchangeable and aggregate into one *class* node. The time class is
``k = clip(floor(deadline_day / 7) + 1, 0, H + 1)``: the referral is late in week w
iff ``w ≥ k``, and unassigned counts as a breach iff ``k ≤ H``.

Network (all costs integers, so the flow optimum is the integer optimum)::

    class c ──travel+away(+move)──▶ (unit u, time class t) ──time cost(t, w)──▶ slot (u, w)
       │   ╲                                                                 │ cap[u][w]
       │    ╲──booked slot: travel + time cost, no move──▶ slot (u0, w0)     ▼
       └────────────────────── unassigned cost ────────────────────────▶  sink

Class flows are split back onto referrals (earlier weeks to the more urgent referrals
of a class, which does not change the cost). OR-Tools' ``SimpleMinCostFlow`` proves
optimality, so the status is ``optimal`` and the lower bound equals the cost. The
network itself is built in :mod:`allokering.solvers.network`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from allokering.compiled import Compiled, IntArray, compile_problem
from allokering.plan import make_result
from allokering.problem import AllocationProblem, AllocationResult, Status
from allokering.solvers.network import FlowNetwork, build_network

__all__ = [
    "FlowNetwork",
    "FlowSolution",
    "build_network",
    "disaggregate",
    "solve_flow",
    "solve_network",
]


@dataclass(frozen=True, eq=False)
class FlowSolution:
    """Raw answer of the min-cost flow solver."""

    ok: bool
    status: str
    cost: int
    flows: IntArray


def solve_network(net: FlowNetwork) -> FlowSolution:
    """Run OR-Tools' min-cost flow on the network."""
    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs = mcf.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.capacities, net.costs)
    mcf.set_nodes_supplies(np.arange(net.n_nodes, dtype=np.int64), net.supplies)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        return FlowSolution(False, str(status), 0, np.zeros(0, dtype=np.int64))
    flows = np.asarray(mcf.flows(arcs), dtype=np.int64)
    return FlowSolution(True, "optimal", int(mcf.optimal_cost()), flows)


def disaggregate(c: Compiled, net: FlowNetwork, flows: IntArray) -> tuple[IntArray, IntArray]:
    """Split class flows back onto referrals: (unit index or -1, week) per referral.

    Within a booking group the most urgent referrals keep the booked slot; within a
    class, earlier weeks go to earlier deadlines. Neither choice changes the cost.
    """
    h, n = c.horizon, c.n_referrals
    o1 = len(net.class_arc_class)
    o2 = o1 + len(net.week_arc_pair)
    o3 = o2 + net.n_slot_arcs
    o4 = o3 + net.n_groups
    o5 = o4 + net.n_groups
    f_in, f_out, f_keep, f_un = flows[:o1], flows[o1:o2], flows[o3:o4], flows[o5:]
    unit = np.full(n, -1, dtype=np.int64)
    week = np.zeros(n, dtype=np.int64)

    # booking groups: the first f_keep members (by deadline) keep their booked slot
    members = np.nonzero(net.group_of >= 0)[0]
    order_g = members[np.lexsort((c.deadline[members], net.group_of[members]))]
    g_sorted = net.group_of[order_g]
    g_start = np.searchsorted(g_sorted, g_sorted, side="left")
    keep = (np.arange(len(order_g)) - g_start) < f_keep[g_sorted]
    kept = order_g[keep]
    unit[kept] = net.group_unit[net.group_of[kept]]
    week[kept] = net.group_week[net.group_of[kept]]

    # match inflows and outflows of each (unit, time class) node via cumulative sums
    m_in = np.nonzero(f_in > 0)[0]
    m_in = m_in[np.argsort(net.class_arc_pair[m_in], kind="stable")]
    m_out = np.nonzero(f_out > 0)[0]  # already ordered by pair, then week
    in_cum = np.cumsum(f_in[m_in])
    out_cum = np.cumsum(f_out[m_out])
    ends = np.union1d(in_cum, out_cum)
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    seg_in = m_in[np.searchsorted(in_cum, ends, side="left")]
    seg_out = m_out[np.searchsorted(out_cum, ends, side="left")]

    n_cls = net.n_classes
    piece_cls = np.concatenate([net.class_arc_class[seg_in], np.arange(n_cls, dtype=np.int64)])
    piece_unit = np.concatenate([net.week_arc_unit[seg_out], np.full(n_cls, -1, np.int64)])
    piece_week = np.concatenate([net.week_arc_week[seg_out], np.full(n_cls, h, np.int64)])
    piece_n = np.concatenate([ends - starts, f_un])
    order_p = np.lexsort((piece_unit, piece_week, piece_cls))
    reps = piece_n[order_p]

    pool = np.ones(n, dtype=bool)
    pool[kept] = False
    pool_idx = np.nonzero(pool)[0]
    order_r = pool_idx[np.lexsort((c.deadline[pool_idx], net.class_of[pool_idx]))]
    unit[order_r] = np.repeat(piece_unit[order_p], reps)
    week[order_r] = np.repeat(piece_week[order_p], reps)
    week[unit < 0] = 0
    return unit, week


def solve_flow(problem: AllocationProblem, *, reasons: bool = True) -> AllocationResult:
    """Solve to proven optimality (side constraints are not modelled here)."""
    started = time.perf_counter()
    c = compile_problem(problem)
    net = build_network(c)
    sol = solve_network(net)
    if not sol.ok:
        return AllocationResult(
            status=Status.ERROR,
            solver="flow",
            solve_seconds=time.perf_counter() - started,
            message=f"min-cost flow ended with status {sol.status}",
        )
    unit, week = disaggregate(c, net, sol.flows)
    return make_result(
        problem,
        c,
        unit,
        week,
        status=Status.OPTIMAL,
        solver="flow",
        started=started,
        lower_bound=sol.cost,
        reasons=reasons,
    )
