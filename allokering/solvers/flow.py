"""Exact solver: a min-cost flow on a layered network of referral classes.

The cost is separable — travel depends on (area, unit), lateness and waiting on
(deadline, weight, week), a move on the booking — so referrals that agree on

    allowed units (area, eligibility, max km) · time class k · weight · booking

are interchangeable and aggregate into one *class* node. The time class is
``k = clip(floor(deadline_day / 7) + 1, 0, H + 1)``: the referral is late in week w
iff ``w ≥ k``, and unassigned counts as a breach iff ``k ≤ H``.

Network (all costs integers, so the flow optimum is the integer optimum)::

    class c ──travel(+move)──▶ (unit u, time class t) ──time cost(t, w)──▶ slot (u, w)
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

from allokering.compiled import Compiled, IntArray, compile_problem, group_columns, make_result
from allokering.problem import AllocationProblem, AllocationResult, Status


@dataclass(frozen=True, eq=False)
class FlowNetwork:
    """The layered network as arc arrays plus what is needed to split flows back."""

    tails: IntArray
    heads: IntArray
    capacities: IntArray
    costs: IntArray
    supplies: IntArray
    """Supply per node (classes positive, the sink negative)."""
    class_of: IntArray
    """Class id per referral."""
    class_size: IntArray
    n_class_arcs: int
    """Arcs [0, n_class_arcs): class → (unit, time class)."""
    class_arc_class: IntArray
    class_arc_pair: IntArray
    n_week_arcs: int
    """Next arcs: (unit, time class) → slot, ordered by pair then week."""
    week_arc_pair: IntArray
    week_arc_unit: IntArray
    week_arc_week: IntArray
    n_slot_arcs: int
    """Next arcs: slot → sink."""
    booked_arc_class: IntArray
    """Next arcs: class → its booked slot."""
    booked_arc_unit: IntArray
    booked_arc_week: IntArray
    """Last C arcs: class → sink (unassigned)."""

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


def build_network(c: Compiled) -> FlowNetwork:
    """Aggregate referrals into classes and lay out the network."""
    h, n_units = c.horizon, c.n_units
    wts = c.weights
    total = c.n_referrals
    k = c.time_class()
    tc_first, tc_of = group_columns(k, c.weight)
    tc_k, tc_w = k[tc_first], c.weight[tc_first]
    n_tc = len(tc_first)

    booked = c.booked_unit >= 0
    slot_ok = c.booked_allowed()
    bslot = np.where(slot_ok, c.booked_unit * h + c.booked_week, -1)
    first, class_of = group_columns(c.allow_code, tc_of, booked.astype(np.int64), bslot)
    n_cls = len(first)
    size = np.bincount(class_of, minlength=n_cls).astype(np.int64)
    cls_code, cls_tc = c.allow_code[first], tc_of[first]
    cls_area = c.allow_area[cls_code] if n_cls else np.zeros(0, dtype=np.int64)
    cls_booked, cls_bslot = booked[first].astype(np.int64), bslot[first]

    # class → (unit, time class)
    ca_cls, ca_unit = np.nonzero(c.allowed[cls_code]) if n_cls else (np.zeros(0, int),) * 2
    ca_cls, ca_unit = ca_cls.astype(np.int64), ca_unit.astype(np.int64)
    pair_key = ca_unit * n_tc + cls_tc[ca_cls]
    pairs, ca_pair = np.unique(pair_key, return_inverse=True)
    ca_pair = ca_pair.astype(np.int64)
    n_pairs = len(pairs)
    pair_unit, pair_tc = pairs // max(n_tc, 1), pairs % max(n_tc, 1)
    ca_cost = wts.travel_per_km * c.km[cls_area[ca_cls], ca_unit] + wts.move * cls_booked[ca_cls]

    # (unit, time class) → slot (u, w) for weeks with capacity
    open_slot = c.capacity[pair_unit] > 0  # (pairs, H)
    wa_pair, wa_week = np.nonzero(open_slot)
    wa_pair, wa_week = wa_pair.astype(np.int64), wa_week.astype(np.int64)
    wa_unit = pair_unit[wa_pair]
    wa_k, wa_w = tc_k[pair_tc[wa_pair]], tc_w[pair_tc[wa_pair]]
    wa_cost = wa_w * (wts.breach * (wa_week >= wa_k) + wts.wait_per_day * 7 * wa_week)

    # slot → sink
    slots = np.nonzero(c.capacity.reshape(-1) > 0)[0].astype(np.int64)

    # class → booked slot
    ba_cls = np.nonzero(cls_bslot >= 0)[0].astype(np.int64)
    ba_unit, ba_week = cls_bslot[ba_cls] // h, cls_bslot[ba_cls] % h
    ba_keep = c.capacity[ba_unit, ba_week] > 0
    ba_cls, ba_unit, ba_week = ba_cls[ba_keep], ba_unit[ba_keep], ba_week[ba_keep]
    ba_tc = cls_tc[ba_cls]
    ba_cost = wts.travel_per_km * c.km[cls_area[ba_cls], ba_unit] + tc_w[ba_tc] * (
        wts.breach * (ba_week >= tc_k[ba_tc]) + wts.wait_per_day * 7 * ba_week
    )

    # class → sink (unassigned)
    cls_k, cls_w = tc_k[cls_tc], tc_w[cls_tc]
    un_cost = cls_w * (wts.breach * (cls_k <= h) + wts.wait_per_day * 7 * h) + wts.move * cls_booked

    pair_node0 = n_cls
    slot_node0 = n_cls + n_pairs
    sink = slot_node0 + n_units * h
    cls_nodes = np.arange(n_cls, dtype=np.int64)
    tails = np.concatenate(
        [ca_cls, pair_node0 + wa_pair, slot_node0 + slots, ba_cls, cls_nodes]
    )
    heads = np.concatenate(
        [
            pair_node0 + ca_pair,
            slot_node0 + wa_unit * h + wa_week,
            np.full(len(slots), sink, dtype=np.int64),
            slot_node0 + ba_unit * h + ba_week,
            np.full(n_cls, sink, dtype=np.int64),
        ]
    )
    capacities = np.concatenate(
        [
            size[ca_cls],
            np.minimum(c.capacity[wa_unit, wa_week], total),
            c.capacity.reshape(-1)[slots],
            size[ba_cls],
            size,
        ]
    )
    costs = np.concatenate([ca_cost, wa_cost, np.zeros(len(slots), np.int64), ba_cost, un_cost])
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_cls] = size
    supplies[sink] = -total
    return FlowNetwork(
        tails=tails.astype(np.int64),
        heads=heads.astype(np.int64),
        capacities=capacities.astype(np.int64),
        costs=costs.astype(np.int64),
        supplies=supplies,
        class_of=class_of,
        class_size=size,
        n_class_arcs=len(ca_cls),
        class_arc_class=ca_cls,
        class_arc_pair=ca_pair,
        n_week_arcs=len(wa_pair),
        week_arc_pair=wa_pair,
        week_arc_unit=wa_unit,
        week_arc_week=wa_week,
        n_slot_arcs=len(slots),
        booked_arc_class=ba_cls,
        booked_arc_unit=ba_unit,
        booked_arc_week=ba_week,
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
    arcs = mcf.add_arcs_with_capacity_and_unit_cost(
        net.tails, net.heads, net.capacities, net.costs
    )
    mcf.set_nodes_supplies(np.arange(net.n_nodes, dtype=np.int64), net.supplies)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        return FlowSolution(False, str(status), 0, np.zeros(0, dtype=np.int64))
    flows = np.asarray(mcf.flows(arcs), dtype=np.int64)
    return FlowSolution(True, "optimal", int(mcf.optimal_cost()), flows)


def disaggregate(c: Compiled, net: FlowNetwork, flows: IntArray) -> tuple[IntArray, IntArray]:
    """Split class flows back onto referrals: (unit index or -1, week) per referral."""
    h = c.horizon
    o1 = net.n_class_arcs
    o2 = o1 + net.n_week_arcs
    o3 = o2 + net.n_slot_arcs
    o4 = o3 + len(net.booked_arc_class)
    f_in, f_out = flows[:o1], flows[o1:o2]
    f_book, f_un = flows[o3:o4], flows[o4:]

    # match inflows and outflows of each (unit, time class) node via cumulative sums
    m_in = np.nonzero(f_in > 0)[0]
    m_in = m_in[np.argsort(net.class_arc_pair[m_in], kind="stable")]
    m_out = np.nonzero(f_out > 0)[0]  # already ordered by pair, then week
    in_cum = np.cumsum(f_in[m_in])
    out_cum = np.cumsum(f_out[m_out])
    ends = np.union1d(in_cum, out_cum)
    starts = np.concatenate([[0], ends[:-1]]) if len(ends) else ends
    seg_in = m_in[np.searchsorted(in_cum, ends, side="left")]
    seg_out = m_out[np.searchsorted(out_cum, ends, side="left")]

    n_cls = len(net.class_size)
    un_cls = np.arange(n_cls, dtype=np.int64)
    piece_cls = np.concatenate([net.class_arc_class[seg_in], net.booked_arc_class, un_cls])
    piece_unit = np.concatenate(
        [net.week_arc_unit[seg_out], net.booked_arc_unit, np.full(n_cls, -1, np.int64)]
    )
    piece_week = np.concatenate(
        [net.week_arc_week[seg_out], net.booked_arc_week, np.full(n_cls, h, np.int64)]
    )
    piece_n = np.concatenate([ends - starts, f_book, f_un])
    keep = piece_n > 0
    piece_cls, piece_unit, piece_week, piece_n = (
        piece_cls[keep],
        piece_unit[keep],
        piece_week[keep],
        piece_n[keep],
    )
    order_p = np.lexsort((piece_unit, piece_week, piece_cls))
    unit_sorted = np.repeat(piece_unit[order_p], piece_n[order_p])
    week_sorted = np.repeat(piece_week[order_p], piece_n[order_p])

    order_r = np.lexsort((c.deadline, net.class_of))
    unit = np.empty(c.n_referrals, dtype=np.int64)
    week = np.empty(c.n_referrals, dtype=np.int64)
    unit[order_r] = unit_sorted
    week[order_r] = week_sorted
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
