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

Run it with ``remiss-bench simulate`` (``--quick`` for a CI-sized smoke run) or
``python -m benchmarks.simulate``. The modules: :mod:`~benchmarks.simulate.textbook`
(a), :mod:`~benchmarks.simulate.region_scenario` and :mod:`~benchmarks.simulate.region`
(b), :mod:`~benchmarks.simulate.report` (table, Markdown, JSON) and
:mod:`~benchmarks.simulate.runner` (both, at full or quick size).
"""

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
from benchmarks.simulate.textbook import (
    TARGET_RATIO,
    PeerRun,
    TextbookResult,
    bare_simpy_mmc,
    textbook_benchmark,
)

__all__ = [
    "REGION_SCENARIO",
    "TARGET_RATIO",
    "TARGET_SECONDS",
    "BenchmarkReport",
    "PeerRun",
    "RegionResult",
    "TextbookResult",
    "bare_simpy_mmc",
    "build_region_scenario",
    "machine_info",
    "main",
    "markdown",
    "region_benchmark",
    "rich_table",
    "run_benchmarks",
    "textbook_benchmark",
    "write_region_scenario",
    "write_results",
]
