"""The planner app: server-rendered pages under ``/planner/`` for the planners of the
regional planning office, in Swedish by default (English by a switch).

Signed in with a planner key (exchanged for a session cookie, :mod:`api.planner.sessions`),
a planner reads the scenario library, tries a change in a what-if form, starts and
follows runs, reads their results and compares two runs, and sees the live queue and
forecasts of it with the breach worklist. Every
action goes through :mod:`api.service.service_layer`, exactly as the JSON API's routes
do, so the same checks, limits and audit rows apply. :func:`mount` adds it to the
service's FastAPI app.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.planner import (
    routes_auth,
    routes_compare,
    routes_forecasts,
    routes_library,
    routes_queue,
    routes_runs,
)
from api.planner.pages import HERE, PREFIX, SignInNeeded, render, sign_in_redirect
from api.planner.runs import NoSuchJob
from api.planner.sessions import SessionStore
from api.service.rate_limit import FailedAttempts
from api.service.settings import Settings

ROUTERS = (
    routes_auth.router,
    routes_library.router,
    routes_runs.router,
    routes_compare.router,
    routes_queue.router,
    routes_forecasts.router,
)


def not_found(request: Request, exc: Exception) -> HTMLResponse:
    """A library scenario or a run that is not there (or not this planner's)."""
    return render(request, "not_found.html", {}, None, 404)


def mount(app: FastAPI, settings: Settings) -> None:
    """Add the planner's pages, its static files and its session store to ``app``."""
    app.state.planner_sessions = SessionStore(
        settings.planner_secret, settings.planner_secure_cookies
    )
    app.state.planner_sign_ins = FailedAttempts(settings.planner_sign_in_limit)
    for router in ROUTERS:
        app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="planner-static")
    app.add_exception_handler(SignInNeeded, sign_in_redirect)
    app.add_exception_handler(routes_library.NoSuchScenario, not_found)
    app.add_exception_handler(NoSuchJob, not_found)
