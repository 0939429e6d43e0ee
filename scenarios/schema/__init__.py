"""The scenario file format: YAML validated by these pydantic models.

A *region file* (``scenarios/regioner/*.yaml``) holds the geography several scenarios
share: areas (municipalities), hospital groups with their catchments, and units. A
*scenario file* names a region (or embeds one) and adds demand, pathway, capacity,
patient behaviour, backlog and run settings. ``remiss scenarios schema`` prints the JSON
Schema of :class:`Scenario`.

The settings the compiled spec holds as they are — a duration
(:class:`~simulering.spec.Distribution`), the coordinator's offers
(:class:`~simulering.spec.Offers`) and the policies' options
(:class:`~simulering.spec.PolicyOptions`) — are defined once in :mod:`simulering.spec`
and used here.

The models live by concept: :mod:`~scenarios.schema.region` (the region file),
:mod:`~scenarios.schema.demand` (referrals and backlog), :mod:`~scenarios.schema.pathway`
(guarantee, priorities, pathway), :mod:`~scenarios.schema.capacity` (slot calendars,
servers, reductions, dated capacity changes), :mod:`~scenarios.schema.waiting_list`
(the actual list a forecast starts from), :mod:`~scenarios.schema.behaviour` (travel,
no-shows, withdrawal) and :mod:`~scenarios.schema.scenario` (the scenario and its run settings).
"""

from scenarios.schema.behaviour import BehaviourSpec, TravelSpec
from scenarios.schema.capacity import (
    Capacity,
    CapacityChangeSpec,
    ReductionSpec,
    Servers,
    SlotCalendar,
    UnitCapacitySpec,
)
from scenarios.schema.demand import AgeBand, BacklogSpec, DemandSpec, StepChange
from scenarios.schema.pathway import (
    AssessmentSpec,
    GuaranteeSpec,
    PathwaySpec,
    PrioritySpec,
    TreatmentPoolSpec,
)
from scenarios.schema.region import AreaSpec, HospitalGroupSpec, RegionSpec, UnitSpec, unique_ids
from scenarios.schema.scenario import KNOWN_POLICIES, CrossRegionSpec, RunSpec, Scenario
from scenarios.schema.waiting_list import WaitingReferralSpec

__all__ = [
    "KNOWN_POLICIES",
    "AgeBand",
    "AreaSpec",
    "AssessmentSpec",
    "BacklogSpec",
    "BehaviourSpec",
    "Capacity",
    "CapacityChangeSpec",
    "CrossRegionSpec",
    "DemandSpec",
    "GuaranteeSpec",
    "HospitalGroupSpec",
    "PathwaySpec",
    "PrioritySpec",
    "ReductionSpec",
    "RegionSpec",
    "RunSpec",
    "Scenario",
    "Servers",
    "SlotCalendar",
    "StepChange",
    "TravelSpec",
    "TreatmentPoolSpec",
    "UnitCapacitySpec",
    "UnitSpec",
    "WaitingReferralSpec",
    "unique_ids",
]
