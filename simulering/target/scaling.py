"""Scaling a stage's capacity by a multiplier, and the grid of multipliers a search
walks (``1, 1 + tolerance, …, max_multiplier``)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from allokering.domain import Stage
from simulering.spec import IntArray, ModelSpec, Pool

STAGE_NAMES = (Stage.FIRST_VISIT.value, Stage.TREATMENT.value)


def stage_pools(spec: ModelSpec, stage: str) -> list[int]:
    """The pool indices of a stage: ``[0]`` for the first visit, the rest for treatment."""
    if stage == Stage.FIRST_VISIT.value:
        return [0]
    if stage == Stage.TREATMENT.value:
        return list(range(1, len(spec.pools)))
    raise ValueError(f"unknown stage {stage!r}; known: {', '.join(STAGE_NAMES)}")


def unit_indices(spec: ModelSpec, units: Sequence[str] | None) -> list[int]:
    """Indices of the named units (all units when ``units`` is empty or None)."""
    if not units:
        return list(range(spec.n_units))
    unknown = [u for u in units if u not in spec.unit_ids]
    if unknown:
        raise ValueError(
            f"unknown unit {unknown[0]!r}; units in this scenario: {', '.join(spec.unit_ids)}"
        )
    return [spec.unit_ids.index(u) for u in dict.fromkeys(units)]


def grid_steps(max_multiplier: float, tolerance: float) -> int:
    """The number of grid steps above 1: multipliers ``k = 0 … steps``."""
    return max(1, math.ceil((max_multiplier - 1.0) / tolerance - 1e-9))


def grid_multiplier(k: int, tolerance: float, max_multiplier: float) -> float:
    """The ``k``-th multiplier of the grid ``1, 1 + tolerance, …, max_multiplier``."""
    return round(min(1.0 + k * tolerance, max_multiplier), 10)


def scale_slots(slots: IntArray, multiplier: float) -> IntArray:
    """Slots per day times ``multiplier`` with fractional carry (columns independent):
    day ``d`` gets ``floor(m·Σ_{≤d} slots) − floor(m·Σ_{<d} slots)``, so the running
    total never drifts from ``m ×`` the original by a whole slot."""
    cum = np.floor(np.cumsum(slots * float(multiplier), axis=0) + 1e-9)
    out = np.diff(cum, axis=0, prepend=np.zeros((1, slots.shape[1])))
    return np.asarray(out, dtype=np.int64)


def scale_capacity(
    spec: ModelSpec,
    multiplier: float,
    stage: str = Stage.FIRST_VISIT.value,
    units: Sequence[str] | None = None,
) -> ModelSpec:
    """A copy of ``spec`` with the capacity of ``stage`` at ``units`` (default all)
    multiplied by ``multiplier``."""
    if multiplier < 0 or not math.isfinite(multiplier):
        raise ValueError(f"capacity multiplier must be a finite number >= 0, got {multiplier}")
    cols = unit_indices(spec, units)
    pools = list(spec.pools)
    for p in stage_pools(spec, stage):
        pool = pools[p]
        if pool.mode == "slots":
            assert pool.slots is not None
            slots = pool.slots.copy()
            slots[:, cols] = scale_slots(pool.slots[:, cols], multiplier)
            slots.setflags(write=False)
            pools[p] = dataclasses.replace(pool, slots=slots)
        else:
            assert pool.servers is not None
            servers = pool.servers.copy()
            servers[cols] = np.floor(pool.servers[cols] * multiplier + 1e-9).astype(np.int64)
            pools[p] = dataclasses.replace(pool, servers=servers)
    return dataclasses.replace(spec, pools=tuple(pools))


def capacity(spec: ModelSpec, stage: str) -> dict[str, float]:
    """Capacity per unit of a stage: slots per week over the measured period (summed
    over the stage's pools), or servers."""
    weeks = (spec.horizon_days - spec.warmup_days) / 7.0
    total = np.zeros(spec.n_units)
    for p in stage_pools(spec, stage):
        pool: Pool = spec.pools[p]
        if pool.mode == "slots":
            assert pool.slots is not None
            total += pool.slots[spec.warmup_days : spec.horizon_days].sum(axis=0) / weeks
        else:
            assert pool.servers is not None
            total += pool.servers
    return {uid: float(total[u]) for u, uid in enumerate(spec.unit_ids)}


def capacity_unit(spec: ModelSpec, stage: str) -> str:
    """What :func:`capacity` counts for a stage: servers, or slots per week."""
    if all(spec.pools[p].mode == "servers" for p in stage_pools(spec, stage)):
        return "servers"
    return "slots per week"
