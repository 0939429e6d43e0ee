"""The scenario library and the what-if form that starts a run."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.planner import csrf
from api.planner.forms import (
    Form,
    WhatIf,
    capacities,
    capacity_field,
    first,
    parse_form,
    read_whatif,
    service_field,
    summer_index,
)
from api.planner.pages import PREFIX, Planner, audit_refusal, lang_of, render, state_of
from api.planner.runs import WHAT_IF, WHAT_IF_SV
from api.planner.sessions import PlannerSession
from api.planner.texts import Lang, texts
from api.report_context import report_context
from api.service import service_layer
from api.service.deps import request_id
from api.service.http_problems import Problem
from api.service.job_scenarios import library_names
from api.service.schemas import SimulationIn
from api.service.state import State
from scenarios.loader import LIBRARY_DIR, load_region, load_scenario
from scenarios.schema import KNOWN_POLICIES, Scenario

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class NoSuchScenario(Exception):
    """A scenario name that is not in the library (answered 404)."""


def library_scenario(name: str) -> Scenario:
    """The library's scenario ``name``; only names of the library reach the disk."""
    if name not in library_names():
        raise NoSuchScenario(name)
    return load_scenario(LIBRARY_DIR / f"{name}.yaml")


@router.get("/scenarios", response_class=HTMLResponse)
def library(request: Request, session: Planner) -> HTMLResponse:
    scenarios = service_layer.list_scenarios()
    return render(request, "library.html", {"scenarios": scenarios, "nav": "library"}, session)


def form_defaults(scenario: Scenario) -> dict[str, str]:
    """The form's fields filled with the scenario's own values."""
    values = {capacity_field(u, p): f"{s:g}" for u, p, s in capacities(scenario)}
    values["replications"] = str(scenario.run.replications)
    values["horizon_days"] = str(scenario.run.horizon_days)
    values["warmup_days"] = str(scenario.run.warmup_days)
    i = summer_index(scenario)
    if i is not None:
        values["summer_factor"] = f"{scenario.reductions[i].factor:g}"
    return values


def scenario_context(scenario: Scenario, lang: Lang) -> dict[str, Any]:
    """What the scenario page shows: the scenario, its words in ``lang`` (title,
    description, assumptions, sources named not as paths — as the report has them), its
    region's unit names, the capacity rows and the policies one may choose."""
    region = load_region(scenario, LIBRARY_DIR / f"{scenario.name}.yaml")
    words = report_context(scenario, region).in_language(lang)
    swedish = lang == "sv"
    names = {u.id: u.name for u in region.units}
    rows = [
        {
            "unit": u,
            "unit_name": names.get(u, u),
            "pool": p,
            "slots": s,
            "field": capacity_field(u, p),
        }
        for u, p, s in capacities(scenario)
    ]
    return {
        "scenario": scenario,
        "words": words,
        "words_lang": {  # where a Swedish text is missing, the English one, marked so
            "title": "sv" if swedish and scenario.title_sv else "en",
            "description": "sv" if swedish and scenario.description_sv else "en",
            "assumptions": "sv" if swedish and scenario.assumptions_sv else "en",
            "sources": "sv" if swedish and scenario.sources_sv else "en",
        },
        "unit_names": names,
        "capacity_rows": rows,
        "known_policies": KNOWN_POLICIES,
        "summer": summer_index(scenario) is not None,
        "nav": "library",
    }


def scenario_page(
    request: Request,
    session: PlannerSession,
    scenario: Scenario,
    values: dict[str, str],
    chosen: list[str],
    errors: dict[str, str] | None = None,
    status_code: int | None = None,
) -> HTMLResponse:
    context = scenario_context(scenario, lang_of(request))
    context.update(values=values, chosen=chosen, errors=errors or {})
    status = status_code or (422 if errors else 200)
    return render(request, "scenario.html", context, session, status)


@router.get("/scenarios/{name}", response_class=HTMLResponse)
def scenario_detail(name: str, request: Request, session: Planner) -> HTMLResponse:
    scenario = library_scenario(name)
    return scenario_page(
        request, session, scenario, form_defaults(scenario), list(scenario.run.policies)
    )


def start(st: State, whatif: WhatIf, session: PlannerSession) -> str:
    """Start the job through the service layer, as ``POST /v1/simulations`` does; its
    id. :class:`Problem` or :class:`ValidationError` when refused."""
    body = SimulationIn.model_validate(whatif.job_request())
    return service_layer.start_simulation(st, body, session.caller, request_id()).id


def problem_errors(exc: Problem) -> dict[str, str]:
    """A service problem's fields, as form fields."""
    if not exc.errors:
        return {"_form": exc.detail or exc.title}
    return {service_field(e["field"]): e["message"] for e in exc.errors}


@router.post("/scenarios/{name}/runs", response_class=HTMLResponse)
async def start_run(name: str, request: Request, session: Planner) -> Response:
    """Start a run of the scenario with the form's changes, or show the form again
    with each error beside its field."""
    scenario = await run_in_threadpool(library_scenario, name)
    form: Form = parse_form(await request.body())
    values = {k: first(form, k) for k in form}
    t = texts(lang_of(request))
    if not csrf.valid(request, values):  # nothing started; the form shown again
        await run_in_threadpool(audit_refusal, request, 403, "csrf token mismatch")
        chosen, errors = form.get("policies", []), {"_form": t.csrf_failed}
        return scenario_page(request, session, scenario, values, chosen, errors, 403)
    whatif = read_whatif(form, scenario, t)
    if not whatif.errors:
        whatif.scenario.setdefault("assumptions", []).extend(
            f"{WHAT_IF}{c}" for c in whatif.changes
        )
        if whatif.scenario.get("assumptions_sv"):  # one for one, as the schema asks
            whatif.scenario["assumptions_sv"].extend(f"{WHAT_IF_SV}{c}" for c in whatif.changes)
        try:
            job_id = await run_in_threadpool(start, state_of(request), whatif, session)
        except Problem as exc:
            whatif.errors.update(problem_errors(exc))
        except ValidationError as exc:
            for err in exc.errors():
                field = service_field(".".join(str(p) for p in err["loc"]))
                whatif.errors.setdefault(field, str(err["msg"]))
        else:
            return RedirectResponse(f"{PREFIX}/runs/{job_id}", 303)
    return scenario_page(request, session, scenario, values, whatif.policies, whatif.errors)
