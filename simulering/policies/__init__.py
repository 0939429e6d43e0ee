"""Routing policies: who gets a slot when capacity frees up.

A policy is an object behind the small :class:`RoutingPolicy` protocol. The model tells
it when a referral joins the waiting list of a pool and asks it, when a unit has freed
capacity, which referrals take it. The model does not know which policy it runs.

Every list of every policy is in the region's turn order (:meth:`QueueContext.turn_key`:
the priority group first, then the oldest clock start, overdue included), and another
unit is offered only to a referral whose home unit cannot meet its limit.

The package, each module importing only :mod:`~simulering.policies.base` and what it
needs (no cycle):

- :mod:`~simulering.policies.base`: the :class:`QueueContext` and :class:`RoutingPolicy`
  protocols, :func:`stage_of` and :func:`separate_list_unit`;
- :mod:`~simulering.policies.separate`: ``separate`` (:class:`SeparateLists`);
- :mod:`~simulering.policies.shared`: ``shared``, ``shared_within_subregion`` and
  today's baseline ``separate_by_hospital_group`` (:class:`SharedList` and its
  groupings);
- :mod:`~simulering.policies.optimised`: ``optimised`` (rolling-horizon allocation with
  ``allokering``; :class:`OptimisedPolicy`);
- :mod:`~simulering.policies.choice`: ``patient_choice`` (published expected waits plus
  travel; :class:`PatientChoice`);
- this module: the registry, :data:`POLICIES` and :func:`make_policy`.
"""

from __future__ import annotations

from collections.abc import Callable

from simulering.policies.base import (
    Entry,
    QueueContext,
    RoutingPolicy,
    separate_list_unit,
    stage_of,
)
from simulering.policies.choice import PatientChoice
from simulering.policies.optimised import OptimisedPolicy
from simulering.policies.separate import SeparateLists
from simulering.policies.shared import (
    PoolCapacity,
    SharedList,
    hospital_groups,
    pool_capacity,
    subregion_groups,
    zero_acceptance_km,
)
from simulering.spec import ModelSpec

__all__ = [
    "POLICIES",
    "Entry",
    "OptimisedPolicy",
    "PatientChoice",
    "PolicyFactory",
    "PoolCapacity",
    "QueueContext",
    "RoutingPolicy",
    "SeparateLists",
    "SharedList",
    "make_policy",
    "pool_capacity",
    "separate_list_unit",
    "stage_of",
    "zero_acceptance_km",
]

PolicyFactory = Callable[[ModelSpec], RoutingPolicy]


def _shared(spec: ModelSpec) -> SharedList:
    return SharedList(gated=spec.offers.elsewhere == "when_at_risk")


POLICIES: dict[str, PolicyFactory] = {
    "separate_by_hospital_group": lambda spec: _named(
        SharedList(hospital_groups(spec), gated=spec.offers.elsewhere == "when_at_risk"),
        "separate_by_hospital_group",
    ),
    "separate": lambda spec: SeparateLists(),
    "shared": _shared,
    "shared_within_subregion": lambda spec: _named(
        SharedList(subregion_groups(spec), gated=spec.offers.elsewhere == "when_at_risk"),
        "shared_within_subregion",
    ),
    "optimised": lambda spec: OptimisedPolicy(spec.policy_options),
    "patient_choice": lambda spec: PatientChoice(spec.policy_options),
}


def _named(policy: SharedList, name: str) -> SharedList:
    policy.name = name
    return policy


def make_policy(name: str, spec: ModelSpec) -> RoutingPolicy:
    """The policy called ``name``; a ValueError lists the known ones."""
    try:
        factory = POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; known: {', '.join(POLICIES)}") from None
    return factory(spec)
