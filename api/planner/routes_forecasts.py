"""Forecasts of the live queue in the planner app: the form on the queue page starts one
(``POST /v1/forecasts`` through the same service layer), its page shows the progress,
then the region's queue and breaches with their 95 % prediction intervals and the
coordinator's breach worklist, with the Swedish HTML report and the JSON document."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.planner import csrf
from api.planner.forecasts import ForecastRow, forecast_of, summary_tables, worklist_tables
from api.planner.forms import Form, first, parse_form
from api.planner.pages import (
    PREFIX,
    Planner,
    attachment,
    audit_refusal,
    lang_of,
    render,
    state_of,
)
from api.planner.routes_queue import FORECAST_DEFAULTS, queue_page
from api.planner.runs import NoSuchJob, progress_answer, progress_view
from api.planner.sessions import PlannerSession
from api.planner.texts import texts
from api.service import forecast_jobs
from api.service.deps import request_id
from api.service.forecast_schemas import ForecastIn
from api.service.http_problems import Problem
from simulering.report.context import ReportContext
from simulering.report.labels import Labels

router = APIRouter(prefix=PREFIX, include_in_schema=False)
JobId = Annotated[str, Path(max_length=36)]
FIELDS = ("specialty", "stage", "weeks", "replications", "policies")
"""The form's fields, as the service names them (``body.weeks`` → ``weeks``)."""


def own_forecast(request: Request, session: PlannerSession, job_id: str) -> ForecastRow:
    row = forecast_of(state_of(request).uow, session.key_id, job_id)
    if row is None:
        raise NoSuchJob(job_id)
    return row


def form_field(loc: str) -> str:
    """The form field of a service error's field (``body.weeks``), else ``_form``."""
    name = loc.removeprefix("body.").split(".")[0]
    return name if name in FIELDS else "_form"


def whole(text: str) -> int | str:
    """A form's whole number, or the text as typed (the schema then names the field)."""
    try:
        return int(text.strip())
    except ValueError:
        return text


def start(request: Request, session: PlannerSession, form: Form) -> str:
    """Start the form's forecast; its job id (``Problem`` or ``ValidationError`` when
    the service refuses it)."""
    body = ForecastIn.model_validate(
        {
            "specialty": first(form, "specialty"),
            "stage": first(form, "stage"),
            "weeks": whole(first(form, "weeks") or FORECAST_DEFAULTS["weeks"]),
            "replications": whole(first(form, "replications") or FORECAST_DEFAULTS["replications"]),
            "policies": form.get("policies") or None,
        }
    )
    st = state_of(request)
    return forecast_jobs.start_forecast(st, body, session.caller, request_id()).id


@router.post("/forecasts", response_class=HTMLResponse)
async def start_forecast(request: Request, session: Planner) -> Response:
    """Start a forecast, or show the queue page again with each error beside its field."""
    form = parse_form(await request.body())
    values = {k: first(form, k) for k in form if k != "policies"}
    chosen = form.get("policies", [])
    t = texts(lang_of(request))
    if not csrf.valid(request, values):  # nothing started
        await run_in_threadpool(audit_refusal, request, 403, "csrf token mismatch")
        forged = {"_form": t.csrf_failed}
        return await run_in_threadpool(queue_page, request, session, values, chosen, forged, 403)
    errors: dict[str, str] = {}
    try:
        job_id = await run_in_threadpool(start, request, session, form)
    except Problem as exc:
        for e in exc.errors or [{"field": "", "message": exc.detail or exc.title}]:
            errors.setdefault(form_field(e["field"]), e["message"])
    except ValidationError as exc:
        for err in exc.errors():
            errors.setdefault(form_field(".".join(str(p) for p in err["loc"])), err["msg"])
    else:
        return RedirectResponse(f"{PREFIX}/forecasts/{job_id}", 303)
    return await run_in_threadpool(queue_page, request, session, values, chosen, errors)


@router.get("/forecasts/{job_id}", response_class=HTMLResponse)
def forecast_page(job_id: JobId, request: Request, session: Planner) -> HTMLResponse:
    row = own_forecast(request, session, job_id)
    context: dict[str, Any] = {
        "forecast": row,
        "nav": "queue",
        "shown": progress_view(row, lang_of(request)),
    }
    if row.state == "done":
        out = forecast_jobs.get_forecast(state_of(request), job_id, session.caller, request_id())
        doc = out.result or {}
        lang = lang_of(request)
        t, labels = texts(lang), Labels(lang, ReportContext(title=""))
        context.update(
            doc=doc,
            summary_tables=summary_tables(doc, labels, t),
            worklist_tables=worklist_tables(doc, labels, t),
        )
    return render(request, "forecast.html", context, session)


@router.get("/forecasts/{job_id}/progress")
def forecast_progress(job_id: JobId, request: Request, session: Planner) -> JSONResponse:
    """The forecast's state and how far it is, for the page's progress bar."""
    row = own_forecast(request, session, job_id)
    return JSONResponse(progress_answer(row, lang_of(request)))


@router.get("/forecasts/{job_id}/report", response_class=HTMLResponse)
def forecast_report(job_id: JobId, request: Request, session: Planner) -> HTMLResponse:
    """The forecast's Swedish HTML report (fan charts per unit, the worklist, the
    estimates), its read audited."""
    own_forecast(request, session, job_id)
    html = forecast_jobs.forecast_report(state_of(request), job_id, session.caller, request_id())
    return HTMLResponse(html)


@router.get("/forecasts/{job_id}/forecast.json")
def forecast_json(job_id: JobId, request: Request, session: Planner) -> Response:
    """The forecast document (what ``remiss forecast --json`` writes), its read audited."""
    own_forecast(request, session, job_id)
    out = forecast_jobs.get_forecast(state_of(request), job_id, session.caller, request_id())
    if out.result is None:
        raise NoSuchJob(job_id)
    return Response(
        json.dumps(out.result, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers=attachment(f"remiss-forecast-{job_id}.json"),
    )
