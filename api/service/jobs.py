"""Planners' simulation jobs: queued in the database, run one at a time on the same
runner as ``remiss simulate`` (a spawned process pool, or Dask when configured).

A job is ``queued → running → done | failed``; on start-up the service marks any job
still ``queued`` or ``running`` from before a restart as ``failed`` ("interrupted by a
server restart"), so none is left hanging.
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from api.service.db_schema import SimulationJobRow, utcnow
from api.service.job_scenarios import experiment_for
from api.service.settings import Settings
from api.service.unit_of_work import UnitOfWork
from simulering.executors import open_executor

log = logging.getLogger("remiss.jobs")
INTERRUPTED = "interrupted by a server restart"


class JobRunner:
    """Runs queued simulation jobs in a background thread, one at a time."""

    def __init__(self, uow: UnitOfWork, settings: Settings) -> None:
        self.uow = uow
        self.settings = settings
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="remiss-job")

    def recover(self) -> int:
        """Mark jobs left queued or running by a previous process as failed."""
        with self.uow.writing() as s:
            res = s.execute(
                update(SimulationJobRow)
                .where(SimulationJobRow.state.in_(("queued", "running")))
                .values(state="failed", error=INTERRUPTED, updated_at=utcnow())
            )
        return int(res.rowcount)  # type: ignore[attr-defined]

    def add(self, session: Session, actor: str, request: dict[str, Any]) -> str:
        """A queued job in the caller's transaction; :meth:`start` it once committed."""
        job_id = str(uuid.uuid4())
        session.add(
            SimulationJobRow(
                id=job_id,
                actor=actor,
                state="queued",
                progress=0.0,
                request=request,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        return job_id

    def start(self, job_id: str) -> None:
        """Run a committed queued job when the jobs before it are done."""
        self.pool.submit(self._run, job_id)

    def _set(self, job_id: str, **values: Any) -> None:
        with self.uow.writing() as s:
            s.execute(
                update(SimulationJobRow)
                .where(SimulationJobRow.id == job_id)
                .values(updated_at=utcnow(), **values)
            )

    def _run(self, job_id: str) -> None:
        with self.uow.reading() as s:
            job = s.get(SimulationJobRow, job_id)
            request = dict(job.request) if job else {}
        try:
            self._set(job_id, state="running")
            doc, html = self._simulate(job_id, request)
            self._set(job_id, state="done", progress=1.0, result=doc, report=html)
        except Exception as exc:  # the job fails, the service goes on
            log.error("simulation job failed", extra={"job": job_id, "error": repr(exc)})
            self._set(job_id, state="failed", error=f"{type(exc).__name__}: {exc}")
            log.debug(traceback.format_exc())

    def _simulate(self, job_id: str, req: dict[str, Any]) -> tuple[dict[str, Any], str]:
        experiment = experiment_for(req, self.settings)
        reps = experiment.plan.replications
        kind = "dask" if self.settings.dask_address else "process"
        last = [0.0]

        def progress(done: int) -> None:
            now = time.monotonic()
            if now - last[0] > 0.5 or done == reps:
                last[0] = now
                self._set(job_id, progress=done / reps)

        with open_executor(
            kind,
            self.settings.sim_workers or None,
            self.settings.dask_address,
            start_method="spawn",
        ) as ex:
            run = experiment.run(executor=ex, progress=progress)
        doc = run.to_document()
        # Lazy loading: the report's modules (Plotly) load with the first finished job,
        # not with every service process.
        from api.report_context import report_context
        from simulering.report import render_report

        context = report_context(experiment.scenario, experiment.region)
        html = render_report(run, context, "sv")
        return doc, html

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
