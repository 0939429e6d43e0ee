"""The result document of a simulation, as ``remiss simulate --json`` writes it and
the service's ``GET /v1/simulations/{id}`` returns it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from simulering.runner import SimulationResult
from simulering.spec import ModelSpec


def clean(obj: Any) -> Any:
    """JSON-safe: NaN and inf become null."""
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def simulation_document(
    scenario: str,
    spec: ModelSpec,
    seed: int,
    replications: int,
    overrides: Sequence[str],
    executor: str,
    run: SimulationResult,
) -> dict[str, Any]:
    """``{scenario, seed, replications, warnings, horizon_days, warmup_days, overrides,
    executor, policies, paired}`` with NaN as null (``warnings``: e.g. too few
    replications for the intervals)."""
    doc: dict[str, Any] = clean(
        {
            "scenario": scenario,
            "seed": seed,
            "replications": replications,
            "warnings": list(run.warnings),
            "horizon_days": spec.horizon_days,
            "warmup_days": spec.warmup_days,
            "overrides": list(overrides),
            "executor": executor,
            "policies": run.policies,
            "paired": run.paired,
        }
    )
    return doc
