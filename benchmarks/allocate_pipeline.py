"""``remiss allocate`` on a whole file, phase by phase, for ``remiss-bench allocate``.

Two measurements per instance, each in a fresh process:

- the phases in one worker (``python -m benchmarks.allocate_pipeline FILE``): parse
  (:func:`allokering.read.read_problem`), compile, solve (network, min-cost flow,
  split back onto referrals), validate (:func:`allokering.validate.validate_rows`),
  reasons (the coordinator sentences, :func:`allokering.result_json.row_tails`) and
  dump (the streamed result JSON), each as CPU seconds (``time.process_time``) and
  wall seconds, with the load average around it;
- the whole command, ``remiss allocate FILE`` (reasons empty, the default) and
  ``remiss allocate FILE --reasons``, each as a child process: its CPU (user +
  system, from ``os.wait4``), wall and peak RSS, imports and start-up included.

The bar (≤ 3 s CPU, ≤ 600 MiB for 1M referrals) is on the command's CPU time, not on
wall clock: the 2-core box is shared.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from benchmarks import BENCH_DIR

T = TypeVar("T")
PHASES = ("parse", "compile", "solve", "validate", "reasons", "dump")


def _timed(out: dict[str, Any], name: str, step: Callable[[], T]) -> T:
    c0, w0 = time.process_time(), time.perf_counter()
    value = step()
    out[f"{name}_cpu"] = time.process_time() - c0
    out[f"{name}_wall"] = time.perf_counter() - w0
    return value


def phases(path: Path) -> dict[str, Any]:
    """Time each phase of ``remiss allocate`` on ``path`` in this process."""
    from allokering.compiled import compile_problem
    from allokering.file_plan import ArrayPlan, plan_rows
    from allokering.plan import objective_of_plan
    from allokering.problem import AllocationResult, Status, gc_paused
    from allokering.read import read_problem
    from allokering.result_json import row_tails, write_result
    from allokering.solvers.flow import build_network, disaggregate, solve_network
    from allokering.validate import validate_rows

    row: dict[str, Any] = {"load_before": os.getloadavg()[0]}
    problem = _timed(row, "parse", lambda: read_problem(path))
    c = _timed(row, "compile", lambda: compile_problem(problem))

    def solve() -> ArrayPlan:
        net = build_network(c)
        sol = solve_network(net)
        unit, week = disaggregate(c, net, sol.flows)
        cost, objective = objective_of_plan(c, unit, week)
        summary = AllocationResult.model_construct(
            status=Status.OPTIMAL, cost=cost, objective=objective, lower_bound=sol.cost,
            gap=0.0, assignments=[], unassigned=[], solve_seconds=0.0, solver="flow",
            message="",
        )  # fmt: skip
        return ArrayPlan(c, unit, week, summary)

    plan = _timed(row, "solve", solve)
    report = _timed(row, "validate", lambda: validate_rows(problem, plan.summary, plan_rows(plan)))
    with gc_paused():
        tails = _timed(row, "reasons", lambda: row_tails(c, plan.unit, plan.week, reasons=True))
        with tempfile.TemporaryDirectory() as tmp, (Path(tmp) / "r.json").open("w") as f:
            _timed(row, "dump", lambda: write_result(f, plan.summary, c, plan.unit, tails))
    row["total_cpu"] = sum(row[f"{p}_cpu"] for p in PHASES)
    row["total_wall"] = sum(row[f"{p}_wall"] for p in PHASES)
    row["load_after"] = os.getloadavg()[0]
    row.update(valid=report.ok, cost=plan.summary.cost)
    return row


def run_phases(path: Path) -> dict[str, Any]:
    """:func:`phases` in a fresh worker process."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.allocate_pipeline", str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=BENCH_DIR.parent,
    )
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


def run_command(path: Path, *flags: str) -> dict[str, Any]:
    """``remiss allocate PATH [flags]`` as a child: CPU, wall, peak RSS, load."""
    remiss = Path(sys.executable).with_name("remiss")
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(remiss), "allocate", str(path), *flags, "--out", f"{tmp}/r.json"]
        w0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - w0
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "command_cpu": usage.ru_utime + usage.ru_stime,
        "command_wall": wall,
        "command_peak_mib": usage.ru_maxrss / 1024,
        "command_ok": proc.returncode == 0,
        "command_load": (load + os.getloadavg()[0]) / 2,
    }


def markdown(rows: list[dict[str, Any]]) -> list[str]:
    """The phase table: CPU / wall seconds per phase, the command, the load average."""
    head = [
        "instance", *PHASES, "phases total", "`remiss allocate`", "peak MiB",
        "`--reasons`", "peak MiB", "load",
    ]  # fmt: skip
    lines = [
        "## `remiss allocate` on a file, phase by phase",
        "",
        "CPU / wall seconds per phase in one worker (reasons included); `remiss "
        "allocate FILE` (no reasons, the default) and with `--reasons` as a whole "
        "(start-up and imports included) in a child process, CPU from `wait4`. "
        "Load = 1-minute load average before and after the phases (2 cores).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for r in rows:
        cells = [r["instance"]]
        cells += [f"{r[f'{p}_cpu']:.2f} / {r[f'{p}_wall']:.2f}" for p in PHASES]
        cells.append(f"{r['total_cpu']:.2f} / {r['total_wall']:.2f}")
        cells.append(f"{r['command_cpu']:.2f} / {r['command_wall']:.2f}")
        cells.append(f"{r['command_peak_mib']:,.0f}")
        cells.append(f"{r['reasons_command_cpu']:.2f} / {r['reasons_command_wall']:.2f}")
        cells.append(f"{r['reasons_command_peak_mib']:,.0f}")
        cells.append(f"{r['load_before']:.1f}–{r['load_after']:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    result = phases(Path(sys.argv[1]))
    result["worker_peak_mib"] = _peak_mib()
    print(json.dumps(result))
