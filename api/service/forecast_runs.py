"""Running a forecast job (``kind: forecast`` in ``simulation_jobs``; the routes' side is
:mod:`api.service.forecast_jobs`): the request as stored, and the run itself on the job
runner's thread, the read of the waiting list audited under the job's owner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.forecasting.forecast import (
    DEFAULT_POLICIES,
    ForecastRequest,
    add_backtest,
    audit_read,
    prepare,
    simulate,
)
from api.forecasting.scenario_doc import Overrides
from api.service.forecast_schemas import ForecastIn
from api.service.keys import Caller, Role
from api.service.settings import Settings
from api.service.unit_of_work import UnitOfWork

KIND = "forecast"
"""``request.kind`` of a forecast job."""


def forecast_request(req: dict[str, Any]) -> ForecastRequest:
    """The :class:`ForecastRequest` of a stored job request (``ForecastIn`` as JSON)."""
    body = ForecastIn.model_validate({k: v for k, v in req.items() if k != "kind"}, strict=False)
    return ForecastRequest(
        specialty=body.specialty,
        stage=body.stage.value,
        weeks=body.weeks,
        replications=body.replications,
        policies=body.policies or list(DEFAULT_POLICIES),
        as_of=body.as_of,
        history_weeks=body.history_weeks,
        overrides=Overrides(body.scenario_overrides or {}, body.set),
        seed=body.seed,
    )


def run_forecast_job(
    uow: UnitOfWork,
    settings: Settings,
    job: tuple[str, str],
    request: dict[str, Any],
    progress: Callable[[int, int], None],
) -> tuple[dict[str, Any], str]:
    """Run a queued forecast job ``(id, owner key)``: its document and HTML report."""
    from simulering.report.forecast_page import render_forecast  # Plotly: with the first job

    job_id, owner = job
    req = forecast_request(request)
    caller = Caller(owner, frozenset({Role.planner}), purpose="follow-up")
    with uow.writing() as s:
        prep = prepare(s, settings.region, req)
        audit_read(s, caller, job_id, req, prep)
    doc = simulate(prep, req, progress)
    with uow.reading() as s:
        add_backtest(s, doc, req)
    return doc, render_forecast(doc, "sv")
