"""The calibration itself: :func:`calibrate` runs the search from the start file and
returns each row's final fit and the calibrated document."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scenarios.calibrate.document import StartScenario, compile_document, load_start
from scenarios.calibrate.measure import Measured, measure
from scenarios.calibrate.observed import read_observed
from scenarios.calibrate.search import Iteration, RowSearch, SearchOutcome, queue_within, search
from scenarios.calibrate.targets import Target, resolve_targets
from scenarios.loader import resolve_scenario_path
from scenarios.schema import Scenario, Servers
from simulering.executors import Executor
from simulering.spec import ModelSpec


@dataclass(frozen=True)
class RowFit:
    """The final fit of one row."""

    target: Target
    measured: Measured
    within: bool
    share_within: bool
    waiting_within: bool | None
    """None when the row's queue size is not fitted."""
    capacity_before: dict[str, float]
    """Slots per week of the row's stage per unit (summed over treatment pools)."""
    capacity_after: dict[str, float]
    demand_factor: float
    referrals_before: float
    """Referrals a year from the row's catchment, start and fitted."""
    referrals_after: float
    stuck: str = ""

    @property
    def share_difference_pp(self) -> float:
        return 100.0 * (self.measured.share - self.target.observation.share)

    @property
    def waiting_difference(self) -> float | None:
        w = self.target.observation.waiting
        if w is None:
            return None
        return (self.measured.waiting - w) / w if w > 0 else math.inf


@dataclass(frozen=True)
class CalibrationResult:
    """What :func:`calibrate` found, and the calibrated document."""

    scenario: str
    scenario_path: str
    observed_path: str
    seed: int
    replications: int
    tolerance_pp: float
    tolerance_queue: float
    max_iterations: int
    fit_demand: bool
    converged: bool
    rows: tuple[RowFit, ...]
    iterations: tuple[Iteration, ...]
    document: dict[str, Any]
    start_date: dt.date

    def observation_dates(self) -> list[dt.date]:
        days = sorted({r.target.day for r in self.rows})
        return [self.start_date + dt.timedelta(days=d) for d in days]

    def failures(self) -> list[str]:
        """Human lines for the rows outside tolerance."""
        lines = []
        for r in self.rows:
            if r.within:
                continue
            obs = r.target.observation
            parts = []
            if not r.share_within:
                parts.append(
                    f"share {100 * r.measured.share:.1f} % vs observed {100 * obs.share:.1f} % "
                    f"({r.share_difference_pp:+.1f} pp; tolerance {self.tolerance_pp:g} pp)"
                )
            if r.waiting_within is False and obs.waiting is not None:
                parts.append(
                    f"waiting {r.measured.waiting:,.0f} vs observed {obs.waiting:,.0f} "
                    f"(tolerance {100 * self.tolerance_queue:g} %)"
                )
            why = f" — {r.stuck}" if r.stuck else ""
            lines.append(f"{r.target.label}: " + "; ".join(parts) + why)
        return lines


def calibrate(
    scenario_ref: str | Path,
    observed: str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    tolerance_pp: float = 1.0,
    tolerance_queue: float = 0.05,
    max_iterations: int = 30,
    fit_demand: bool = True,
    executor: Executor | str | None = None,
    workers: int = 1,
    on_iteration: Callable[[Iteration], None] | None = None,
) -> CalibrationResult:
    """Fit the scenario's capacities (and catchment demand) to the observed figures.

    Raises :class:`~scenarios.loader.ScenarioError` (a bad scenario) or
    :class:`~scenarios.calibrate.ObservedFileError` (a bad CSV); a search that does not
    converge returns ``converged=False`` with the best it found.
    """
    if not tolerance_pp > 0 or not tolerance_queue > 0 or max_iterations < 1:
        raise ValueError("tolerances must be > 0 and max_iterations >= 1")
    path = resolve_scenario_path(scenario_ref)
    base = load_start(path, replications, seed)
    targets = resolve_targets(
        read_observed(observed), base.scenario, base.region, base.spec, observed, fit_demand
    )
    reps, root_seed = base.experiment.plan.replications, base.experiment.plan.seed
    rows = [RowSearch() for _ in targets]

    def simulate(spec: ModelSpec) -> list[Measured]:
        return measure(spec, targets, root_seed, reps, executor, workers)

    tolerances = (tolerance_pp / 100.0, tolerance_queue)
    outcome = search(base, targets, rows, path, tolerances, max_iterations, simulate, on_iteration)
    return CalibrationResult(
        scenario=base.scenario.name,
        scenario_path=str(scenario_ref),
        observed_path=str(observed),
        seed=root_seed,
        replications=reps,
        tolerance_pp=tolerance_pp,
        tolerance_queue=tolerance_queue,
        max_iterations=max_iterations,
        fit_demand=fit_demand,
        converged=outcome.converged,
        rows=tuple(row_fits(base, targets, rows, outcome, path, tolerances)),
        iterations=tuple(outcome.iterations),
        document=outcome.document,
        start_date=base.scenario.run.start_date,
    )


def row_fits(
    base: StartScenario,
    targets: Sequence[Target],
    rows: Sequence[RowSearch],
    outcome: SearchOutcome,
    path: Path,
    tolerances: tuple[float, float],
) -> list[RowFit]:
    """Each row's final figures against its observation, and its numbers before and
    after."""
    fitted, spec = compile_document(base, outcome.document, path)
    tol_s, tol_q = tolerances
    out = []
    for t, row, m in zip(targets, rows, outcome.measured, strict=True):
        stage = t.observation.stage
        share_ok = abs(m.share - t.observation.share) <= tol_s
        queue_ok = queue_within(m, t, tol_q)
        out.append(
            RowFit(
                target=t,
                measured=m,
                within=share_ok and queue_ok is not False,
                share_within=share_ok,
                waiting_within=queue_ok,
                capacity_before={
                    base.scenario.units[u].unit: _stage_capacity(base.scenario, u, stage)
                    for u in t.units
                },
                capacity_after={
                    fitted.units[u].unit: _stage_capacity(fitted, u, stage) for u in t.units
                },
                demand_factor=math.exp(row.log_a),
                referrals_before=_referrals(base.spec, t.units),
                referrals_after=_referrals(spec, t.units),
                stuck=row.stuck,
            )
        )
    return out


def _stage_capacity(scenario: Scenario, unit: int, stage: str) -> float:
    """Slots per week of a unit's stage (summed over its treatment pools)."""
    u = scenario.units[unit]
    caps = [u.first_visit] if stage == "first_visit" else list(u.treatment.values())
    return float(
        sum(c.slots_per_week for c in caps if c is not None and not isinstance(c, Servers))
    )


def _referrals(spec: ModelSpec, units: Sequence[int]) -> float:
    """Referrals a year from the catchments of ``units``."""
    cols = np.isin(spec.home_unit, list(units))
    return float(spec.daily_arrivals[:, cols].sum() / spec.horizon_days * 365.25)
