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

The package's modules: :mod:`~simulering.target.scaling` (scaling and the grid),
:mod:`~simulering.target.search` (the bisection) and :mod:`~simulering.target.analytic`
(the queueing-theory estimate).
"""

from simulering.target.analytic import ANALYTIC_KPIS, analytic_estimate, list_groups
from simulering.target.scaling import (
    STAGE_NAMES,
    capacity,
    capacity_unit,
    grid_multiplier,
    grid_steps,
    scale_capacity,
    scale_slots,
    stage_pools,
    unit_indices,
)
from simulering.target.search import (
    Criterion,
    Evaluation,
    TargetResult,
    bisect_grid,
    max_evaluations,
    search_target,
)

__all__ = [
    "ANALYTIC_KPIS",
    "STAGE_NAMES",
    "Criterion",
    "Evaluation",
    "TargetResult",
    "analytic_estimate",
    "bisect_grid",
    "capacity",
    "capacity_unit",
    "grid_multiplier",
    "grid_steps",
    "list_groups",
    "max_evaluations",
    "scale_capacity",
    "scale_slots",
    "search_target",
    "stage_pools",
    "unit_indices",
]
