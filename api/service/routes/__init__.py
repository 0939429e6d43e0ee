"""The HTTP routes, one module per resource. Each parses its request, calls the service
layer (:mod:`api.service.service_layer`) and shapes the response; none opens a session.

:data:`ROUTERS` is the order the app includes them in, which is the order of the
OpenAPI document.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.service.routes import (
    allocate,
    allocation_runs,
    api_keys,
    audit,
    estimate,
    forecasts,
    health,
    queue_status,
    referrals,
    scenarios,
    simulations,
    suggestions,
    units,
)

ROUTERS: tuple[APIRouter, ...] = (
    referrals.router,
    suggestions.router,
    allocation_runs.router,
    queue_status.router,
    units.router,
    api_keys.router,
    scenarios.router,
    simulations.router,
    forecasts.router,
    allocate.router,
    estimate.router,
    audit.router,
    health.router,
)
