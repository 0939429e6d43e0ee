"""A planner's runs as the app lists them: the simulation jobs their key started.

Only a job's own columns are read here (state, progress, what was asked); its results
are read through :func:`api.service.service_layer.get_simulation`, which checks the
owner and audits the read, as ``GET /v1/simulations/{id}`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select

from api.service.db_schema import SimulationJobRow
from api.service.service_layer import job_kind
from api.service.unit_of_work import UnitOfWork

RUN_LIST_LIMIT = 100
T = TypeVar("T")
WHAT_IF = "What-if: "
"""How the app marks its changes among a run's scenario assumptions."""


@dataclass(frozen=True)
class RunRow:
    """One run as the run list and the progress endpoint show it."""

    id: str
    created_at: dt.datetime
    state: str
    progress: float
    scenario: str
    policies: tuple[str, ...]
    replications: int
    seed: int | None
    changes: tuple[str, ...]
    error: str | None

    @property
    def replications_done(self) -> int:
        """Finished replications (the job's progress counts whole replications)."""
        return round(self.progress * self.replications)


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


def run_row(job: SimulationJobRow) -> RunRow:
    name, policies, replications, seed = requested(job.request)
    return RunRow(
        id=job.id,
        created_at=job.created_at,
        state=job.state,
        progress=job.progress,
        scenario=name,
        policies=policies,
        replications=replications,
        seed=seed,
        changes=changes_of(job.request),
        error=job.error,
    )


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
