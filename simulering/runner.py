"""Replications: run every policy on the same patients, then summarise with 95 % CIs.

Replication ``i`` draws its patients from stream ``SeedSequence(seed).spawn(n)[i]`` and
runs every requested policy on them (common random numbers), so its results do not
depend on which process runs it or in which order: serial and parallel runs are
bit-identical. One runner serves every executor (:mod:`simulering.executors`: serial,
local process pool, Dask cluster); results come back in replication order.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from simulering.executors import (
    Executor,
    ProcessExecutor,
    SerialExecutor,
    default_workers,
    open_executor,
)
from simulering.kpis import KPI_RANGE, replication_kpis
from simulering.model import Model, Records
from simulering.paired import (
    BOUNDS,
    MIN_REPLICATIONS,
    RangeKind,
    compare,
    kpi_range,
    mean_ci,
    replication_warning,
)
from simulering.patients import Patients, draw_patients
from simulering.policies import make_policy
from simulering.records_table import records_table
from simulering.spec import ModelSpec
from simulering.streams import replication_stream

Progress = Callable[[int], None]

__all__ = [
    "MIN_REPLICATIONS",
    "Progress",
    "SimulationResult",
    "default_workers",
    "iter_replications",
    "run_policy",
    "run_replication",
    "run_simulation",
    "simulate",
    "summarise",
    "summarise_replications",
    "warnings_for",
]


def run_policy(
    spec: ModelSpec, patients: Patients, policy: str, seed: int, replication: int
) -> Records:
    """Simulate one policy on already drawn patients."""
    streams = replication_stream(seed, replication)
    model = Model(spec, patients, make_policy(policy, spec), streams.get("policy"))
    return model.run()


def run_replication(
    spec: ModelSpec,
    policies: Sequence[str],
    seed: int,
    replication: int,
    tables: list[pa.Table] | None = None,
) -> dict[str, dict[str, Any]]:
    """KPIs of every policy for one replication (all policies see the same patients).

    With ``tables``, the per-referral records of each policy are appended to it.
    """
    patients = draw_patients(spec, replication_stream(seed, replication))
    result = {}
    for name in policies:
        records = run_policy(spec, patients, name, seed, replication)
        result[name] = replication_kpis(spec, patients, records)
        if tables is not None:
            tables.append(records_table(spec, patients, records, name, replication))
    return result


JobSpec = tuple[tuple[str, ...], int, int, bool]
"""(policies, seed, replication, keep records)"""
JobResult = tuple[dict[str, dict[str, Any]], list[pa.Table]]


def _run_job(spec: ModelSpec, job: JobSpec) -> JobResult:
    policies, seed, replication, keep = job
    tables: list[pa.Table] = []
    kpis = run_replication(spec, policies, seed, replication, tables if keep else None)
    return kpis, tables


def _resolve(executor: Executor | str | None, workers: int) -> tuple[Executor, bool]:
    """The executor to use and whether this call owns (and must close) it."""
    if executor is None:
        return (SerialExecutor() if workers <= 1 else ProcessExecutor(workers)), True
    if isinstance(executor, str):
        return open_executor(executor, workers if workers > 1 else None), True
    return executor, False


def iter_replications(
    spec: ModelSpec,
    policies: Sequence[str],
    seed: int,
    replications: int,
    workers: int = 1,
    keep_records: bool = False,
    executor: Executor | str | None = None,
    progress: Progress | None = None,
) -> Iterator[JobResult]:
    """Per-replication KPIs (and records) in replication order, on any executor.

    ``progress(done)`` is called as each replication finishes, whatever its order;
    results are yielded strictly in replication order.
    """
    jobs = [(tuple(policies), seed, i, keep_records) for i in range(replications)]
    if replications <= 1 and executor is None:
        workers = 1
    ex, owned = _resolve(executor, workers)
    try:
        buffer: dict[int, JobResult] = {}
        nxt = 0
        for done, (i, result) in enumerate(ex.imap_unordered(_run_job, spec, jobs), start=1):
            buffer[i] = result
            if progress:
                progress(done)
            while nxt in buffer:
                yield buffer.pop(nxt)
                nxt += 1
    finally:
        if owned:
            ex.close()


def summarise(values: Sequence[float], kpi: str | None = None) -> dict[str, Any]:
    """Mean and 95 % interval across replications (NaNs, e.g. empty groups, ignored).

    The Student-t interval cut to the KPI's range (:data:`simulering.kpis.KPI_RANGE`:
    shares in [0, 1], waits, km, counts and cost ≥ 0; an unknown name is unbounded),
    which keeps the t-interval's coverage (:func:`simulering.paired.mean_ci`).
    """
    ci = mean_ci(values, bounds=BOUNDS[kpi_range(kpi)])
    return {"mean": ci["mean"], "ci95": ci["ci95"]}


SERIES_RANGE: dict[str, RangeKind] = {"queue_length": "non_negative"}
"""Ranges of monthly series that are not KPIs (the series' shares are KPI names)."""


def _combine(reps: list[Any], kpi: str | None = None) -> Any:
    """Walk nested dicts of replications; summarise scalar leaves, average series.

    ``kpi`` is the nearest KPI name above the leaf (``kpis.<stage>.<kpi>``,
    ``kpis.<stage>.by_priority.<group>.<kpi>``, ``series.<stage>.region.<kpi>.<day>``),
    so every leaf's interval keeps that KPI's range.
    """
    first = reps[0]
    if isinstance(first, dict):
        return {k: _combine([r[k] for r in reps], k if _known(k) else kpi) for k in first}
    if isinstance(first, list):
        arr = np.asarray(reps, dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months
            mean = np.nanmean(arr, axis=0)
        return [None if math.isnan(x) else float(x) for x in np.atleast_1d(mean)]
    if kpi in SERIES_RANGE:
        ci = mean_ci(reps, bounds=BOUNDS[SERIES_RANGE[kpi]])
        return {"mean": ci["mean"], "ci95": ci["ci95"]}
    return summarise(reps, kpi)


def _known(key: str) -> bool:
    return key in KPI_RANGE or key in SERIES_RANGE


def summarise_replications(per_rep: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """``{policy: {kpis, by_unit, by_area, by_subregion, series}}`` with mean and CI."""
    policies = per_rep[0].keys()
    result: dict[str, Any] = {}
    for name in policies:
        reps = [r[name] for r in per_rep]
        summary = {
            k: _combine([r[k] for r in reps])
            for k in ("kpis", "by_unit", "by_area", "by_subregion")
        }
        series = dict(reps[0]["series"])
        for stage in ("first_visit", "treatment"):
            series[stage] = _combine([r["series"][stage] for r in reps])
        summary["series"] = series
        result[name] = summary
    return result


@dataclass(frozen=True)
class SimulationResult:
    """Everything a run produced: summaries, paired comparison, per-replication KPIs."""

    policies: dict[str, Any]
    """``{policy: {kpis, by_unit, by_area, by_subregion, series}}`` with mean and CI."""
    paired: dict[str, Any]
    """Paired differences against the first policy (:func:`simulering.paired.compare`)."""
    replication_kpis: list[dict[str, dict[str, dict[str, float]]]] = field(repr=False)
    """``[replication][policy][stage][kpi]``: the overall KPIs of every replication."""

    @property
    def warnings(self) -> list[str]:
        """One line per thing the reader must know (too few replications)."""
        return warnings_for(len(self.replication_kpis))


def warnings_for(replications: int) -> list[str]:
    """The warnings of a run with ``replications`` replications (``[]`` when none)."""
    line = replication_warning(replications)
    return [line] if line else []


def run_simulation(
    spec: ModelSpec,
    policies: Sequence[str],
    seed: int,
    replications: int,
    workers: int = 1,
    progress: Progress | None = None,
    on_records: Callable[[pa.Table], None] | None = None,
    executor: Executor | str | None = None,
) -> SimulationResult:
    """Run ``replications`` of every policy on any executor; summarise and compare them.

    ``executor`` is an open :class:`~simulering.executors.Executor` (kept open), or a
    name (``serial``, ``process``, ``dask``) opened and closed here with ``workers``;
    without one, ``workers <= 1`` runs serially and more on a local process pool.
    ``on_records`` receives each policy-replication's per-referral table, in replication
    order; ``progress(done)`` is called as each replication finishes.
    """
    for name in policies:
        make_policy(name, spec)  # fail fast on an unknown name
    per_rep = []
    runs = iter_replications(
        spec,
        policies,
        seed,
        replications,
        workers,
        keep_records=on_records is not None,
        executor=executor,
        progress=progress,
    )
    for rep, tables in runs:
        per_rep.append(rep)
        for table in tables:
            if on_records is not None:
                on_records(table)
    overall = [{name: r[name]["kpis"] for name in policies} for r in per_rep]
    return SimulationResult(
        policies=summarise_replications(per_rep),
        paired=compare(overall, list(policies)),
        replication_kpis=overall,
    )


def simulate(
    spec: ModelSpec,
    policies: Sequence[str],
    seed: int,
    replications: int,
    workers: int = 1,
    progress: Progress | None = None,
    on_records: Callable[[pa.Table], None] | None = None,
    executor: Executor | str | None = None,
) -> dict[str, Any]:
    """Run ``replications`` of every policy and summarise them:
    ``{policy: {kpis, by_unit, by_area, by_subregion, series}}``.

    The summaries of :func:`run_simulation` (which also gives the paired comparison).
    """
    return run_simulation(
        spec, policies, seed, replications, workers, progress, on_records, executor
    ).policies
