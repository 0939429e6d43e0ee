"""Two finished runs side by side.

For each policy both runs ran, each KPI of the catalogue's report rows in run A and in
run B. When the runs share seed and replications, replication *i* of both drew the same
patients (common random numbers), so B − A of the means is the mean of the paired
differences; its interval would need each replication's KPIs, which a job does not
keep, so none is shown. The paired differences between the policies *within* each run
(:mod:`simulering.paired`) are shown beside each other below.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.planner.pages import PREFIX, Planner, lang_of, render, state_of
from api.planner.results import Table, context_of, paired_tables, shown
from api.planner.runs import RunRow, run_of, runs_of
from api.planner.sessions import PlannerSession
from api.planner.texts import Texts, texts
from api.service import service_layer
from api.service.deps import request_id
from simulering.catalogue import REPORT, kpi
from simulering.report.labels import Labels, mean_of
from simulering.results import SimulationResult

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def same_patients(a: RunRow, b: RunRow, ra: SimulationResult, rb: SimulationResult) -> bool:
    """Whether replication i of both runs drew the same random numbers."""
    return (
        a.seed is not None
        and ra.run.seed == rb.run.seed
        and ra.run.replications == rb.run.replications
        and ra.run.horizon_days == rb.run.horizon_days
        and ra.run.warmup_days == rb.run.warmup_days
    )


def side_by_side(
    ra: SimulationResult, rb: SimulationResult, paired: bool, labels: Labels, t: Texts
) -> list[Table]:
    """Per common policy and stage: A, B and (runs sharing seeds) B − A."""
    tables = []
    for policy in [p for p in ra.policies if p in rb.policies]:
        pa, pb = ra.policies[policy], rb.policies[policy]
        for stage in [s for s in pa.stages if s in pb.stages]:
            columns = [t.kpi, t.run_a, t.run_b] + ([t.b_minus_a] if paired else [])
            table = Table(f"{labels.policy(policy)} · {labels.stage(stage)}", columns)
            for name in REPORT:
                if not (shown(name, ra, stage) or shown(name, rb, stage)):
                    continue
                kind = kpi(name).kind
                ea, eb = pa.kpis[stage].values.get(name), pb.kpis[stage].values.get(name)
                cells = [labels.cell(ea, kind), labels.cell(eb, kind)]
                if paired:
                    ma, mb = mean_of(ea), mean_of(eb)
                    diff = None if ma is None or mb is None else mb - ma
                    cells.append(labels.number(diff, kind, signed=True))
                table.rows.append((labels.kpi(name, stage), cells))
            tables.append(table)
    return tables


def comparison(request: Request, session: PlannerSession, a: RunRow, b: RunRow) -> dict[str, Any]:
    st, rid = state_of(request), request_id()
    out_a = service_layer.get_simulation(st, a.id, session.caller, rid)
    out_b = service_layer.get_simulation(st, b.id, session.caller, rid)
    if out_a.result is None or out_b.result is None:
        return {}
    lang = lang_of(request)
    t = texts(lang)
    ra = SimulationResult.from_document(out_a.result)
    rb = SimulationResult.from_document(out_b.result)
    labels = Labels(lang, context_of(out_a.request))
    labels_b = Labels(lang, context_of(out_b.request))
    paired = same_patients(a, b, ra, rb)
    return {
        "paired": paired,
        "tables": side_by_side(ra, rb, paired, labels, t),
        "paired_a": paired_tables(ra.paired, labels, t),
        "paired_b": paired_tables(rb.paired, labels_b, t),
    }


@router.get("/compare", response_class=HTMLResponse)
def compare(request: Request, session: Planner) -> HTMLResponse:
    uow = state_of(request).uow
    done = [r for r in runs_of(uow, session.key_id) if r.state == "done"]
    a_id, b_id = request.query_params.get("a", ""), request.query_params.get("b", "")
    context: dict[str, Any] = {"runs": done, "a_id": a_id, "b_id": b_id, "nav": "compare"}
    a = run_of(uow, session.key_id, a_id[:36]) if a_id else None
    b = run_of(uow, session.key_id, b_id[:36]) if b_id else None
    if a and b and a.state == b.state == "done":
        context.update(a=a, b=b, **comparison(request, session, a, b))
    elif a_id or b_id:
        context["need_two"] = True
    return render(request, "compare.html", context, session)
