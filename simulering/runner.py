"""Replications: run every policy on the same patients, then summarise with 95 % CIs.

Replication ``i`` draws its patients from stream ``SeedSequence(seed).spawn(n)[i]`` and
runs every requested policy on them (common random numbers), so its results do not
depend on which process runs it or in which order: serial and parallel runs are
bit-identical. One runner serves every executor (:mod:`simulering.executors`: serial,
local process pool, Dask cluster); results come back in replication order.

Progress counts replications done, the running ones by how far they have simulated
(:mod:`simulering.progress`): within a replication on the serial and process executors,
once per finished replication on Dask (and on any executor without ``watch``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, TypeAlias

from simulering.executors import (
    Executor,
    ProcessExecutor,
    SerialExecutor,
    default_workers,
    open_executor,
)
from simulering.kpis import replication_kpis
from simulering.model import Model, Records
from simulering.paired import compare
from simulering.patients import Patients, draw_patients
from simulering.policies import make_policy
from simulering.progress import Progress, Ticks, new_token, report
from simulering.results import (
    MIN_REPLICATIONS,
    Estimate,
    PolicyResult,
    RunInfo,
    SimulationResult,
    summarise_policy,
)
from simulering.spec import ModelSpec
from simulering.streams import replication_stream

if TYPE_CHECKING:  # pyarrow (~25 MiB) is loaded only when records are kept
    import pyarrow as pa

__all__ = [
    "MIN_REPLICATIONS",
    "Progress",
    "SimulationResult",
    "default_workers",
    "iter_replications",
    "run_policy",
    "run_replication",
    "run_simulation",
    "summarise_replications",
]


def run_policy(
    spec: ModelSpec,
    patients: Patients,
    policy: str,
    seed: int,
    replication: int,
    on_week: Callable[[float], None] | None = None,
) -> Records:
    """Simulate one policy on already drawn patients (``on_week(day)``: progress)."""
    streams = replication_stream(seed, replication)
    model = Model(spec, patients, make_policy(policy, spec), streams.get("policy"), on_week)
    return model.run()


def _policy_days(
    on_share: Callable[[float], None], k: int, n: int, horizon: int
) -> Callable[[float], None]:
    """Policy ``k`` of ``n`` at a simulated day as the share of the replication done."""
    return lambda day: on_share((k + day / horizon) / n)


def run_replication(
    spec: ModelSpec,
    policies: Sequence[str],
    seed: int,
    replication: int,
    tables: list[pa.Table] | None = None,
    on_share: Callable[[float], None] | None = None,
) -> dict[str, PolicyResult[float]]:
    """KPIs of every policy for one replication (all policies see the same patients).

    With ``tables``, the per-referral records of each policy are appended to it;
    ``on_share`` is told the share of the replication done once a simulated week.
    """
    patients = draw_patients(spec, replication_stream(seed, replication))
    if tables is not None:
        from simulering.records_table import records_table
    result = {}
    for k, name in enumerate(policies):
        days = None
        if on_share is not None:
            days = _policy_days(on_share, k, len(policies), spec.horizon_days)
        records = run_policy(spec, patients, name, seed, replication, days)
        result[name] = replication_kpis(spec, patients, records)
        if tables is not None:
            tables.append(records_table(spec, patients, records, name, replication))
    return result


JobSpec = tuple[tuple[str, ...], int, int, bool, int]
"""(policies, seed, replication, keep records, progress token: 0 when nobody watches)"""
JobResult: TypeAlias = "tuple[dict[str, PolicyResult[float]], list[pa.Table]]"


def _run_job(spec: ModelSpec, job: JobSpec) -> JobResult:
    policies, seed, replication, keep, token = job
    tables: list[pa.Table] = []

    def on_share(share: float) -> None:
        report(token, replication, share)

    kpis = run_replication(
        spec, policies, seed, replication, tables if keep else None, on_share if token else None
    )
    return kpis, tables


def _watch(ex: Executor, ticks: Ticks | None) -> AbstractContextManager[None]:
    """The executor passing its jobs' ticks to ``ticks`` while open, when it can."""
    watch = getattr(ex, "watch", None)
    if ticks is None or not ticks.token or watch is None:
        return nullcontext()
    opened: AbstractContextManager[None] = watch(ticks)
    return opened


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

    ``progress(done)`` is called as each replication finishes, whatever its order, and
    (serial and process executors) as running ones move, ``done`` counting those by
    their share done; results are yielded strictly in replication order.
    """
    if replications <= 1 and executor is None:
        workers = 1
    ex, owned = _resolve(executor, workers)
    ticks = None
    if progress is not None:
        ticks = Ticks(new_token() if hasattr(ex, "watch") else 0, progress)
    token = ticks.token if ticks is not None else 0
    jobs = [(tuple(policies), seed, i, keep_records, token) for i in range(replications)]
    try:
        buffer: dict[int, JobResult] = {}
        nxt = 0
        with _watch(ex, ticks):
            for i, result in ex.imap_unordered(_run_job, spec, jobs):
                buffer[i] = result
                if ticks is not None:
                    ticks.finish(i)
                while nxt in buffer:
                    yield buffer.pop(nxt)
                    nxt += 1
    finally:
        if owned:
            ex.close()


def summarise_replications(
    per_rep: Sequence[Mapping[str, PolicyResult[float]]],
) -> dict[str, PolicyResult[Estimate]]:
    """Every policy's replications summarised (:func:`simulering.results.summarise_policy`)."""
    return {name: summarise_policy([r[name] for r in per_rep]) for name in per_rep[0]}


def _executor_name(executor: Executor | str | None, workers: int) -> str:
    if isinstance(executor, str):
        return executor
    if executor is not None:
        return executor.name
    return "serial" if workers <= 1 else "process"


def run_simulation(
    spec: ModelSpec,
    policies: Sequence[str],
    seed: int,
    replications: int,
    workers: int = 1,
    progress: Progress | None = None,
    on_records: Callable[[pa.Table], None] | None = None,
    executor: Executor | str | None = None,
    scenario: str = "",
    overrides: Sequence[str] = (),
) -> SimulationResult:
    """Run ``replications`` of every policy on any executor; summarise and compare them.

    ``executor`` is an open :class:`~simulering.executors.Executor` (kept open), or a
    name (``serial``, ``process``, ``dask``) opened and closed here with ``workers``;
    without one, ``workers <= 1`` runs serially and more on a local process pool.
    ``on_records`` receives each policy-replication's per-referral table, in replication
    order; ``progress(done)`` as replications move (:func:`iter_replications`). ``scenario`` and
    ``overrides`` (the ``--set`` lines) are recorded in the result's :class:`RunInfo`.
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
    overall = tuple({name: r[name].kpis for name in policies} for r in per_rep)
    info = RunInfo(
        scenario=scenario,
        seed=seed,
        replications=replications,
        horizon_days=spec.horizon_days,
        warmup_days=spec.warmup_days,
        overrides=tuple(overrides),
        executor=_executor_name(executor, workers),
    )
    return SimulationResult(
        run=info,
        policies=summarise_replications(per_rep),
        paired=compare(overall, list(policies)),
        replication_kpis=overall,
    )
