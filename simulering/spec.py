"""The compiled, frozen model specification the simulation runs on.

The scenario layer turns a YAML file (dates, calendars, reductions) into a
:class:`ModelSpec`: plain numbers and numpy arrays in *days since the start date*.
The model knows nothing of files, dates or YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from allokering.domain import GUARANTEE_DAYS, Stage

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Distribution:
    """A non-negative random duration in days."""

    kind: Literal["fixed", "exponential", "uniform", "lognormal", "gamma"]
    mean: float = 0.0
    sd: float = 0.0
    low: float = 0.0
    high: float = 0.0

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        if n == 0:
            return np.zeros(0)
        if self.kind == "fixed":
            return np.full(n, self.mean)
        if self.kind == "exponential":
            return rng.exponential(self.mean, n) if self.mean > 0 else np.zeros(n)
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high, n)
        if self.kind == "lognormal":
            sigma2 = np.log(1.0 + (self.sd / self.mean) ** 2)
            return rng.lognormal(np.log(self.mean) - sigma2 / 2.0, np.sqrt(sigma2), n)
        shape = (self.mean / self.sd) ** 2
        return rng.gamma(shape, self.mean / shape, n)


@dataclass(frozen=True)
class Pool:
    """A capacity pool of one stage: the first visit, or a treatment sub-pool.

    ``slots[d, u]`` is the number of slots unit ``u`` offers on day ``d`` (calendar
    mode); ``servers[u]`` the number of parallel servers and ``service`` the service
    time (server mode, for validation against queueing theory).
    """

    name: str
    stage: Stage
    mode: Literal["slots", "servers"]
    slots: IntArray | None = None
    servers: IntArray | None = None
    service: Distribution | None = None

    def serves(self) -> npt.NDArray[np.bool_]:
        """Which units offer any capacity in this pool."""
        if self.mode == "slots":
            assert self.slots is not None
            return np.asarray(self.slots.sum(axis=0) > 0)
        assert self.servers is not None
        return np.asarray(self.servers > 0)


@dataclass(frozen=True)
class Behaviour:
    """Patient behaviour: willingness to travel, no-shows, withdrawal while waiting.

    Willingness to travel is a curve ``accept_km``/``accept_prob`` (piecewise linear,
    non-increasing): each patient draws a personal tolerance once, so a patient who
    declines a unit at some distance declines every unit further away.
    """

    accept_km: FloatArray = field(default_factory=lambda: np.array([0.0, 1e9]))
    accept_prob: FloatArray = field(default_factory=lambda: np.array([1.0, 1.0]))
    no_show_share: float = 0.0
    no_show_restarts_clock: bool = False
    withdrawal_rate_per_day: float = 0.0


@dataclass(frozen=True)
class Backlog:
    """Patients already waiting at the start: one row per patient."""

    home_unit: IntArray
    stage: IntArray
    """0 = first visit, 1 = treatment."""
    age_days: FloatArray


@dataclass(frozen=True)
class PolicyOptions:
    """Settings of the ``optimised`` and ``patient_choice`` routing policies."""

    planning_period_days: int = 7
    """``optimised``: re-plan every this many days (the near weeks of a plan are served)."""
    planning_horizon_weeks: int = 12
    """``optimised``: weeks of capacity each plan looks ahead (H of the allocation problem)."""
    solver: str = "flow"
    """``optimised``: the allocation solver by name (``allokering.solve.SOLVERS``)."""
    solver_time_limit_seconds: float = 2.0
    """``optimised``: time limit per plan for solvers that take one (CP-SAT)."""
    travel_days_per_km: float = 0.2
    """``patient_choice``: days of published wait a patient trades for one extra km."""
    choice_refresh_days: int = 7
    """``patient_choice``: how often the published expected waits are refreshed (days)."""
    choice_share: float = 0.05
    """``patient_choice``: share of patients who consider other units (the rest stay at
    their home unit, as under ``separate``)."""
    rechoice_threshold_days: float = 14.0
    """``patient_choice``: a waiting patient who considers switching chooses again when
    the published wait of their unit or of the best alternative moved by more than this."""


@dataclass(frozen=True)
class ModelSpec:
    """Everything one replication needs, compiled from a scenario."""

    name: str
    area_ids: tuple[str, ...]
    area_subregion: tuple[str, ...]
    subregions: tuple[str, ...]
    unit_ids: tuple[str, ...]
    unit_names: tuple[str, ...]
    unit_group: tuple[str, ...]
    km: FloatArray
    """Travel distance, areas × units (km)."""
    home_unit: IntArray
    """The catchment unit of each area for the first visit."""
    daily_arrivals: FloatArray
    """Expected referrals per day, days × areas (time-varying Poisson rate)."""
    priority_names: tuple[str, ...]
    priority_share: FloatArray
    priority_limit: IntArray
    """Limit in days per priority (rows) and stage (columns)."""
    assessment: Distribution
    returned_share: float
    completion: Distribution
    decision_share: float
    pools: tuple[Pool, ...]
    """pools[0] is the first visit; the rest are treatment sub-pools."""
    treatment_pool_share: FloatArray
    behaviour: Behaviour
    backlog: Backlog
    horizon_days: int
    warmup_days: int
    month_ends: IntArray
    """Day index of every month end in the horizon (snapshots for SKR measures)."""
    guarantee_days: tuple[int, int] = (GUARANTEE_DAYS, GUARANTEE_DAYS)
    """The guarantee limit of the first visit and of treatment (SKR measures use these)."""
    offer_scan_limit: int = 5
    max_offers_per_patient: int = 2
    """Offers of another unit one referral gets at most (shared lists)."""
    review_days: int = 7
    """How often the coordinator reviews the home lists for referrals at risk."""
    offers_elsewhere: Literal["when_at_risk", "always"] = "when_at_risk"
    """``shared``: offer another unit only to referrals their home unit cannot take in
    time (``when_at_risk``), or pool everyone in one queue (``always``: textbook M/M/c)."""
    priority_rule: Literal["strict", "deadline"] = "strict"
    """The turn order: ``strict`` (priority group, then oldest clock first) or
    ``deadline`` (earliest guarantee deadline first: the weighted alternative)."""
    policy_options: PolicyOptions = field(default_factory=PolicyOptions)
    """Settings of the optimised and patient-choice policies."""
    area_region: tuple[str, ...] = ()
    """Administrative region of each area ("" or empty: none, as in a one-region file)."""
    unit_region: tuple[str, ...] = ()
    """Administrative region of each unit ("" or empty: none)."""
    cross_region_price_sek: tuple[float, float] = (0.0, 0.0)
    """Price per patient served in another administrative region: first visit, treatment."""

    @property
    def n_areas(self) -> int:
        return len(self.area_ids)

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)
