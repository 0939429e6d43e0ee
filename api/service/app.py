"""The remiss service: ``create_app(settings)`` builds the FastAPI application.

On start-up it migrates the database (Alembic), loads the region's municipalities,
and marks simulation jobs left over from a previous process as failed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from prometheus_fastapi_instrumentator import Instrumentator
from sqlalchemy import text

from api.service import (
    db,
    http_problems,
    logs,
    routes_admin,
    routes_estimate,
    routes_planner,
    routes_queue,
)
from api.service.audit_writer import AuditWriter
from api.service.deps import State
from api.service.jobs import JobRunner
from api.service.keys import KeyCache
from api.service.queue import Geography, SuggestionCache
from api.service.settings import Settings
from scenarios.loader import REGION_DIR, ScenarioError, _read_yaml, _validate
from scenarios.schema import RegionSpec

VERSION = "1"


def load_geography(region: str) -> Geography:
    path = REGION_DIR / f"{region}.yaml"
    spec = _validate(RegionSpec, _read_yaml(path), path)
    return Geography({a.id: (a.name, a.lat, a.lon) for a in spec.areas})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    logs.configure(settings.log_level)
    try:
        geography = load_geography(settings.region)
    except ScenarioError as exc:
        raise SystemExit(f"REMISS_REGION: {exc}") from None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.upgrade(settings.database_url)
        engine = db.make_engine(
            settings.database_url,
            synchronous=settings.sqlite_synchronous,
            pool_size=settings.pool_size,
        )
        reader = db.make_engine(settings.database_url, pool_size=settings.pool_size, read_only=True)
        sessions, readers = db.session_factory(engine), db.session_factory(reader)
        jobs = JobRunner(sessions, settings)
        jobs.recover()
        cache = SuggestionCache(geography, settings.suggestion_cache_seconds)
        audit = AuditWriter(sessions)
        app.state.remiss = State(settings, sessions, geography, jobs, cache, readers, audit)
        app.state.sessions, app.state.readers = sessions, readers
        app.state.keys = KeyCache()
        yield
        jobs.close()
        audit.close()
        engine.dispose()
        reader.dispose()

    app = FastAPI(
        title="remiss",
        version=VERSION,
        summary="Shared referral queues for Västra Götalandsregionen: allocation "
        "suggestions for the portal, the durable shared queue, simulations for planners.",
        lifespan=lifespan,
    )
    http_problems.install(app)
    app.add_middleware(logs.RequestLog)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    for r in (routes_queue, routes_admin, routes_planner, routes_estimate):
        app.include_router(r.router)
    Instrumentator(excluded_handlers=["/metrics"]).instrument(app).expose(
        app, include_in_schema=False
    )

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """Liveness and database reachability."""
        with app.state.remiss.readers() as s:
            s.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app
