"""HiGHS on the same LP as the flow solver, in its own process.

OR-Tools and highspy ship clashing HiGHS libraries, so this module must never be
imported next to OR-Tools: :mod:`benchmarks.allocate` runs it as
``python -m benchmarks.highs_peer NETWORK.npz`` and reads one JSON line back.

The LP is the min-cost flow network as stored by ``FlowNetwork.save_lp``: one column
per arc (0 ≤ x ≤ capacity, cost per unit), one equality row per node
(outflow − inflow = supply). HiGHS runs single-threaded with its default LP solver.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np


def solve_lp(path: str, time_limit: float = 600.0) -> dict[str, object]:
    """Build and solve the LP; timings, status and objective. highspy is imported here
    (documented lazy loading), so that importing this module never loads HiGHS next to
    OR-Tools (see above)."""
    import highspy

    t0, c0 = time.perf_counter(), time.process_time()
    data = np.load(path)
    tails, heads = data["tails"], data["heads"]
    caps, costs, supplies = data["capacities"], data["costs"], data["supplies"]
    n_arcs, n_nodes = len(tails), len(supplies)
    lp = highspy.HighsLp()
    lp.num_col_ = n_arcs
    lp.num_row_ = n_nodes
    lp.col_cost_ = costs.astype(np.float64)
    lp.col_lower_ = np.zeros(n_arcs)
    lp.col_upper_ = caps.astype(np.float64)
    lp.row_lower_ = supplies.astype(np.float64)
    lp.row_upper_ = supplies.astype(np.float64)
    # column a: +1 in its tail's row, -1 in its head's row (rows sorted within a column)
    rows = np.stack([tails, heads], axis=1)
    vals = np.stack([np.ones(n_arcs), -np.ones(n_arcs)], axis=1)
    swap = tails > heads
    rows[swap] = rows[swap][:, ::-1]
    vals[swap] = vals[swap][:, ::-1]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * n_arcs + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = rows.reshape(-1).astype(np.int32)
    lp.a_matrix_.value_ = vals.reshape(-1)
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("parallel", "off")
    h.setOptionValue("time_limit", float(time_limit))
    h.passModel(lp)
    t1, c1 = time.perf_counter(), time.process_time()
    h.run()
    t2, c2 = time.perf_counter(), time.process_time()
    status = h.modelStatusToString(h.getModelStatus())
    objective = h.getInfo().objective_function_value
    return {
        "status": status,
        "objective": float(objective),
        "build_seconds": t1 - t0,
        "build_cpu_seconds": c1 - c0,
        "solve_seconds": t2 - t1,
        "solve_cpu_seconds": c2 - c1,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "highs_version": str(h.version()),
    }


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.highs_peer NETWORK.npz [TIME_LIMIT]`` → one JSON line."""
    args = sys.argv[1:] if argv is None else argv
    limit = float(args[1]) if len(args) > 1 else 600.0
    print(json.dumps(solve_lp(args[0], limit)))


if __name__ == "__main__":
    main()
