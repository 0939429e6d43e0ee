"""Typed results as canonical JSON text, to compare two runs bit for bit.

A result holds NaN (an empty group), which is not equal to itself, so two identical runs
are compared by their JSON text (``NaN`` written as such) rather than with ``==``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from allokering.domain import Stage
from simulering.results import PolicyResult, SimulationResult, StageKpis


def _same(value: Any) -> Any:
    return value


def policy_json(result: PolicyResult[float]) -> str:
    """One replication of one policy (kpis, breakdowns, series) as JSON text."""
    return json.dumps(result.to_document(_same), sort_keys=True)


def replication_json(results: Mapping[str, PolicyResult[float]]) -> str:
    """One replication of every policy (:func:`simulering.runner.run_replication`)."""
    doc = {name: r.to_document(_same) for name, r in results.items()}
    return json.dumps(doc, sort_keys=True)


def _stages(stages: Mapping[Stage, StageKpis[float]]) -> dict[str, Any]:
    return {s: k.to_document(_same) for s, k in stages.items()}


def simulation_json(result: SimulationResult) -> str:
    """The summaries, the paired comparison and every replication's overall KPIs of a
    run (not its :class:`~simulering.results.RunInfo`, which names the executor)."""
    doc = result.to_document()
    reps: list[dict[str, Any]] = [
        {p: _stages(stages) for p, stages in rep.items()} for rep in result.replication_kpis
    ]
    return json.dumps([doc["policies"], doc["paired"], reps], sort_keys=True)


def summaries_json(result: SimulationResult) -> str:
    """The per-policy summaries of a run (``policies`` of its document)."""
    return json.dumps(result.to_document()["policies"], sort_keys=True)
