"""A planner's forecasts of the live queue as the app shows them: the forecast jobs their
key started (``simulation_jobs`` rows whose request has ``kind: forecast``, as
``POST /v1/forecasts`` stores them), and a finished forecast's tables — the queue and
breaches of the region in chosen weeks, and the coordinator's breach worklist.

Only a job's own columns are read here; its document is read through
:func:`api.service.forecast_jobs.get_forecast`, which checks the owner and audits the
read, as ``GET /v1/forecasts/{id}`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.planner.results import Table
from api.planner.runs import JobRow, job_fields, owned, owned_one
from api.planner.texts import Texts
from api.service.db_schema import SimulationJobRow
from api.service.forecast_runs import KIND
from api.service.unit_of_work import UnitOfWork
from simulering.report.labels import Labels

FORECAST_LIST_LIMIT = 20
WORKLIST_SHOWN = 200
"""Worklist rows on the page (all are in the JSON and the report)."""


@dataclass(frozen=True, kw_only=True)
class ForecastRow(JobRow):
    """One forecast: its specialty, stage and weeks besides the job's state."""

    specialty: str
    stage: str
    weeks: int


def forecast_row(job: SimulationJobRow) -> ForecastRow:
    req = job.request
    return ForecastRow(
        specialty=str(req.get("specialty", "")),
        stage=str(req.get("stage", "")),
        weeks=int(req.get("weeks") or 26),
        replications=int(req.get("replications") or 20),
        policies=tuple(req.get("policies") or ()),
        **job_fields(job),
    )


def forecasts_of(uow: UnitOfWork, key_id: str) -> list[ForecastRow]:
    """The key's latest forecasts, newest first."""
    return owned(uow, key_id, KIND, forecast_row, FORECAST_LIST_LIMIT)


def forecast_of(uow: UnitOfWork, key_id: str, job_id: str) -> ForecastRow | None:
    """The key's own forecast ``job_id``, or None."""
    return owned_one(uow, key_id, job_id, KIND, forecast_row)


def shown_weeks(n: int) -> list[int]:
    """The forecast weeks a summary table shows: the first, every fourth, the last."""
    return sorted({0, *range(4, n, 4), n - 1}) if n else []


def band_text(point: Mapping[str, Any], labels: Labels) -> str:
    """``mean [lo – hi]`` of one forecast point, whole referrals."""
    mean, lo, hi = point.get("mean"), point.get("lo"), point.get("hi")
    if mean is None:
        return "–"
    low, high = (labels.number(x, "count") for x in (lo, hi))
    return f"{labels.number(mean, 'count')} [{low} – {high}]"


def summary_tables(doc: Mapping[str, Any], labels: Labels, t: Texts) -> list[Table]:
    """Per policy: the region's queue and breaches in the shown weeks, 95 % intervals."""
    weeks: Sequence[str] = doc["weeks"]
    out = []
    for policy, pol in doc["policies"].items():
        table = Table(
            f"{t.forecast_summary} — {labels.policy(policy)}",
            [t.week, t.forecast_queue, t.forecast_breaches],
        )
        queue, breaches = pol["queue"]["region"], pol["breaches"]["region"]
        for i in shown_weeks(len(weeks)):
            table.rows.append(
                (weeks[i], [band_text(queue[i], labels), band_text(breaches[i], labels)])
            )
        out.append(table)
    return out


def worklist_tables(doc: Mapping[str, Any], labels: Labels, t: Texts) -> list[Table]:
    """Per policy with a worklist: its first :data:`WORKLIST_SHOWN` rows."""
    out = []
    for policy, pol in doc["policies"].items():
        items = pol["worklist"]
        if not items:
            continue
        table = Table(
            f"{t.worklist} — {labels.policy(policy)} ({len(items)})",
            [t.referral, t.unit, t.expected_breach_week, t.probability],
        )
        for w in items[:WORKLIST_SHOWN]:
            share = labels.number(w["probability"], "share")
            table.rows.append((w["referral_id"], [w["unit"], w["expected_breach_week"], share]))
        out.append(table)
    return out
