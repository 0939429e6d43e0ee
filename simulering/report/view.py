"""The result as the report reads it: :class:`ReportView` — the typed
:class:`~simulering.results.SimulationResult`, the scenario's context, the labels of
one language, the stages shown and a colour per policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from allokering.domain import Stage
from simulering.report.context import ReportContext
from simulering.report.labels import Labels, mean_of
from simulering.results import Estimate, PolicyResult, SimulationResult

STAGES: Final = tuple(Stage)
"""The stages in report order (first visit, treatment)."""

POLICY_COLOURS: Final = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
)


def shown_stages(policies: Mapping[str, PolicyResult[Estimate]]) -> tuple[Stage, ...]:
    """Stages with anything in them (a scenario without treatment has only first visits);
    when none had arrivals or completions, every stage a policy has KPIs for."""
    out = []
    for stage in STAGES:
        for p in policies.values():
            if mean_of(stage_kpi(p, stage, "completed")) or mean_of(stage_kpi(p, stage, "arrived")):
                out.append(stage)
                break
    return tuple(out) or tuple(s for s in STAGES if any(s in p.kpis for p in policies.values()))


def stage_kpi(policy: PolicyResult[Estimate], stage: Stage, key: str) -> Estimate | None:
    """A KPI of a stage overall (``None`` when the policy has no such stage or KPI)."""
    kpis = policy.kpis.get(stage)
    return kpis.values.get(key) if kpis is not None else None


def group_kpi(
    breakdown: Mapping[str, Mapping[Stage, Mapping[str, Estimate]]],
    group: str,
    stage: Stage,
    key: str,
) -> Estimate | None:
    """A KPI of a unit, area or sub-region (``None`` when missing)."""
    return breakdown.get(group, {}).get(stage, {}).get(key)


@dataclass(frozen=True)
class ReportView:
    """Everything one rendering reads."""

    result: SimulationResult
    ctx: ReportContext
    labels: Labels
    stages: tuple[Stage, ...]
    colour: Mapping[str, str]

    @classmethod
    def of(cls, result: SimulationResult, ctx: ReportContext, lang: str) -> ReportView:
        """The view of ``result`` in ``lang`` (``ValueError`` for an unknown language or
        a result without policies)."""
        labels = Labels(lang, ctx)
        if not result.policies:
            raise ValueError("result: no policies in the simulation result")
        return cls(
            result=result,
            ctx=ctx.in_language(lang),
            labels=labels,
            stages=shown_stages(result.policies),
            colour={
                name: POLICY_COLOURS[i % len(POLICY_COLOURS)]
                for i, name in enumerate(result.policies)
            },
        )

    @property
    def policies(self) -> Mapping[str, PolicyResult[Estimate]]:
        return self.result.policies

    @property
    def names(self) -> list[str]:
        return list(self.result.policies)

    @property
    def month_end_day(self) -> tuple[int, ...]:
        """The month-end days of the run (those of the first policy)."""
        return next(iter(self.policies.values())).month_end_day

    def x(self, days: Sequence[int]) -> list[Any]:
        """Days as the time axis shows them: dates when the scenario has a start date."""
        start = self.ctx.start_date
        if start is None:
            return list(days)
        return [start + dt.timedelta(days=int(d)) for d in days]

    def unit_ids(self) -> list[str]:
        """The scenario's units in order, then any other unit of a policy's breakdown."""
        seen: dict[str, None] = {u.id: None for u in self.ctx.units}
        for p in self.policies.values():
            for uid in p.by_unit:
                seen.setdefault(uid, None)
        return list(seen)

    def subregion_ids(self) -> list[str]:
        """The region's sub-regions in order, then any other of a policy's breakdown."""
        seen: dict[str, None] = {a.subregion: None for a in self.ctx.areas}
        for p in self.policies.values():
            for sid in p.by_subregion:
                seen.setdefault(sid, None)
        return list(seen)
