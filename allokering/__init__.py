"""remiss.allokering — domain types and the allocation optimiser.

The innermost layer: it imports nothing from ``simulering``, ``scenarios`` or ``api``.
"""

from allokering.domain import GUARANTEE_DAYS, CareGuarantee, Priority, Stage
from allokering.travel import TravelMatrix, great_circle_km, road_km

__all__ = [
    "GUARANTEE_DAYS",
    "CareGuarantee",
    "Priority",
    "Stage",
    "TravelMatrix",
    "great_circle_km",
    "road_km",
]
