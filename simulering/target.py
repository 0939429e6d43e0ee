"""Capacity search: the smallest capacity increase that reaches a KPI goal.

``remiss target`` asks: by how much must capacity grow — uniformly, or at the named
units only — for a policy to reach, say, 90 % of waiting patients within the
guarantee? The answer comes from simulation:

- :func:`scale_capacity` multiplies the capacity of one stage (the first visit, or all
  treatment pools) by ``m``: slot calendars keep their shape, and fractional slots
  carry over day to day exactly as :class:`allokering.domain.CapacityPlan` does (the
  running total of slots tracks ``m ×`` the original running total, rounded down);
  server pools get ``floor(m × servers)`` servers.
- :func:`search_target` bisects ``m`` on a grid of ``tolerance`` steps between 1 and
  ``max_multiplier``. Every evaluation runs the same replications with the same seed
  (common random numbers), so the KPI moves with capacity, not with noise, and the
  search can assume it is monotone. It reports the smallest grid multiplier that
  reaches the goal, the KPI's 95 % CI there and at the step below, or that the goal is
  not reachable within ``max_multiplier``.
- :func:`analytic_estimate` gives the instant estimate to compare with: Fong et al.'s
  target capacity (Kingman) for slot calendars, M/M/c (Erlang C) for server pools.

"Reaches" means the KPI's mean is at least the goal (or at most, for KPIs where lower
is better, e.g. waits); with ``criterion="ci"`` the whole 95 % CI must be on the right
side of the goal, a cautious answer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from allokering.domain import Stage
from simulering import estimate as est
from simulering.executors import Executor
from simulering.paired import KPI_DIRECTION
from simulering.policies.shared import hospital_groups
from simulering.runner import run_simulation
from simulering.spec import FloatArray, IntArray, ModelSpec, Pool

Criterion = Literal["mean", "ci"]
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
) -> TargetResult:
    """Bisect the capacity multiplier of ``stage`` (at ``units``, default all) for the
    smallest one on the grid ``1, 1 + tolerance, …, max_multiplier`` whose simulated
    ``kpi`` reaches ``goal`` under ``policy``; common random numbers throughout."""
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
    steps = max(1, math.ceil((max_multiplier - 1.0) / tolerance - 1e-9))
    cache: dict[int, Evaluation] = {}
    order: list[Evaluation] = []

    def mult(k: int) -> float:
        return round(min(1.0 + k * tolerance, max_multiplier), 10)

    def evaluate(k: int) -> Evaluation:
        if k not in cache:
            m = mult(k)
            trial = scale_capacity(spec, m, stage, units)
            run = run_simulation(trial, [policy], seed, replications, executor=executor)
            e = run.policies[policy].kpis[Stage(stage)][kpi]
            ci = (e.lo, e.hi)
            ev = Evaluation(m, e.mean, ci, _reached(e.mean, ci, goal, direction, criterion))
            cache[k] = ev
            order.append(ev)
            if on_evaluation:
                on_evaluation(ev)
        return cache[k]

    lo, hi = 0, steps
    answer: int | None
    if evaluate(0).reached:
        answer = 0
    elif not evaluate(steps).reached:
        answer = None
    else:
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if evaluate(mid).reached:
                hi = mid
            else:
                lo = mid
        answer = hi
    unit_ids = tuple(spec.unit_ids[u] for u in scaled)
    estimate = analytic_estimate(
        spec, policy, kpi, goal, stage, units, max_multiplier=max_multiplier, tolerance=tolerance
    )
    return TargetResult(
        policy=policy,
        kpi=kpi,
        stage=stage,
        goal=goal,
        direction=direction,
        criterion=criterion,
        units=unit_ids,
        seed=seed,
        replications=replications,
        max_multiplier=max_multiplier,
        tolerance=tolerance,
        reachable=answer is not None,
        multiplier=None if answer is None else mult(answer),
        at_answer=None if answer is None else cache[answer],
        step_below=None if not answer else cache[answer - 1],
        capacity_before=before,
        capacity_after=None
        if answer is None
        else capacity(scale_capacity(spec, mult(answer), stage, units), stage),
        evaluations=tuple(order),
        estimate=estimate,
        capacity_unit="servers"
        if all(spec.pools[p].mode == "servers" for p in stage_pools(spec, stage))
        else "slots per week",
    )


# ------------------------------------------------------------------ analytic estimate
def _weekly_demand(spec: ModelSpec, stage: str) -> float:
    """Referrals per week reaching ``stage`` in the measured period."""
    weeks = (spec.horizon_days - spec.warmup_days) / 7.0
    arrivals = float(spec.daily_arrivals[spec.warmup_days : spec.horizon_days].sum()) / weeks
    return arrivals if stage == Stage.FIRST_VISIT.value else arrivals * spec.decision_share


def list_groups(spec: ModelSpec, policy: str) -> list[list[int]]:
    """The units that share one list under a separate-lists policy: each unit alone
    (``separate``), or the units of each hospital group (``separate_by_hospital_group``)."""
    if policy != "separate_by_hospital_group":
        return [[u] for u in range(spec.n_units)]
    group = hospital_groups(spec)
    return [[u for u, g in enumerate(group) if g == k] for k in range(max(group) + 1)]


def analytic_estimate(
    spec: ModelSpec,
    policy: str,
    kpi: str,
    goal: float,
    stage: str = Stage.FIRST_VISIT.value,
    units: Sequence[str] | None = None,
    max_multiplier: float = 3.0,
    tolerance: float = 0.01,
) -> dict[str, Any] | None:
    """The multiplier queueing theory suggests, to print beside the simulated one.

    - Slot calendars: Fong et al. (2022) target capacity (Kingman's formula,
      :func:`simulering.estimate.calc_target_capacity`, Poisson-like variability
      ``cv = 1``) solved for the wait: a list with capacity ``C`` and demand ``D`` per
      week has mean wait ``1/(C − D)`` and a share ``1 − exp(−(C − D)·T)`` within the
      guarantee ``T`` (:func:`~simulering.estimate.share_within_target`). Under
      ``separate`` every unit is its own list fed by its catchment (first visit), under
      ``separate_by_hospital_group`` every hospital group; otherwise the region is one
      list. Capacity is net of no-shows; the answer is the
      smallest grid multiplier whose demand-weighted share (or mean wait) meets the
      goal.
    - Server pools: M/M/c (:func:`simulering.estimate.mmc`), one queue per unit under
      ``separate`` (per hospital group under ``separate_by_hospital_group``) and one
      pooled queue otherwise; the smallest grid multiplier whose
      ``floor(m × servers)`` meets the goal (``P(wait ≤ guarantee)`` or mean wait).

    ``None`` when the KPI has no such formula (e.g. travel, utilisation). Both ignore
    the backlog at the start, seasonality, summer closures and travel refusals, which
    the simulation includes.
    """
    if kpi not in (
        "share_waiting_within_guarantee",
        "share_completed_within_guarantee",
        "mean_wait_days",
    ):
        return None
    pools = [spec.pools[p] for p in stage_pools(spec, stage)]
    if not pools:
        return None
    s = 0 if stage == Stage.FIRST_VISIT.value else 1
    guarantee = float(spec.guarantee_days[s])
    scaled = unit_indices(spec, units)
    if all(p.mode == "servers" for p in pools):
        return _mmc_estimate(spec, policy, kpi, goal, stage, scaled, max_multiplier, tolerance)
    if kpi == "mean_wait_days" and goal <= 0:
        return None
    if kpi != "mean_wait_days" and not 0 < goal < 1:
        return None
    keep = 1.0 - spec.behaviour.no_show_share
    cap = np.array(list(capacity(spec, stage).values())) * keep
    if stage == Stage.FIRST_VISIT.value and policy in ("separate", "separate_by_hospital_group"):
        # separate lists: one list per unit (or hospital group), fed by its catchment
        weeks = (spec.horizon_days - spec.warmup_days) / 7.0
        by_area = spec.daily_arrivals[spec.warmup_days : spec.horizon_days].sum(axis=0) / weeks
        demand: FloatArray = np.asarray(
            np.bincount(spec.home_unit, weights=by_area, minlength=spec.n_units), dtype=float
        )
        groups = list_groups(spec, policy)
        how = (
            "one list per hospital group (its catchment's demand)"
            if policy == "separate_by_hospital_group"
            else "one list per unit (its catchment's demand)"
        )
    else:
        demand = np.zeros(spec.n_units)
        demand[0] = _weekly_demand(spec, stage)
        groups = [list(range(spec.n_units))]
        how = "the region as one list"
    t_weeks = guarantee / 7.0

    def measure(m: float) -> float | None:
        """Demand-weighted share within the guarantee (or mean wait, days) at ``m``.

        Kingman/Fong with cv 1: a list with capacity C and demand D has mean wait
        1/(C − D), i.e. factor f = (C − D)·T, and share within T of 1 − e^(−f)
        (:func:`~simulering.estimate.calc_target_capacity` solved for the wait)."""
        c = cap.copy()
        c[scaled] *= m
        total, weight = 0.0, 0.0
        for g in groups:
            d, cg = float(demand[g].sum()), float(c[g].sum())
            if d <= 0:
                continue
            if cg <= d:
                return None if kpi == "mean_wait_days" else 0.0
            if kpi == "mean_wait_days":
                value = 7.0 / (cg - d)
            else:
                value = est.share_within_target((cg - d) * t_weeks)
            total, weight = total + d * value, weight + d
        return total / weight if weight else None

    answer: float | None = None
    value: float | None = None
    steps = max(1, math.ceil((max_multiplier - 1.0) / tolerance - 1e-9))
    for k in range(steps + 1):
        m = round(min(1.0 + k * tolerance, max_multiplier), 10)
        value = measure(m)
        if value is not None and (value <= goal if kpi == "mean_wait_days" else value >= goal):
            answer = m
            break
    total_demand = float(demand.sum())
    if kpi == "mean_wait_days":
        target_wait_weeks, factor = goal / 7.0, 1.0
    else:
        target_wait_weeks, factor = t_weeks, est.factor_for_share(goal)
    return {
        "method": "fong_kingman",
        "multiplier": answer,
        "increase_percent": None if answer is None else 100.0 * (answer - 1.0),
        "kpi_at_estimate": value if answer is not None else None,
        "demand_per_week": total_demand,
        "capacity_per_week": float(cap.sum()),
        "pooled_target_capacity_per_week": est.calc_target_capacity(
            total_demand, target_wait_weeks, factor
        ),
        "notes": [
            f"Fong et al. (2022) / Kingman with cv 1, {how}, in equilibrium, net of "
            "no-shows; ignores the starting backlog, seasonality, closures and travel "
            "refusals"
            + ("" if answer is not None else f"; not reachable within ×{max_multiplier:g}")
        ],
    }


def _mmc_estimate(
    spec: ModelSpec,
    policy: str,
    kpi: str,
    goal: float,
    stage: str,
    scaled: list[int],
    max_multiplier: float,
    tolerance: float,
) -> dict[str, Any] | None:
    pools = [spec.pools[p] for p in stage_pools(spec, stage)]
    service = pools[0].service
    if service is None or service.mean <= 0:
        return None
    mu = 1.0 / service.mean
    servers = np.sum([p.servers for p in pools if p.servers is not None], axis=0).astype(np.int64)
    period = spec.daily_arrivals[spec.warmup_days : spec.horizon_days]
    share = 1.0 if stage == Stage.FIRST_VISIT.value else spec.decision_share
    by_area = period.mean(axis=0) * share
    lam_unit = np.bincount(spec.home_unit, weights=by_area, minlength=spec.n_units)
    limit = float(spec.guarantee_days[0 if stage == Stage.FIRST_VISIT.value else 1])
    separate = policy in ("separate", "separate_by_hospital_group")

    def measure(c: IntArray) -> float | None:
        groups = list_groups(spec, policy) if separate else [list(range(spec.n_units))]
        total, weight = 0.0, 0.0
        for g in groups:
            lam, cg = float(lam_unit[g].sum()), int(c[g].sum())
            if lam == 0:
                continue
            if cg < 1 or lam >= cg * mu:
                return None
            q = est.mmc(lam, mu, cg)
            value = q.mean_wait if kpi == "mean_wait_days" else q.prob_wait_within(limit)
            total, weight = total + lam * value, weight + lam
        return total / weight if weight else None

    steps = max(1, math.ceil((max_multiplier - 1.0) / tolerance - 1e-9))
    for k in range(steps + 1):
        m = round(min(1.0 + k * tolerance, max_multiplier), 10)
        c = servers.copy()
        c[scaled] = np.floor(servers[scaled] * m + 1e-9).astype(np.int64)
        value = measure(c)
        if value is None:
            continue
        ok = value <= goal if kpi == "mean_wait_days" else value >= goal
        if ok:
            return {
                "method": "mmc_erlang_c",
                "multiplier": m,
                "increase_percent": 100.0 * (m - 1.0),
                "servers_after": {uid: int(c[u]) for u, uid in enumerate(spec.unit_ids)},
                "kpi_at_estimate": value,
                "notes": [
                    ("one M/M/c queue per unit" if separate else "one pooled M/M/c queue")
                    + "; exponential service; share within = P(wait ≤ guarantee)"
                ],
            }
    return {
        "method": "mmc_erlang_c",
        "multiplier": None,
        "increase_percent": None,
        "notes": [f"not reachable within ×{max_multiplier:g} by M/M/c"],
    }
