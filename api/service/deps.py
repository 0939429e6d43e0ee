"""What the routes share: typed dependencies (the service's state, the caller's role,
purpose and end user), the request id, the refusal of query parameters a route does not
declare and the check of every value a request carries (:mod:`api.service.request_checks`)."""

from __future__ import annotations

from typing import Annotated, Any

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Depends, Request
from fastapi.dependencies.models import Dependant

from api.service.access_log import Purpose, acting
from api.service.http_problems import RESPONSES, Problem
from api.service.keys import Caller, Role
from api.service.request_checks import checked_request
from api.service.state import State


async def state(request: Request) -> State:
    st: State = request.app.state.remiss
    return st


St = Annotated[State, Depends(state)]
Portal = Annotated[
    Caller, Depends(acting(Role.portal, purpose=Purpose.care, end_user_required=True))
]
"""The portal, naming its end user in ``X-Remiss-User``."""
Planner = Annotated[Caller, Depends(acting(Role.planner, purpose=Purpose.follow_up))]
JobViewer = Annotated[Caller, Depends(acting(Role.planner, Role.admin, purpose=Purpose.follow_up))]
"""Simulation jobs: a planner sees their own, an admin key every job."""
Admin = Annotated[Caller, Depends(acting(Role.admin, purpose=Purpose.administration))]
Auditor = Annotated[Caller, Depends(acting(Role.auditor, purpose=Purpose.audit))]
QueueReader = Annotated[
    Caller, Depends(acting(Role.planner, Role.portal, purpose=Purpose.follow_up))
]
"""Queue status: planners and the portal."""
Solver = Annotated[Caller, Depends(acting(Role.portal, Role.planner, purpose=Purpose.care))]
"""Stateless allocation: the portal and planners."""
AnyRole = Annotated[
    Caller,
    Depends(acting(Role.admin, Role.portal, Role.planner, purpose=Purpose.administration)),
]
"""The list of units: every role but the auditor."""


def request_id() -> str:
    return correlation_id.get() or ""


_known_queries: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def no_unknown_query(request: Request) -> None:
    """Refuse query parameters a route does not declare: a misspelt ``as_of`` must not
    be silently ignored. The names are not echoed (they could hold anything)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _known_queries.get(id(route))
    if known is None:
        known = _known_queries[id(route)] = frozenset(_query_names(dependant))
    if any(name not in known for name in request.query_params):
        allowed = ", ".join(sorted(known)) or "none"
        raise Problem(
            422,
            "Invalid request",
            f"query: unknown query parameter (this route takes: {allowed})",
            [{"field": "query", "message": "unknown query parameter"}],
        )


def v1_router(**options: Any) -> APIRouter:
    """A router under ``/v1`` that documents the problem responses, refuses unknown
    query parameters and checks every value of the request (before the caller's key);
    ``options`` as for :class:`fastapi.APIRouter` (``tags``, ...)."""
    return APIRouter(
        prefix="/v1",
        responses=RESPONSES,
        dependencies=[Depends(no_unknown_query), Depends(checked_request)],
        **options,
    )
