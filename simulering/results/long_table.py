"""A run's KPIs as one long table (one row per KPI per policy, stage and group), for
files a planner opens in a spreadsheet, R or pandas: :func:`kpi_rows` and
:func:`kpi_parquet`.

The rows come from a :class:`~simulering.results.simulation.SimulationResult`, so from
the stored ``remiss simulate --json`` document too. That document keeps each KPI's mean
and 95 % interval across the replications, not each replication's value, so there is
one row per KPI, policy, stage and group, with the number of replications beside it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from allokering.domain import Stage
from simulering.results.estimate import Estimate
from simulering.results.policy import BREAKDOWNS
from simulering.results.simulation import SimulationResult

ALL = "all"
"""The ``breakdown`` of a row over every patient of the stage (its ``group`` is null)."""
PRIORITY = "priority"
"""The ``breakdown`` of a row per priority group (``P1`` …)."""


def breakdown_name(field: str) -> str:
    """``by_unit`` → ``unit``, as a row's ``breakdown``."""
    return field.removeprefix("by_")


def kpi_rows(result: SimulationResult) -> Iterator[dict[str, Any]]:
    """One dict per KPI per policy, stage and group: the run's scenario, seed and
    replications, then policy, stage, breakdown (:data:`ALL`, :data:`PRIORITY`,
    ``unit``, ``area``, ``subregion``), group, kpi, mean, ci95_low, ci95_high."""
    run = result.run
    common = {"scenario": run.scenario, "seed": run.seed, "replications": run.replications}

    def rows(
        policy: str, stage: Stage, breakdown: str, group: str | None, kpis: Mapping[str, Estimate]
    ) -> Iterator[dict[str, Any]]:
        for name, e in kpis.items():
            yield {
                **common,
                "policy": policy,
                "stage": stage.value,
                "breakdown": breakdown,
                "group": group,
                "kpi": name,
                "mean": e.mean,
                "ci95_low": e.lo,
                "ci95_high": e.hi,
            }

    for policy, res in result.policies.items():
        for stage, stage_kpis in res.kpis.items():
            yield from rows(policy, stage, ALL, None, stage_kpis.values)
            for group, kpis in stage_kpis.by_priority.items():
                yield from rows(policy, stage, PRIORITY, group, kpis)
        for field in BREAKDOWNS:
            for group, stages in res.breakdown(field).items():
                for stage, kpis in stages.items():
                    yield from rows(policy, stage, breakdown_name(field), group, kpis)


def kpi_parquet(document: Mapping[str, Any]) -> bytes:
    """The Parquet file of :func:`kpi_rows` of a result document."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("scenario", pa.string()),
            ("seed", pa.int64()),
            ("replications", pa.int64()),
            ("policy", pa.string()),
            ("stage", pa.string()),
            ("breakdown", pa.string()),
            ("group", pa.string()),
            ("kpi", pa.string()),
            ("mean", pa.float64()),
            ("ci95_low", pa.float64()),
            ("ci95_high", pa.float64()),
        ]
    )
    rows = list(kpi_rows(SimulationResult.from_document(document)))
    table = pa.Table.from_pylist(rows, schema=schema)
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()
