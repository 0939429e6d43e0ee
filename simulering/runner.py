"""Replications: run every policy on the same patients, then summarise with 95 % CIs.

Replication ``i`` draws its patients from stream ``SeedSequence(seed).spawn(n)[i]`` and
runs every requested policy on them (common random numbers), so its results do not
depend on which process runs it or in which order: serial and parallel runs are
bit-identical.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
from scipy import stats

from simulering.kpis import replication_kpis
from simulering.model import Model, Records
from simulering.patients import Patients, draw_patients
from simulering.policies import make_policy
from simulering.records_table import records_table
from simulering.spec import ModelSpec
from simulering.streams import replication_stream

Progress = Callable[[int], None]


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


Job = tuple[ModelSpec, tuple[str, ...], int, int, bool]
JobResult = tuple[dict[str, dict[str, Any]], list[pa.Table]]


def _job(args: Job) -> JobResult:
    spec, policies, seed, replication, keep = args
    tables: list[pa.Table] = []
    kpis = run_replication(spec, policies, seed, replication, tables if keep else None)
    return kpis, tables


def iter_replications(
    spec: ModelSpec,
    policies: Sequence[str],
    seed: int,
    replications: int,
    workers: int = 1,
    keep_records: bool = False,
) -> Iterator[JobResult]:
    """Per-replication KPIs (and records) in replication order, serially or on a
    process pool."""
    jobs = [(spec, tuple(policies), seed, i, keep_records) for i in range(replications)]
    if workers <= 1 or replications <= 1:
        yield from map(_job, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_job, jobs)


def default_workers() -> int:
    return max(
        1,
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1),
    )


def summarise(values: Sequence[float]) -> dict[str, Any]:
    """Mean and 95 % t-interval across replications (NaNs, e.g. empty groups, ignored)."""
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return {"mean": None, "ci95": [None, None]}
    mean = float(arr.mean())
    if arr.size < 2:
        return {"mean": mean, "ci95": [mean, mean]}
    half = float(stats.t.ppf(0.975, arr.size - 1) * arr.std(ddof=1) / math.sqrt(arr.size))
    return {"mean": mean, "ci95": [mean - half, mean + half]}


def _combine(reps: list[Any]) -> Any:
    """Walk nested dicts of replications; summarise scalar leaves, average series."""
    first = reps[0]
    if isinstance(first, dict):
        return {k: _combine([r[k] for r in reps]) for k in first}
    if isinstance(first, list):
        arr = np.asarray(reps, dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months
            mean = np.nanmean(arr, axis=0)
        return [None if math.isnan(x) else float(x) for x in np.atleast_1d(mean)]
    return summarise(reps)


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


def simulate(
    spec: ModelSpec,
    policies: Sequence[str],
    seed: int,
    replications: int,
    workers: int = 1,
    progress: Progress | None = None,
    on_records: Callable[[pa.Table], None] | None = None,
) -> dict[str, Any]:
    """Run ``replications`` of every policy and summarise them.

    ``on_records`` receives each policy-replication's per-referral table as it arrives.
    """
    for name in policies:
        make_policy(name, spec)  # fail fast on an unknown name
    per_rep = []
    runs = iter_replications(spec, policies, seed, replications, workers, on_records is not None)
    for i, (rep, tables) in enumerate(runs):
        per_rep.append(rep)
        for table in tables:
            if on_records is not None:
                on_records(table)
        if progress:
            progress(i + 1)
    return summarise_replications(per_rep)
