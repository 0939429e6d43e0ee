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
optimality, so the status is ``optimal`` and the lower bound equals the cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ortools.graph.python import min_cost_flow

from allokering.compiled import Compiled, IntArray, compile_problem, group_columns
from allokering.cost import (
    is_away_v,
    late_v,
    move_cost_v,
    site_cost_v,
    time_cost_v,
    unassigned_costs,
)
from allokering.plan import make_result
from allokering.problem import AllocationProblem, AllocationResult, Status


@dataclass(frozen=True, eq=False)
class FlowNetwork:
    """The layered network as arc arrays plus what is needed to split flows back.

    Arcs come in blocks, in this order: class → (unit, time class); (unit, time class)
    → slot, ordered by pair then week; slot → sink; booking group → its booked slot;
    booking group → its class; class → sink (unassigned).
    """

    tails: IntArray
    heads: IntArray
    capacities: IntArray
    costs: IntArray
    supplies: IntArray
    """Supply per node (classes and booking groups positive, the sink negative)."""
    class_of: IntArray
    """Class id per referral."""
    group_of: IntArray
    """Booking group id per referral (-1: not booked at an open, allowed slot)."""
    n_classes: int
    n_groups: int
    class_arc_class: IntArray
    class_arc_pair: IntArray
    week_arc_pair: IntArray
    week_arc_unit: IntArray
    week_arc_week: IntArray
    n_slot_arcs: int
    group_unit: IntArray
    group_week: IntArray
    group_class: IntArray
    pair_unit: IntArray
    pair_tc: IntArray
    tc_k: IntArray
    tc_minutes: IntArray
    tc_area: IntArray
    """Area of a time class when the network keeps areas apart (side constraints), else -1."""
    class_tc: IntArray
    class_area: IntArray

    @property
    def n_nodes(self) -> int:
        return len(self.supplies)

    @property
    def n_arcs(self) -> int:
        return len(self.tails)

    def save_lp(self, path: str | Path) -> None:
        """Store the network as an ``.npz`` LP (for the HiGHS peer benchmark)."""
        np.savez(
            path,
            tails=self.tails,
            heads=self.heads,
            capacities=self.capacities,
            costs=self.costs,
            supplies=self.supplies,
        )


def build_network(c: Compiled, *, side: bool = False) -> FlowNetwork:
    """Aggregate referrals into classes and booking groups and lay out the network.

    With ``side=True`` time classes also keep procedure minutes apart, and the areas
    that have a fairness floor, so that CP-SAT can state its side constraints on arcs.
    """
    h, n_units = c.horizon, c.n_units
    wts = c.weights
    total = c.n_referrals
    k = c.time_class()
    if side:
        floor_area = np.where(c.min_on_time_percent[c.area] >= 0, c.area, -1)
        tc_first, tc_of = group_columns(k, c.eff_weight, c.minutes, floor_area)
        tc_area = floor_area[tc_first]
    else:
        tc_first, tc_of = group_columns(k, c.eff_weight)
        tc_area = np.full(len(tc_first), -1, dtype=np.int64)
    tc_k, tc_w, tc_d = k[tc_first], c.eff_weight[tc_first], c.deadline[tc_first]
    n_tc = max(len(tc_first), 1)

    booked = (c.booked_unit >= 0).astype(np.int64)
    first, class_of = group_columns(c.allow_code, tc_of, booked, c.cost_home)
    n_cls = len(first)
    size = np.bincount(class_of, minlength=n_cls).astype(np.int64)
    cls_code, cls_tc, cls_booked = c.allow_code[first], tc_of[first], booked[first]
    cls_home = c.cost_home[first]
    cls_area = c.allow_area[cls_code]

    # booking groups: referrals of one class booked at the same open, allowed slot
    has_slot = c.booked_allowed()
    has_slot &= c.capacity[np.maximum(c.booked_unit, 0), np.maximum(c.booked_week, 0)] > 0
    slot_code = np.where(has_slot, c.booked_unit * h + c.booked_week, -1)
    members = np.nonzero(has_slot)[0]
    g_first, g_of = group_columns(class_of[members], slot_code[members])
    group_of = np.full(total, -1, dtype=np.int64)
    group_of[members] = g_of
    n_grp = len(g_first)
    g_size = np.bincount(g_of, minlength=n_grp).astype(np.int64)
    g_ref = members[g_first]
    g_cls, g_unit, g_week = class_of[g_ref], c.booked_unit[g_ref], c.booked_week[g_ref]
    g_tc = cls_tc[g_cls]

    # class → (unit, time class)
    ca_cls, ca_unit = (x.astype(np.int64) for x in np.nonzero(c.allowed[cls_code]))
    pairs, ca_pair = np.unique(ca_unit * n_tc + cls_tc[ca_cls], return_inverse=True)
    ca_pair = ca_pair.astype(np.int64).reshape(-1)
    n_pairs = len(pairs)
    pair_unit, pair_tc = pairs // n_tc, pairs % n_tc
    ca_cost = site_cost_v(
        c.km[cls_area[ca_cls], ca_unit], is_away_v(ca_unit, cls_home[ca_cls]), wts
    ) + move_cost_v(cls_booked[ca_cls] > 0, wts)

    # (unit, time class) → slot (u, w) for weeks with capacity
    wa_pair, wa_week = (x.astype(np.int64) for x in np.nonzero(c.capacity[pair_unit] > 0))
    wa_unit = pair_unit[wa_pair]
    wa_tc = pair_tc[wa_pair]
    wa_cost = time_cost_v(tc_w[wa_tc], late_v(tc_d[wa_tc], wa_week), wa_week, wts)

    # slot → sink
    slots = np.nonzero(c.capacity.reshape(-1) > 0)[0].astype(np.int64)

    # booking group → booked slot (no move cost) and → its class (cost 0)
    ga_cost = site_cost_v(
        c.km[cls_area[g_cls], g_unit], is_away_v(g_unit, cls_home[g_cls]), wts
    ) + time_cost_v(tc_w[g_tc], late_v(tc_d[g_tc], g_week), g_week, wts)

    # class → sink (unassigned)
    un_cost = unassigned_costs(tc_w[cls_tc], tc_d[cls_tc], cls_booked > 0, h, wts)

    grp0 = n_cls
    pair0 = grp0 + n_grp
    slot0 = pair0 + n_pairs
    sink = slot0 + n_units * h
    cls_nodes = np.arange(n_cls, dtype=np.int64)
    grp_nodes = grp0 + np.arange(n_grp, dtype=np.int64)
    tails = np.concatenate(
        [ca_cls, pair0 + wa_pair, slot0 + slots, grp_nodes, grp_nodes, cls_nodes]
    )
    heads = np.concatenate(
        [
            pair0 + ca_pair,
            slot0 + wa_unit * h + wa_week,
            np.full(len(slots), sink, dtype=np.int64),
            slot0 + g_unit * h + g_week,
            g_cls,
            np.full(n_cls, sink, dtype=np.int64),
        ]
    )
    capacities = np.concatenate(
        [
            size[ca_cls],
            np.minimum(c.capacity[wa_unit, wa_week], total),
            c.capacity.reshape(-1)[slots],
            g_size,
            g_size,
            size,
        ]
    )
    costs = np.concatenate(
        [
            ca_cost,
            wa_cost,
            np.zeros(len(slots), np.int64),
            ga_cost,
            np.zeros(n_grp, np.int64),
            un_cost,
        ]
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_cls] = size - np.bincount(g_cls, weights=g_size, minlength=n_cls).astype(np.int64)
    supplies[grp0:pair0] = g_size
    supplies[sink] = -total
    return FlowNetwork(
        tails=tails.astype(np.int64),
        heads=heads.astype(np.int64),
        capacities=capacities.astype(np.int64),
        costs=costs.astype(np.int64),
        supplies=supplies,
        class_of=class_of,
        group_of=group_of,
        n_classes=n_cls,
        n_groups=n_grp,
        class_arc_class=ca_cls,
        class_arc_pair=ca_pair,
        week_arc_pair=wa_pair,
        week_arc_unit=wa_unit,
        week_arc_week=wa_week,
        n_slot_arcs=len(slots),
        group_unit=g_unit,
        group_week=g_week,
        group_class=g_cls,
        pair_unit=pair_unit,
        pair_tc=pair_tc,
        tc_k=tc_k,
        tc_minutes=c.minutes[tc_first],
        tc_area=tc_area,
        class_tc=cls_tc,
        class_area=cls_area,
    )


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
