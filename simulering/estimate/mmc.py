"""The M/M/c queue (Erlang C): Poisson referrals, exponential service, ``c`` identical
servers, first come first served, infinite waiting room (Gross, Shortle, Thompson &
Harris, *Fundamentals of Queueing Theory*, 4th ed., §2.3; Kleinrock vol. 1, §3.5)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulering.estimate.checks import non_negative, positive, server_count


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
    c = server_count(c)
    a = non_negative("offered load a", a)
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
    c = server_count(c)
    a = non_negative("offered load a", a)
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
        t = non_negative("t", t)
        return 1.0 - self.prob_wait * math.exp(-self._drain_rate * t)

    def prob_wait_longer_than(self, t: float) -> float:
        """``P(Wq > t) = C(c, a)·exp(−(cμ − λ)·t)``, computed directly (no cancellation)."""
        t = non_negative("t", t)
        return self.prob_wait * math.exp(-self._drain_rate * t)

    def prob_time_in_system_within(self, t: float) -> float:
        """``P(W ≤ t)`` for the time in system ``W = Wq + S`` (``S ~ Exp(μ)``).

        With ``k = c − 1 − a`` (Gross & Harris, M/M/c sojourn-time distribution)::

            P(W > t) = e^{−μt}·[1 + C·(1 − e^{−μ t k})/k]   if k ≠ 0
            P(W > t) = e^{−μt}·(1 + C·μ·t)                   if k = 0

        For ``c = 1`` this reduces to ``P(W > t) = e^{−(μ−λ)t}``.
        """
        t = non_negative("t", t)
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
        q = non_negative("quantile q", q)
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
    lam = non_negative("arrival_rate", arrival_rate)
    mu = positive("service_rate", service_rate)
    c = server_count(servers)
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
