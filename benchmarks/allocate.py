"""``remiss-bench allocate``: the allocation solvers on VGR instances, with peers.

Instances: ``vgr-{size}`` with 40 units, 26 weeks and a fixed seed per size (below).
Instances up to :data:`STORE_MAX` referrals are stored under ``benchmarks/instances/``
and read from there; bigger ones are regenerated from their seed at run time (the
generator is deterministic).

Each (instance, solver) runs in a fresh worker process (``python -m
benchmarks.allocate --worker ...``) so that peak memory (VmHWM, reset after loading
the instance) belongs to that solver alone. Solvers: ``flow`` (exact), the greedy
baselines ``greedy_home`` and ``greedy_edd``, and ``highs``: HiGHS on the identical
flow LP in a separate process (OR-Tools and highspy ship clashing HiGHS builds).
Every plan goes through :func:`allokering.validate.validate`; a failed check is
counted in the "not OK" column.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from allokering.compiled import Compiled, compile_problem
from allokering.generate import generate
from allokering.plan import make_result
from allokering.problem import AllocationProblem, AllocationResult, Status, gc_paused, load_problem
from allokering.solve import solve
from allokering.solvers.flow import FlowNetwork, build_network, disaggregate, solve_network
from allokering.validate import validate
from benchmarks import BENCH_DIR, RESULTS_DIR
from benchmarks.allocate_pipeline import markdown as pipeline_markdown
from benchmarks.allocate_pipeline import run_command, run_phases
from scenarios.geography import VGR_UNIT_SITES, vgr_areas

INSTANCE_DIR = BENCH_DIR / "instances"
SEEDS: dict[int, int] = {1_000: 1000, 10_000: 10_000, 100_000: 100_000, 1_000_000: 1_000_000}
"""Seed per instance size (other sizes use the size as the seed)."""
UNITS, WEEKS = 40, 26
STORE_MAX = 10_000
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_SOLVERS = ("flow", "greedy_home", "greedy_edd", "highs")


def instance_path(size: int) -> Path:
    return INSTANCE_DIR / f"vgr-{size}-u{UNITS}-h{WEEKS}-s{SEEDS.get(size, size)}.json"


def load_instance(size: int) -> AllocationProblem:
    """The stored instance, or a freshly generated one (stored when small)."""
    path = instance_path(size)
    if path.exists():
        return load_problem(path)
    problem = generate(
        size, vgr_areas(), VGR_UNIT_SITES, n_units=UNITS, weeks=WEEKS, seed=SEEDS.get(size, size)
    )
    if size <= STORE_MAX:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        with gc_paused():
            path.write_text(problem.model_dump_json(exclude_defaults=True), encoding="utf-8")
    return problem


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(solver: str, size: int, highs_time_limit: float) -> dict[str, Any]:
    """Run one solver on one instance in this process; a result row."""
    problem = load_instance(size)
    row: dict[str, Any] = {"instance": f"vgr-{size}", "referrals": size, "solver": solver}
    _reset_peak()
    c0 = time.process_time()
    if solver in ("flow", "highs"):
        t0 = time.perf_counter()
        c = compile_problem(problem)
        t1 = time.perf_counter()
        net = build_network(c)
        t2 = time.perf_counter()
        row.update(build_s=t2 - t0, compile_s=t1 - t0, arcs=net.n_arcs, nodes=net.n_nodes)
        row["build_cpu"] = time.process_time() - c0
        if solver == "highs":
            peer = _highs_peer(net, highs_time_limit, build_s=t2 - t0)
            return row | peer | {"total_cpu": row["build_cpu"] + peer["peer_cpu"]}
        result = _flow(problem, c, net, row, t0, t2)
    else:
        t0 = time.perf_counter()
        result = solve(problem, solver)
        row.update(build_s=None, solve_s=None, total_s=time.perf_counter() - t0, peak_mb=_peak_mb())
    row["total_cpu"] = time.process_time() - c0
    return row | _checked(problem, result)


def _flow(
    problem: AllocationProblem,
    c: Compiled,
    net: FlowNetwork,
    row: dict[str, Any],
    t0: float,
    t2: float,
) -> AllocationResult:
    """Solve the built network and make the plan (``t0``: start, ``t2``: network built);
    the solve's and the total seconds and the peak memory go into ``row``."""
    s0 = time.process_time()
    sol = solve_network(net)
    row["solve_cpu"] = time.process_time() - s0
    t3 = time.perf_counter()
    unit, week = disaggregate(c, net, sol.flows)
    result = make_result(
        problem, c, unit, week, status=Status.OPTIMAL, solver="flow", started=t0,
        lower_bound=sol.cost,
    )  # fmt: skip
    t4 = time.perf_counter()
    row.update(solve_s=t3 - t2, total_s=t4 - t0, peak_mb=_peak_mb())
    return result


def _highs_peer(net: FlowNetwork, highs_time_limit: float, build_s: float) -> dict[str, Any]:
    """HiGHS on the same LP in another process (``benchmarks.highs_peer``): its row."""
    with tempfile.TemporaryDirectory() as tmp:
        lp = Path(tmp) / "lp.npz"
        net.save_lp(lp)
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.highs_peer", str(lp), str(highs_time_limit)],
            capture_output=True,
            text=True,
            check=True,
            cwd=BENCH_DIR.parent,
        )
    peer = json.loads(out.stdout.strip().splitlines()[-1])
    return dict(
        solve_s=peer["solve_seconds"],
        solve_cpu=peer["solve_cpu_seconds"],
        peer_cpu=peer["build_cpu_seconds"] + peer["solve_cpu_seconds"],
        total_s=build_s + peer["build_seconds"] + peer["solve_seconds"],
        cost=round(peer["objective"]) if peer["status"] == "Optimal" else None,
        status=peer["status"].lower(),
        peak_mb=peer["peak_rss_mb"],
        valid=None,
        note=f"HiGHS {peer['highs_version']} on the same LP, other process",
    )


def _checked(problem: AllocationProblem, result: AllocationResult) -> dict[str, Any]:
    """The plan's status, cost and objective parts, and whether validate() accepts it."""
    report = validate(problem, result)
    obj = result.objective
    return dict(
        status=result.status.value,
        cost=result.cost,
        breaches=obj.breaches if obj else None,
        wait_days=obj.total_wait_days if obj else None,
        travel_km=obj.total_travel_km if obj else None,
        moves=obj.moves if obj else None,
        unassigned=len(result.unassigned),
        valid=report.ok,
        validation_errors=report.errors[:3],
    )


def _spawn(solver: str, size: int, highs_time_limit: float) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.allocate",
        "--worker",
        solver,
        str(size),
        str(highs_time_limit),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=BENCH_DIR.parent)
    if out.returncode != 0:
        return {
            "instance": f"vgr-{size}",
            "referrals": size,
            "solver": solver,
            "status": "error",
            "valid": False,
            "note": (out.stderr.strip().splitlines() or ["?"])[-1],
        }
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(
    sizes: Sequence[int] = DEFAULT_SIZES,
    solvers: Sequence[str] = DEFAULT_SOLVERS,
    *,
    highs_time_limit: float = 600.0,
    results_dir: Path | None = RESULTS_DIR,
    echo: bool = True,
) -> list[dict[str, Any]]:
    """Run the benchmark; write ``allocate.md``/``allocate.json``; return the rows."""
    rows: list[dict[str, Any]] = []
    pipelines: list[dict[str, Any]] = []
    load_start = os.getloadavg()
    for size in sizes:
        load_instance(size) if size <= STORE_MAX else None  # store small instances once
        flow_cost: int | None = None
        flow_time: float | None = None
        flow_solve: float | None = None
        for solver in solvers:
            row = _spawn(solver, size, highs_time_limit)
            if solver == "flow":
                flow_cost, flow_time = row.get("cost"), row.get("total_cpu")
                flow_solve = row.get("solve_cpu")
            cost = row.get("cost")
            if flow_cost and cost is not None:
                row["gap_to_flow"] = (cost - flow_cost) / flow_cost
            if solver == "highs" and flow_time and row.get("total_cpu"):
                row["flow_speedup"] = row["total_cpu"] / flow_time
                row["same_objective"] = cost == flow_cost
                if flow_solve and row.get("solve_cpu"):
                    row["flow_solve_speedup"] = row["solve_cpu"] / flow_solve
            rows.append(row)
            if echo:
                print(_line(row), flush=True)
        pipelines.append(_pipeline(size))
        if echo:
            print(pipelines[-1], flush=True)
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or _cpu_name(),
        "cpus": os.cpu_count(),
        "units": UNITS,
        "weeks": WEEKS,
        "seeds": {str(s): SEEDS.get(s, s) for s in sizes},
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
    }
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        (results_dir / "allocate.json").write_text(
            json.dumps({"meta": meta, "rows": rows, "pipeline": pipelines}, indent=2),
            encoding="utf-8",
        )
        text = markdown(rows, meta) + "\n".join(pipeline_markdown(pipelines))
        (results_dir / "allocate.md").write_text(text, encoding="utf-8")
    return rows


def _pipeline(size: int) -> dict[str, Any]:
    """``remiss allocate`` on the instance's JSON file: phases, then the whole command."""
    path = instance_path(size)
    with tempfile.TemporaryDirectory() as tmp:
        if not path.exists():
            path = Path(tmp) / path.name
            with gc_paused():
                text = load_instance(size).model_dump_json(exclude_defaults=True)
            path.write_text(text, encoding="utf-8")
            del text
        row = {"instance": f"vgr-{size}"} | run_phases(path) | run_command(path)
        with_reasons = run_command(path, "--reasons")
        return row | {f"reasons_{k}": v for k, v in with_reasons.items()}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def _fmt(v: Any, spec: str = "") -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    return format(v, spec)


COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("instance", "instance", ""),
    ("solver", "solver", ""),
    ("status", "status", ""),
    ("build_s", "build s", ".2f"),
    ("solve_s", "solve s", ".2f"),
    ("solve_cpu", "solve CPU s", ".2f"),
    ("total_s", "end-to-end s", ".2f"),
    ("total_cpu", "end-to-end CPU s", ".2f"),
    ("cost", "cost", ","),
    ("breaches", "breaches", ","),
    ("gap_to_flow", "gap to flow", ".2%"),
    ("peak_mb", "peak MB", ",.0f"),
    ("valid", "valid", ""),
)


def _line(row: dict[str, Any]) -> str:
    return "  ".join(f"{title}={_fmt(row.get(key), spec)}" for key, title, spec in COLUMNS)


def markdown(rows: Sequence[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The results as a Markdown table with a short header."""
    head = "| " + " | ".join(t for _, t, _ in COLUMNS) + " |"
    sep = "|" + "|".join("---" for _ in COLUMNS) + "|"
    body = ["| " + " | ".join(_fmt(r.get(k), s) for k, _, s in COLUMNS) + " |" for r in rows]
    not_ok = sum(r.get("valid") is False for r in rows)
    notes = [
        f"- {r['instance']}: HiGHS takes {r['flow_speedup']:.1f}× the flow solver's "
        f"end-to-end CPU time and {_fmt(r.get('flow_solve_speedup'), '.1f')}× its solve "
        "CPU time; "
        f"same objective: {_fmt(r.get('same_objective'))}"
        for r in rows
        if r.get("solver") == "highs" and r.get("flow_speedup")
    ]
    return "\n".join(
        [
            "# Allocation benchmark",
            "",
            f"{meta['units']} units × {meta['weeks']} weeks, VGR geography; "
            f"Python {meta['python']} on {meta['processor']} ({meta['cpus']} CPUs), "
            "one core per solver. Build = compile the problem to arrays + lay out the "
            "network; end-to-end = build + solve + split back to referrals + result "
            "with reasons (JSON parsing excluded), each as wall and CPU seconds; the "
            "HiGHS comparison uses CPU. Load average (1 min) "
            f"{meta['load_average_start'][0]:.1f} at the start, "
            f"{meta['load_average_end'][0]:.1f} at the end. Not OK: "
            f"{not_ok}.",
            "",
            head,
            sep,
            *body,
            "",
            *notes,
            "",
        ]
    )


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    """A Rich table of the rows. Rich is imported here (documented lazy loading): the
    worker processes never print, and it would add to the peak memory they measure."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="remiss-bench allocate")
    for _, title, _ in COLUMNS:
        table.add_column(title, justify="right")
    for r in rows:
        table.add_row(*(_fmt(r.get(k), s) for k, _, s in COLUMNS))
    Console().print(table)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--worker":
        limit = float(sys.argv[4]) if len(sys.argv) > 4 else 600.0
        print(json.dumps(worker(sys.argv[2], int(sys.argv[3]), limit)))
    else:
        print_table(run([int(s) for s in sys.argv[1:]] or DEFAULT_SIZES))
