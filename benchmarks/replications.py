"""Replications at scale: wall time of N replications, serial vs process pool vs Dask.

The gallstone scenario (``scenarios/library/gallsten.yaml``, two simulated years) with
the policies of the issue that exist in :data:`simulering.policies.POLICIES`
(``separate``, ``shared``, ``optimised``, ``patient_choice``; ``--policies`` to choose),
N replications (default 100) run three ways through the one runner:

- ``serial``: one process;
- ``process``: a local process pool, one worker per core;
- ``dask``: a Dask ``LocalCluster`` (one single-threaded worker process per core),
  started before the clock and closed after it (start-up time reported apart).

Every executor must give the same result (checked: the JSON of the summaries is
compared), so the speed-up is the only difference. Written to
``benchmarks/results/replications.md`` and ``.json``; run with
``remiss-bench replications`` or ``python -m benchmarks.replications``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]
from rich.console import Console
from rich.table import Table

from benchmarks import RESULTS_DIR
from scenarios.loader import Overrides, load_spec
from simulering.executors import default_workers, open_executor
from simulering.policies import POLICIES
from simulering.runner import run_simulation

ISSUE_POLICIES = ("separate", "shared", "optimised", "patient_choice")
EXECUTORS = ("serial", "process", "dask")


def available_policies(wanted: Sequence[str] = ISSUE_POLICIES) -> list[str]:
    """The wanted policies that exist in this build."""
    return [p for p in wanted if p in POLICIES]


@dataclass
class Timing:
    """One executor's run."""

    executor: str
    workers: int
    seconds: float
    startup_seconds: float
    per_replication_ms: float
    cpu_seconds: float = 0.0
    """CPU of this process and of its worker processes over the timed run."""
    load_before: list[float] = field(default_factory=list)
    load_after: list[float] = field(default_factory=list)
    speedup: float | None = None
    digest: str = ""


@dataclass
class ReplicationsReport:
    """The benchmark's figures."""

    scenario: str
    replications: int
    policies: list[str]
    seed: int
    horizon_days: int
    cores: int
    machine: str
    python: str
    date: str
    identical: bool
    timings: list[Timing] = field(default_factory=list)


def _results_only(doc: dict[str, Any]) -> list[Any]:
    """The document's results, without how they were run (the executor differs)."""
    return [doc["policies"], doc["paired"]]


def _digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _cpu_seconds(
    me: psutil.Process, children: dict[int, float] | None = None
) -> tuple[float, dict[int, float]]:
    """This process's CPU seconds (user + system) and each live child's, by pid."""
    own = me.cpu_times()
    kids: dict[int, float] = {}
    for child in me.children(recursive=True):
        try:
            t = child.cpu_times()
        except psutil.Error:  # ended between listing and reading
            continue
        kids[child.pid] = t.user + t.system
    return own.user + own.system, kids


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run(
    replications: int = 100,
    policies: Sequence[str] | None = None,
    executors: Sequence[str] = EXECUTORS,
    workers: int | None = None,
    scenario: str = "gallsten",
    seed: int = 20260101,
    horizon_days: int | None = None,
) -> ReplicationsReport:
    """Time ``replications`` of ``scenario`` with ``policies`` on each executor."""
    pols = list(policies) if policies else available_policies()
    sc, spec = load_spec(scenario, Overrides(horizon_days=horizon_days))
    n_workers = workers or default_workers()
    report = ReplicationsReport(
        scenario=sc.name,
        replications=replications,
        policies=pols,
        seed=seed,
        horizon_days=spec.horizon_days,
        cores=default_workers(),
        machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
        python=platform.python_version(),
        date=dt.date.today().isoformat(),
        identical=True,
    )
    me = psutil.Process()
    for kind in executors:
        t0 = time.perf_counter()
        with open_executor(kind, 1 if kind == "serial" else n_workers) as ex:
            load_before = _load()
            own0, kids0 = _cpu_seconds(me)
            t1 = time.perf_counter()
            result = run_simulation(spec, pols, seed, replications, executor=ex)
            t2 = time.perf_counter()
            own1, kids1 = _cpu_seconds(me)
            load_after = _load()
        # workers started during the run count whole; those alive before, from then
        cpu = own1 - own0 + sum(t - kids0.get(pid, 0.0) for pid, t in kids1.items())
        report.timings.append(
            Timing(
                executor=kind,
                workers=ex.workers,
                seconds=t2 - t1,
                startup_seconds=t1 - t0,
                per_replication_ms=1000 * (t2 - t1) / replications,
                cpu_seconds=cpu,
                load_before=load_before,
                load_after=load_after,
                digest=_digest(_results_only(result.to_document())),
            )
        )
    base = next((t for t in report.timings if t.executor == "serial"), None)
    for t in report.timings:
        t.speedup = base.seconds / t.seconds if base and t.seconds > 0 else None
    report.identical = len({t.digest for t in report.timings}) <= 1
    return report


def rich_table(r: ReplicationsReport) -> Table:
    table = Table(
        title=(
            f"{r.replications} replications of {r.scenario} ({r.horizon_days} days) × "
            f"{len(r.policies)} policies ({', '.join(r.policies)}), {r.cores} cores"
        ),
        title_justify="left",
    )
    for col in (
        "executor",
        "workers",
        "wall s",
        "CPU s",
        "ms / replication",
        "speed-up",
        "start-up s",
        "load before → after",
    ):
        table.add_column(col, justify="left" if col == "executor" else "right")
    for t in r.timings:
        table.add_row(
            t.executor,
            str(t.workers),
            f"{t.seconds:.2f}",
            f"{t.cpu_seconds:.2f}",
            f"{t.per_replication_ms:.0f}",
            "–" if t.speedup is None else f"{t.speedup:.2f}×",
            f"{t.startup_seconds:.2f}",
            _loads(t),
        )
    return table


def _loads(t: Timing) -> str:
    return f"{t.load_before[0]:.2f} → {t.load_after[0]:.2f}" if t.load_before else "–"


def markdown(r: ReplicationsReport) -> str:
    lines = [
        "# Replications at scale: serial vs process pool vs Dask LocalCluster",
        "",
        f"{r.replications} replications of `{r.scenario}` ({r.horizon_days} simulated days), "
        f"policies {', '.join(f'`{p}`' for p in r.policies)} (every replication runs every "
        f"policy on the same patients), seed {r.seed}. Machine: {r.cores} cores, "
        f"{r.machine}, Python {r.python}, {r.date}.",
        "",
        "| executor | workers | wall s | CPU s | ms / replication | speed-up vs serial "
        "| start-up s | load (1 min) before → after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in r.timings:
        speed = "–" if t.speedup is None else f"{t.speedup:.2f}×"
        lines.append(
            f"| {t.executor} | {t.workers} | {t.seconds:.2f} | {t.cpu_seconds:.2f} | "
            f"{t.per_replication_ms:.0f} | {speed} | {t.startup_seconds:.2f} | {_loads(t)} |"
        )
    lines += [
        "",
        f"Results identical on every executor: **{'yes' if r.identical else 'NO'}** "
        "(SHA-256 of the summaries and paired comparison).",
        "",
        "CPU: this process and its worker processes (user + system, psutil) over the "
        "timed run; the serial run is the peer of the other two. "
        "Wall time excludes starting the executor (the start-up column: process pool workers "
        "are forked on first use and counted in wall time; the Dask LocalCluster's start is "
        "reported apart). Reproduce with `remiss-bench replications "
        f"--replications {r.replications}`.",
        "",
    ]
    return "\n".join(lines)


def write_results(r: ReplicationsReport, out_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / "replications.md", out_dir / "replications.json"
    md.write_text(markdown(r), encoding="utf-8")
    js.write_text(json.dumps(asdict(r), indent=2) + "\n", encoding="utf-8")
    return md, js


def main() -> None:
    reps = int(os.environ.get("REMISS_BENCH_REPLICATIONS", "100"))
    report = run(reps)
    Console().print(rich_table(report))
    for path in write_results(report):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
