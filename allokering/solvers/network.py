"""The layered network of the exact solver (see :mod:`allokering.solvers.flow` for the
picture): referrals aggregated into classes and booking groups, and the arcs between
classes, (unit, time class) pairs, slots and the sink as arrays."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from allokering.compiled import Compiled, IntArray, group_columns
from allokering.cost import (
    is_away_v,
    late_v,
    move_cost_v,
    site_cost_v,
    time_cost_v,
    unassigned_costs,
)


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


@dataclass(frozen=True, eq=False)
class _TimeClasses:
    """Referrals grouped by time class k and effective weight (with ``side``: also by
    procedure minutes and floor area): first member, group per referral, k, W, deadline."""

    first: IntArray
    of: IntArray
    k: IntArray
    weight: IntArray
    deadline: IntArray
    area: IntArray

    @property
    def n(self) -> int:
        return max(len(self.first), 1)


def _time_classes(c: Compiled, side: bool) -> _TimeClasses:
    k = c.time_class()
    if side:
        floor_area = np.where(c.min_on_time_percent[c.area] >= 0, c.area, -1)
        first, of = group_columns(k, c.eff_weight, c.minutes, floor_area)
        area = floor_area[first]
    else:
        first, of = group_columns(k, c.eff_weight)
        area = np.full(len(first), -1, dtype=np.int64)
    return _TimeClasses(first, of, k[first], c.eff_weight[first], c.deadline[first], area)


@dataclass(frozen=True, eq=False)
class _Classes:
    """Interchangeable referrals (allowed units, time class, booked or not, home unit)."""

    of: IntArray
    size: IntArray
    code: IntArray
    tc: IntArray
    booked: IntArray
    home: IntArray
    area: IntArray

    @property
    def n(self) -> int:
        return len(self.size)


def _classes(c: Compiled, tcs: _TimeClasses) -> _Classes:
    booked = (c.booked_unit >= 0).astype(np.int64)
    first, class_of = group_columns(c.allow_code, tcs.of, booked, c.cost_home)
    size = np.bincount(class_of, minlength=len(first)).astype(np.int64)
    code = c.allow_code[first]
    return _Classes(
        class_of, size, code, tcs.of[first], booked[first], c.cost_home[first], c.allow_area[code]
    )


@dataclass(frozen=True, eq=False)
class _Groups:
    """Booking groups: referrals of one class booked at the same open, allowed slot."""

    of: IntArray
    size: IntArray
    cls: IntArray
    unit: IntArray
    week: IntArray
    tc: IntArray

    @property
    def n(self) -> int:
        return len(self.size)


def _booking_groups(c: Compiled, cls: _Classes) -> _Groups:
    h = c.horizon
    has_slot = c.booked_allowed()
    has_slot &= c.capacity[np.maximum(c.booked_unit, 0), np.maximum(c.booked_week, 0)] > 0
    slot_code = np.where(has_slot, c.booked_unit * h + c.booked_week, -1)
    members = np.nonzero(has_slot)[0]
    g_first, g_of = group_columns(cls.of[members], slot_code[members])
    group_of = np.full(c.n_referrals, -1, dtype=np.int64)
    group_of[members] = g_of
    g_size = np.bincount(g_of, minlength=len(g_first)).astype(np.int64)
    g_ref = members[g_first]
    g_cls = cls.of[g_ref]
    return _Groups(
        group_of, g_size, g_cls, c.booked_unit[g_ref], c.booked_week[g_ref], cls.tc[g_cls]
    )


@dataclass(frozen=True, eq=False)
class _Pairs:
    """Arcs class → (unit, time class) with their cost, and the pairs' unit and class."""

    arc_class: IntArray
    arc_pair: IntArray
    arc_cost: IntArray
    unit: IntArray
    tc: IntArray


def _class_arcs(c: Compiled, cls: _Classes, n_tc: int) -> _Pairs:
    wts = c.weights
    ca_cls, ca_unit = (x.astype(np.int64) for x in np.nonzero(c.allowed[cls.code]))
    pairs, ca_pair = np.unique(ca_unit * n_tc + cls.tc[ca_cls], return_inverse=True)
    ca_pair = ca_pair.astype(np.int64).reshape(-1)
    ca_cost = site_cost_v(
        c.km[cls.area[ca_cls], ca_unit], is_away_v(ca_unit, cls.home[ca_cls]), wts
    ) + move_cost_v(cls.booked[ca_cls] > 0, wts)
    return _Pairs(ca_cls, ca_pair, ca_cost, pairs // n_tc, pairs % n_tc)


@dataclass(frozen=True, eq=False)
class _WeekArcs:
    """Arcs (unit, time class) → slot (u, w) for the weeks with capacity."""

    pair: IntArray
    unit: IntArray
    week: IntArray
    cost: IntArray


def _week_arcs(c: Compiled, pairs: _Pairs, tcs: _TimeClasses) -> _WeekArcs:
    wa_pair, wa_week = (x.astype(np.int64) for x in np.nonzero(c.capacity[pairs.unit] > 0))
    wa_tc = pairs.tc[wa_pair]
    cost = time_cost_v(tcs.weight[wa_tc], late_v(tcs.deadline[wa_tc], wa_week), wa_week, c.weights)
    return _WeekArcs(wa_pair, pairs.unit[wa_pair], wa_week, cost)


def build_network(c: Compiled, *, side: bool = False) -> FlowNetwork:
    """Aggregate referrals into classes and booking groups and lay out the network.

    With ``side=True`` time classes also keep procedure minutes apart, and the areas
    that have a fairness floor, so that CP-SAT can state its side constraints on arcs.
    """
    tcs = _time_classes(c, side)
    cls = _classes(c, tcs)
    grp = _booking_groups(c, cls)
    pairs = _class_arcs(c, cls, tcs.n)
    weeks = _week_arcs(c, pairs, tcs)
    slots = np.nonzero(c.capacity.reshape(-1) > 0)[0].astype(np.int64)
    tails, heads, capacities, costs, supplies = _arcs(c, tcs, cls, grp, pairs, weeks, slots)
    return FlowNetwork(
        tails=tails.astype(np.int64),
        heads=heads.astype(np.int64),
        capacities=capacities.astype(np.int64),
        costs=costs.astype(np.int64),
        supplies=supplies,
        class_of=cls.of,
        group_of=grp.of,
        n_classes=cls.n,
        n_groups=grp.n,
        class_arc_class=pairs.arc_class,
        class_arc_pair=pairs.arc_pair,
        week_arc_pair=weeks.pair,
        week_arc_unit=weeks.unit,
        week_arc_week=weeks.week,
        n_slot_arcs=len(slots),
        group_unit=grp.unit,
        group_week=grp.week,
        group_class=grp.cls,
        pair_unit=pairs.unit,
        pair_tc=pairs.tc,
        tc_k=tcs.k,
        tc_minutes=c.minutes[tcs.first],
        tc_area=tcs.area,
        class_tc=cls.tc,
        class_area=cls.area,
    )


def _arcs(
    c: Compiled,
    tcs: _TimeClasses,
    cls: _Classes,
    grp: _Groups,
    pairs: _Pairs,
    weeks: _WeekArcs,
    slots: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Tails, heads, capacities and costs of the arcs in their block order, and the
    supplies: nodes are the classes, booking groups, pairs, slots, then the sink."""
    h, wts, total = c.horizon, c.weights, c.n_referrals
    n_cls, n_grp = cls.n, grp.n
    # booking group → booked slot (no move cost) and → its class (cost 0)
    ga_cost = site_cost_v(
        c.km[cls.area[grp.cls], grp.unit], is_away_v(grp.unit, cls.home[grp.cls]), wts
    ) + time_cost_v(tcs.weight[grp.tc], late_v(tcs.deadline[grp.tc], grp.week), grp.week, wts)
    # class → sink (unassigned)
    un_cost = unassigned_costs(tcs.weight[cls.tc], tcs.deadline[cls.tc], cls.booked > 0, h, wts)
    grp0 = n_cls
    pair0 = grp0 + n_grp
    slot0 = pair0 + len(pairs.unit)
    sink = slot0 + c.n_units * h
    cls_nodes = np.arange(n_cls, dtype=np.int64)
    grp_nodes = grp0 + np.arange(n_grp, dtype=np.int64)
    to_sink = np.full(len(slots), sink, dtype=np.int64)
    tails = np.concatenate(
        [pairs.arc_class, pair0 + weeks.pair, slot0 + slots, grp_nodes, grp_nodes, cls_nodes]
    )
    heads = np.concatenate(
        [pair0 + pairs.arc_pair, slot0 + weeks.unit * h + weeks.week, to_sink,
         slot0 + grp.unit * h + grp.week, grp.cls, np.full(n_cls, sink, dtype=np.int64)]
    )  # fmt: skip
    capacities = np.concatenate(
        [cls.size[pairs.arc_class], np.minimum(c.capacity[weeks.unit, weeks.week], total),
         c.capacity.reshape(-1)[slots], grp.size, grp.size, cls.size]
    )  # fmt: skip
    costs = np.concatenate(
        [pairs.arc_cost, weeks.cost, np.zeros(len(slots), np.int64), ga_cost,
         np.zeros(n_grp, np.int64), un_cost]
    )  # fmt: skip
    supplies = np.zeros(sink + 1, dtype=np.int64)
    grouped = np.bincount(grp.cls, weights=grp.size, minlength=n_cls).astype(np.int64)
    supplies[:n_cls] = cls.size - grouped
    supplies[grp0:pair0] = grp.size
    supplies[sink] = -total
    return tails, heads, capacities, costs, supplies
