"""What one policy gave: per replication (plain numbers) or summarised over the
replications (an :class:`~simulering.results.estimate.Estimate` at every leaf).

``PolicyResult[float]`` is made by :func:`simulering.kpis.replication_kpis`;
:func:`summarise_policy` turns a policy's replications into ``PolicyResult[Estimate]``,
each KPI kept inside its range. KPI values are keyed by catalogue name
(:mod:`simulering.catalogue`), stages by :class:`~allokering.domain.Stage`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

import numpy as np

from allokering.domain import Stage
from simulering.results.estimate import BOUNDS, Estimate, estimate, estimate_kpi

V = TypeVar("V")
W = TypeVar("W")

KpiValues = Mapping[str, V]
"""A value per KPI, keyed by catalogue name."""

BY_PRIORITY: Final = "by_priority"
SHARE_SERIES: Final = "share_waiting_within_guarantee"
QUEUE_SERIES: Final = "queue_length"


def map_values(f: Callable[[str, list[V]], W], each: Sequence[KpiValues[V]]) -> dict[str, W]:
    """``{kpi: f(kpi, [its value in each of each])}`` over the first one's KPIs."""
    return {k: f(k, [v[k] for v in each]) for k in each[0]}


@dataclass(frozen=True)
class StageKpis(Generic[V]):
    """Every KPI of one stage, overall and per priority group (``P1`` …)."""

    values: KpiValues[V]
    by_priority: Mapping[str, KpiValues[V]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> V:
        return self.values[name]

    def combine(
        self, others: Sequence[StageKpis[V]], f: Callable[[str, list[V]], W]
    ) -> StageKpis[W]:
        """This and ``others`` combined leaf by leaf: ``f(kpi, [value in each])``."""
        every = [self, *others]
        return StageKpis(
            values=map_values(f, [s.values for s in every]),
            by_priority={
                g: map_values(f, [s.by_priority[g] for s in every]) for g in self.by_priority
            },
        )

    def to_document(self, leaf: Callable[[V], Any]) -> dict[str, Any]:
        doc: dict[str, Any] = {k: leaf(v) for k, v in self.values.items()}
        doc[BY_PRIORITY] = {
            g: {k: leaf(v) for k, v in kpis.items()} for g, kpis in self.by_priority.items()
        }
        return doc

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], leaf: Callable[[Any], V]) -> StageKpis[V]:
        groups = doc.get(BY_PRIORITY, {})
        return cls(
            values={k: leaf(v) for k, v in doc.items() if k != BY_PRIORITY},
            by_priority={g: {k: leaf(v) for k, v in kpis.items()} for g, kpis in groups.items()},
        )


Breakdown = Mapping[str, Mapping[Stage, KpiValues[V]]]
"""``{group id: {stage: KPIs}}``: by unit, area or sub-region."""

UnitSeries = Mapping[str, tuple[float | None, ...]]
"""``{unit id: one value per month end}``."""


@dataclass(frozen=True)
class StageSeries(Generic[V]):
    """Monthly series of one stage at every month end of the run (warm-up included).

    Per unit (its home patients): the share waiting within the guarantee and the queue
    length, one entry per month end — a replication's value, or in a summary the mean
    over the replications (``None`` in a month no replication had one). For the region:
    the same two keyed by month-end day, a value per replication or an
    :class:`~simulering.results.estimate.Estimate`.
    """

    unit_share_waiting: UnitSeries
    unit_queue_length: UnitSeries
    region_share_waiting: Mapping[int, V]
    region_queue_length: Mapping[int, V]

    def to_document(self, leaf: Callable[[V], Any]) -> dict[str, Any]:
        return {
            SHARE_SERIES: {u: list(s) for u, s in self.unit_share_waiting.items()},
            QUEUE_SERIES: {u: list(s) for u, s in self.unit_queue_length.items()},
            "region": {
                SHARE_SERIES: {str(d): leaf(x) for d, x in self.region_share_waiting.items()},
                QUEUE_SERIES: {str(d): leaf(x) for d, x in self.region_queue_length.items()},
            },
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], leaf: Callable[[Any], V]) -> StageSeries[V]:
        region = doc.get("region", {})  # documents before the region series had none
        return cls(
            unit_share_waiting={u: tuple(s) for u, s in doc[SHARE_SERIES].items()},
            unit_queue_length={u: tuple(s) for u, s in doc[QUEUE_SERIES].items()},
            region_share_waiting={int(d): leaf(x) for d, x in region.get(SHARE_SERIES, {}).items()},
            region_queue_length={int(d): leaf(x) for d, x in region.get(QUEUE_SERIES, {}).items()},
        )


BREAKDOWNS: Final = ("by_unit", "by_area", "by_subregion")


@dataclass(frozen=True)
class PolicyResult(Generic[V]):
    """What one policy gave: in one replication (``V`` = float) or summarised over the
    replications (``V`` = :class:`~simulering.results.estimate.Estimate`)."""

    kpis: Mapping[Stage, StageKpis[V]]
    by_unit: Breakdown[V]
    by_area: Breakdown[V]
    by_subregion: Breakdown[V]
    month_end_day: tuple[int, ...]
    series: Mapping[Stage, StageSeries[V]]

    @property
    def stages(self) -> tuple[Stage, ...]:
        return tuple(self.kpis)

    def breakdown(self, name: str) -> Breakdown[V]:
        """``by_unit``, ``by_area`` or ``by_subregion`` by name."""
        if name not in BREAKDOWNS:
            raise KeyError(f"unknown breakdown {name!r}; known: {', '.join(BREAKDOWNS)}")
        result: Breakdown[V] = getattr(self, name)
        return result

    def to_document(self, leaf: Callable[[V], Any]) -> dict[str, Any]:
        """``{kpis, by_unit, by_area, by_subregion, series}``."""
        doc: dict[str, Any] = {"kpis": {s: k.to_document(leaf) for s, k in self.kpis.items()}}
        for name in BREAKDOWNS:
            doc[name] = {
                g: {s: {k: leaf(v) for k, v in kpis.items()} for s, kpis in stages.items()}
                for g, stages in self.breakdown(name).items()
            }
        series: dict[str, Any] = {"month_end_day": list(self.month_end_day)}
        series.update({s: x.to_document(leaf) for s, x in self.series.items()})
        doc["series"] = series
        return doc

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], leaf: Callable[[Any], V]) -> PolicyResult[V]:
        def breakdown(name: str) -> Breakdown[V]:
            return {
                g: {Stage(s): {k: leaf(v) for k, v in kpis.items()} for s, kpis in stages.items()}
                for g, stages in doc[name].items()
            }

        series = doc["series"]
        return cls(
            kpis={Stage(s): StageKpis.from_document(k, leaf) for s, k in doc["kpis"].items()},
            by_unit=breakdown("by_unit"),
            by_area=breakdown("by_area"),
            by_subregion=breakdown("by_subregion"),
            month_end_day=tuple(int(d) for d in series["month_end_day"]),
            series={
                Stage(s): StageSeries.from_document(x, leaf)
                for s, x in series.items()
                if s != "month_end_day"
            },
        )


def _mean_series(lists: Sequence[Sequence[float | None]]) -> tuple[float | None, ...]:
    arr = np.asarray([[np.nan if x is None else x for x in s] for s in lists], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months
        mean = np.nanmean(arr, axis=0)
    return tuple(None if math.isnan(x) else float(x) for x in np.atleast_1d(mean))


def _summarise_series(reps: Sequence[StageSeries[float]]) -> StageSeries[Estimate]:
    first = reps[0]
    return StageSeries(
        unit_share_waiting={
            u: _mean_series([r.unit_share_waiting[u] for r in reps])
            for u in first.unit_share_waiting
        },
        unit_queue_length={
            u: _mean_series([r.unit_queue_length[u] for r in reps]) for u in first.unit_queue_length
        },
        region_share_waiting={
            d: estimate_kpi(SHARE_SERIES, [r.region_share_waiting[d] for r in reps])
            for d in first.region_share_waiting
        },
        region_queue_length={
            d: estimate([r.region_queue_length[d] for r in reps], BOUNDS["non_negative"])
            for d in first.region_queue_length
        },
    )


def _summarise_breakdown(reps: Sequence[Breakdown[float]]) -> Breakdown[Estimate]:
    return {
        g: {s: map_values(estimate_kpi, [r[g][s] for r in reps]) for s in stages}
        for g, stages in reps[0].items()
    }


def summarise_policy(reps: Sequence[PolicyResult[float]]) -> PolicyResult[Estimate]:
    """Every leaf of one policy's replications as an Estimate (each KPI kept inside its
    range), the per-unit series as their mean."""
    first, rest = reps[0], reps[1:]
    return PolicyResult(
        kpis={s: k.combine([r.kpis[s] for r in rest], estimate_kpi) for s, k in first.kpis.items()},
        by_unit=_summarise_breakdown([r.by_unit for r in reps]),
        by_area=_summarise_breakdown([r.by_area for r in reps]),
        by_subregion=_summarise_breakdown([r.by_subregion for r in reps]),
        month_end_day=first.month_end_day,
        series={s: _summarise_series([r.series[s] for r in reps]) for s in first.series},
    )
