"""A planner's runs: the list, one run's progress and results, cancelling it, and
its downloads — each through the service layer the JSON API uses."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.planner import csrf
from api.planner.forms import first, parse_form
from api.planner.pages import PREFIX, Planner, attachment, forged, lang_of, render, state_of
from api.planner.results import context_of, kpi_tables, paired_tables, priority_tables
from api.planner.runs import NoSuchJob, RunRow, progress_answer, progress_view, run_of, runs_of
from api.planner.sessions import PlannerSession
from api.planner.texts import texts
from api.service import service_layer
from api.service.deps import request_id
from api.service.http_problems import Problem
from simulering.report.labels import Labels
from simulering.results import SimulationResult
from simulering.results.long_table import kpi_parquet

router = APIRouter(prefix=PREFIX, include_in_schema=False)
JobId = Annotated[str, Path(max_length=36)]


def own_run(request: Request, session: PlannerSession, job_id: str) -> RunRow:
    run = run_of(state_of(request).uow, session.key_id, job_id)
    if run is None:
        raise NoSuchJob(job_id)
    return run


@router.get("/runs", response_class=HTMLResponse)
def run_list(request: Request, session: Planner) -> HTMLResponse:
    runs = runs_of(state_of(request).uow, session.key_id)
    return render(request, "runs.html", {"runs": runs, "nav": "runs"}, session)


def result_context(request: Request, session: PlannerSession, job_id: str) -> dict[str, Any]:
    """The run's result tables (the read audited by the service layer)."""
    out = service_layer.get_simulation(state_of(request), job_id, session.caller, request_id())
    if out.result is None:
        return {}
    lang = lang_of(request)
    t = texts(lang)
    result = SimulationResult.from_document(out.result)
    labels = Labels(lang, context_of(out.request))
    return {
        "kpi_tables": kpi_tables(result, labels, t),
        "priority_tables": priority_tables(result, labels, t),
        "paired_tables": paired_tables(result.paired, labels, t),
        "baseline": labels.policy(result.paired.baseline),
        "warnings": result.warnings,
    }


@router.get("/runs/{job_id}", response_class=HTMLResponse)
def run_page(job_id: JobId, request: Request, session: Planner) -> HTMLResponse:
    run = own_run(request, session, job_id)
    shown = progress_view(run, lang_of(request))
    context: dict[str, Any] = {"run": run, "shown": shown, "nav": "runs"}
    if run.state == "done":
        context.update(result_context(request, session, job_id))
        others = [r for r in runs_of(state_of(request).uow, session.key_id) if r.id != run.id]
        context["others"] = [r for r in others if r.state == "done"]
    return render(request, "run.html", context, session)


@router.get("/runs/{job_id}/progress")
def run_progress(job_id: JobId, request: Request, session: Planner) -> JSONResponse:
    """The run's state and how far it is, for the page's progress bar: the job's
    simulated days done of the total and the time left, with the page's words for them."""
    run = own_run(request, session, job_id)
    return JSONResponse(progress_answer(run, lang_of(request)))


@router.post("/runs/{job_id}/cancel")
async def cancel_run(job_id: JobId, request: Request, session: Planner) -> Response:
    form = parse_form(await request.body())
    if not csrf.valid(request, {k: first(form, k) for k in form}):
        return await run_in_threadpool(forged, request, session, f"{PREFIX}/runs/{job_id}")
    await run_in_threadpool(own_run, request, session, job_id)
    try:
        await run_in_threadpool(
            service_layer.cancel_simulation, state_of(request), job_id, session.caller, request_id()
        )
    except Problem as exc:
        if exc.status != 409:  # already finished: the page shows how it ended
            raise
    return RedirectResponse(f"{PREFIX}/runs/{job_id}", 303)


@router.get("/runs/{job_id}/report", response_class=HTMLResponse)
def run_report(job_id: JobId, request: Request, session: Planner) -> HTMLResponse:
    """The run's HTML report with its charts (audited by the service layer)."""
    own_run(request, session, job_id)
    html = service_layer.simulation_report(state_of(request), job_id, session.caller, request_id())
    download = request.query_params.get("download") == "1"
    return HTMLResponse(html, headers=attachment(f"remiss-{job_id}.html") if download else None)


def stored_result(request: Request, session: PlannerSession, job_id: str) -> dict[str, Any]:
    """The run's result document (the read audited by the service layer); 404 when the
    run is not this planner's or has no result."""
    own_run(request, session, job_id)
    out = service_layer.get_simulation(state_of(request), job_id, session.caller, request_id())
    if out.result is None:
        raise NoSuchJob(job_id)
    return out.result


@router.get("/runs/{job_id}/result.json")
def run_json(job_id: JobId, request: Request, session: Planner) -> Response:
    """The run's result document (what ``remiss simulate --json`` writes)."""
    document = stored_result(request, session, job_id)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers=attachment(f"remiss-{job_id}.json"),
    )


@router.get("/runs/{job_id}/result.parquet")
def run_parquet(job_id: JobId, request: Request, session: Planner) -> Response:
    """The run's KPIs as one long Parquet table (:mod:`simulering.results.long_table`)."""
    document = stored_result(request, session, job_id)
    return Response(
        kpi_parquet(document),
        media_type="application/vnd.apache.parquet",
        headers=attachment(f"remiss-{job_id}.parquet"),
    )
