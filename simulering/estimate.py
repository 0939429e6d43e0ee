"""Instant analytic queueing estimates (``remiss estimate``).

Three families of closed-form results, each a pure function of plain numbers:

* **M/M/c** (Erlang C): Poisson referrals, exponential service, ``c`` identical
  servers, first come first served, infinite waiting room. Textbook results as in
  Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory* (4th ed.,
  §2.3), Kleinrock, *Queueing Systems* vol. 1 (§3.5).
* **Little's law** ``L = λ·W`` (Little 1961), valid for any stable queue.
* **Waiting-list formulas** of Fong K, Mushtaq Y, House T, Gordon D, Chen Y,
  Griffiths D, Ahmad S, Walton N. *Understanding Waiting Lists Pressures*. medRxiv
  2022, doi:10.1101/2022.08.23.22279117, implemented exactly as in the NHS-R
  Community reference implementation, the R package ``NHSRwaitinglist`` (CRAN 0.1.x,
  https://github.com/nhs-r-community/NHSRwaitinglist, files ``R/calc_*.R``). The
  function names and argument names are the same as there.

Units: every function works in *one* time unit chosen by the caller (days for the
care guarantee, weeks in Fong et al.). Rates are "per that unit", times are "in that
unit", queue sizes and loads are counts or pure numbers. Nothing here converts units.

Invalid input (negative rates, ``c < 1``, an unstable M/M/c queue with ``ρ ≥ 1``,
non-finite numbers) raises :class:`ValueError` with a message naming the argument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

__all__ = [
    "DEFAULT_FACTOR",
    "LittlesLawResult",
    "MMcResult",
    "calc_queue_load",
    "calc_relief_capacity",
    "calc_target_capacity",
    "calc_target_mean_wait",
    "calc_target_queue_size",
    "calc_waiting_list_pressure",
    "erlang_b",
    "erlang_c",
    "factor_for_share",
    "littles_law",
    "mmc",
    "share_within_target",
]

DEFAULT_FACTOR = 4.0
"""Fong et al.'s default ratio target wait / mean wait (mean wait = a quarter of the
target, so about 98.2 % = 1 − e⁻⁴ are seen within the target)."""


# --------------------------------------------------------------------------- checks


def _real(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return x


def _non_negative(name: str, value: float) -> float:
    x = _real(name, value)
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return x


def _positive(name: str, value: float) -> float:
    x = _real(name, value)
    if x <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return x


def _servers(c: int) -> int:
    if isinstance(c, bool) or not isinstance(c, Integral):
        raise ValueError(f"servers c must be a whole number, got {c!r}")
    if c < 1:
        raise ValueError(f"servers c must be >= 1, got {c!r}")
    return int(c)


# ---------------------------------------------------------------------------- M/M/c


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability ``B(c, a)`` of an M/M/c/c loss system.

    Computed with the numerically stable recursion
    ``B(0, a) = 1``, ``B(k, a) = a·B(k−1, a) / (k + a·B(k−1, a))``,
    which never forms ``a^c`` or ``c!`` and so works for thousands of servers.

    Args:
        c: number of servers (≥ 1).
        a: offered load ``λ/μ`` in Erlangs (≥ 0, dimensionless).

    Returns:
        The probability (dimensionless, in [0, 1]) that all ``c`` servers are busy.
    """
    c = _servers(c)
    a = _non_negative("offered load a", a)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C: probability that an arrival has to wait in an M/M/c queue.

    ``C(c, a) = c·B(c, a) / (c − a·(1 − B(c, a)))``, with ``B`` the Erlang B
    probability from :func:`erlang_b` (the stable route; equal to the classical
    ``(aᶜ/c!)·c/(c−a) / (Σ_{k<c} aᵏ/k! + (aᶜ/c!)·c/(c−a))``).

    Args:
        c: number of servers (≥ 1).
        a: offered load ``λ/μ`` in Erlangs (≥ 0). Must satisfy ``a < c``
            (utilisation ``ρ = a/c < 1``), otherwise the queue is unstable.

    Returns:
        ``P(Wq > 0)``, dimensionless, in [0, 1).

    Raises:
        ValueError: if ``c < 1``, ``a < 0`` or ``a ≥ c``.
    """
    c = _servers(c)
    a = _non_negative("offered load a", a)
    if a >= c:
        raise ValueError(
            f"unstable queue: offered load a = {a:g} Erlang must be below the number of "
            f"servers c = {c} (utilisation rho = a/c = {a / c:.4g} >= 1)"
        )
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


@dataclass(frozen=True)
class MMcResult:
    """Steady-state measures of an M/M/c queue (FCFS, infinite waiting room).

    All times are in the time unit of the rates (days if the rates are per day);
    ``λ`` = ``arrival_rate``, ``μ`` = ``service_rate`` (per server), ``c`` = ``servers``.

    Attributes:
        arrival_rate: λ, arrivals per time unit.
        service_rate: μ, completions per busy server per time unit.
        servers: c.
        offered_load: a = λ/μ, in Erlangs (mean number of busy servers).
        rho: utilisation ρ = λ/(cμ), dimensionless, in [0, 1).
        prob_wait: Erlang C, P(Wq > 0) = C(c, a).
        mean_queue_length: Lq = C(c, a)·ρ/(1 − ρ), customers waiting (not in service).
        mean_in_system: L = Lq + a, customers waiting or in service.
        mean_wait: Wq = C(c, a)/(cμ − λ), time units in queue before service starts.
        mean_time_in_system: W = Wq + 1/μ, time units from arrival to departure.
    """

    arrival_rate: float
    service_rate: float
    servers: int
    offered_load: float
    rho: float
    prob_wait: float
    mean_queue_length: float
    mean_in_system: float
    mean_wait: float
    mean_time_in_system: float

    @property
    def _drain_rate(self) -> float:
        return self.servers * self.service_rate - self.arrival_rate

    def prob_wait_within(self, t: float) -> float:
        """``P(Wq ≤ t) = 1 − C(c, a)·exp(−(cμ − λ)·t)`` for ``t ≥ 0``.

        The waiting time before service starts is 0 with probability ``1 − C`` and
        otherwise exponential with rate ``cμ − λ``. ``t`` is in the rates' time unit.
        """
        t = _non_negative("t", t)
        return 1.0 - self.prob_wait * math.exp(-self._drain_rate * t)

    def prob_wait_longer_than(self, t: float) -> float:
        """``P(Wq > t) = C(c, a)·exp(−(cμ − λ)·t)``, computed directly (no cancellation)."""
        t = _non_negative("t", t)
        return self.prob_wait * math.exp(-self._drain_rate * t)

    def prob_time_in_system_within(self, t: float) -> float:
        """``P(W ≤ t)`` for the time in system ``W = Wq + S`` (``S ~ Exp(μ)``).

        With ``k = c − 1 − a`` (Gross & Harris, M/M/c sojourn-time distribution)::

            P(W > t) = e^{−μt}·[1 + C·(1 − e^{−μ t k})/k]   if k ≠ 0
            P(W > t) = e^{−μt}·(1 + C·μ·t)                   if k = 0

        For ``c = 1`` this reduces to ``P(W > t) = e^{−(μ−λ)t}``.
        """
        t = _non_negative("t", t)
        mu = self.service_rate
        k = self.servers - 1 - self.offered_load
        pw = self.prob_wait
        if abs(k) < 1e-12:
            tail = math.exp(-mu * t) * (1.0 + pw * mu * t)
        elif k > 0:
            tail = math.exp(-mu * t) * (1.0 - pw * math.expm1(-mu * t * k) / k)
        else:  # same expression rearranged so that no exponent is positive
            tail = (
                math.exp(-mu * t) + pw * math.exp(-mu * t * (1.0 + k)) * math.expm1(mu * t * k) / k
            )
        return min(1.0, max(0.0, 1.0 - tail))

    def wait_quantile(self, q: float) -> float:
        """The ``q``-quantile of the waiting time ``Wq`` (time units), ``0 ≤ q < 1``.

        ``0`` if ``q ≤ 1 − C``, otherwise ``ln(C/(1 − q))/(cμ − λ)``.
        """
        q = _non_negative("quantile q", q)
        if q >= 1:
            raise ValueError(f"quantile q must be < 1, got {q!r}")
        if q <= 1.0 - self.prob_wait:
            return 0.0
        return math.log(self.prob_wait / (1.0 - q)) / self._drain_rate


def mmc(arrival_rate: float, service_rate: float, servers: int) -> MMcResult:
    """Steady-state M/M/c measures from ``λ``, ``μ`` and ``c``.

    Args:
        arrival_rate: λ ≥ 0, arrivals per time unit (e.g. referrals/day).
        service_rate: μ > 0, completions per busy server per time unit.
        servers: c ≥ 1 identical servers.

    Returns:
        An :class:`MMcResult`; see there for each formula. Little's law holds by
        construction: ``L = λ·W`` and ``Lq = λ·Wq``.

    Raises:
        ValueError: negative or non-finite rates, ``μ = 0``, ``c < 1``, or
            ``ρ = λ/(cμ) ≥ 1`` (the queue grows without bound).
    """
    lam = _non_negative("arrival_rate", arrival_rate)
    mu = _positive("service_rate", service_rate)
    c = _servers(servers)
    a = lam / mu
    rho = a / c
    if rho >= 1:
        raise ValueError(
            f"unstable queue: utilisation rho = arrival_rate/(servers*service_rate) = "
            f"{lam:g}/({c}*{mu:g}) = {rho:.4g} must be < 1"
        )
    pw = erlang_c(c, a)
    wq = pw / (c * mu - lam)
    lq = pw * rho / (1.0 - rho)
    w = wq + 1.0 / mu
    return MMcResult(
        arrival_rate=lam,
        service_rate=mu,
        servers=c,
        offered_load=a,
        rho=rho,
        prob_wait=pw,
        mean_queue_length=lq,
        mean_in_system=lq + a,
        mean_wait=wq,
        mean_time_in_system=w,
    )


# ---------------------------------------------------------------------- Little's law


@dataclass(frozen=True)
class LittlesLawResult:
    """The three quantities of Little's law ``L = λ·W``.

    Attributes:
        arrival_rate: λ, arrivals per time unit.
        mean_time: W, mean time an item spends in the system, in time units.
        mean_number: L, time-average number of items in the system.
    """

    arrival_rate: float
    mean_time: float
    mean_number: float


def littles_law(
    *,
    arrival_rate: float | None = None,
    mean_time: float | None = None,
    mean_number: float | None = None,
) -> LittlesLawResult:
    """Little's law ``L = λ·W``: give exactly two of the three, get all three.

    Holds for any stable system in steady state, whatever the arrival and service
    distributions and the queue discipline (Little 1961). "System" can be the queue
    alone (``Lq = λ·Wq``) or queue plus service (``L = λ·W``).

    Args:
        arrival_rate: λ ≥ 0, arrivals per time unit.
        mean_time: W ≥ 0, mean time in the system, in the same time unit.
        mean_number: L ≥ 0, mean number in the system.

    Raises:
        ValueError: not exactly two given, a negative value, or ``λ = 0`` when
            solving ``W = L/λ``.
    """
    given = {
        "arrival_rate": arrival_rate,
        "mean_time": mean_time,
        "mean_number": mean_number,
    }
    missing = [k for k, v in given.items() if v is None]
    if len(missing) != 1:
        raise ValueError(
            "Little's law needs exactly two of arrival_rate, mean_time, mean_number; "
            f"got {3 - len(missing)}"
        )
    if arrival_rate is not None:
        arrival_rate = _non_negative("arrival_rate", arrival_rate)
    if mean_time is not None:
        mean_time = _non_negative("mean_time", mean_time)
    if mean_number is not None:
        mean_number = _non_negative("mean_number", mean_number)

    if mean_number is None:
        assert arrival_rate is not None and mean_time is not None
        return LittlesLawResult(arrival_rate, mean_time, arrival_rate * mean_time)
    if mean_time is None:
        assert arrival_rate is not None
        if arrival_rate == 0:
            raise ValueError("arrival_rate must be > 0 to solve W = L/λ")
        return LittlesLawResult(arrival_rate, mean_number / arrival_rate, mean_number)
    if mean_time == 0:
        raise ValueError("mean_time must be > 0 to solve λ = L/W")
    return LittlesLawResult(mean_number / mean_time, mean_time, mean_number)


# --------------------------------------------------------- Fong et al. 2022 waiting lists


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
    d = _non_negative("demand", demand)
    cap = _positive("capacity", capacity)
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
    t = _positive("target_wait", target_wait)
    f = _positive("factor", factor)
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
    d = _non_negative("demand", demand)
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
    d = _non_negative("demand", demand)
    q = _non_negative("queue_size", queue_size)
    qt = _non_negative("target_queue_size", target_queue_size)
    t = _positive("time_to_target", time_to_target)
    n = _non_negative("num_referrals", num_referrals)
    cv = _non_negative("cv_demand", cv_demand)
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
    d = _non_negative("demand", demand)
    t = _positive("target_wait", target_wait)
    f = _positive("factor", factor)
    cvd = _non_negative("cv_demand", cv_demand)
    cvc = _non_negative("cv_capacity", cv_capacity)
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
    w = _non_negative("mean_wait", mean_wait)
    t = _positive("target_wait", target_wait)
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
    s = _real("share", share)
    if not 0 < s < 1:
        raise ValueError(f"share must be strictly between 0 and 1, got {share!r}")
    return -math.log1p(-s)


def share_within_target(factor: float) -> float:
    """Share within target implied by ``factor``: ``1 − exp(−factor)`` (inverse of
    :func:`factor_for_share`, same exponential-tail assumption)."""
    f = _positive("factor", factor)
    return -math.expm1(-f)
