"""The waiting-list formulas of Fong et al. (2022), exactly as in the R package
``NHSRwaitinglist`` (files ``R/calc_*.R``; the same function and argument names)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulering.estimate.checks import non_negative, positive, real

DEFAULT_FACTOR = 4.0
"""Fong et al.'s default ratio target wait / mean wait (mean wait = a quarter of the
target, so about 98.2 % = 1 − e⁻⁴ are seen within the target)."""


def calc_queue_load(demand: float, capacity: float) -> float:
    """Queue load ``= demand / capacity`` (Fong et al. 2022, Facts 1–2).

    The number of arrivals for every patient leaving the list. A load ≥ 1 means the
    waiting list grows without bound; below 1 it is the share of time the list is
    non-empty. Same as ``NHSRwaitinglist::calc_queue_load``.

    Args:
        demand: additions to the list per time unit (e.g. referrals/week), ≥ 0.
        capacity: removals the service can make per time unit (same unit), > 0.

    Returns:
        Dimensionless load. Example (package docs): ``calc_queue_load(30, 27) = 1.111``.
    """
    d = non_negative("demand", demand)
    cap = positive("capacity", capacity)
    return d / cap


def calc_target_mean_wait(target_wait: float, factor: float = DEFAULT_FACTOR) -> float:
    """Target mean wait ``= target_wait / factor`` (Fong et al. 2022, Fact 4).

    To have between 1.8 % and 0.2 % of patients miss the target, the mean wait should
    be between a quarter (``factor = 4``) and a sixth (``factor = 6``) of the target.
    Same as ``NHSRwaitinglist::calc_target_mean_wait``. Use :func:`factor_for_share`
    to derive ``factor`` from a required share within the target.

    Args:
        target_wait: the waiting-time target, in time units (e.g. weeks), > 0.
        factor: target / mean wait ratio, > 0 (default 4).

    Returns:
        Mean wait in the same time unit. Example: ``calc_target_mean_wait(52, 4) = 13``.
    """
    t = positive("target_wait", target_wait)
    f = positive("factor", factor)
    return t / f


def calc_target_queue_size(
    demand: float, target_wait: float, factor: float = DEFAULT_FACTOR
) -> float:
    """Target queue size ``= demand × target_wait / factor`` (Fong et al. 2022, Facts 5–6).

    Little's law applied to the target mean wait: the list size at which a queue in
    equilibrium has mean wait ``target_wait / factor``. Only meaningful when
    capacity > demand. Same as ``NHSRwaitinglist::calc_target_queue_size``.

    Args:
        demand: additions per time unit, ≥ 0.
        target_wait: target in the same time unit, > 0.
        factor: target / mean wait ratio, > 0 (default 4).

    Returns:
        Number of patients. Example: ``calc_target_queue_size(30, 52) = 390``.
    """
    d = non_negative("demand", demand)
    return d * calc_target_mean_wait(target_wait, factor)


def calc_relief_capacity(
    demand: float,
    queue_size: float,
    target_queue_size: float,
    time_to_target: float = 26.0,
    num_referrals: float = 0.0,
    cv_demand: float = 0.0,
) -> float:
    """Relief capacity ``= demand + (queue_size − target_queue_size) / time_to_target``.

    Fong et al. 2022, Fact 7: if the list is more than twice its target size, pick a
    date by which to bring it down and run this (temporary) capacity until then.
    Same as ``NHSRwaitinglist::calc_relief_capacity``, including its optional
    allowance for uncertainty in an *estimated* demand: when ``num_referrals > 0``
    and ``2·demand·cv_demand/√num_referrals < 1``, demand is first replaced by
    ``demand / (1 − 2·demand·cv_demand/√num_referrals)``. With the defaults
    (``num_referrals = 0``) that adjustment is off.

    Args:
        demand: additions per time unit, ≥ 0.
        queue_size: current number on the list, ≥ 0.
        target_queue_size: desired number on the list, ≥ 0.
        time_to_target: time units to reach the target size, > 0 (default 26, i.e.
            six months when the unit is weeks).
        num_referrals: number of referrals demand was estimated from (≥ 0; 0 = off).
        cv_demand: coefficient of variation of demand, ≥ 0 (used only with
            ``num_referrals``).

    Returns:
        Removals per time unit. Example: ``calc_relief_capacity(30, 1200, 390, 26)
        = 61.15`` patients/week.
    """
    d = non_negative("demand", demand)
    q = non_negative("queue_size", queue_size)
    qt = non_negative("target_queue_size", target_queue_size)
    t = positive("time_to_target", time_to_target)
    n = non_negative("num_referrals", num_referrals)
    cv = non_negative("cv_demand", cv_demand)
    if n > 0:
        margin = 2.0 * d * cv / math.sqrt(n)
        if margin < 1:
            d = d / (1.0 - margin)
    return d + (q - qt) / t


def calc_target_capacity(
    demand: float,
    target_wait: float,
    factor: float = DEFAULT_FACTOR,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
) -> float:
    """Target capacity ``= demand + ((cv_demand² + cv_capacity²)/2) × (factor/target_wait)``.

    Fong et al. 2022, Fact 8 (Kingman's / Marchal's heavy-traffic formula, a
    Pollaczek–Khinchine-type result): the capacity that holds the list in equilibrium
    at mean wait ``target_wait/factor``; the excess over demand grows with the
    variability of arrivals and of removals. Same as
    ``NHSRwaitinglist::calc_target_capacity`` (code and tests; its help page omits the
    ``/2`` but the code and its tests include it).

    Args:
        demand: additions per time unit, ≥ 0.
        target_wait: target in the same time unit, > 0.
        factor: target / mean wait ratio, > 0 (default 4).
        cv_demand: coefficient of variation of the time between arrivals, ≥ 0
            (1 for Poisson referrals).
        cv_capacity: coefficient of variation of removals (service), ≥ 0 (1 = as
            variable as a Poisson process).

    Returns:
        Removals per time unit. Example (package tests):
        ``calc_target_capacity(30, 52, 3, 1.1, 1.2) = 30.0764``.
    """
    d = non_negative("demand", demand)
    t = positive("target_wait", target_wait)
    f = positive("factor", factor)
    cvd = non_negative("cv_demand", cv_demand)
    cvc = non_negative("cv_capacity", cv_capacity)
    return d + ((cvd**2 + cvc**2) / 2.0) * (f / t)


def calc_waiting_list_pressure(mean_wait: float, target_wait: float) -> float:
    """Waiting-list pressure ``= 2 × mean_wait / target_wait`` (Fong et al. 2022, Fact 9).

    Should be below 1; above 1 the list will most likely miss its target. Comparable
    across lists of different sizes and targets. Same as
    ``NHSRwaitinglist::calc_waiting_list_pressure``.

    Args:
        mean_wait: observed mean wait of the patients on the list, time units, ≥ 0.
        target_wait: target in the same time unit, > 0.

    Returns:
        Dimensionless pressure. Example (paper's P4 ENT list):
        ``calc_waiting_list_pressure(63, 52) = 2.42``.
    """
    w = non_negative("mean_wait", mean_wait)
    t = positive("target_wait", target_wait)
    return 2.0 * w / t


def factor_for_share(share: float) -> float:
    """The ``factor`` (target / mean wait) that puts ``share`` of patients within target.

    Assumes an exponential waiting-time tail, ``P(wait > target) = exp(−target/mean)``,
    which is what Fong et al.'s Fact 4 numbers follow (factor 4 → 1 − e⁻⁴ ≈ 98.2 %
    within target, factor 6 → 1 − e⁻⁶ ≈ 99.75 %). Hence ``factor = −ln(1 − share)``;
    e.g. a share of 0.92 gives ``ln(12.5) ≈ 2.53``.

    Args:
        share: required fraction within the target, ``0 < share < 1``.
    """
    s = real("share", share)
    if not 0 < s < 1:
        raise ValueError(f"share must be strictly between 0 and 1, got {share!r}")
    return -math.log1p(-s)


def share_within_target(factor: float) -> float:
    """Share within target implied by ``factor``: ``1 − exp(−factor)`` (inverse of
    :func:`factor_for_share`, same exponential-tail assumption)."""
    f = positive("factor", factor)
    return -math.expm1(-f)


@dataclass(frozen=True)
class WaitingListResult:
    """A waiting list's metrics (Fong et al. 2022); ``None`` where an optional input
    (capacity, queue size, mean wait) is missing or the value leaves the float range."""

    share_within_target: float
    target_mean_wait: float
    target_queue_size: float
    target_capacity: float | None
    """None when it leaves the float range (inputs so extreme that ``exp`` overflows)."""
    queue_load: float | None
    relief_capacity: float | None
    queue_ratio: float | None
    """Queue size over target queue size (None when the target size is 0)."""
    queue_too_big: bool | None
    """More than twice the target size: relief capacity needed."""
    pressure: float | None


def waiting_list(
    demand: float,
    target_wait: float,
    factor: float,
    time_to_target: float,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
    capacity: float | None = None,
    queue_size: float | None = None,
    mean_wait: float | None = None,
) -> WaitingListResult:
    """All the waiting-list metrics of one list, each from its formula above: rates per
    time unit, waits and ``time_to_target`` in that unit."""
    tqs = calc_target_queue_size(demand, target_wait, factor)
    try:
        tcap: float | None = calc_target_capacity(
            demand, target_wait, factor, cv_demand, cv_capacity
        )
    except (OverflowError, ZeroDivisionError):
        tcap = None
    relief = ratio = None
    too_big: bool | None = None
    if queue_size is not None and math.isfinite(tqs):
        relief = calc_relief_capacity(demand, queue_size, tqs, time_to_target)
        ratio = queue_size / tqs if tqs > 0 else None
        too_big = queue_size > 2 * tqs
    return WaitingListResult(
        share_within_target=share_within_target(factor),
        target_mean_wait=calc_target_mean_wait(target_wait, factor),
        target_queue_size=tqs,
        target_capacity=tcap,
        queue_load=None if capacity is None else calc_queue_load(demand, capacity),
        relief_capacity=relief,
        queue_ratio=ratio,
        queue_too_big=too_big,
        pressure=None if mean_wait is None else calc_waiting_list_pressure(mean_wait, target_wait),
    )
