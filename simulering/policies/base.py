"""What every routing policy shares: the two Protocols and the separate-list home unit.

A policy is an object behind the small :class:`RoutingPolicy` protocol. The model tells
it when a referral joins the waiting list of a pool and asks it, when a unit has freed
capacity, which referrals take it. The model does not know which policy it runs; what
it exposes to the policy is :class:`QueueContext`.

Every list of every policy is in the region's turn order (:meth:`QueueContext.turn_key`:
the priority group first, then the oldest clock start, overdue included), and another
unit is offered only to a referral whose home unit cannot meet its limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from simulering.patients import Patients
from simulering.spec import ModelSpec

Entry = int
"""A list entry: a referral's place in the turn order as one int, the bits of its turn
key (ordered as the floats are) above the referral number (:data:`REF_BITS`), so that
entries compare exactly as the tuples (turn key, referral) would — the first in turn
smallest — at the cost of one small object and one comparison instead of a tuple, a
float and an int (:meth:`QueueContext.turn_entry`). ``entry & REF_MASK`` is the
referral."""

REF_BITS = 32
"""Bits of the referral number in an :data:`Entry` (up to 4.29 billion referrals)."""
REF_MASK = (1 << REF_BITS) - 1


class QueueContext(Protocol):
    """What the model exposes to a policy."""

    spec: ModelSpec
    patients: Patients
    """The replication's patients (their own draws, e.g. who considers choosing)."""
    home: list[list[int]]
    """home[pool][area]: the unit that owns an area's patients in a pool (catchment)."""

    # per-referral columns (read-only here; the model keeps them in arrays)
    @property
    def area(self) -> Sequence[int]:
        """Home area of each referral."""
        ...

    @property
    def home_of(self) -> Sequence[Sequence[int]]:
        """home_of[pool][ref]: the unit whose list the referral belongs to in a pool — its
        area's ``home`` unit, or for a referral of the actual waiting list the unit whose
        list it is on (when that unit serves the pool)."""
        ...

    @property
    def first_visit_unit(self) -> Sequence[int]:
        """The unit of each referral's first visit (-1 before it)."""
        ...

    @property
    def clock_start(self) -> Sequence[Sequence[float]]:
        """clock_start[stage][ref]: when the referral's guarantee clock started (NaN: not
        yet)."""
        ...

    def deadline(self, ref: int, stage: int) -> float:
        """Day the referral's guarantee limit runs out in ``stage`` (priority limit)."""
        ...

    def turn_key(self, ref: int, stage: int) -> float:
        """The referral's place in the region's turn order in ``stage``: smaller is
        served first (a higher priority group first, then the oldest clock start,
        overdue included; or the earliest deadline under ``priority_rule: deadline``).
        Every list of every policy is ordered by it."""
        ...

    def turn_entry(self, ref: int, stage: int) -> Entry:
        """The referral's :data:`Entry` in ``stage``: its :meth:`turn_key` and number."""
        ...

    def waiting(self, ref: int, stage: int, now: float) -> bool:
        """Is the referral still on the list of ``stage`` (not served, not withdrawn)?"""
        ...

    def accepts(self, ref: int, unit: int, pool: int = 0) -> bool:
        """Would the patient accept an appointment at ``unit`` of ``pool``? The pool's
        home unit always; another within the patient's travel tolerance."""
        ...

    def decline(self, ref: int, stage: int, now: float) -> None:
        """Record a declined offer (patient-chosen waiting if within the limit)."""
        ...


class RoutingPolicy(Protocol):
    """Decides which waiting referral takes freed capacity."""

    name: str

    def initialise(self, ctx: QueueContext) -> None:
        """Called once before the run."""
        ...

    def join(self, ref: int, pool: int, now: float) -> None:
        """The referral joins the waiting list for ``pool``."""
        ...

    def offer(self, unit: int, pool: int, now: float, slots: int) -> list[int]:
        """``unit`` has ``slots`` free in ``pool`` now: the referrals that take them."""
        ...


def stage_of(pool: int) -> int:
    """The guarantee stage of ``pool``: 0 for the first visit (pool 0), 1 for treatment."""
    return 0 if pool == 0 else 1


def separate_list_unit(
    ctx: QueueContext, serves: Sequence[Sequence[bool]], ref: int, pool: int
) -> int:
    """The unit whose own list a referral joins under separate lists: the home unit for
    the first visit; for treatment the unit of the first visit when it has the pool,
    else the home unit for the pool."""
    if pool > 0:
        fv = ctx.first_visit_unit[ref]
        if fv >= 0 and serves[pool][fv]:
            return fv
    return ctx.home_of[pool][ref]
