"""Simulation benchmark: referrals simulated per second (issue 2, part 9).

Two measurements, printed as a Rich table and written to ``benchmarks/results/``:

(a) **textbook** — the textbook M/M/2 × 4 scenario (server mode) run by remiss against a
    bare SimPy M/M/c loop written the idiomatic way (a process per customer, one
    ``simpy.Resource(capacity=c)`` per unit, an arrival process per unit), doing the same
    work in the same run: the very same customers (arrival and service times), the same
    units and servers. The ratio remiss / peer is the headline; the target is ≥ 1.0.
    Both mean waits are printed beside Erlang C so the peer visibly does the same work.
    With ``policy="shared"`` the peer is one M/M/8 queue instead.

(b) **region** — a region-scale year: 500,000 referrals over 40 units of the VGR
    geography (``benchmarks/scenarios/region_scale.yaml``, built by
    :func:`build_region_scenario`), one replication per policy, split into drawing
    patients, running the model and computing KPIs. Target: under 10 s per replication
    on one core.

(c) **scaling** — that year with its demand, capacity and backlog × 1, 2 and 4 on the
    same 40 units (every list that much longer): CPU of the model run per policy and its
    growth per doubling of demand. Target (issue 15): ≤ 2.2× per doubling.

(d) **memory** — that year's replication (draw, run, KPIs) per policy in a fresh
    interpreter: peak resident memory against the per-referral arrays of the patients
    and the records. Target (issue 15): ≤ 2.5× the arrays.

Run it with ``remiss-bench simulate`` (``--quick`` for a CI-sized smoke run) or
``python -m benchmarks.simulate``. The modules: :mod:`~benchmarks.simulate.textbook`
(a), :mod:`~benchmarks.simulate.region_scenario` and :mod:`~benchmarks.simulate.region`
(b), :mod:`~benchmarks.simulate.scaling` (c), :mod:`~benchmarks.simulate.memory` (d,
with its child :mod:`benchmarks.replication_memory`),
:mod:`~benchmarks.simulate.report` (table, Markdown, JSON) and
:mod:`~benchmarks.simulate.runner` (all four, at full or quick size).
"""

from benchmarks.simulate.memory import TARGET_PEAK_RATIO, MemoryResult, memory_benchmark
from benchmarks.simulate.region import TARGET_SECONDS, RegionResult, region_benchmark
from benchmarks.simulate.region_scenario import (
    REGION_SCENARIO,
    build_region_scenario,
    write_region_scenario,
)
from benchmarks.simulate.report import (
    BenchmarkReport,
    machine_info,
    markdown,
    rich_table,
    write_results,
)
from benchmarks.simulate.runner import main, run_benchmarks
from benchmarks.simulate.scaling import (
    TARGET_PER_DOUBLING,
    ScalingRun,
    scaled_spec,
    scaling_benchmark,
)
from benchmarks.simulate.textbook import (
    TARGET_RATIO,
    PeerRun,
    TextbookResult,
    bare_simpy_mmc,
    textbook_benchmark,
)

__all__ = [
    "REGION_SCENARIO",
    "TARGET_PEAK_RATIO",
    "TARGET_PER_DOUBLING",
    "TARGET_RATIO",
    "TARGET_SECONDS",
    "BenchmarkReport",
    "MemoryResult",
    "PeerRun",
    "RegionResult",
    "ScalingRun",
    "TextbookResult",
    "bare_simpy_mmc",
    "build_region_scenario",
    "machine_info",
    "main",
    "markdown",
    "memory_benchmark",
    "region_benchmark",
    "rich_table",
    "run_benchmarks",
    "scaled_spec",
    "scaling_benchmark",
    "textbook_benchmark",
    "write_region_scenario",
    "write_results",
]
