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
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from api.service.db_schema import SimulationJobRow, utcnow
from api.service.http_problems import Problem, invalid_field
from api.service.settings import Settings
from api.service.unit_of_work import UnitOfWork
from scenarios.loader import (
    LIBRARY_DIR,
    REGION_DIR,
    Overrides,
    ScenarioError,
    check_references,
    compile_scenario,
    list_library,
    load_region,
    load_scenario,
)
from scenarios.schema import KNOWN_POLICIES, Scenario
from simulering.executors import open_executor
from simulering.runner import run_simulation
from simulering.spec import ModelSpec

log = logging.getLogger("remiss.jobs")
INTERRUPTED = "interrupted by a server restart"


def library_names() -> list[str]:
    """The scenarios of the library, by name."""
    return [p.stem for p in list_library()]


def resolve(
    scenario: str | dict[str, Any], horizon_days: int | None, warmup_days: int | None
) -> tuple[Scenario, ModelSpec, Path]:
    """A library scenario by name, or an inline one (its region a region-file name)."""
    overrides = Overrides(horizon_days, warmup_days)
    if isinstance(scenario, str):
        if scenario not in library_names():
            raise invalid_field("body.scenario", f"no library scenario {scenario!r}")
        path = LIBRARY_DIR / f"{scenario}.yaml"
        try:
            sc = load_scenario(path)
            return sc, compile_scenario(sc, load_region(sc, path), overrides), path
        except ScenarioError as exc:  # a broken library file is the server's fault
            raise Problem(500, "Internal error", str(exc)) from None
    try:
        sc = Scenario.model_validate(scenario)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in ("body", "scenario", *e["loc"]))
        raise invalid_field(where, str(e["msg"]).removeprefix("Value error, ")) from None
    if isinstance(sc.region, str) and not (REGION_DIR / f"{sc.region}.yaml").is_file():
        raise invalid_field("body.scenario.region", f"no region file {sc.region!r}")
    path = REGION_DIR / "inline.yaml"
    try:
        region = load_region(sc, path)
        check_references(sc, region, path)
        return sc, compile_scenario(sc, region, overrides), path
    except ScenarioError as exc:
        raise invalid_field(f"body.scenario.{exc.field}", exc.problem) from None
    except ValueError as exc:
        raise invalid_field("body.scenario", str(exc)) from None


def check_policies(policies: list[str]) -> None:
    """422 naming the first unknown policy."""
    for i, p in enumerate(policies):
        if p not in KNOWN_POLICIES:
            raise invalid_field(
                f"body.policies.{i}", f"unknown policy; known: {', '.join(KNOWN_POLICIES)}"
            )


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
        sc, spec, path = resolve(req["scenario"], req.get("horizon_days"), req.get("warmup_days"))
        policies = req.get("policies") or list(sc.run.policies)
        reps = req.get("replications") or sc.run.replications
        seed = sc.run.seed if req.get("seed") is None else req["seed"]
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
            run = run_simulation(
                spec, policies, seed, reps, progress=progress, executor=ex, scenario=sc.name
            )
        doc = run.to_document()
        # Lazy loading: the report's modules (Plotly) load with the first finished job,
        # not with every service process.
        from api.report_context import report_context
        from simulering.report import render_report

        html = render_report(run, report_context(sc, load_region(sc, path)), "sv")
        return doc, html

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
