"""The paired comparison of policies, typed: a :class:`Comparison` per KPI, in the
shape of :class:`~simulering.results.policy.StageKpis` (made by
:func:`simulering.paired.compare`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from allokering.domain import Stage
from simulering.catalogue import Direction
from simulering.results.estimate import Estimate, number
from simulering.results.policy import StageKpis


@dataclass(frozen=True, slots=True)
class Comparison:
    """One KPI of a policy against the baseline, paired by replication."""

    baseline_mean: float | None
    policy_mean: float | None
    difference: Estimate
    """Mean and interval of ``policy − baseline`` over the replications where both are
    defined (``difference.n`` of them)."""
    significant: bool
    """The interval excludes 0."""
    better: str | None
    """The better policy by the KPI's direction when significant, else ``None``."""

    def to_document(self) -> dict[str, Any]:
        return {
            "baseline_mean": self.baseline_mean,
            "policy_mean": self.policy_mean,
            "difference": self.difference.to_document(),
            "n": self.difference.n,
            "significant": self.significant,
            "better": self.better,
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Comparison:
        diff = Estimate.from_document(doc["difference"])
        return cls(
            baseline_mean=number(doc["baseline_mean"]),
            policy_mean=number(doc["policy_mean"]),
            difference=Estimate(diff.mean, diff.lo, diff.hi, int(doc["n"])),
            significant=bool(doc["significant"]),
            better=doc["better"],
        )


@dataclass(frozen=True)
class PairedComparison:
    """Every policy against the baseline (the first policy), stage by stage."""

    baseline: str
    confidence: float
    direction: Mapping[str, Direction]
    comparisons: Mapping[str, Mapping[Stage, StageKpis[Comparison]]]
    """``{policy: {stage: a Comparison per KPI}}`` (the baseline itself left out)."""

    def to_document(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "confidence": self.confidence,
            "direction": dict(self.direction),
            "comparisons": {
                p: {s: k.to_document(Comparison.to_document) for s, k in stages.items()}
                for p, stages in self.comparisons.items()
            },
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> PairedComparison:
        return cls(
            baseline=doc["baseline"],
            confidence=float(doc["confidence"]),
            direction=dict(doc["direction"]),
            comparisons={
                p: {
                    Stage(s): StageKpis.from_document(k, Comparison.from_document)
                    for s, k in stages.items()
                }
                for p, stages in doc["comparisons"].items()
            },
        )
