"""The remiss service: ``create_app(settings)`` builds the FastAPI application.

On start-up it migrates the database (Alembic), loads the region's municipalities,
and marks simulation jobs left over from a previous process as failed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from api import planner
from api.service import (
    access_log,
    db,
    db_errors,
    http_problems,
    limits,
    logs,
    metrics,
    rate_limit,
)
from api.service.allocation_limits import SolveGate
from api.service.audit import AuditWriter
from api.service.db_probe import DatabaseProbe
from api.service.geography import Geography, load_geography
from api.service.jobs import JobRunner
from api.service.keys import KeyCache
from api.service.pseudonym import is_request_id, new_request_id
from api.service.routes import ROUTERS
from api.service.settings import Settings
from api.service.state import State
from api.service.suggestions import SuggestionCache
from api.service.unit_of_work import UnitOfWork
from scenarios.loader import ScenarioError

VERSION = "1"
log = logging.getLogger("remiss.api")


def start(settings: Settings, geography: Geography) -> State:
    """Migrate the database, open its engines and start the background workers."""
    db.upgrade(settings.database_url)
    cache = SuggestionCache(geography, settings.suggestion_cache_seconds)
    uow = UnitOfWork.open(settings, on_suggestions_changed=cache.invalidate)
    jobs = JobRunner(uow, settings)
    try:
        jobs.recover()
    except DBAPIError as exc:  # a read-only database still serves reads; /healthz says so
        if db_errors.unavailable_kind(exc) is None:
            raise
        log.warning("left-over simulation jobs not marked failed: %s", db_errors.one_line(exc))
    solves = SolveGate(settings.max_allocations_per_key)
    audit = AuditWriter(uow)
    probe = DatabaseProbe(uow)
    return State(settings, uow, geography, jobs, cache, audit, KeyCache(), solves, probe)


def stop(state: State) -> None:
    state.jobs.close()
    state.audit.close()
    state.uow.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    logs.configure(settings.log_level)
    try:
        geography = load_geography(settings.region)
    except ScenarioError as exc:
        raise SystemExit(f"REMISS_REGION: {exc}") from None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.remiss = start(settings, geography)
        yield
        stop(app.state.remiss)

    app = FastAPI(
        title="remiss",
        version=VERSION,
        summary="Shared referral queues for Västra Götalandsregionen: allocation "
        "suggestions for the portal, the durable shared queue, simulations for planners.",
        lifespan=lifespan,
    )
    http_problems.install(app)
    db_errors.install(app, settings.retry_after_seconds)
    access_log.install(app)
    app.add_middleware(limits.BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        rate_limit.RateLimit,
        per_key=settings.rate_limit_per_key,
        failed_auth=settings.rate_limit_failed_auth,
    )
    app.add_middleware(limits.SecurityHeaders)
    app.add_middleware(logs.RequestLog)
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name="X-Request-ID",
        validator=is_request_id,
        generator=new_request_id,
    )
    for router in ROUTERS:
        app.include_router(router)
    planner.mount(app, settings)
    metrics.install(app)
    return app
