"""The compiled, frozen model specification the simulation runs on.

The scenario layer turns a YAML file (dates, calendars, reductions) into a
:class:`ModelSpec`: plain numbers and numpy arrays in *days since the start date*.
The model knows nothing of files, dates or YAML.

Settings that a scenario file spells out as they are — a duration
(:class:`Distribution`), the coordinator's offers (:class:`Offers`), the policies'
options (:class:`PolicyOptions`) — are frozen pydantic models defined here once: the
scenario schema validates the file into them and the compiled spec holds them as they
are, so their fields, limits and defaults are written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from allokering.domain import GUARANTEE_DAYS, Stage
from allokering.solve import SOLVERS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently fall back to a default.
    Frozen: a validated setting never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Distribution(Strict):
    """A duration in days: fixed, exponential, uniform, lognormal or gamma."""

    kind: Literal["fixed", "exponential", "uniform", "lognormal", "gamma"] = "fixed"
    mean: float = Field(0.0, ge=0, description="Mean in days (fixed: the value)")
    sd: float = Field(0.0, ge=0, description="Standard deviation (lognormal, gamma)")
    low: float = Field(0.0, ge=0, description="Lower bound (uniform)")
    high: float = Field(0.0, ge=0, description="Upper bound (uniform)")

    @model_validator(mode="after")
    def _shape(self) -> Distribution:
        if self.kind in ("lognormal", "gamma") and (self.mean <= 0 or self.sd <= 0):
            raise ValueError(f"{self.kind} needs mean > 0 and sd > 0")
        if self.kind == "uniform" and self.high < self.low:
            raise ValueError("uniform needs high >= low")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` draws (non-negative days)."""
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
class WaitingList:
    """The actual waiting list at the start (day 0), one row per referral, in file order.

    The model's clock of a row is ``clock``: the real clock start moved later by the
    days SKR does not count — PVV and MOV already passed (``excluded_days``) and the
    PVV/MOV still to come until ``ready`` — so its deadline is the real clock start +
    the priority limit + the excluded days. It is not served before ``ready`` and is
    excluded from the official shares before ``excluded_until``.
    """

    ids: tuple[str, ...]
    unit: IntArray
    """The unit whose list it is on (index into ``unit_ids``)."""
    area: IntArray
    priority: IntArray
    stage: IntArray
    """0 = first visit, 1 = treatment."""
    clock: FloatArray
    """Days since start of the (PVV/MOV-shifted) clock start; ≤ 0 unless in PVV/MOV."""
    ready: FloatArray
    """Day from which it may be served: 0, or the end of its PVV/MOV."""
    excluded_until: FloatArray
    """Day its PVV/MOV ends (≤ 0: not in PVV/MOV at the start)."""
    booked_monday: IntArray
    """Day index of the Monday of its booked week (may be < 0 for the current week)."""
    booked: npt.NDArray[np.bool_]

    @property
    def n(self) -> int:
        return len(self.ids)


class Offers(Strict):
    """How a coordinator offers another unit (``shared``, ``shared_within_subregion``,
    ``optimised``; inside a hospital group under ``separate_by_hospital_group``)."""

    elsewhere: Literal["when_at_risk", "always"] = Field(
        "when_at_risk",
        description="'when_at_risk': another unit is offered only to a referral whose "
        "home unit cannot meet its limit (projected date at home after the deadline, or "
        "already late), as a care-guarantee office does; 'always': one pooled queue in "
        "which any free capacity takes the first in turn (textbook M/M/c validation)",
    )
    max_per_patient: int = Field(
        2, ge=1, le=20, description="Offers of another unit one referral gets at most"
    )
    review_days: int = Field(
        7, ge=1, le=90, description="How often the home lists are reviewed for referrals at risk"
    )


class PolicyOptions(Strict):
    """Settings of the ``optimised`` and ``patient_choice`` routing policies."""

    planning_period_days: int = Field(
        7, ge=1, le=365, description="optimised: re-plan every this many days"
    )
    planning_horizon_weeks: int = Field(
        12, ge=1, le=104, description="optimised: weeks of capacity each plan looks ahead"
    )
    solver: str = Field("flow", description=f"optimised: allocation solver ({', '.join(SOLVERS)})")
    solver_time_limit_seconds: float = Field(
        2.0, gt=0, le=3600, description="optimised: time limit per plan (CP-SAT only)"
    )
    travel_days_per_km: float = Field(
        0.2,
        ge=0,
        description="patient_choice: days of published wait a patient trades for one "
        "km of extra travel beyond the home unit",
    )
    choice_refresh_days: int = Field(
        7,
        ge=1,
        le=365,
        description="patient_choice: days between refreshes of the published expected "
        "waits (patients waiting ÷ capacity per day over the next 4 weeks)",
    )
    choice_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="patient_choice: share of patients who consider another unit than "
        "their home unit (the rest stay, as under separate)",
    )
    rechoice_threshold_days: float = Field(
        14.0,
        ge=0,
        description="patient_choice: a waiting patient who considers switching chooses "
        "again when the published wait of their unit or of the best alternative moved by "
        "more than this many days since their last choice",
    )

    @field_validator("solver")
    @classmethod
    def _known_solver(cls, v: str) -> str:
        if v not in SOLVERS:
            raise ValueError(f"unknown solver {v!r}; known: {', '.join(SOLVERS)}")
        return v


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
    offer_scan_limit: int
    """Offers a coordinator makes per freed slot (shared lists)."""
    priority_rule: Literal["strict", "deadline"]
    """The turn order: ``strict`` (priority group, then oldest clock first) or
    ``deadline`` (earliest guarantee deadline first: the weighted alternative)."""
    guarantee_days: tuple[int, int] = (GUARANTEE_DAYS, GUARANTEE_DAYS)
    """The guarantee limit of the first visit and of treatment (SKR measures use these)."""
    offers: Offers = field(default_factory=Offers)
    """When and how often another unit is offered (shared lists)."""
    policy_options: PolicyOptions = field(default_factory=PolicyOptions)
    """Settings of the optimised and patient-choice policies."""
    area_region: tuple[str, ...] = ()
    """Administrative region of each area ("" or empty: none, as in a one-region file)."""
    unit_region: tuple[str, ...] = ()
    """Administrative region of each unit ("" or empty: none)."""
    cross_region_price_sek: tuple[float, float] = (0.0, 0.0)
    """Price per patient served in another administrative region: first visit, treatment."""
    waiting_list: WaitingList | None = None
    """The actual list at the start (used instead of ``backlog``; None: the backlog)."""
    arrival_stage: int = 0
    """The list new referrals join: 0 = first visit; 1 = treatment (decided already,
    the treatment clock starts at arrival)."""

    @property
    def n_areas(self) -> int:
        return len(self.area_ids)

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)
