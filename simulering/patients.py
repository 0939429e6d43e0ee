"""The patients of one replication, drawn before any policy runs (common random numbers).

Every attribute a patient brings with them — when the referral arrives, where they live,
their priority, how far they will travel, whether they will be decided for treatment —
is drawn here once, so every policy faces exactly the same patients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from simulering.spec import FloatArray, IntArray, ModelSpec
from simulering.streams import Streams

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Patients:
    """Struct of arrays, one row per referral; backlog rows first, then arrivals by time."""

    arrival: FloatArray
    """Referral received (the first-visit clock starts), days since start."""
    ready: FloatArray
    """Assessment done (returned referrals included): joins the first-visit list."""
    area: IntArray
    priority: IntArray
    returned: BoolArray
    tolerance_km: FloatArray
    """The longest distance this patient accepts to a unit other than their home unit."""
    decided: BoolArray
    """Decided for treatment at the first visit."""
    pool: IntArray
    """The treatment pool (index into ``spec.pools``) if decided."""
    withdraw_after: FloatArray
    """Days of waiting after which the patient withdraws, per stage (2 × n)."""
    service: FloatArray
    """Service time in days per stage (2 × n), used by server pools."""
    no_show_draw: FloatArray
    """Uniform draw for the first booking per stage (2 × n)."""
    backlog_stage: IntArray
    """-1 for new referrals, else the stage the backlog patient waits in."""
    backlog_home: IntArray
    choice_draw: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Uniform draw, once per patient: under ``patient_choice`` the patient considers
    other units when it is below ``policy_options.choice_share`` (stream ``choice``).
    Empty (patients built by hand): every draw counts as 0."""
    n_listed: int = 0
    """The first ``n_listed`` rows are the actual waiting list (``spec.waiting_list``,
    in its order): their ``backlog_stage`` is the list they wait on, ``backlog_home``
    the unit whose list they are on, ``arrival`` their (PVV/MOV-shifted) clock start
    and ``ready`` the day they may be served from."""

    @property
    def n(self) -> int:
        return int(self.arrival.shape[0])


def _tolerances(spec: ModelSpec, rng: np.random.Generator, n: int) -> FloatArray:
    """Personal travel tolerance: the largest km at which accept-probability ≥ u."""
    km, prob = spec.behaviour.accept_km, spec.behaviour.accept_prob
    u = rng.random(n)
    # prob is non-increasing in km; invert the piecewise-linear curve.
    # np.interp needs increasing x: interpolate km over reversed probabilities.
    tol = np.interp(u, prob[::-1], km[::-1])
    tol[u > prob[0]] = 0.0
    tol[u <= prob[-1]] = np.inf
    return np.asarray(tol, dtype=np.float64)


def draw_patients(spec: ModelSpec, streams: Streams) -> Patients:
    """Draw the backlog (or take the actual waiting list) and all referrals arriving
    within the horizon. What the actual list fixes — clock, area, priority, stage, unit,
    when it may be served — is not drawn for its rows; every other draw is."""
    arrival_new, area_new = _arrivals(spec, streams)
    bl, wl = spec.backlog, spec.waiting_list
    n_listed = 0 if wl is None else wl.n
    n_bl = int(bl.home_unit.shape[0]) + n_listed
    n = n_bl + arrival_new.size
    listed_clock = np.zeros(0) if wl is None else wl.clock
    arrival = np.concatenate([-bl.age_days, listed_clock, arrival_new])
    listed_area = np.zeros(0, dtype=np.int64) if wl is None else wl.area
    area = np.concatenate([_backlog_areas(spec, streams), listed_area, area_new])
    priority = (
        streams.get("priorities")
        .choice(len(spec.priority_names), size=n - n_listed, p=spec.priority_share)
        .astype(np.int64)
    )
    if wl is not None:
        priority = np.concatenate([wl.priority, priority])
    returned, ready = _assessment(spec, streams, arrival, n_bl)
    if wl is not None:  # the list fixes when each may be served; it was assessed already
        ready[:n_listed], returned[:n_listed] = wl.ready, False
    if spec.arrival_stage == 1:  # decided already: the treatment list at arrival
        ready[n_bl:], returned[n_bl:] = arrival[n_bl:], False
    decided = streams.get("decision").random(n) < spec.decision_share
    n_tr = len(spec.pools) - 1
    if n_tr > 0:
        pool = 1 + streams.get("pools").choice(n_tr, size=n, p=spec.treatment_pool_share)
    else:
        pool = np.zeros(n, dtype=np.int64)
    rate = spec.behaviour.withdrawal_rate_per_day
    rng_w = streams.get("withdrawal")
    withdraw_after = rng_w.exponential(1.0 / rate, (2, n)) if rate > 0 else np.full((2, n), np.inf)
    service = _service_times(spec, streams, pool)
    none = np.full(arrival_new.size, -1, dtype=np.int64)
    listed_stage = np.zeros(0, dtype=np.int64) if wl is None else wl.stage
    listed_unit = np.zeros(0, dtype=np.int64) if wl is None else wl.unit
    backlog_stage = np.concatenate([bl.stage, listed_stage, none])
    backlog_home = np.concatenate([bl.home_unit, listed_unit, none])
    decided = decided | (backlog_stage == 1)
    if spec.arrival_stage == 1:
        decided[n_bl:] = True
    if n_tr == 0:
        decided[:] = False
    tolerance_km = _tolerances(spec, streams.get("travel"), n)
    no_show_draw = streams.get("no_show").random((2, n))
    choice_draw = streams.get("choice").random(n)  # last: no other stream changes
    return Patients(
        arrival=arrival,
        ready=ready,
        area=area,
        priority=priority,
        returned=returned,
        tolerance_km=tolerance_km,
        decided=decided,
        pool=pool.astype(np.int64),
        withdraw_after=withdraw_after,
        service=service,
        no_show_draw=no_show_draw,
        backlog_stage=backlog_stage,
        backlog_home=backlog_home,
        choice_draw=choice_draw,
        n_listed=n_listed,
    )


def _arrivals(spec: ModelSpec, streams: Streams) -> tuple[FloatArray, IntArray]:
    """New referrals: Poisson counts per day and area, each at a uniform time of its
    day; sorted by arrival time (ties in drawing order)."""
    rates = spec.daily_arrivals
    rng_arr = streams.get("arrivals")
    counts = rng_arr.poisson(rates)
    days = np.repeat(np.arange(rates.shape[0]), counts.sum(axis=1))
    area_new = np.concatenate([np.repeat(np.arange(rates.shape[1]), row) for row in counts])
    offsets = rng_arr.random(days.shape[0])
    arrival_new = days + offsets
    order = np.lexsort((np.arange(days.size), arrival_new))
    return arrival_new[order], area_new[order].astype(np.int64)


def _backlog_areas(spec: ModelSpec, streams: Streams) -> IntArray:
    """The home area of each backlog patient: drawn from the catchment of the unit they
    wait at, weighted by the areas' demand (the nearest area when it has none)."""
    bl = spec.backlog
    rng_bl = streams.get("backlog")
    area_bl = np.empty(int(bl.home_unit.shape[0]), dtype=np.int64)
    for u in np.unique(bl.home_unit):
        rows = np.flatnonzero(bl.home_unit == u)
        catch = np.flatnonzero(spec.home_unit == u)
        if catch.size == 0:
            catch = np.array([int(np.argmin(spec.km[:, u]))])
        w = spec.daily_arrivals[:, catch].sum(axis=0)
        w = w / w.sum() if w.sum() > 0 else np.full(catch.size, 1.0 / catch.size)
        area_bl[rows] = rng_bl.choice(catch, size=rows.size, p=w)
    return area_bl


def _assessment(
    spec: ModelSpec, streams: Streams, arrival: FloatArray, n_bl: int
) -> tuple[BoolArray, FloatArray]:
    """Who is returned for completion, and when each referral joins the first-visit list
    (backlog patients already have)."""
    n = int(arrival.shape[0])
    rng_as = streams.get("assessment")
    returned = rng_as.random(n) < spec.returned_share
    delay = spec.assessment.sample(rng_as, n) + np.where(
        returned, spec.completion.sample(rng_as, n), 0.0
    )
    is_bl = np.arange(n) < n_bl
    return returned, np.where(is_bl, arrival, arrival + delay)


def _service_times(spec: ModelSpec, streams: Streams, pool: IntArray) -> FloatArray:
    """Service days per stage (2 × n) for server pools: the first visit's, and the
    treatment pool's of each patient."""
    n = int(pool.shape[0])
    rng_s = streams.get("service")
    service = np.zeros((2, n))
    fv_service = spec.pools[0].service
    if fv_service is not None:
        service[0] = fv_service.sample(rng_s, n)
    for p in range(1, len(spec.pools)):
        dist = spec.pools[p].service
        if dist is not None:
            draws = dist.sample(rng_s, n)
            service[1] = np.where(pool == p, draws, service[1])
    return service
