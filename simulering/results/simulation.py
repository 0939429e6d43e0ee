"""A whole run: :class:`SimulationResult`, and the ``remiss simulate --json`` document
it writes and reads (also what the service stores and returns)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from allokering.domain import Stage
from simulering.results.comparison import PairedComparison
from simulering.results.estimate import Estimate, replication_warning
from simulering.results.policy import PolicyResult, StageKpis


@dataclass(frozen=True)
class RunInfo:
    """How a run was made: enough to make it again."""

    scenario: str
    seed: int
    replications: int
    horizon_days: int
    warmup_days: int
    overrides: tuple[str, ...] = ()
    """The ``--set`` overrides applied to the scenario, as given."""
    executor: str = "serial"


ReplicationKpis = Mapping[str, Mapping[Stage, StageKpis[float]]]
"""One replication's overall KPIs: ``{policy: {stage: StageKpis}}``."""


def warnings_for(replications: int) -> list[str]:
    """The warnings of a run with ``replications`` replications (``[]`` when none)."""
    line = replication_warning(replications)
    return [line] if line else []


@dataclass(frozen=True)
class SimulationResult:
    """Everything a run produced: per-policy summaries, the paired comparison against
    the first policy, and (for a run made here, not one read from a document) every
    replication's overall KPIs."""

    run: RunInfo
    policies: Mapping[str, PolicyResult[Estimate]]
    paired: PairedComparison
    replication_kpis: tuple[ReplicationKpis, ...] = field(default=(), repr=False)

    @property
    def warnings(self) -> list[str]:
        """One line per thing the reader must know (too few replications)."""
        return warnings_for(self.run.replications)

    @property
    def policy_names(self) -> tuple[str, ...]:
        return tuple(self.policies)

    def to_document(self) -> dict[str, Any]:
        """``{scenario, seed, replications, warnings, horizon_days, warmup_days,
        overrides, executor, policies, paired}``, JSON-safe (NaN and inf as null)."""
        doc = {
            "scenario": self.run.scenario,
            "seed": self.run.seed,
            "replications": self.run.replications,
            "warnings": self.warnings,
            "horizon_days": self.run.horizon_days,
            "warmup_days": self.run.warmup_days,
            "overrides": list(self.run.overrides),
            "executor": self.run.executor,
            "policies": {
                name: p.to_document(Estimate.to_document) for name, p in self.policies.items()
            },
            "paired": self.paired.to_document(),
        }
        cleaned: dict[str, Any] = json_safe(doc)
        return cleaned

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> SimulationResult:
        """The result a :meth:`to_document` document holds (without the per-replication
        KPIs, which the document does not keep). ``KeyError``/``ValueError`` when it is
        not such a document."""
        run = RunInfo(
            scenario=str(doc["scenario"]),
            seed=int(doc["seed"]),
            replications=int(doc["replications"]),
            horizon_days=int(doc["horizon_days"]),
            warmup_days=int(doc["warmup_days"]),
            overrides=tuple(doc.get("overrides", ())),
            executor=str(doc.get("executor", "serial")),
        )
        return cls(
            run=run,
            policies={
                name: PolicyResult.from_document(p, Estimate.from_document)
                for name, p in doc["policies"].items()
            },
            paired=PairedComparison.from_document(doc["paired"]),
        )


def json_safe(obj: Any) -> Any:
    """``obj`` with NaN and inf as ``None``, tuples as lists, recursively."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
