"""The planners' scenario library."""

from __future__ import annotations

from api.service import service_layer
from api.service.deps import Planner, v1_router
from api.service.schemas import ScenarioInfo

router = v1_router(tags=["planner"])


@router.get("/scenarios", response_model=list[ScenarioInfo])
def list_scenarios(caller: Planner) -> list[ScenarioInfo]:
    """The scenario library."""
    return service_layer.list_scenarios()
