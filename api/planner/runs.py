"""A planner's runs as the app lists them: the simulation jobs their key started.

Only a job's own columns are read here (state, progress, what was asked); its results
are read through :func:`api.service.service_layer.get_simulation`, which checks the
owner and audits the read, as ``GET /v1/simulations/{id}`` does.

A run's progress is the job's (:mod:`api.service.jobs`): the simulated days done of the
total across all replications and policies, moving within replications, and the time
left at the rate so far; :func:`progress_view` words it for the run page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select

from api.planner.texts import CATALOGUE, Lang, texts
from api.service.db_schema import SimulationJobRow
from api.service.service_layer import job_kind
from api.service.unit_of_work import UnitOfWork
from simulering.progress import clock
from simulering.report.context import ReportContext
from simulering.report.labels import Labels

RUN_LIST_LIMIT = 100
T = TypeVar("T")
WHAT_IF = "What-if: "
"""How the app marks its changes among a run's scenario assumptions."""
WHAT_IF_SV = "Vad händer om: "
"""… and among their Swedish texts (``assumptions_sv``)."""


@dataclass(frozen=True, kw_only=True)
class JobRow:
    """A planner's job (a run or a forecast) as its list and progress endpoint show it."""

    id: str
    created_at: dt.datetime
    state: str
    progress: float
    policies: tuple[str, ...]
    replications: int
    error: str | None
    days_done: float | None = None
    """Simulated days done of :attr:`days_total` (None: a job that does not keep them)."""
    days_total: float | None = None
    seconds_left: float | None = None

    @property
    def replications_done(self) -> float:
        """Replications done, the running ones by how far they have simulated."""
        return self.progress * self.replications


@dataclass(frozen=True, kw_only=True)
class RunRow(JobRow):
    """One run: its scenario, seed and what-if changes besides the job's state."""

    scenario: str
    seed: int | None
    changes: tuple[str, ...]


@dataclass(frozen=True)
class ProgressView:
    """A run's progress in words of one language."""

    days: str
    """``1 234 av 5 400 simulerade dagar`` (empty for a job without its days)."""
    replications: str
    """``0,6 av 3 replikeringar``"""
    left: str
    """``ungefär 0:00:12 kvar`` while it runs and the time left is known, else empty."""


def progress_view(run: JobRow, lang: Lang) -> ProgressView:
    """How far ``run`` is, as the run page shows it (numbers as the report writes them)."""
    t = texts(lang)
    labels = Labels(lang, ReportContext(title=""))
    days = ""
    if run.days_total is not None:
        done = labels.number(run.days_done or 0.0, "count")
        days = t.days_progress.format(done=done, total=labels.number(run.days_total, "count"))
    replications = t.replications_progress.format(
        done=labels.number(run.replications_done, "days"), total=run.replications
    )
    left = ""
    if run.state == "running" and run.seconds_left is not None:
        left = t.time_left.format(left=clock(run.seconds_left))
    return ProgressView(days, replications, left)


def progress_answer(job: JobRow, lang: Lang) -> dict[str, Any]:
    """The progress endpoint's answer for a run's or a forecast's page
    (``static/progress.js``): the state, the numbers and their words in ``lang``."""
    key = f"state_{job.state}"
    shown = progress_view(job, lang)
    return {
        "state": job.state,
        "state_label": texts(lang)[key] if key in CATALOGUE else job.state,
        "progress": job.progress,
        "days_done": job.days_done,
        "days_total": job.days_total,
        "seconds_left": job.seconds_left,
        "replications_done": job.replications_done,
        "replications": job.replications,
        "days_text": shown.days,
        "replications_text": shown.replications,
        "left_text": shown.left,
        "error": job.error,
    }


def requested(request: Mapping[str, Any]) -> tuple[str, tuple[str, ...], int, int | None]:
    """(scenario name, policies, replications, seed) a job asked for, its scenario's
    ``run:`` section filling what the request left out."""
    sc = request.get("scenario")
    run: Mapping[str, Any] = sc.get("run", {}) if isinstance(sc, dict) else {}
    name = str(sc.get("name", "")) if isinstance(sc, dict) else str(sc)
    policies = request.get("policies") or run.get("policies") or ()
    replications = request.get("replications") or run.get("replications") or 10
    seed = request.get("seed") or run.get("seed")
    return name, tuple(policies), int(replications), seed


def changes_of(request: Mapping[str, Any]) -> tuple[str, ...]:
    sc = request.get("scenario")
    if not isinstance(sc, dict):
        return ()
    return tuple(
        a.removeprefix(WHAT_IF) for a in sc.get("assumptions", []) if a.startswith(WHAT_IF)
    )


def job_fields(job: SimulationJobRow) -> dict[str, Any]:
    """The job's own columns a :class:`JobRow` shows."""
    return {
        "id": job.id,
        "created_at": job.created_at,
        "state": job.state,
        "progress": job.progress,
        "error": job.error,
        "days_done": job.days_done,
        "days_total": job.days_total,
        "seconds_left": job.seconds_left,
    }


def run_row(job: SimulationJobRow) -> RunRow:
    name, policies, replications, seed = requested(job.request)
    return RunRow(
        scenario=name,
        policies=policies,
        replications=replications,
        seed=seed,
        changes=changes_of(job.request),
        **job_fields(job),
    )


class NoSuchJob(Exception):
    """Not a run or forecast of this planner (answered 404, as the API answers another's
    job)."""


def owned(
    uow: UnitOfWork, key_id: str, kind: str, row: Callable[[SimulationJobRow], T], limit: int
) -> list[T]:
    """The key's latest ``limit`` jobs of ``kind`` (``simulation`` or ``forecast``), newest
    first, each as ``row`` makes it."""
    with uow.reading() as s:
        jobs = s.scalars(
            select(SimulationJobRow)
            .where(SimulationJobRow.actor == key_id)
            .order_by(SimulationJobRow.created_at.desc())
        )
        rows = [row(j) for j in jobs if job_kind(j) == kind]
    return rows[:limit]


def owned_one(
    uow: UnitOfWork, key_id: str, job_id: str, kind: str, row: Callable[[SimulationJobRow], T]
) -> T | None:
    """The key's own job ``job_id`` of ``kind`` as ``row`` makes it, or None."""
    with uow.reading() as s:
        job = s.get(SimulationJobRow, job_id)
        if job is None or job.actor != key_id or job_kind(job) != kind:
            return None
        return row(job)


def runs_of(uow: UnitOfWork, key_id: str) -> list[RunRow]:
    """The key's latest runs (simulations, not forecasts), newest first."""
    return owned(uow, key_id, "simulation", run_row, RUN_LIST_LIMIT)


def run_of(uow: UnitOfWork, key_id: str, job_id: str) -> RunRow | None:
    """The key's own run ``job_id``, or None."""
    return owned_one(uow, key_id, job_id, "simulation", run_row)
