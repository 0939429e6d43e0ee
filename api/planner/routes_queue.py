"""The live queue: who is waiting now per unit, specialty, stage and priority."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.planner.pages import PREFIX, Planner, lang_of, render, state_of
from api.planner.queue import by_priority
from api.service import service_layer
from api.service.deps import request_id
from api.service.weeks import today

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def share(x: float | None, lang: str) -> str:
    """A share as a percentage with one decimal (decimal comma in Swedish)."""
    if x is None:
        return "–"
    text = f"{100 * x:.1f} %"
    return text.replace(".", ",") if lang == "sv" else text


@router.get("/queue", response_class=HTMLResponse)
def live_queue(request: Request, session: Planner) -> HTMLResponse:
    """The queue status the API's ``GET /v1/queue/status`` answers (its read audited
    there), and the same counts per priority group."""
    st = state_of(request)
    status = service_layer.waiting_now(st, today(), session.caller, request_id())
    with st.uow.reading() as s:
        priorities = by_priority(s, status.as_of)
    lang = lang_of(request)
    context = {
        "status": status,
        "priorities": priorities,
        "share": lambda x: share(x, lang),
        "nav": "queue",
    }
    return render(request, "queue.html", context, session)
