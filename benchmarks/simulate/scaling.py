"""(c) Scaling with demand: the region-scale scenario with its demand, capacity and
backlog multiplied by 1, 2 and 4 (the same 40 units, so every list is that much
longer), a year, one replication per policy. The cost of a run should double with
the work: issue 15's target is at most 2.2× CPU per doubling of demand."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.simulate.region_scenario import REGION_SCENARIO
from benchmarks.simulate.timing import timed
from scenarios.loader import Overrides, load_spec
from simulering.patients import draw_patients
from simulering.runner import run_policy
from simulering.spec import Backlog, ModelSpec
from simulering.streams import replication_stream
from simulering.target.scaling import STAGE_NAMES, scale_capacity

TARGET_PER_DOUBLING = 2.2
"""Issue 15: the run's CPU at most this many times over per doubling of demand."""


@dataclass(frozen=True)
class ScalingRun:
    """One policy at one demand factor."""

    policy: str
    factor: int
    referrals: int
    run_seconds: float
    """Wall seconds of the run with the best CPU."""
    run_cpu_seconds: float
    """The best CPU seconds of the model run over the rounds."""
    cpu_per_doubling: float | None
    """The growth of CPU per doubling of demand since the previous factor,
    (CPU ÷ previous CPU) ** (1 / log2(factor ÷ previous factor)); None at the first."""


def scaled_spec(spec: ModelSpec, factor: int) -> ModelSpec:
    """``spec`` with ``factor`` times the demand, the capacity of both stages and the
    backlog (each backlog patient ``factor`` times), on the same units."""
    for stage in STAGE_NAMES:
        spec = scale_capacity(spec, float(factor), stage)
    bl = spec.backlog
    backlog = Backlog(
        home_unit=np.tile(bl.home_unit, factor),
        stage=np.tile(bl.stage, factor),
        age_days=np.tile(bl.age_days, factor),
    )
    return dataclasses.replace(spec, daily_arrivals=spec.daily_arrivals * factor, backlog=backlog)


def scaling_benchmark(
    factors: Sequence[int] = (1, 2, 4),
    policies: Sequence[str] = ("separate", "shared"),
    horizon_days: int = 365,
    seed: int = 500_000,
    path: Path = REGION_SCENARIO,
    repeats: int = 2,
) -> list[ScalingRun]:
    """Time the model run of each policy at each demand factor (CPU beside wall), the
    best CPU of ``repeats`` rounds over all factors (a shared machine slows single
    runs by tens of per cent)."""
    _, base = load_spec(path, Overrides(horizon_days=horizon_days, warmup_days=0))
    best: dict[tuple[str, int], tuple[float, float, int]] = {}
    """(policy, factor) → (CPU, wall, referrals) of the best round."""
    for _ in range(repeats):
        for factor in factors:
            spec = scaled_spec(base, factor)
            pts = draw_patients(spec, replication_stream(seed, 0))
            for policy in policies:
                wall, cpu, _ = timed(run_policy, spec, pts, policy, seed, 0)
                if (policy, factor) not in best or cpu < best[(policy, factor)][0]:
                    best[(policy, factor)] = (cpu, wall, pts.n)
            del pts
    runs = []
    for policy in policies:
        previous: tuple[int, float] | None = None
        for factor in factors:
            cpu, wall, referrals = best[(policy, factor)]
            growth = None
            if previous is not None:
                growth = (cpu / previous[1]) ** (1.0 / math.log2(factor / previous[0]))
            runs.append(
                ScalingRun(
                    policy=policy,
                    factor=factor,
                    referrals=referrals,
                    run_seconds=wall,
                    run_cpu_seconds=cpu,
                    cpu_per_doubling=growth,
                )
            )
            previous = (factor, cpu)
    return runs
