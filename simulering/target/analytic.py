"""The instant estimate a capacity search is compared with: Fong et al.'s target
capacity (Kingman) for slot calendars, M/M/c (Erlang C) for server pools."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from allokering.domain import Stage
from simulering import estimate as est
from simulering.policies.shared import hospital_groups
from simulering.spec import FloatArray, IntArray, ModelSpec
from simulering.target.scaling import (
    capacity,
    grid_multiplier,
    grid_steps,
    stage_pools,
    unit_indices,
)

ANALYTIC_KPIS = (
    "share_waiting_within_guarantee",
    "share_completed_within_guarantee",
    "mean_wait_days",
)
"""The KPIs queueing theory gives a formula for."""
SEPARATE_LISTS = ("separate", "separate_by_hospital_group")


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
    if kpi not in ANALYTIC_KPIS:
        return None
    pools = [spec.pools[p] for p in stage_pools(spec, stage)]
    if not pools:
        return None
    scaled = unit_indices(spec, units)
    if all(p.mode == "servers" for p in pools):
        return _mmc_estimate(spec, policy, kpi, goal, stage, scaled, max_multiplier, tolerance)
    if kpi == "mean_wait_days" and goal <= 0:
        return None
    if kpi != "mean_wait_days" and not 0 < goal < 1:
        return None
    return _fong_estimate(spec, policy, kpi, goal, stage, scaled, max_multiplier, tolerance)


def _fong_estimate(
    spec: ModelSpec,
    policy: str,
    kpi: str,
    goal: float,
    stage: str,
    scaled: list[int],
    max_multiplier: float,
    tolerance: float,
) -> dict[str, Any]:
    """Fong et al. / Kingman for slot calendars: the smallest grid multiplier whose
    demand-weighted share within the guarantee (or mean wait) meets the goal."""
    s = 0 if stage == Stage.FIRST_VISIT.value else 1
    t_weeks = float(spec.guarantee_days[s]) / 7.0
    keep = 1.0 - spec.behaviour.no_show_share
    cap = np.array(list(capacity(spec, stage).values())) * keep
    demand, groups, how = _slot_lists(spec, policy, stage)
    answer: float | None = None
    value: float | None = None
    for k in range(grid_steps(max_multiplier, tolerance) + 1):
        m = grid_multiplier(k, tolerance, max_multiplier)
        c = cap.copy()
        c[scaled] *= m
        value = _kingman_kpi(c, demand, groups, kpi, t_weeks)
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


def _slot_lists(
    spec: ModelSpec, policy: str, stage: str
) -> tuple[FloatArray, list[list[int]], str]:
    """The lists of the estimate: demand per week per unit, the units of each list, and
    how the lists are drawn (per unit or hospital group under separate lists at the
    first visit, otherwise the region as one list with all demand on the first unit)."""
    if stage == Stage.FIRST_VISIT.value and policy in SEPARATE_LISTS:
        # separate lists: one list per unit (or hospital group), fed by its catchment
        weeks = (spec.horizon_days - spec.warmup_days) / 7.0
        by_area = spec.daily_arrivals[spec.warmup_days : spec.horizon_days].sum(axis=0) / weeks
        demand: FloatArray = np.asarray(
            np.bincount(spec.home_unit, weights=by_area, minlength=spec.n_units), dtype=float
        )
        how = (
            "one list per hospital group (its catchment's demand)"
            if policy == "separate_by_hospital_group"
            else "one list per unit (its catchment's demand)"
        )
        return demand, list_groups(spec, policy), how
    demand = np.zeros(spec.n_units)
    demand[0] = _weekly_demand(spec, stage)
    return demand, [list(range(spec.n_units))], "the region as one list"


def _kingman_kpi(
    c: FloatArray, demand: FloatArray, groups: list[list[int]], kpi: str, t_weeks: float
) -> float | None:
    """Demand-weighted share within the guarantee (or mean wait, days) at capacity ``c``.

    Kingman/Fong with cv 1: a list with capacity C and demand D has mean wait
    1/(C − D), i.e. factor f = (C − D)·T, and share within T of 1 − e^(−f)
    (:func:`~simulering.estimate.calc_target_capacity` solved for the wait)."""
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
    """M/M/c for server pools: the smallest grid multiplier whose ``floor(m × servers)``
    meets the goal."""
    pools = [spec.pools[p] for p in stage_pools(spec, stage)]
    service = pools[0].service
    if service is None or service.mean <= 0:
        return None
    mu = 1.0 / service.mean
    servers = np.sum([p.servers for p in pools if p.servers is not None], axis=0).astype(np.int64)
    period = spec.daily_arrivals[spec.warmup_days : spec.horizon_days]
    share = 1.0 if stage == Stage.FIRST_VISIT.value else spec.decision_share
    by_area = period.mean(axis=0) * share
    lam_unit: FloatArray = np.asarray(
        np.bincount(spec.home_unit, weights=by_area, minlength=spec.n_units), dtype=float
    )
    limit = float(spec.guarantee_days[0 if stage == Stage.FIRST_VISIT.value else 1])
    separate = policy in SEPARATE_LISTS
    groups = list_groups(spec, policy) if separate else [list(range(spec.n_units))]
    for k in range(grid_steps(max_multiplier, tolerance) + 1):
        m = grid_multiplier(k, tolerance, max_multiplier)
        c = servers.copy()
        c[scaled] = np.floor(servers[scaled] * m + 1e-9).astype(np.int64)
        value = _erlang_kpi(c, lam_unit, mu, groups, kpi, limit)
        if value is None:
            continue
        if value <= goal if kpi == "mean_wait_days" else value >= goal:
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


def _erlang_kpi(
    c: IntArray,
    lam_unit: FloatArray,
    mu: float,
    groups: list[list[int]],
    kpi: str,
    limit: float,
) -> float | None:
    """Arrival-weighted M/M/c mean wait or ``P(wait ≤ limit)`` with ``c`` servers per
    unit (None when a queue is unstable)."""
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
