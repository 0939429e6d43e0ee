"""The M/M/c (Erlang C) estimate: its inputs checked, its rows and document; the
formulas are :func:`simulering.estimate.mmc`'s."""

from __future__ import annotations

from typing import Any

from allokering.domain import GUARANTEE_DAYS
from api.estimates.document import Estimate, EstimateError, InputValue, Row
from api.estimates.inputs import non_negative, or_none, positive, server_count
from simulering import estimate as est


def mmc_estimate(
    arrival_rate: float,
    service_rate: float,
    servers: int,
    limit_days: float = float(GUARANTEE_DAYS),
) -> Estimate:
    """M/M/c queue (Erlang C): rates per day, times in days.

    Raises:
        EstimateError: a negative or non-finite rate, ``service_rate = 0``, servers not
            in 1…``MAX_SERVERS``, a negative ``limit_days``, or an unstable queue
            (utilisation ≥ 1).
    """
    lam = non_negative("arrival_rate", arrival_rate)
    mu = positive("service_rate", service_rate)
    c = server_count(servers)
    limit = non_negative("limit_days", limit_days)
    try:
        r = est.mmc(lam, mu, c)
    except ValueError as exc:  # the inputs are valid one by one: the queue is unstable
        raise EstimateError(("arrival_rate", "service_rate", "servers"), str(exc)) from None
    except (OverflowError, ZeroDivisionError):
        raise EstimateError(
            ("arrival_rate", "service_rate"),
            f"arrival_rate {lam:g} and service_rate {mu:g} are too extreme to compute",
        ) from None
    rows = mmc_rows(r, limit)
    inputs: dict[str, InputValue] = {
        "arrival_rate": lam,
        "service_rate": mu,
        "servers": c,
        "limit_days": limit,
        "time_unit": "day",
    }
    notes = (
        "Steady state of an M/M/c queue; times in days, rates per day.",
        "Wq is the wait before service starts; W adds the service time.",
    )
    return Estimate("mmc", f"M/M/{c} queue (Erlang C)", inputs, rows, notes)


def mmc_document(
    arrival_rate: float,
    service_rate: float,
    servers: int,
    limit_days: float = float(GUARANTEE_DAYS),
) -> dict[str, Any]:
    """The JSON document of :func:`mmc_estimate`."""
    return mmc_estimate(arrival_rate, service_rate, servers, limit_days).document()


def mmc_rows(r: est.MMcResult, limit: float) -> tuple[Row, ...]:
    """The rows of an M/M/c estimate, with ``limit`` days in the wait-limit rows."""
    t = f"{limit:g}"
    return (
        Row("offered_load", "Offered load a", r.offered_load, "Erlang", "a = λ/μ"),
        Row("utilisation", "Utilisation ρ", r.rho, "–", "ρ = λ/(cμ)"),
        Row("prob_wait", "P(wait > 0)", r.prob_wait, "probability", "C(c,a) (Erlang C)"),
        Row(
            "mean_queue_length",
            "Mean number waiting Lq",
            r.mean_queue_length,
            "patients",
            "Lq = C·ρ/(1−ρ)",
        ),
        Row(
            "mean_in_system", "Mean number in system L", r.mean_in_system, "patients", "L = Lq + a"
        ),
        Row("mean_wait", "Mean wait Wq", r.mean_wait, "days", "Wq = C/(cμ−λ) = Lq/λ"),
        Row(
            "mean_time_in_system",
            "Mean time in system W",
            r.mean_time_in_system,
            "days",
            "W = Wq + 1/μ = L/λ",
        ),
        Row(
            "wait_p90",
            "90th percentile of wait",
            or_none(lambda: r.wait_quantile(0.9)),
            "days",
            "ln(C/0.1)/(cμ−λ) if C > 0.1, else 0",
        ),
        Row(
            "prob_wait_within_limit",
            f"P(Wq ≤ {t} d)",
            or_none(lambda: r.prob_wait_within(limit)),
            "probability",
            "1 − C·exp(−(cμ−λ)t)",
        ),
        Row(
            "prob_wait_over_limit",
            f"P(Wq > {t} d)",
            or_none(lambda: r.prob_wait_longer_than(limit)),
            "probability",
            "C·exp(−(cμ−λ)t)",
        ),
        Row(
            "prob_time_in_system_within_limit",
            f"P(W ≤ {t} d)",
            or_none(lambda: r.prob_time_in_system_within(limit)),
            "probability",
            "1 − e^{−μt}[1 + C(1−e^{−μt(c−1−a)})/(c−1−a)]",
        ),
    )
