"""Planners' simulation jobs: queued in the database, run one at a time on the same
runner as ``remiss simulate`` (a spawned process pool with a memory limit per worker,
:mod:`api.service.job_workers`, or Dask when configured).

A job is ``queued → running → done | failed``, or ``cancelled`` by its owner (or an
admin) while queued or running: a running job's worker processes are stopped at once
(a cancel that reaches another service process is seen by the job within
:data:`CANCEL_POLL_SECONDS`). Every state change is a guarded update, so a finishing
job never overwrites a cancellation. Stopping the service stops the running job's
workers and marks the job failed ("stopped with the server"); on start-up the service
marks any job still ``queued`` or ``running`` from before a restart as ``failed``
("interrupted by a server restart"), so none is left hanging.

A running simulation job's row carries how far it is, within replications too: the
share done, the simulated days done of the total (every replication of every policy
over the horizon) and the seconds left at the rate so far — the runner's progress
(:mod:`simulering.progress`) through its :class:`~simulering.progress.Advance`, as the
command line shows it, written at most every :data:`PROGRESS_SECONDS`. From the job's
worker processes the ticks come through a queue (:mod:`api.service.job_workers`), on
Dask as Dask events (:class:`simulering.executors.DaskExecutor`).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.service.db_schema import SimulationJobRow, utcnow
from api.service.forecast_runs import KIND as FORECAST
from api.service.forecast_runs import run_forecast_job
from api.service.job_scenarios import experiment_for
from api.service.job_workers import JobStopped, WorkerPool
from api.service.pseudonym import new_request_id
from api.service.settings import Settings
from api.service.unit_of_work import UnitOfWork
from simulering.executors import default_workers, open_executor
from simulering.progress import Advance

log = logging.getLogger("remiss.jobs")
INTERRUPTED = "interrupted by a server restart"
STOPPED = "stopped with the server"
CANCELLED = "cancelled"
LIVE = ("queued", "running")
CANCEL_POLL_SECONDS = 1.0
"""How often a running job reads whether another process cancelled it."""
PROGRESS_SECONDS = 1.0
"""How often, at most, a running job writes its progress."""


class JobRunner:
    """Runs queued simulation jobs in a background thread, one at a time."""

    def __init__(self, uow: UnitOfWork, settings: Settings) -> None:
        self.uow = uow
        self.settings = settings
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="remiss-job")
        self.lock = threading.Lock()
        self.cancelled: set[str] = set()
        self.workers: dict[str, WorkerPool] = {}
        self.stopping = False
        self.polled: dict[str, float] = {}

    def recover(self) -> int:
        """Mark jobs left queued or running by a previous process as failed."""
        with self.uow.writing() as s:
            res = s.execute(
                update(SimulationJobRow)
                .where(SimulationJobRow.state.in_(LIVE))
                .values(state="failed", error=INTERRUPTED, updated_at=utcnow())
            )
        return int(res.rowcount)  # type: ignore[attr-defined]

    def add(
        self,
        session: Session,
        actor: str,
        request: dict[str, Any],
        days_total: float | None = None,
    ) -> str:
        """A queued job in the caller's transaction; :meth:`start` it once committed.
        ``days_total``: the simulated days it will run (a simulation job)."""
        job_id = new_request_id()
        session.add(
            SimulationJobRow(
                id=job_id,
                actor=actor,
                state="queued",
                progress=0.0,
                days_done=None if days_total is None else 0.0,
                days_total=days_total,
                request=request,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        return job_id

    def start(self, job_id: str) -> None:
        """Run a committed queued job when the jobs before it are done."""
        self.pool.submit(self._run, job_id)

    def stop_job(self, job_id: str) -> None:
        """After the caller committed the job's cancellation: stop its workers if it
        runs in this process (other processes see the row within a second)."""
        with self.lock:
            self.cancelled.add(job_id)
            workers = self.workers.get(job_id)
        if workers is not None:
            workers.terminate()

    def _set(self, job_id: str, states: tuple[str, ...], **values: Any) -> bool:
        """Update the job if it is still in one of ``states``; whether it was."""
        with self.uow.writing() as s:
            res = s.execute(
                update(SimulationJobRow)
                .where(SimulationJobRow.id == job_id, SimulationJobRow.state.in_(states))
                .values(updated_at=utcnow(), **values)
            )
        return bool(res.rowcount)  # type: ignore[attr-defined]

    def _run(self, job_id: str) -> None:
        with self.uow.reading() as s:
            job = s.get(SimulationJobRow, job_id)
            request = dict(job.request) if job else {}
        if self.stopping or not self._set(job_id, ("queued",), state="running"):
            return  # cancelled while queued, or the server is stopping
        try:
            if request.get("kind") == FORECAST:
                doc, html = self._forecast(job_id, request)
            else:
                doc, html = self._simulate(job_id, request)
            self._set(
                job_id,
                ("running",),
                state="done",
                progress=1.0,
                days_done=SimulationJobRow.days_total,
                seconds_left=0.0,
                result=doc,
                report=html,
            )
        except JobStopped:
            error = STOPPED if self.stopping else CANCELLED
            self._set(job_id, ("running",), state="failed", error=error)
            log.info("simulation job stopped", extra={"job": job_id, "error": error})
        except Exception as exc:  # the job fails, the service goes on
            log.error("simulation job failed", extra={"job": job_id, "error": repr(exc)})
            self._set(job_id, ("running",), state="failed", error=self.failure(exc))
            log.debug(traceback.format_exc())
        finally:
            with self.lock:
                self.workers.pop(job_id, None)
                self.cancelled.discard(job_id)
                self.polled.pop(job_id, None)

    def failure(self, exc: Exception) -> str:
        """The job's error as its owner reads it."""
        if isinstance(exc, MemoryError):
            limit = self.settings.worker_memory_mb
            return (
                f"MemoryError: a worker needed more than its {limit} MB (REMISS_WORKER_MEMORY_MB)"
            )
        return f"{type(exc).__name__}: {exc}"

    def _should_stop(self, job_id: str) -> bool:
        """Cancelled here, stopping, or (read at most once a second) cancelled elsewhere."""
        if self.stopping or job_id in self.cancelled:
            return True
        now = time.monotonic()
        last = self.polled.get(job_id, 0.0)
        if now - last < CANCEL_POLL_SECONDS:
            return False
        self.polled[job_id] = now
        with self.uow.reading() as s:
            state = s.scalar(select(SimulationJobRow.state).where(SimulationJobRow.id == job_id))
        return state != "running"

    def _reporter(
        self, job_id: str, total: float, days_total: float | None = None
    ) -> Callable[[float], None]:
        """``report(done)``: the job has ``done`` of ``total`` (replications); it stops
        the job when it should stop, and writes the share done and the seconds left at
        most every :data:`PROGRESS_SECONDS` and once ``done`` reaches ``total``. With
        ``days_total``, also the simulated days done of it."""
        advance = Advance(days_total or total)
        scale = advance.total / total if total else 0.0
        last = [0.0]

        def report(done: float) -> None:
            if self._should_stop(job_id):
                raise JobStopped
            advance.update(done * scale)
            now = time.monotonic()
            if now - last[0] < PROGRESS_SECONDS and done < total:
                return
            last[0] = now
            values: dict[str, Any] = {"progress": advance.share(), "seconds_left": advance.left()}
            if days_total is not None:
                values["days_done"] = advance.done
            self._set(job_id, ("running",), **values)

        return report

    def _simulate(self, job_id: str, req: dict[str, Any]) -> tuple[dict[str, Any], str]:
        experiment = experiment_for(req, self.settings)
        days = experiment.simulated_days
        progress = self._reporter(job_id, experiment.plan.replications, days)

        if self.settings.dask_address:
            workers_n = self.settings.sim_workers or None
            with open_executor("dask", workers_n, self.settings.dask_address) as ex:
                run = experiment.run(executor=ex, progress=progress)
        else:
            workers = WorkerPool(
                self.settings.sim_workers or default_workers(),
                self.settings.worker_memory_mb,
                lambda: self._should_stop(job_id),
            )
            with self.lock:
                self.workers[job_id] = workers
            if job_id in self.cancelled or self.stopping:
                workers.terminate()
            try:
                run = experiment.run(executor=workers, progress=progress)
            finally:
                workers.close()
        doc = run.to_document()
        # Lazy loading: the report's modules (Plotly) load with the first finished job,
        # not with every service process.
        from api.report_context import report_context
        from simulering.report import render_report

        context = report_context(experiment.scenario, experiment.region)
        html = render_report(run, context, "sv")
        return doc, html

    def _forecast(self, job_id: str, req: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """A forecast job (:mod:`api.service.forecast_runs`), on this thread."""
        with self.uow.reading() as s:
            owner = s.scalar(select(SimulationJobRow.actor).where(SimulationJobRow.id == job_id))
        reporters: dict[int, Callable[[float], None]] = {}

        def progress(done: int, total: int) -> None:
            if total not in reporters:
                reporters[total] = self._reporter(job_id, max(total, 1))
            reporters[total](done)

        return run_forecast_job(self.uow, self.settings, (job_id, owner or ""), req, progress)

    def close(self) -> None:
        """Stop the running job's workers, drop the queued ones, and wait for the job
        thread to record it (the server is stopping)."""
        self.stopping = True
        with self.lock:
            running = list(self.workers.values())
        for workers in running:
            workers.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)
