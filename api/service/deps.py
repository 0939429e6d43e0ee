"""Shared pieces of the routes: the app's state, the request id."""

from __future__ import annotations

from dataclasses import dataclass

from asgi_correlation_id import correlation_id
from fastapi import Request
from fastapi.dependencies.models import Dependant
from sqlalchemy.orm import Session, sessionmaker

from api.service.audit_writer import AuditWriter
from api.service.http_problems import Problem
from api.service.jobs import JobRunner
from api.service.queue import Geography, SuggestionCache
from api.service.settings import Settings


@dataclass
class State:
    settings: Settings
    sessions: sessionmaker[Session]
    geography: Geography
    jobs: JobRunner
    suggestions: SuggestionCache
    readers: sessionmaker[Session]
    """Read-only sessions (SQLite: deferred transactions that never wait for a writer)."""
    audit: AuditWriter


async def state(request: Request) -> State:
    st: State = request.app.state.remiss
    return st


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
