"""The live queue: who is waiting now per unit, specialty, stage and priority, the form
that starts a forecast of it and the planner's forecasts (:mod:`api.planner.routes_forecasts`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.planner.forecasts import forecasts_of
from api.planner.pages import PREFIX, Planner, lang_of, render, state_of
from api.planner.queue import by_priority
from api.planner.sessions import PlannerSession
from api.service import service_layer
from api.service.deps import request_id
from api.service.weeks import today
from scenarios.schema import KNOWN_POLICIES

router = APIRouter(prefix=PREFIX, include_in_schema=False)
FORECAST_DEFAULTS = {"weeks": "26", "replications": "20"}


def share(x: float | None, lang: str) -> str:
    """A share as a percentage with one decimal (decimal comma in Swedish)."""
    if x is None:
        return "–"
    text = f"{100 * x:.1f} %"
    return text.replace(".", ",") if lang == "sv" else text


def queue_page(
    request: Request,
    session: PlannerSession,
    values: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int | None = None,
) -> HTMLResponse:
    """The queue status the API's ``GET /v1/queue/status`` answers (its read audited
    there), the same counts per priority group, and the forecast form (``values``,
    ``chosen`` policies and ``errors`` beside their fields when it comes back)."""
    st = state_of(request)
    status = service_layer.waiting_now(st, today(), session.caller, request_id())
    with st.uow.reading() as s:
        priorities = by_priority(s, status.as_of)
    lang = lang_of(request)
    context: dict[str, Any] = {
        "status": status,
        "priorities": priorities,
        "share": lambda x: share(x, lang),
        "nav": "queue",
        "forecasts": forecasts_of(st.uow, session.key_id),
        "specialties": sorted({r.specialty for r in status.specialties}),
        "known_policies": KNOWN_POLICIES,
        "values": {**FORECAST_DEFAULTS, **(values or {})},
        "chosen": chosen if chosen is not None else [KNOWN_POLICIES[0]],
        "errors": errors or {},
    }
    code = status_code or (422 if errors else 200)
    return render(request, "queue.html", context, session, code)


@router.get("/queue", response_class=HTMLResponse)
def live_queue(request: Request, session: Planner) -> HTMLResponse:
    return queue_page(request, session)
