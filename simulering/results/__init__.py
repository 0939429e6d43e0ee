"""Typed simulation results, and the one place their JSON key names live.

- :mod:`~simulering.results.estimate`: :class:`Estimate` (mean and 95 % interval across
  replications) and :func:`estimate`, the one function that makes it;
- :mod:`~simulering.results.policy`: :class:`PolicyResult` — a policy's KPIs overall,
  per priority group, by unit, area and sub-region, and its monthly series — of one
  replication (``PolicyResult[float]``) or summarised (``PolicyResult[Estimate]``,
  :func:`summarise_policy`);
- :mod:`~simulering.results.comparison`: the paired comparison of the policies;
- :mod:`~simulering.results.simulation`: :class:`SimulationResult`, a whole run, with
  ``to_document()``/``from_document()`` for the ``remiss simulate --json`` document;
- :mod:`~simulering.results.long_table`: a run's KPIs as one long table (the planner
  app's Parquet download).

Each type writes and reads its own part of the document; no other module spells a key.
"""

from simulering.results.comparison import Comparison, PairedComparison
from simulering.results.estimate import (
    BOUNDS,
    CONFIDENCE,
    DIFFERENCE_BOUNDS,
    MIN_REPLICATIONS,
    NO_ESTIMATE,
    Estimate,
    estimate,
    estimate_kpi,
    kpi_range,
    replication_warning,
)
from simulering.results.policy import (
    Breakdown,
    KpiValues,
    PolicyResult,
    StageKpis,
    StageSeries,
    summarise_policy,
)
from simulering.results.simulation import (
    ReplicationKpis,
    RunInfo,
    SimulationResult,
    json_safe,
    warnings_for,
)

__all__ = [
    "BOUNDS",
    "CONFIDENCE",
    "DIFFERENCE_BOUNDS",
    "MIN_REPLICATIONS",
    "NO_ESTIMATE",
    "Breakdown",
    "Comparison",
    "Estimate",
    "KpiValues",
    "PairedComparison",
    "PolicyResult",
    "ReplicationKpis",
    "RunInfo",
    "SimulationResult",
    "StageKpis",
    "StageSeries",
    "estimate",
    "estimate_kpi",
    "json_safe",
    "kpi_range",
    "replication_warning",
    "summarise_policy",
    "warnings_for",
]
