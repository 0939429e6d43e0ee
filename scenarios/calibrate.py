"""Calibration: fit unit capacities (and catchment demand) to observed figures.

``remiss calibrate SCENARIO --observed FILE.csv`` changes a scenario until its
``separate`` policy — every unit keeps its own list, as today — reproduces observed
figures per unit or per hospital group at an observation date:

- the share waiting within the guarantee (*andel väntande inom 90 dagar*, SKR): of the
  patients waiting at the month end, the share who have waited ≤ 90 days, patient-chosen
  waiting excluded — the quantity :mod:`simulering.kpis` computes per unit and month end
  (``series[stage].share_waiting_within_guarantee``); a group's share is its units'
  within-count over their waiting count;
- the number waiting (``series[stage].queue_length``, the list of the unit's catchment).

**The knobs.** Per fitted row ``t`` (a unit, or all scenario units of a hospital group)
two multipliers of the start file's numbers: ``r_t``, the capacity-to-demand ratio, and
``a_t``, the size of the catchment. The row's units get

- slots per week (the row's stage) ``= start × a_t × r_t``;
- demand of their catchment areas, their backlog counts and their other stage's slots
  ``= start × a_t``.

Why this split: scaling demand, backlog and capacity of a list together scales its queue
and leaves the distribution of waits — hence the share within 90 days — unchanged (up to
randomness and rounding), so the share depends on ``r`` and the queue size is
proportional to ``a``. Why demand and not the start backlog for the queue size: in an
overloaded list served in deadline order the patients waiting ≤ 90 days at a month end
are roughly the referrals of the last 90 days, so ``share × waiting ≈ 90 × demand per
day`` — together the two observed figures pin down the demand, and only capacity and
demand together can move both. A larger start backlog only delays the same state.
Treatment rows fit treatment capacity only: treatment demand is set by first visits and
the decision share, so their queue size is reported, not fitted.

**The method.** Under ``separate`` the units are independent, so every row is fitted at
once from one simulation per iteration (the scenario's seed and replications every
time: common random numbers). In an *epoch* demand is fixed, the patients of every
iteration are the same, and each row's share is a smooth, increasing function of
``x_t = log r_t``: a per-row safeguarded secant search finds its root — secant steps
(limited to ×/÷1.65) until the goal is bracketed, then regula falsi on the bracket with
a bisection whenever two new points in a row fall on the same side. When every share is
within tolerance and some queue is not, a new epoch starts with ``a_t ← a_t ×
observed / simulated`` waiting (exact if the queue is proportional to ``a``) and the
share search resumes from where it was. It stops when all rows are within tolerance (it
then has converged) or after ``max_iterations`` simulations (it has not).

A replication in which nobody of a row waits at the month end counts as 100 % within.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from allokering.domain import Stage
from scenarios.experiment import Experiment
from scenarios.loader import (
    ScenarioError,
    check_references,
    compile_scenario,
    read_yaml,
    resolve_scenario_path,
)
from scenarios.schema import RegionSpec, Scenario, Servers
from simulering.executors import Executor
from simulering.results import BOUNDS, estimate
from simulering.runner import iter_replications
from simulering.spec import ModelSpec

POLICY = "separate"
"""The policy whose figures are fitted: today's separate lists."""
STAGES = ("first_visit", "treatment")
REQUIRED_COLUMNS = ("unit", "stage", "share_within_90")
OPTIONAL_COLUMNS = ("waiting", "observed_on", "note")
X_BOUNDS = (math.log(0.05), math.log(20.0))
"""Capacity-to-demand multiplier ``r`` stays within ×0.05 … ×20 of the start."""
A_BOUNDS = (math.log(0.05), math.log(20.0))
"""Catchment size multiplier ``a`` stays within ×0.05 … ×20 of the start."""
MAX_STEP = 0.5
"""Largest secant step in ``log r`` before the goal is bracketed (×/÷1.65)."""
MAX_A_STEP = math.log(4.0)
"""Largest change of ``log a`` in one epoch."""
FIRST_SLOPE = 1.0
"""First guess of d share / d log r: +10 % capacity ≈ +10 percentage points."""


class ObservedFileError(ScenarioError):
    """The observed-figures CSV is wrong: names the file, the line/column and the problem."""


# --------------------------------------------------------------------- observed figures
@dataclass(frozen=True)
class Observation:
    """One row of the observed-figures CSV."""

    line: int
    """Line number in the file (1 = the header)."""
    target: str
    """A unit id of the scenario or a hospital-group id of its region."""
    stage: str
    share: float
    """Observed share waiting within 90 days, 0..1."""
    waiting: float | None
    """Observed number waiting, when given."""
    observed_on: dt.date | None
    note: str = ""


def read_observed(path: str | Path) -> list[Observation]:
    """Read and check the observed-figures CSV (columns, numbers, ranges).

    Columns: ``unit``, ``stage`` (``first_visit`` or ``treatment``), ``share_within_90``
    (0..1) required; ``waiting`` (≥ 0), ``observed_on`` (YYYY-MM-DD) and ``note``
    optional. Lines starting with ``#`` and blank lines are skipped.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ObservedFileError(p, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ObservedFileError(p, "", f"cannot read file ({exc})") from None
    numbered = [
        (i, line)
        for i, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise ObservedFileError(p, "", "empty file: expected a header line and data rows")
    rows = list(csv.reader([line for _, line in numbered]))
    header = [h.strip() for h in rows[0]]
    head_line = numbered[0][0]
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    for col in header:
        if col not in known:
            raise ObservedFileError(
                p, f"line {head_line}", f"unknown column {col!r}; known: {', '.join(known)}"
            )
    for col in REQUIRED_COLUMNS:
        if col not in header:
            raise ObservedFileError(
                p,
                f"line {head_line}",
                f"missing column {col!r} (required: {', '.join(REQUIRED_COLUMNS)})",
            )
    if len(set(header)) != len(header):
        raise ObservedFileError(p, f"line {head_line}", "a column appears twice")
    if len(rows) < 2:
        raise ObservedFileError(p, "", "no data rows after the header")
    out: list[Observation] = []
    seen: dict[tuple[str, str], int] = {}
    for (line, _), row in zip(numbered[1:], rows[1:], strict=True):
        if len(row) != len(header):
            raise ObservedFileError(
                p, f"line {line}", f"{len(row)} fields, the header has {len(header)}"
            )
        cell = dict(zip(header, (c.strip() for c in row), strict=True))

        def where(col: str, line: int = line) -> str:
            return f"line {line}, column {col}"

        target = cell["unit"]
        if not target:
            raise ObservedFileError(p, where("unit"), "empty; give a unit or hospital-group id")
        stage = cell["stage"]
        if stage not in STAGES:
            raise ObservedFileError(
                p, where("stage"), f"{stage!r} is not a stage; use {' or '.join(STAGES)}"
            )
        share = _number(p, where("share_within_90"), cell["share_within_90"])
        if share is None:
            raise ObservedFileError(p, where("share_within_90"), "empty; a share 0..1 is needed")
        if not 0.0 <= share <= 1.0:
            hint = f" (write {share / 100:g}, not {share:g})" if 1 < share <= 100 else ""
            raise ObservedFileError(
                p, where("share_within_90"), f"{share:g} is outside [0, 1]{hint}"
            )
        waiting = _number(p, where("waiting"), cell.get("waiting", ""))
        if waiting is not None and waiting < 0:
            raise ObservedFileError(
                p, where("waiting"), f"{waiting:g} is negative; a number waiting is >= 0"
            )
        observed_on: dt.date | None = None
        if cell.get("observed_on"):
            try:
                observed_on = dt.date.fromisoformat(cell["observed_on"])
            except ValueError:
                raise ObservedFileError(
                    p, where("observed_on"), f"{cell['observed_on']!r} is not a YYYY-MM-DD date"
                ) from None
        key = (target, stage)
        if key in seen:
            raise ObservedFileError(
                p, where("unit"), f"{target} {stage} appears twice (also on line {seen[key]})"
            )
        seen[key] = line
        out.append(
            Observation(line, target, stage, share, waiting, observed_on, cell.get("note", ""))
        )
    return out


def _number(path: Path, where: str, text: str) -> float | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ObservedFileError(path, where, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ObservedFileError(path, where, f"{text!r} is not a finite number")
    return value


@dataclass(frozen=True)
class Target:
    """A fitted row: the observation and the scenario units it covers."""

    observation: Observation
    units: tuple[int, ...]
    """Positions in ``scenario.units`` (the model's unit order)."""
    unit_ids: tuple[str, ...]
    kind: str
    """``unit`` or ``hospital_group``."""
    day: int
    """The month-end day (days since the start) the figures are compared at."""
    month_index: int
    """Its position in the model's monthly series."""
    fit_demand: bool
    """The row's queue size is fitted through its catchment demand."""

    @property
    def label(self) -> str:
        return f"{self.observation.target} {self.observation.stage}"


def resolve_targets(
    observations: Sequence[Observation],
    scenario: Scenario,
    region: RegionSpec,
    spec: ModelSpec,
    path: str | Path,
    fit_demand: bool = True,
) -> list[Target]:
    """Map the rows to scenario units and month ends; check what the scenario can fit."""
    p = Path(path)
    unit_pos = {u.unit: i for i, u in enumerate(scenario.units)}
    group_of = {u.id: u.hospital_group for u in region.units}
    groups = {g.id for g in region.hospital_groups}
    month_ends = [int(d) for d in spec.month_ends if d < spec.horizon_days]
    start = scenario.run.start_date
    last_day = start + dt.timedelta(days=spec.horizon_days - 1)
    taken: dict[tuple[int, str], int] = {}
    targets: list[Target] = []
    for obs in observations:
        if obs.target in unit_pos:
            units: tuple[int, ...] = (unit_pos[obs.target],)
            kind = "unit"
        elif obs.target in groups:
            units = tuple(i for i, u in enumerate(scenario.units) if group_of[u.unit] == obs.target)
            kind = "hospital_group"
            if not units:
                raise ObservedFileError(
                    p,
                    f"line {obs.line}, column unit",
                    f"hospital group {obs.target!r} has no unit in scenario {scenario.name}",
                )
        else:
            raise ObservedFileError(
                p,
                f"line {obs.line}, column unit",
                f"unknown unit {obs.target!r}: not a unit of scenario {scenario.name} "
                f"({', '.join(unit_pos)}) nor a hospital group of region {region.id} "
                f"({', '.join(sorted(groups))})",
            )
        for u in units:
            uid = scenario.units[u].unit
            if (u, obs.stage) in taken:
                raise ObservedFileError(
                    p,
                    f"line {obs.line}, column unit",
                    f"unit {uid} {obs.stage} is already fitted by line {taken[u, obs.stage]}",
                )
            taken[u, obs.stage] = obs.line
            caps = (
                [scenario.units[u].first_visit]
                if obs.stage == "first_visit"
                else list(scenario.units[u].treatment.values())
            )
            caps = [c for c in caps if c is not None]
            if not caps:
                raise ObservedFileError(
                    p,
                    f"line {obs.line}, column stage",
                    f"unit {uid} has no {obs.stage} capacity in the scenario to fit",
                )
            if any(isinstance(c, Servers) for c in caps):
                raise ObservedFileError(
                    p,
                    f"line {obs.line}, column stage",
                    f"unit {uid} {obs.stage} uses servers; calibration fits slot calendars "
                    "(slots_per_week) only",
                )
        if obs.observed_on is None:
            day = month_ends[-1]
        else:
            if not start <= obs.observed_on <= last_day:
                raise ObservedFileError(
                    p,
                    f"line {obs.line}, column observed_on",
                    f"{obs.observed_on} is outside the run ({start} – {last_day})",
                )
            offset = (obs.observed_on - start).days
            before = [d for d in month_ends if d <= offset]
            if not before:
                raise ObservedFileError(
                    p,
                    f"line {obs.line}, column observed_on",
                    f"no month end of the run on or before {obs.observed_on}",
                )
            day = before[-1]
        targets.append(
            Target(
                observation=obs,
                units=units,
                unit_ids=tuple(scenario.units[u].unit for u in units),
                kind=kind,
                day=day,
                month_index=month_ends.index(day),
                fit_demand=fit_demand and obs.stage == "first_visit" and obs.waiting is not None,
            )
        )
    return targets


# ------------------------------------------------------------------------ measurement
@dataclass(frozen=True)
class Measured:
    """A row's simulated figures at its month end: mean and 95 % CI over replications."""

    share: float
    share_ci95: tuple[float, float]
    waiting: float
    waiting_ci95: tuple[float, float]


def measure(
    spec: ModelSpec,
    targets: Sequence[Target],
    seed: int,
    replications: int,
    executor: Executor | str | None = None,
    workers: int = 1,
) -> list[Measured]:
    """Simulate ``separate`` and read every row's share within 90 days and number
    waiting at its month end (a replication with nobody waiting counts as 100 %)."""
    shares = np.zeros((replications, len(targets)))
    queues = np.zeros((replications, len(targets)))
    runs = iter_replications(spec, [POLICY], seed, replications, workers, executor=executor)
    for r, (rep, _) in enumerate(runs):
        series = rep[POLICY].series
        for t, target in enumerate(targets):
            st = series[Stage(target.observation.stage)]
            within = waiting = 0.0
            for uid in target.unit_ids:
                q = float(st.unit_queue_length[uid][target.month_index] or 0.0)
                s = st.unit_share_waiting[uid][target.month_index]
                waiting += q
                if q > 0 and s is not None and not math.isnan(s):
                    within += float(s) * q
            shares[r, t] = within / waiting if waiting > 0 else 1.0
            queues[r, t] = waiting
    out: list[Measured] = []
    for t in range(len(targets)):
        share = estimate(shares[:, t], BOUNDS["share"])
        queue = estimate(queues[:, t], BOUNDS["non_negative"])
        out.append(
            Measured(
                share=_value(share.mean),
                share_ci95=(_value(share.lo), _value(share.hi)),
                waiting=_value(queue.mean),
                waiting_ci95=(_value(queue.lo), _value(queue.hi)),
            )
        )
    return out


def _value(x: float | None) -> float:
    """An estimate's figure (every replication gives a value here, so never ``None``)."""
    if x is None:
        raise ValueError("calibration measured no replication")
    return x


# -------------------------------------------------------------------- the document
@dataclass(frozen=True)
class _Base:
    """The start scenario's numbers the multipliers apply to."""

    doc: dict[str, Any]
    """The start file as written (the fitted file is this with the new numbers)."""
    experiment: Experiment
    area_rate: dict[str, float]
    """Referrals per 1,000 inhabitants a year per area, as the start file gives them."""

    @property
    def scenario(self) -> Scenario:
        return self.experiment.scenario

    @property
    def region(self) -> RegionSpec:
        return self.experiment.region

    @property
    def spec(self) -> ModelSpec:
        return self.experiment.spec


def _base(path: Path, replications: int | None, seed: int | None) -> _Base:
    raw = read_yaml(path)
    experiment = Experiment.load(path, policies=[POLICY], replications=replications, seed=seed)
    region = experiment.region
    d = experiment.scenario.demand
    pops = {a.id: a.population for a in region.areas}
    if d.split == "population":
        total = sum(pops.values())
        base = (d.referrals_per_year or 0.0) * 1000.0 / total if total else 0.0
        rates = {a: base for a in pops}
    else:
        rates = {a: d.rates_per_1000.get(a, d.default_rate_per_1000) for a in pops}
    return _Base(copy.deepcopy(raw), experiment, rates)


def _round_sig(x: float, digits: int = 5) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, max(0, digits - 1 - math.floor(math.log10(abs(x)))))


def build_document(
    base: _Base,
    targets: Sequence[Target],
    log_r: Sequence[float],
    log_a: Sequence[float],
) -> dict[str, Any]:
    """The start document with each row's multipliers applied (numbers rounded as they
    will be written: slots to 0.01, rates to 5 significant digits, backlog to whole
    patients), so the file written is exactly the one simulated."""
    doc = copy.deepcopy(base.doc)
    n_units = len(base.scenario.units)
    a_unit = np.ones(n_units)
    r_unit = {stage: np.ones(n_units) for stage in STAGES}
    for t, target in enumerate(targets):
        for u in target.units:
            r_unit[target.observation.stage][u] = math.exp(log_r[t])
            if target.observation.stage == "first_visit":
                a_unit[u] = math.exp(log_a[t])
    for u, unit in enumerate(base.scenario.units):
        raw_unit = doc["units"][u]
        # server pools are never fitted (resolve_targets refuses them) and never scaled
        if unit.first_visit is not None and not isinstance(unit.first_visit, Servers):
            m = float(a_unit[u] * r_unit["first_visit"][u])
            if m != 1.0:
                raw_unit["first_visit"]["slots_per_week"] = round(
                    unit.first_visit.slots_per_week * m, 2
                )
        for pool, cap in unit.treatment.items():
            m = float(a_unit[u] * r_unit["treatment"][u])
            if m != 1.0 and not isinstance(cap, Servers):
                raw_unit["treatment"][pool]["slots_per_week"] = round(cap.slots_per_week * m, 2)
    if np.any(a_unit != 1.0):
        unit_index = {u.unit: i for i, u in enumerate(base.scenario.units)}
        for j, entry in enumerate(base.scenario.backlog):
            factor = float(a_unit[unit_index[entry.unit]])
            if factor != 1.0:
                doc["backlog"][j]["count"] = round(entry.count * factor)
        home = base.spec.home_unit
        demand = dict(doc["demand"])
        rates: dict[str, float] = {}
        for ai, area in enumerate(base.spec.area_ids):
            rate = base.area_rate[area] * float(a_unit[int(home[ai])])
            rates[area] = _round_sig(rate)
        demand.pop("referrals_per_year", None)
        demand["split"] = "rates"
        demand["default_rate_per_1000"] = 0.0
        demand["rates_per_1000"] = rates
        doc["demand"] = _ordered_demand(demand)
    return doc


def _ordered_demand(demand: dict[str, Any]) -> dict[str, Any]:
    order = ["split", "referrals_per_year", "default_rate_per_1000", "rates_per_1000"]
    out = {k: demand[k] for k in order if k in demand}
    out.update({k: v for k, v in demand.items() if k not in out})
    return out


def compile_document(base: _Base, doc: dict[str, Any], path: Path) -> tuple[Scenario, ModelSpec]:
    """Validate and compile a calibrated document against the start file's region."""
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:  # pragma: no cover - the multipliers keep it valid
        raise ScenarioError(path, "", f"calibrated scenario is invalid: {exc}") from None
    check_references(scenario, base.region, path)
    return scenario, compile_scenario(scenario, base.region)


# ---------------------------------------------------------------------- the search
@dataclass
class _Row:
    """Search state of one row."""

    log_r: float = 0.0
    log_a: float = 0.0
    slope: float = FIRST_SLOPE
    points: list[tuple[float, float]] = field(default_factory=list)
    """(log r, share) evaluated in the current epoch (same patients)."""
    last_sides: list[int] = field(default_factory=list)
    stuck: str = ""
    """Why the share cannot be reached, when it cannot."""


def next_log_r(row: _Row, goal: float) -> float:
    """The next ``log r`` of a row: secant steps until the goal is bracketed, then
    regula falsi with a bisection after two new points on the same side."""
    x, s = row.points[-1]
    below = [pt for pt in row.points if pt[1] < goal]
    above = [pt for pt in row.points if pt[1] > goal]
    if len(row.points) >= 2:
        (x0, s0), (x1, s1) = row.points[-2], row.points[-1]
        if x1 != x0 and (s1 - s0) / (x1 - x0) > 1e-3:
            row.slope = (s1 - s0) / (x1 - x0)
    if below and above:
        lo = max(below)
        hi = min(above)
        if lo[0] < hi[0]:
            width = hi[0] - lo[0]
            if width < 1e-4:
                row.stuck = "the share jumps across the goal between two capacities 0.01 % apart"
                return x
            if len(row.last_sides) >= 2 and row.last_sides[-1] == row.last_sides[-2]:
                row.last_sides.clear()
                return (lo[0] + hi[0]) / 2.0
            new = lo[0] + (goal - lo[1]) * width / (hi[1] - lo[1])
            margin = 0.05 * width
            return min(max(new, lo[0] + margin), hi[0] - margin)
    step = max(-MAX_STEP, min(MAX_STEP, (goal - s) / row.slope))
    new = min(max(x + step, X_BOUNDS[0]), X_BOUNDS[1])
    if new == x:
        side = "more" if step > 0 else "less"
        row.stuck = f"needs {side} than ×{math.exp(x):.2f} the start capacity-to-demand ratio"
    return new


@dataclass(frozen=True)
class Iteration:
    """One simulation of the search."""

    number: int
    epoch: int
    capacity: tuple[float, ...]
    """Capacity multiplier ``a × r`` per row."""
    demand: tuple[float, ...]
    """Demand multiplier ``a`` per row."""
    measured: tuple[Measured, ...]


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
    :class:`ObservedFileError` (a bad CSV); a search that does not converge returns
    ``converged=False`` with the best it found.
    """
    if not tolerance_pp > 0 or not tolerance_queue > 0 or max_iterations < 1:
        raise ValueError("tolerances must be > 0 and max_iterations >= 1")
    path = resolve_scenario_path(scenario_ref)
    base = _base(path, replications, seed)
    observations = read_observed(observed)
    targets = resolve_targets(
        observations, base.scenario, base.region, base.spec, observed, fit_demand
    )
    reps, root_seed = base.experiment.plan.replications, base.experiment.plan.seed
    tol_s = tolerance_pp / 100.0
    rows = [_Row() for _ in targets]
    iterations: list[Iteration] = []
    epoch = 0
    converged = False
    doc = base.doc
    measured: list[Measured] = []
    for number in range(1, max_iterations + 1):
        doc = build_document(base, targets, [r.log_r for r in rows], [r.log_a for r in rows])
        _, spec = compile_document(base, doc, path)
        measured = measure(spec, targets, root_seed, reps, executor, workers)
        it = Iteration(
            number,
            epoch,
            tuple(math.exp(r.log_r + r.log_a) for r in rows),
            tuple(math.exp(r.log_a) for r in rows),
            tuple(measured),
        )
        iterations.append(it)
        if on_iteration:
            on_iteration(it)
        share_ok = [
            abs(m.share - t.observation.share) <= tol_s
            for m, t in zip(measured, targets, strict=True)
        ]
        queue_ok = [
            _queue_ok(m, t, tolerance_queue) for m, t in zip(measured, targets, strict=True)
        ]
        for row, m, t in zip(rows, measured, targets, strict=True):
            row.points.append((row.log_r, m.share))
            row.last_sides.append(1 if m.share > t.observation.share else -1)
        if all(share_ok) and all(q is not False for q in queue_ok):
            converged = True
            break
        if number == max_iterations:
            break
        if all(share_ok):
            # a new epoch: rescale the catchments whose queue is off, then refit shares
            epoch += 1
            moved = False
            for row, m, t, q in zip(rows, measured, targets, queue_ok, strict=True):
                if q is False and t.observation.waiting is not None:
                    ratio = (t.observation.waiting + 0.5) / (m.waiting + 0.5)
                    step = max(-MAX_A_STEP, min(MAX_A_STEP, math.log(ratio)))
                    new_a = min(max(row.log_a + step, A_BOUNDS[0]), A_BOUNDS[1])
                    moved = moved or new_a != row.log_a
                    if new_a == row.log_a:
                        row.stuck = f"demand needs to go beyond ×{math.exp(new_a):.2f}"
                    row.log_a = new_a
                row.points.clear()
                row.last_sides.clear()
            if not moved:
                break  # every catchment that is off is at its bound
            continue
        for row, ok, t in zip(rows, share_ok, targets, strict=True):
            if not ok:
                row.stuck = ""
                row.log_r = next_log_r(row, t.observation.share)
        if all(r.stuck for r, ok in zip(rows, share_ok, strict=True) if not ok):
            break  # nothing can move any more
    fits = _row_fits(base, targets, rows, measured, doc, path, tol_s, tolerance_queue)
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
        converged=converged,
        rows=tuple(fits),
        iterations=tuple(iterations),
        document=doc,
        start_date=base.scenario.run.start_date,
    )


def _queue_ok(m: Measured, t: Target, tolerance: float) -> bool | None:
    """Is the queue within tolerance (None when it is not fitted)."""
    w = t.observation.waiting
    if not t.fit_demand or w is None:
        return None
    if w == 0:
        return m.waiting < 0.5
    return abs(m.waiting / w - 1.0) <= tolerance


def _stage_capacity(scenario: Scenario, unit: int, stage: str) -> float:
    u = scenario.units[unit]
    caps = [u.first_visit] if stage == "first_visit" else list(u.treatment.values())
    return float(
        sum(c.slots_per_week for c in caps if c is not None and not isinstance(c, Servers))
    )


def _referrals(spec: ModelSpec, units: Sequence[int]) -> float:
    cols = np.isin(spec.home_unit, list(units))
    return float(spec.daily_arrivals[:, cols].sum() / spec.horizon_days * 365.25)


def _row_fits(
    base: _Base,
    targets: Sequence[Target],
    rows: Sequence[_Row],
    measured: Sequence[Measured],
    doc: dict[str, Any],
    path: Path,
    tol_s: float,
    tol_q: float,
) -> list[RowFit]:
    fitted, spec = compile_document(base, doc, path)
    out = []
    for t, row, m in zip(targets, rows, measured, strict=True):
        stage = t.observation.stage
        share_ok = abs(m.share - t.observation.share) <= tol_s
        queue_ok = _queue_ok(m, t, tol_q)
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


# ------------------------------------------------------------------------- outputs
class _Dumper(yaml.SafeDumper):
    """Readable YAML: no anchors; collections of scalars on one line (flow), except
    lists of long strings (sources, assumptions); long or multi-line strings folded."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _is_scalar(x: Any) -> bool:
    return not isinstance(x, dict | list)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(_is_scalar(x) and not (isinstance(x, str) and len(x) > 40) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = all(_is_scalar(v) and not (isinstance(v, str) and len(v) > 40) for v in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = ">" if "\n" in data.rstrip("\n") or len(data) > 90 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(str, _represent_str)


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def provenance(result: CalibrationResult, command: str) -> tuple[str, list[str]]:
    """The ``sources`` entry and the ``assumptions`` entries the calibration adds."""
    dates = ", ".join(str(d) for d in result.observation_dates())
    source = (
        f"Calibrated with `{command}` against {result.observed_path} (month end {dates}): "
        f"under `separate` ({result.replications} replications, seed {result.seed}) every "
        f"row is within {result.tolerance_pp:g} pp of its observed share waiting within 90 "
        "days"
        + (
            f" and within {100 * result.tolerance_queue:g} % of its observed number waiting"
            if any(r.target.fit_demand for r in result.rows)
            else ""
        )
    )
    caps = []
    demand = []
    for r in result.rows:
        obs = r.target.observation
        after = ", ".join(f"{u} {c:g}" for u, c in r.capacity_after.items())
        caps.append(f"{obs.target} {obs.stage} {after}")
        if r.target.fit_demand:
            demand.append(
                f"{obs.target} ×{r.demand_factor:.3f} ({r.referrals_before:,.0f} → "
                f"{r.referrals_after:,.0f} referrals a year)"
            )
    assumptions = [
        "Fitted by calibration, not observed: slots per week " + "; ".join(caps),
    ]
    if demand:
        assumptions.append(
            "Fitted by calibration, not observed: demand of each catchment (rates_per_1000, "
            "same rate within a catchment) and its backlog counts scaled to reproduce the "
            "observed number waiting: " + "; ".join(demand)
        )
    return source, assumptions


def calibrated_yaml(result: CalibrationResult, command: str) -> str:
    """The calibrated scenario as YAML, with a header and provenance entries."""
    doc = copy.deepcopy(result.document)
    source, assumptions = provenance(result, command)
    doc["sources"] = [*doc.get("sources", []), source]
    doc["assumptions"] = [*doc.get("assumptions", []), *assumptions]
    first: tuple[str, ...] = ("name", "title", "description", "sources", "assumptions")
    ordered: dict[str, Any] = {k: doc[k] for k in first if k in doc}
    ordered.update({k: v for k, v in doc.items() if k not in ordered})
    header = (
        f"# {result.scenario}: generated by `remiss calibrate` — do not edit by hand; change\n"
        f"# the start file {result.scenario_path} or the observed figures\n"
        f"# {result.observed_path} and run again:\n"
        f"#   {command}\n"
        "# The fitted numbers (slots per week, demand rates, backlog counts) are listed under\n"
        "# `assumptions`; the fit report is in scenarios/README.md.\n"
    )
    body = yaml.dump(
        ordered,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=92,
    )
    return header + body


def fit_report(result: CalibrationResult, command: str) -> str:
    """The fit as Markdown: observed vs simulated per row, and the iterations."""
    status = (
        "converged"
        if result.converged
        else f"**did not converge** within {len(result.iterations)} iterations"
    )
    dates = ", ".join(str(d) for d in result.observation_dates())
    lines = [
        f"# Calibration of `{result.scenario}` — {status}",
        "",
        f"Command: `{command}`",
        "",
        f"Observed figures: `{result.observed_path}`, compared at the month end {dates}. "
        f"Policy `separate`, {result.replications} replications, seed {result.seed} "
        "(the same patients in every iteration of an epoch); simulated figures are the mean "
        "and 95 % CI over replications. Tolerance: "
        f"{result.tolerance_pp:g} percentage points on the share waiting within 90 days"
        + (
            f", {100 * result.tolerance_queue:g} % on the number waiting."
            if any(r.target.fit_demand for r in result.rows)
            else " (numbers waiting not fitted)."
        ),
        "",
        "| row | stage | observed ≤ 90 d | simulated ≤ 90 d [95 % CI] | diff (pp) "
        "| observed waiting | simulated waiting [95 % CI] | diff | slots/week start → fitted "
        "| demand × | ok |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in result.rows:
        obs, m = r.target.observation, r.measured
        lo, hi = m.share_ci95
        wlo, whi = m.waiting_ci95
        wdiff = r.waiting_difference
        before = sum(r.capacity_before.values())
        after = sum(r.capacity_after.values())
        lines.append(
            f"| {obs.target} | {obs.stage} | {_pct(obs.share)} | {_pct(m.share)} "
            f"[{_pct(lo)} – {_pct(hi)}] | {r.share_difference_pp:+.1f} | "
            + (f"{obs.waiting:,.0f}" if obs.waiting is not None else "–")
            + f" | {m.waiting:,.0f} [{wlo:,.0f} – {whi:,.0f}] | "
            + (
                ("–" if wdiff is None else f"{100 * wdiff:+.1f} %")
                + ("" if r.target.fit_demand or wdiff is None else " (not fitted)")
            )
            + f" | {before:.1f} → {after:.1f} | "
            + (f"{r.demand_factor:.3f}" if r.target.fit_demand else "–")
            + f" | {'yes' if r.within else 'NO'} |"
        )
    lines += [
        "",
        "Iterations (one simulation each; capacity and demand as multipliers of the start "
        "file; share within 90 days / number waiting per row):",
        "",
        "| iteration | epoch | " + " | ".join(r.target.label for r in result.rows) + " |",
        "|---:|---:|" + "---|" * len(result.rows),
    ]
    for it in result.iterations:
        cells = [
            f"cap ×{c:.3f}, dem ×{d:.3f}: {_pct(m.share)} / {m.waiting:,.0f}"
            for c, d, m in zip(it.capacity, it.demand, it.measured, strict=True)
        ]
        lines.append(f"| {it.number} | {it.epoch} | " + " | ".join(cells) + " |")
    if not result.converged:
        lines += ["", "Outside tolerance:", ""] + [f"- {f}" for f in result.failures()]
    return "\n".join(lines) + "\n"
