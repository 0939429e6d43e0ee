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

**The modules.** :mod:`~scenarios.calibrate.observed` reads the observed-figures CSV,
:mod:`~scenarios.calibrate.targets` maps its rows to units and month ends,
:mod:`~scenarios.calibrate.measure` simulates them, :mod:`~scenarios.calibrate.document`
applies the multipliers to the start file, :mod:`~scenarios.calibrate.search` steps
them, :mod:`~scenarios.calibrate.fit` runs it all (:func:`calibrate`);
:mod:`~scenarios.calibrate.output` writes the calibrated file and
:mod:`~scenarios.calibrate.report` the fit report.
"""

from scenarios.calibrate.document import StartScenario, build_document, compile_document
from scenarios.calibrate.fit import CalibrationResult, RowFit, calibrate
from scenarios.calibrate.measure import POLICY, Measured, measure
from scenarios.calibrate.observed import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    STAGES,
    Observation,
    ObservedFileError,
    read_observed,
)
from scenarios.calibrate.output import calibrated_yaml, command_line, provenance
from scenarios.calibrate.report import fit_report
from scenarios.calibrate.search import (
    A_BOUNDS,
    FIRST_SLOPE,
    MAX_A_STEP,
    MAX_STEP,
    X_BOUNDS,
    Iteration,
    RowSearch,
    next_log_r,
)
from scenarios.calibrate.targets import Target, resolve_targets

__all__ = [
    "A_BOUNDS",
    "FIRST_SLOPE",
    "MAX_A_STEP",
    "MAX_STEP",
    "OPTIONAL_COLUMNS",
    "POLICY",
    "REQUIRED_COLUMNS",
    "STAGES",
    "X_BOUNDS",
    "CalibrationResult",
    "Iteration",
    "Measured",
    "Observation",
    "ObservedFileError",
    "RowFit",
    "RowSearch",
    "StartScenario",
    "Target",
    "build_document",
    "calibrate",
    "calibrated_yaml",
    "command_line",
    "compile_document",
    "fit_report",
    "measure",
    "next_log_r",
    "provenance",
    "read_observed",
    "resolve_targets",
]
