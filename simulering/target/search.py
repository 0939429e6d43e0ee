"""The capacity search: bisect the capacity multiplier on the grid for the smallest
one whose simulated KPI reaches the goal (common random numbers throughout)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from allokering.domain import Stage
from simulering.executors import Executor
from simulering.paired import KPI_DIRECTION
from simulering.progress import Progress
from simulering.runner import run_simulation
from simulering.spec import ModelSpec
from simulering.target.analytic import analytic_estimate
from simulering.target.scaling import (
    capacity,
    capacity_unit,
    grid_multiplier,
    grid_steps,
    scale_capacity,
    stage_pools,
    unit_indices,
)

Criterion = Literal["mean", "ci"]


@dataclass(frozen=True)
class Evaluation:
    """The KPI at one capacity multiplier."""

    multiplier: float
    mean: float | None
    ci95: tuple[float | None, float | None]
    reached: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "multiplier": self.multiplier,
            "mean": self.mean,
            "ci95": list(self.ci95),
            "reached": self.reached,
        }


@dataclass(frozen=True)
class TargetResult:
    """The outcome of a capacity search."""

    policy: str
    kpi: str
    stage: str
    goal: float
    direction: str
    criterion: Criterion
    units: tuple[str, ...]
    """The units whose capacity was scaled (all units when the search was uniform)."""
    seed: int
    replications: int
    max_multiplier: float
    tolerance: float
    reachable: bool
    multiplier: float | None
    """The smallest grid multiplier that reaches the goal (None when not reachable)."""
    at_answer: Evaluation | None
    step_below: Evaluation | None
    """The grid step below the answer (None when the goal is met without any increase)."""
    capacity_before: dict[str, float]
    capacity_after: dict[str, float] | None
    evaluations: tuple[Evaluation, ...] = field(default=())
    estimate: dict[str, Any] | None = None
    capacity_unit: str = "slots per week"
    """What ``capacity_before``/``after`` count: slots per week, or servers."""

    @property
    def increase_percent(self) -> float | None:
        return None if self.multiplier is None else 100.0 * (self.multiplier - 1.0)

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of ``remiss target --json`` (stable keys)."""
        return {
            "policy": self.policy,
            "kpi": self.kpi,
            "stage": self.stage,
            "goal": self.goal,
            "direction": self.direction,
            "criterion": self.criterion,
            "units": list(self.units),
            "seed": self.seed,
            "replications": self.replications,
            "max_multiplier": self.max_multiplier,
            "tolerance": self.tolerance,
            "reachable": self.reachable,
            "multiplier": self.multiplier,
            "increase_percent": self.increase_percent,
            "at_answer": self.at_answer.as_dict() if self.at_answer else None,
            "step_below": self.step_below.as_dict() if self.step_below else None,
            "capacity_unit": self.capacity_unit,
            "capacity_before": self.capacity_before,
            "capacity_after": self.capacity_after,
            "evaluations": [e.as_dict() for e in self.evaluations],
            "estimate": self.estimate,
        }


def _reached(mean: float | None, ci: Sequence[float | None], goal: float, direction: str,
             criterion: Criterion) -> bool:  # fmt: skip
    if mean is None:
        return False
    lo, hi = ci
    if criterion == "ci":
        if lo is None or hi is None:
            return False
        return lo >= goal if direction == "higher" else hi <= goal
    return mean >= goal if direction == "higher" else mean <= goal


def _check_request(
    spec: ModelSpec,
    kpi: str,
    stage: str,
    units: Sequence[str] | None,
    max_multiplier: float,
    tolerance: float,
) -> tuple[str, list[int], dict[str, float]]:
    """The KPI's better direction, the units to scale and the stage's capacity now; an
    error for an unknown KPI or one without a direction, a bad grid, an unknown stage or
    unit, or units without capacity at the stage."""
    direction = KPI_DIRECTION.get(kpi)
    if kpi not in KPI_DIRECTION:
        raise ValueError(f"unknown KPI {kpi!r}; known: {', '.join(KPI_DIRECTION)}")
    if direction is None:
        raise ValueError(f"KPI {kpi!r} has no better direction; a goal makes no sense for it")
    if not tolerance > 0 or not max_multiplier > 1:
        raise ValueError("tolerance must be > 0 and max_multiplier > 1")
    stage_pools(spec, stage)
    scaled = unit_indices(spec, units)
    before = capacity(spec, stage)
    if not any(before[spec.unit_ids[u]] > 0 for u in scaled):
        raise ValueError(f"none of the units to scale has {stage} capacity")
    return direction, scaled, before


def max_evaluations(max_multiplier: float, tolerance: float) -> int:
    """The most evaluations :func:`bisect_grid` makes: both ends of the grid, then
    halving its ``steps`` until one step is left (fewer when 1.0 already reaches the
    goal or ``max_multiplier`` does not)."""
    return 2 + math.ceil(math.log2(grid_steps(max_multiplier, tolerance)))


def bisect_grid(
    evaluate: Callable[[float], Evaluation],
    tolerance: float,
    max_multiplier: float,
    on_evaluation: Callable[[Evaluation], None] | None = None,
) -> tuple[int | None, dict[int, Evaluation], list[Evaluation]]:
    """The smallest grid step ``k`` whose evaluation reaches the goal (None when not even
    ``max_multiplier`` does), assuming the KPI is monotone in capacity; with the
    evaluations by step and in the order they were made."""
    cache: dict[int, Evaluation] = {}
    order: list[Evaluation] = []

    def at(k: int) -> Evaluation:
        if k not in cache:
            ev = evaluate(grid_multiplier(k, tolerance, max_multiplier))
            cache[k] = ev
            order.append(ev)
            if on_evaluation:
                on_evaluation(ev)
        return cache[k]

    lo, hi = 0, grid_steps(max_multiplier, tolerance)
    if at(0).reached:
        return 0, cache, order
    if not at(hi).reached:
        return None, cache, order
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if at(mid).reached:
            hi = mid
        else:
            lo = mid
    return hi, cache, order


def search_target(
    spec: ModelSpec,
    policy: str,
    kpi: str,
    goal: float,
    stage: str = Stage.FIRST_VISIT.value,
    units: Sequence[str] | None = None,
    seed: int = 0,
    replications: int = 10,
    executor: Executor | str | None = None,
    max_multiplier: float = 3.0,
    tolerance: float = 0.01,
    criterion: Criterion = "mean",
    on_evaluation: Callable[[Evaluation], None] | None = None,
    progress: Progress | None = None,
) -> TargetResult:
    """Bisect the capacity multiplier of ``stage`` (at ``units``, default all) for the
    smallest one on the grid ``1, 1 + tolerance, …, max_multiplier`` whose simulated
    ``kpi`` reaches ``goal`` under ``policy``; common random numbers throughout.
    ``progress(done)``: the replications done of the evaluation under way (at most
    :func:`max_evaluations` of them)."""
    direction, scaled, before = _check_request(spec, kpi, stage, units, max_multiplier, tolerance)

    def evaluate(m: float) -> Evaluation:
        trial = scale_capacity(spec, m, stage, units)
        run = run_simulation(
            trial, [policy], seed, replications, executor=executor, progress=progress
        )
        e = run.policies[policy].kpis[Stage(stage)][kpi]
        ci = (e.lo, e.hi)
        return Evaluation(m, e.mean, ci, _reached(e.mean, ci, goal, direction, criterion))

    answer, cache, order = bisect_grid(evaluate, tolerance, max_multiplier, on_evaluation)
    multiplier = None if answer is None else grid_multiplier(answer, tolerance, max_multiplier)
    return TargetResult(
        policy=policy,
        kpi=kpi,
        stage=stage,
        goal=goal,
        direction=direction,
        criterion=criterion,
        units=tuple(spec.unit_ids[u] for u in scaled),
        seed=seed,
        replications=replications,
        max_multiplier=max_multiplier,
        tolerance=tolerance,
        reachable=answer is not None,
        multiplier=multiplier,
        at_answer=None if answer is None else cache[answer],
        step_below=None if not answer else cache[answer - 1],
        capacity_before=before,
        capacity_after=None
        if multiplier is None
        else capacity(scale_capacity(spec, multiplier, stage, units), stage),
        evaluations=tuple(order),
        estimate=analytic_estimate(
            spec, policy, kpi, goal, stage, units, max_multiplier, tolerance
        ),
        capacity_unit=capacity_unit(spec, stage),
    )
