"""What the routes share: typed dependencies (the service's state, the caller's role),
the request id, and the refusal of query parameters a route does not declare."""

from __future__ import annotations

from typing import Annotated, Any

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Depends, Request
from fastapi.dependencies.models import Dependant

from api.service.http_problems import RESPONSES, Problem
from api.service.keys import Caller, Role, require
from api.service.state import State


async def state(request: Request) -> State:
    st: State = request.app.state.remiss
    return st


St = Annotated[State, Depends(state)]
Portal = Annotated[Caller, Depends(require(Role.portal))]
Planner = Annotated[Caller, Depends(require(Role.planner))]
Admin = Annotated[Caller, Depends(require(Role.admin))]


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
    """A router under ``/v1`` that documents the problem responses and refuses unknown
    query parameters; ``options`` as for :class:`fastapi.APIRouter` (``tags``, ...)."""
    return APIRouter(
        prefix="/v1", responses=RESPONSES, dependencies=[Depends(no_unknown_query)], **options
    )
