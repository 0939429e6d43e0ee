"""The cost of the ``optimised`` policy per simulated year, against ``shared``.

Runs the same replications (same patients) of a scenario under ``shared`` and
``optimised`` in one process and reports wall time per replication and per simulated
year, the ratio (issue target: optimised at most 2× shared), and where the optimised
policy spends its time: building and applying plans vs inside ``allokering.solve``.
Run with ``remiss-bench optimised`` or ``python -m benchmarks.optimised_cost``.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import RESULTS_DIR
from scenarios.loader import load_spec
from simulering.model import Model
from simulering.patients import draw_patients
from simulering.policies import make_policy
from simulering.policies.optimised import OptimisedPolicy
from simulering.streams import replication_stream


def measure(scenario: str = "gallsten", replications: int = 3, seed: int = 1) -> dict[str, Any]:
    """Seconds per replication of ``shared`` and ``optimised`` and the solver's share."""
    _, spec = load_spec(scenario)
    years = spec.horizon_days / 365.25
    times: dict[str, list[float]] = {"shared": [], "optimised": []}
    solve, plan, plans = [], [], []
    for rep in range(replications):
        streams = replication_stream(seed, rep)
        patients = draw_patients(spec, streams)
        for name in times:
            policy = make_policy(name, spec)
            started = time.perf_counter()
            Model(spec, patients, policy, streams.get("policy")).run()
            times[name].append(time.perf_counter() - started)
            if isinstance(policy, OptimisedPolicy):
                solve.append(policy.solve_seconds)
                plan.append(policy.plan_seconds)
                plans.append(policy.plans)
    shared = statistics.median(times["shared"])
    optimised = statistics.median(times["optimised"])
    return {
        "scenario": scenario,
        "replications": replications,
        "simulated_years": years,
        "shared_s_per_replication": shared,
        "optimised_s_per_replication": optimised,
        "optimised_s_per_simulated_year": optimised / years,
        "ratio_optimised_to_shared": optimised / shared,
        "plans_per_replication": statistics.median(plans),
        "solver_share_of_optimised": statistics.median(solve) / optimised,
        "planning_share_of_optimised": statistics.median(plan) / optimised,
        "target_ratio": 2.0,
    }


def main(scenario: str = "gallsten", replications: int = 3, write: bool = True) -> dict[str, Any]:
    r = measure(scenario, replications)
    table = Table(title=f"optimised vs shared — {scenario}, median of {replications} replications")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("shared, s per replication", f"{r['shared_s_per_replication']:.2f}")
    table.add_row("optimised, s per replication", f"{r['optimised_s_per_replication']:.2f}")
    table.add_row("optimised, s per simulated year", f"{r['optimised_s_per_simulated_year']:.2f}")
    verdict = "met" if r["ratio_optimised_to_shared"] <= 2.0 else "MISSED"
    table.add_row(
        "ratio optimised / shared (target ≤ 2)",
        f"{r['ratio_optimised_to_shared']:.1f} ({verdict})",
    )
    table.add_row("plans per replication", f"{r['plans_per_replication']:.0f}")
    table.add_row("solver share of optimised time", f"{100 * r['solver_share_of_optimised']:.0f} %")
    table.add_row(
        "planning share (build problem + solve + apply)",
        f"{100 * r['planning_share_of_optimised']:.0f} %",
    )
    Console().print(table)
    if write:
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "optimised_cost.json").write_text(json.dumps(r, indent=1))
    return r


if __name__ == "__main__":
    main()
