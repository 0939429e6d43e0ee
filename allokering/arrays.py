"""Array-level planning: the exact flow solver for callers that already hold columns.

The public contract (:class:`~allokering.problem.AllocationProblem` →
:func:`allokering.solve.solve` → :class:`~allokering.problem.AllocationResult`) builds
a validated pydantic row per referral and a result row per placement. That is right
for JSON from outside, and too slow for the simulation's ``optimised`` policy, which
plans hundreds of times per replication from columns it already holds. This module is
the same plan without the rows:

- a :class:`PlanningFrame` holds what stays fixed from one plan to the next — the
  units, areas, whole-km distances, home units, horizon and weights — and is built
  once (:func:`make_frame`);
- :class:`PlanColumns` are one plan's inputs: capacity per unit-week and, per
  referral, area, ``deadline_day``, priority level, allowed units and booking;
- :func:`plan` checks the columns (one :class:`PlanInputError` naming the field),
  lays out the same network as :func:`allokering.solvers.flow.solve_flow`
  (:func:`allokering.solvers.network.build_network` on a
  :class:`~allokering.compiled.Compiled` view made straight from the columns), solves
  it with the same min-cost flow and returns an :class:`ArrayPlan`: unit and week per
  referral (-1 = unplanned), on time or not, and the cost under the one cost model of
  :mod:`allokering.cost`.

The frame's fixed arrays (distances, homes, catchments, the unset side-constraint
arrays, the referral-id column) are re-used by every plan; the class layers of the
network depend on the referrals' deadlines, priorities, allowed units and bookings,
which change with every plan, so they are laid out anew each time.

**Exactness.** :func:`to_problem` writes the same plan as an ``AllocationProblem``;
compiling that problem gives exactly the arrays this module builds (same allowed-unit
codes, same order), so the network, the solver's answer and the split onto referrals
are identical to ``solve(to_problem(frame, columns), "flow")``. A property test on
random frames and columns checks it (``tests/allokering/test_arrays.py``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from allokering.compiled import BoolArray, Compiled, IntArray, compile_problem, group_columns
from allokering.cost import cost_bound_errors, effective_weights
from allokering.plan import make_result, referral_costs
from allokering.problem import (
    AllocationProblem,
    AllocationResult,
    AreaRef,
    Booking,
    Referral,
    Status,
    UnitCapacity,
)
from allokering.solvers.flow import disaggregate, solve_network
from allokering.solvers.network import build_network
from allokering.weights import Weights

FloatArray = npt.NDArray[np.float64]

DEADLINE_BOUND = 100_000
"""``deadline_day`` must lie in −100 000 … 100 000 (as ``Referral.deadline_day``)."""


class PlanInputError(ValueError):
    """A column of :class:`PlanColumns` (or the frame) is malformed: names the field."""


@dataclass(frozen=True, eq=False)
class PlanningFrame:
    """What stays fixed between plans: units, areas, distances, homes, horizon, weights."""

    horizon: int
    unit_ids: tuple[str, ...]
    area_ids: tuple[str, ...]
    km: IntArray
    """Whole km, shape (areas, units) (:func:`allokering.places.round_km`)."""
    area_home: IntArray
    """Per area: the unit whose catchment lists it (its home unit for the away cost), -1
    when none does."""
    weights: Weights
    home: IntArray
    """Per area: ``area_home``, else the nearest unit (as the compiled view's ``home``)."""
    catchment: BoolArray
    """Unit j lists area i, shape (units, areas)."""
    _ids: list[str] = field(default_factory=list)
    """Referral ids "0", "1", … (positions), grown on demand and shared by every plan."""

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_areas(self) -> int:
        return len(self.area_ids)

    def referral_ids(self, n: int) -> list[str]:
        """The ids of ``n`` referrals: their positions as strings."""
        ids = self._ids
        if len(ids) < n:
            ids.extend(map(str, range(len(ids), max(n, 2 * len(ids)))))
        return ids[:n]


def make_frame(
    km: npt.ArrayLike,
    area_home: npt.ArrayLike,
    horizon: int,
    weights: Weights | None = None,
    *,
    unit_ids: Sequence[str] | None = None,
    area_ids: Sequence[str] | None = None,
) -> PlanningFrame:
    """A frame from distances ``km[area][unit]`` (rounded to whole km like the contract),
    each area's home unit (-1: none) and the horizon in weeks; ids default to
    ``u0, u1, …`` and ``a0, a1, …``."""
    km_f = np.asarray(km, dtype=np.float64)
    if km_f.ndim != 2 or km_f.size == 0:
        raise PlanInputError("km: expected a non-empty 2-d array [area][unit]")
    if not np.all(np.isfinite(km_f)) or np.any(km_f < 0):
        raise PlanInputError("km: distances must be finite and non-negative")
    n_areas, n_units = km_f.shape
    homes = np.asarray(area_home, dtype=np.int64)
    if homes.shape != (n_areas,) or np.any((homes < -1) | (homes >= n_units)):
        raise PlanInputError(f"area_home: expected {n_areas} unit indices (or -1)")
    if not 1 <= horizon <= 520:
        raise PlanInputError(f"horizon: {horizon} weeks is outside 1..520")
    whole = np.floor(km_f + 0.5).astype(np.int64)  # round_km, halves up
    home = np.where(homes >= 0, homes, np.argmin(whole, axis=1)).astype(np.int64)
    catchment = np.zeros((n_units, n_areas), dtype=bool)
    listed = np.flatnonzero(homes >= 0)
    catchment[homes[listed], listed] = True
    return PlanningFrame(
        horizon=horizon,
        unit_ids=tuple(unit_ids)
        if unit_ids is not None
        else tuple(f"u{j}" for j in range(n_units)),
        area_ids=tuple(area_ids)
        if area_ids is not None
        else tuple(f"a{i}" for i in range(n_areas)),
        km=whole,
        area_home=homes,
        weights=weights if weights is not None else Weights(),
        home=home,
        catchment=catchment,
    )


@dataclass(frozen=True, eq=False)
class PlanColumns:
    """One plan's inputs, one entry per referral (units as indices into the frame)."""

    capacity: IntArray
    """Slots per unit and week, shape (units, horizon)."""
    area: IntArray
    deadline: IntArray
    """``deadline_day``: days to the limit (on time in week w iff 7w ≤ deadline)."""
    priority: IntArray
    """Priority level 1 (P1) … 5 (routine)."""
    allowed: BoolArray
    """Units the referral may go to, shape (referrals, units)."""
    booked_unit: IntArray
    """Unit of the booking, -1 when not booked."""
    booked_week: IntArray
    """Week of the booking (0 … horizon − 1), -1 when not booked."""
    weight: IntArray | None = None
    """Base weight per referral (1 … 1000); None = 1 for all."""
    home_unit: IntArray | None = None
    """Per referral: its home unit where it is not its area's (a referral of an actual
    waiting list on another unit's list), -1 or None = the area's home unit."""

    @property
    def n(self) -> int:
        return len(self.area)


@dataclass(frozen=True, eq=False)
class ArrayPlan:
    """A plan as arrays, one entry per referral in the columns' order."""

    status: Status
    unit: IntArray
    """Unit index, -1 = unplanned."""
    week: IntArray
    """Week, -1 = unplanned."""
    on_time: BoolArray
    """Placed and 7·week ≤ deadline."""
    cost: int
    """Total cost under :mod:`allokering.cost`."""
    lower_bound: int
    """The min-cost flow's optimum (equal to ``cost``: the plan is proven optimal)."""


def check_columns(frame: PlanningFrame, cols: PlanColumns) -> None:
    """Raise :class:`PlanInputError` naming the first malformed column."""
    n, units, h = cols.n, frame.n_units, frame.horizon
    shapes = {
        "capacity": (cols.capacity, (units, h)),
        "area": (cols.area, (n,)),
        "deadline": (cols.deadline, (n,)),
        "priority": (cols.priority, (n,)),
        "allowed": (cols.allowed, (n, units)),
        "booked_unit": (cols.booked_unit, (n,)),
        "booked_week": (cols.booked_week, (n,)),
    }
    if cols.weight is not None:
        shapes["weight"] = (cols.weight, (n,))
    if cols.home_unit is not None:
        shapes["home_unit"] = (cols.home_unit, (n,))
    for name, (array, shape) in shapes.items():
        if np.shape(array) != shape:
            raise PlanInputError(f"{name}: shape {np.shape(array)}, expected {shape}")
    booked = cols.booked_unit >= 0
    ranges = {
        "capacity": np.all(cols.capacity >= 0),
        "area": np.all((cols.area >= 0) & (cols.area < frame.n_areas)),
        "deadline": np.all(np.abs(cols.deadline) <= DEADLINE_BOUND),
        "priority": np.all((cols.priority >= 1) & (cols.priority <= 5)),
        "booked_unit": np.all((cols.booked_unit >= -1) & (cols.booked_unit < units)),
        "booked_week": np.all(
            np.where(
                booked, (cols.booked_week >= 0) & (cols.booked_week < h), cols.booked_week == -1
            )
        ),
        "weight": cols.weight is None or np.all((cols.weight >= 1) & (cols.weight <= 1_000)),
        "home_unit": cols.home_unit is None
        or np.all((cols.home_unit >= -1) & (cols.home_unit < units)),
    }
    for name, ok in ranges.items():
        if not ok:
            raise PlanInputError(f"{name}: value out of range")


def compile_columns(frame: PlanningFrame, cols: PlanColumns) -> Compiled:
    """The compiled view of the plan, exactly as :func:`allokering.compiled.compile_problem`
    makes it from :func:`to_problem` (checked by the property test)."""
    n, units, h = cols.n, frame.n_units, frame.horizon
    weight = np.ones(n, np.int64) if cols.weight is None else cols.weight.astype(np.int64)
    deadline = cols.deadline.astype(np.int64)
    priority = cols.priority.astype(np.int64)
    eff = effective_weights(weight, priority, deadline, frame.weights)
    errors = cost_bound_errors(n, int(eff.max(initial=0)), h, int(frame.km.max()), frame.weights)
    if errors:
        raise PlanInputError(errors[0][1])
    allow_code, allowed, allow_area = _allow_codes(cols.area, cols.allowed, units)
    return Compiled(
        horizon=h,
        unit_ids=frame.unit_ids,
        unit_labels=frame.unit_ids,
        area_ids=frame.area_ids,
        weights=frame.weights,
        km=frame.km,
        capacity=cols.capacity.astype(np.int64),
        home=frame.home,
        referral_ids=frame.referral_ids(n),
        area=cols.area.astype(np.int64),
        deadline=deadline,
        weight=weight,
        priority=priority,
        eff_weight=eff,
        cost_home=home_units(frame, cols),
        allow_code=allow_code,
        allowed=allowed,
        allow_area=allow_area,
        booked_unit=cols.booked_unit.astype(np.int64),
        booked_week=cols.booked_week.astype(np.int64),
        minutes=np.zeros(n, np.int64),
        catchment=frame.catchment,
        session_minutes=np.full((units, h), -1, np.int64),
        max_external_percent=np.full(units, -1, np.int64),
        min_on_time_percent=np.full(frame.n_areas, -1, np.int64),
    )


def home_units(frame: PlanningFrame, cols: PlanColumns) -> IntArray:
    """Each referral's home unit for the away cost: its own where given, else its area's."""
    by_area = frame.area_home[cols.area]
    if cols.home_unit is None:
        return by_area
    return np.where(cols.home_unit >= 0, cols.home_unit, by_area).astype(np.int64)


def _allow_codes(
    area: IntArray, allowed: BoolArray, n_units: int
) -> tuple[IntArray, BoolArray, IntArray]:
    """One code per distinct (area, allowed units), numbered in sorted (area, packed
    units) order as the compiled view numbers them: (code per referral, allowed units
    per code, area per code)."""
    if len(area) == 0:
        return np.zeros(0, np.int64), np.zeros((0, n_units), dtype=bool), np.zeros(0, np.int64)
    packed = np.packbits(allowed, axis=1).astype(np.int64).T
    first, code = group_columns(area, *packed)
    return code, allowed[first], area[first].astype(np.int64)


def plan(frame: PlanningFrame, cols: PlanColumns) -> ArrayPlan:
    """Solve one plan to proven optimality with the min-cost flow (no side constraints)."""
    check_columns(frame, cols)
    c = compile_columns(frame, cols)
    net = build_network(c)
    sol = solve_network(net)
    if not sol.ok:
        none = np.full(cols.n, -1, np.int64)
        return ArrayPlan(Status.ERROR, none, none.copy(), np.zeros(cols.n, bool), 0, 0)
    unit, week = disaggregate(c, net, sol.flows)
    placed = unit >= 0
    week = np.where(placed, week, -1)
    cost = int(referral_costs(c, unit, week).sum())
    on_time = placed & (7 * week <= c.deadline)
    return ArrayPlan(Status.OPTIMAL, unit, week, on_time, cost, sol.cost)


def to_problem(
    frame: PlanningFrame, cols: PlanColumns, referral_ids: Sequence[str] | None = None
) -> AllocationProblem:
    """The same plan through the public contract (validated): for other solvers,
    diagnostics and tests. Ids default to the referrals' positions."""
    check_columns(frame, cols)
    ids = referral_ids if referral_ids is not None else frame.referral_ids(cols.n)
    units = [
        UnitCapacity(
            id=uid,
            capacity=cols.capacity[j].tolist(),
            catchment=[frame.area_ids[a] for a in np.flatnonzero(frame.catchment[j]).tolist()],
        )
        for j, uid in enumerate(frame.unit_ids)
    ]
    km = frame.km.tolist()
    travel = {
        a_id: {u_id: float(km[i][j]) for j, u_id in enumerate(frame.unit_ids)}
        for i, a_id in enumerate(frame.area_ids)
    }
    return AllocationProblem(
        horizon_weeks=frame.horizon,
        units=units,
        areas=[AreaRef(id=a) for a in frame.area_ids],
        travel_km=travel,
        referrals=_referral_rows(frame, cols, ids),
        weights=frame.weights,
    )


def _referral_rows(frame: PlanningFrame, cols: PlanColumns, ids: Sequence[str]) -> list[Referral]:
    """The columns as contract rows (``eligible_units`` None when every unit is allowed)."""
    unit_ids = frame.unit_ids
    weight = [1] * cols.n if cols.weight is None else cols.weight.tolist()
    own = [-1] * cols.n if cols.home_unit is None else cols.home_unit.tolist()
    rows: list[Referral] = []
    for i, (a, d, p, allowed, bu, bw) in enumerate(
        zip(
            cols.area.tolist(),
            cols.deadline.tolist(),
            cols.priority.tolist(),
            cols.allowed.tolist(),
            cols.booked_unit.tolist(),
            cols.booked_week.tolist(),
            strict=True,
        )
    ):
        eligible = None if all(allowed) else [unit_ids[j] for j, ok in enumerate(allowed) if ok]
        booking = Booking(unit_ids[bu], bw) if bu >= 0 else None
        rows.append(
            Referral(
                ids[i],
                frame.area_ids[a],
                d,
                weight[i],
                eligible_units=eligible,
                booked=booking,
                priority=p,
                home_unit=unit_ids[own[i]] if own[i] >= 0 else None,
            )
        )
    return rows


def to_result(problem: AllocationProblem, result: ArrayPlan) -> AllocationResult:
    """An array plan as the contract's result for ``problem`` (:func:`to_problem` of the
    same columns), so that :func:`allokering.validate.validate` can re-check it."""
    return make_result(
        problem,
        compile_problem(problem),
        result.unit,
        np.maximum(result.week, 0),
        status=result.status,
        solver="flow",
        started=time.perf_counter(),
        lower_bound=result.lower_bound,
        reasons=False,
    )


def plan_of_result(problem: AllocationProblem, result: AllocationResult) -> ArrayPlan:
    """Any solver's contract result as an array plan, in ``problem``'s referral order
    (nothing placed unless the status carries a plan)."""
    n = len(problem.referrals)
    unit, week = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    on_time = np.zeros(n, dtype=bool)
    if result.status in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT):
        pos = {r.id: i for i, r in enumerate(problem.referrals)}
        uidx = {u.id: j for j, u in enumerate(problem.units)}
        for a in result.assignments:
            i = pos[a.referral]
            unit[i], week[i], on_time[i] = uidx[a.unit], a.week, a.on_time
    cost = result.cost if result.cost is not None else 0
    bound = result.lower_bound if result.lower_bound is not None else cost
    return ArrayPlan(result.status, unit, week, on_time, cost, bound)
