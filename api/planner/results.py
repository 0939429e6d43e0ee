"""A finished run's results as the planner app's tables: the KPI catalogue's rows per
stage and policy, the same per priority group, and the paired differences against the
baseline — written by the HTML report's own :class:`~simulering.report.labels.Labels`, so
the app and the report show every number alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from allokering.domain import Stage
from api.planner.texts import Texts
from api.report_context import report_context
from api.service.job_scenarios import INLINE_PATH
from scenarios.loader import LIBRARY_DIR, load_region, load_scenario
from scenarios.schema import Scenario
from simulering.catalogue import PRIORITY, REPORT, kpi
from simulering.report.context import ReportContext
from simulering.report.labels import Labels
from simulering.results import Estimate, PairedComparison, SimulationResult


@dataclass
class Table:
    """One table: a caption, column headings, and rows of (row heading, cells)."""

    caption: str
    columns: list[str]
    rows: list[tuple[str, list[str]]] = field(default_factory=list)


def scenario_of(request: Mapping[str, Any]) -> Scenario:
    """The scenario a job ran: inline, or the library's by name."""
    sc = request["scenario"]
    if isinstance(sc, dict):
        return Scenario.model_validate(sc)
    return load_scenario(LIBRARY_DIR / f"{sc}.yaml")


def context_of(request: Mapping[str, Any]) -> ReportContext:
    """The report context (unit names, limits) of a job's scenario."""
    scenario = scenario_of(request)
    return report_context(scenario, load_region(scenario, INLINE_PATH))


def shown(name: str, result: SimulationResult, stage: Stage) -> bool:
    """A cross-region KPI is left out when it is zero (or missing) under every policy."""
    if not kpi(name).cross_region:
        return True
    values = [
        e.mean
        for p in result.policies.values()
        if stage in p.kpis and (e := p.kpis[stage].values.get(name)) is not None
    ]
    return any(v not in (None, 0.0) for v in values)


def kpi_tables(result: SimulationResult, labels: Labels, t: Texts) -> list[Table]:
    """Per stage: the catalogue's report rows, one column per policy."""
    tables = []
    policies = list(result.policies)
    for stage in next(iter(result.policies.values())).stages:
        table = Table(labels.stage(stage), [t["kpi"], *(labels.policy(p) for p in policies)])
        for name in REPORT:
            if not shown(name, result, stage):
                continue
            kind = kpi(name).kind
            cells = [labels.cell(result.policies[p].kpis[stage][name], kind) for p in policies]
            table.rows.append((labels.kpi(name, stage), cells))
        tables.append(table)
    return tables


def priority_tables(result: SimulationResult, labels: Labels, t: Texts) -> list[Table]:
    """Per stage and policy: the catalogue's per-priority rows, a column per group."""
    tables = []
    for policy, res in result.policies.items():
        for stage in res.stages:
            groups: Mapping[str, Mapping[str, Estimate]] = res.kpis[stage].by_priority
            if not groups:
                continue
            names = list(groups)
            caption = f"{labels.stage(stage)} · {labels.policy(policy)}"
            table = Table(caption, [t["kpi"], *names])
            for name in PRIORITY:
                kind = kpi(name).kind
                cells = [labels.cell(groups[g].get(name), kind) for g in names]
                table.rows.append((labels.priority_kpi(name, stage), cells))
            tables.append(table)
    return tables


def paired_tables(paired: PairedComparison, labels: Labels, t: Texts) -> list[Table]:
    """Per policy and stage: policy − baseline with its interval, n.s. when the
    interval holds zero, and which policy is better."""
    tables = []
    for policy, stages in paired.comparisons.items():
        for stage, comparisons in stages.items():
            caption = (
                f"{labels.policy(policy)} − {labels.policy(paired.baseline)} · "
                f"{labels.stage(stage)}"
            )
            table = Table(caption, [t["kpi"], t["difference"], t["significant"], t["better"]])
            for name in REPORT:
                if name not in comparisons.values:
                    continue
                c = comparisons[name]
                kind = kpi(name).kind
                better = labels.policy(c.better) if c.better else "–"
                verdict = "✓" if c.significant else t["not_significant"]
                table.rows.append(
                    (
                        labels.kpi(name, stage),
                        [labels.cell(c.difference, kind, True), verdict, better],
                    )
                )
            tables.append(table)
    return tables
