"""The analytic estimates of ``remiss estimate`` and ``POST /v1/estimate``, built once.

Each model has a function that validates its inputs and returns an :class:`Estimate`
(the rows with their raw values, for the command line's table) and a ``*_document``
function that returns the JSON document both ``remiss estimate … --json`` and the
service send::

    {"model": "mmc" | "little" | "waiting-list",
     "inputs": {name: value, ...},
     "results": {key: {"label": str, "value": float | bool | null,
                       "unit": str, "formula": str}, ...},
     "notes": [str, ...]}

Values that are not finite (an infinite mean wait when the rates underflow, a target
capacity beyond the float range) are ``null`` in the document. Invalid input raises
:class:`EstimateError`, a :class:`ValueError` that names the parameter(s) to fix. The
formulas themselves live in :mod:`simulering.estimate`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from numbers import Integral, Real
from typing import Any, TypeVar

from allokering.domain import GUARANTEE_DAYS
from simulering import estimate as est

__all__ = [
    "MAX_SERVERS",
    "Estimate",
    "EstimateError",
    "Row",
    "TimeUnit",
    "little_document",
    "little_estimate",
    "mmc_document",
    "mmc_estimate",
    "waiting_list_document",
    "waiting_list_estimate",
]

MAX_SERVERS = 100_000
"""Most servers an M/M/c estimate accepts (Erlang B is a loop over the servers)."""

Value = float | bool | None
InputValue = float | int | str | None
T = TypeVar("T")


class TimeUnit(StrEnum):
    """Time unit for rates ("per …") and durations."""

    day = "day"
    week = "week"


RELIEF_DEFAULT = {TimeUnit.week: 26.0, TimeUnit.day: 182.0}
"""Default time to bring a list to target size: six months."""


class EstimateError(ValueError):
    """Invalid input to an estimate; ``params`` are the parameters to fix, most
    relevant first (``param`` is the first)."""

    def __init__(self, params: str | tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.params = (params,) if isinstance(params, str) else params
        self.param = self.params[0]


@dataclass(frozen=True)
class Row:
    """One reported quantity; ``value`` as computed (it may be inf or nan)."""

    key: str
    label: str
    value: Value
    unit: str
    formula: str


@dataclass(frozen=True)
class Estimate:
    """An estimate: its rows for a table, and :meth:`document` for JSON."""

    model: str
    title: str
    inputs: dict[str, InputValue]
    rows: tuple[Row, ...]
    notes: tuple[str, ...]

    def document(self) -> dict[str, Any]:
        """The JSON document (non-finite values as ``None``)."""
        return {
            "model": self.model,
            "inputs": {k: _finite(v) for k, v in self.inputs.items()},
            "results": {
                r.key: {
                    "label": r.label,
                    "value": _finite(r.value),
                    "unit": r.unit,
                    "formula": r.formula,
                }
                for r in self.rows
            },
            "notes": list(self.notes),
        }


def _finite(value: T) -> T | None:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ----------------------------------------------------------------------------- checks


def _number(param: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise EstimateError(param, f"{param} must be a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise EstimateError(param, f"{param} must be finite, got {value!r}")
    return x


def _non_negative(param: str, value: object) -> float:
    x = _number(param, value)
    if x < 0:
        raise EstimateError(param, f"{param} must be >= 0, got {value!r}")
    return x


def _positive(param: str, value: object) -> float:
    x = _number(param, value)
    if x <= 0:
        raise EstimateError(param, f"{param} must be > 0, got {value!r}")
    return x


def _optional(check: Callable[[str, object], float], param: str, value: object) -> float | None:
    return None if value is None else check(param, value)


def _servers(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise EstimateError("servers", f"servers must be a whole number, got {value!r}")
    c = int(value)
    if c < 1:
        raise EstimateError("servers", f"servers must be >= 1, got {value!r}")
    if c > MAX_SERVERS:
        raise EstimateError("servers", f"servers must be at most {MAX_SERVERS}, got {value!r}")
    return c


def _unit(value: object) -> TimeUnit:
    for unit in TimeUnit:
        if value == unit.value:
            return unit
    raise EstimateError("unit", f"unit must be 'day' or 'week', got {value!r}")


def _or_none(compute: Callable[[], float]) -> float | None:
    """``compute()``, or ``None`` when the result leaves the float range (valid inputs
    so extreme that ``**`` or ``exp`` overflow, or a rate difference rounds to 0)."""
    try:
        return compute()
    except (OverflowError, ZeroDivisionError):
        return None


# -------------------------------------------------------------------------------- mmc


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
    lam = _non_negative("arrival_rate", arrival_rate)
    mu = _positive("service_rate", service_rate)
    c = _servers(servers)
    limit = _non_negative("limit_days", limit_days)
    try:
        r = est.mmc(lam, mu, c)
    except ValueError as exc:  # the inputs are valid one by one: the queue is unstable
        raise EstimateError(("arrival_rate", "service_rate", "servers"), str(exc)) from None
    except (OverflowError, ZeroDivisionError):
        raise EstimateError(
            ("arrival_rate", "service_rate"),
            f"arrival_rate {lam:g} and service_rate {mu:g} are too extreme to compute",
        ) from None
    t = f"{limit:g}"
    rows = (
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
            _or_none(lambda: r.wait_quantile(0.9)),
            "days",
            "ln(C/0.1)/(cμ−λ) if C > 0.1, else 0",
        ),
        Row(
            "prob_wait_within_limit",
            f"P(Wq ≤ {t} d)",
            _or_none(lambda: r.prob_wait_within(limit)),
            "probability",
            "1 − C·exp(−(cμ−λ)t)",
        ),
        Row(
            "prob_wait_over_limit",
            f"P(Wq > {t} d)",
            _or_none(lambda: r.prob_wait_longer_than(limit)),
            "probability",
            "C·exp(−(cμ−λ)t)",
        ),
        Row(
            "prob_time_in_system_within_limit",
            f"P(W ≤ {t} d)",
            _or_none(lambda: r.prob_time_in_system_within(limit)),
            "probability",
            "1 − e^{−μt}[1 + C(1−e^{−μt(c−1−a)})/(c−1−a)]",
        ),
    )
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


# ----------------------------------------------------------------------------- little


def little_estimate(
    arrival_rate: float | None = None,
    mean_time: float | None = None,
    mean_number: float | None = None,
    unit: TimeUnit | str = TimeUnit.day,
) -> Estimate:
    """Little's law ``L = λ·W`` from exactly two of the three.

    Raises:
        EstimateError: not exactly two given, a negative or non-finite value, or a zero
            divisor (``arrival_rate = 0`` to solve W, ``mean_time = 0`` to solve λ).
    """
    u = _unit(unit).value
    given = {"arrival_rate": arrival_rate, "mean_time": mean_time, "mean_number": mean_number}
    missing = tuple(k for k, v in given.items() if v is None)
    if len(missing) != 1:
        present = tuple(k for k in given if k not in missing)
        raise EstimateError(
            missing + present,
            "Little's law needs exactly two of arrival_rate, mean_time, mean_number; "
            f"got {3 - len(missing)}",
        )
    lam = _optional(_non_negative, "arrival_rate", arrival_rate)
    w = _optional(_non_negative, "mean_time", mean_time)
    n = _optional(_non_negative, "mean_number", mean_number)
    solved = missing[0]
    if solved == "mean_time" and lam == 0:
        raise EstimateError("arrival_rate", "arrival_rate must be > 0 to solve W = L/λ")
    if solved == "arrival_rate" and w == 0:
        raise EstimateError("mean_time", "mean_time must be > 0 to solve λ = L/W")
    r = est.littles_law(arrival_rate=lam, mean_time=w, mean_number=n)
    rows = (
        Row(
            "arrival_rate",
            "Arrival rate λ",
            r.arrival_rate,
            f"per {u}",
            "λ = L/W" if solved == "arrival_rate" else "given",
        ),
        Row(
            "mean_time",
            "Mean time in system W",
            r.mean_time,
            f"{u}s",
            "W = L/λ" if solved == "mean_time" else "given",
        ),
        Row(
            "mean_number",
            "Mean number in system L",
            r.mean_number,
            "items",
            "L = λ·W" if solved == "mean_number" else "given",
        ),
    )
    inputs: dict[str, InputValue] = {
        "arrival_rate": lam,
        "mean_time": w,
        "mean_number": n,
        "time_unit": u,
    }
    notes = ("Little's law holds for any stable system in steady state.",)
    return Estimate("little", "Little's law", inputs, rows, notes)


def little_document(
    arrival_rate: float | None = None,
    mean_time: float | None = None,
    mean_number: float | None = None,
    unit: TimeUnit | str = TimeUnit.day,
) -> dict[str, Any]:
    """The JSON document of :func:`little_estimate`."""
    return little_estimate(arrival_rate, mean_time, mean_number, unit).document()


# ----------------------------------------------------------------------- waiting list


def waiting_list_estimate(
    demand: float,
    target_wait: float,
    capacity: float | None = None,
    queue_size: float | None = None,
    mean_wait: float | None = None,
    target_share: float | None = None,
    factor: float | None = None,
    time_to_target: float | None = None,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
    unit: TimeUnit | str = TimeUnit.week,
) -> Estimate:
    """Waiting-list metrics of Fong et al. (2022): load, targets, capacity, pressure.

    Rates are per ``unit``, waits in ``unit``\\ s. ``capacity``, ``queue_size`` and
    ``mean_wait`` are optional; what needs a missing one is reported as ``None``.

    Raises:
        EstimateError: a negative or non-finite number, a zero ``target_wait``,
            ``capacity``, ``factor`` or ``time_to_target``, ``target_share`` outside
            (0, 1), or both ``target_share`` and ``factor``.
    """
    tu = _unit(unit)
    u = tu.value
    if target_share is not None and factor is not None:
        raise EstimateError(
            ("target_share", "factor"), "give either target_share or factor, not both"
        )
    d = _non_negative("demand", demand)
    target = _positive("target_wait", target_wait)
    cap = _optional(_positive, "capacity", capacity)
    q = _optional(_non_negative, "queue_size", queue_size)
    w = _optional(_non_negative, "mean_wait", mean_wait)
    share_in = _optional(_number, "target_share", target_share)
    if share_in is not None and not 0 < share_in < 1:
        raise EstimateError(
            "target_share", f"target_share must be strictly between 0 and 1, got {target_share!r}"
        )
    f = (
        est.factor_for_share(share_in)
        if share_in is not None
        else est.DEFAULT_FACTOR
        if factor is None
        else _positive("factor", factor)
    )
    ttt = (
        RELIEF_DEFAULT[tu]
        if time_to_target is None
        else _positive("time_to_target", time_to_target)
    )
    cvd = _non_negative("cv_demand", cv_demand)
    cvc = _non_negative("cv_capacity", cv_capacity)

    share = est.share_within_target(f)
    tmw = est.calc_target_mean_wait(target, f)
    tqs = est.calc_target_queue_size(d, target, f)
    tcap = _or_none(lambda: est.calc_target_capacity(d, target, f, cvd, cvc))
    load = None if cap is None else est.calc_queue_load(d, cap)
    relief = ratio = None
    too_big: bool | None = None
    if q is not None and math.isfinite(tqs):
        relief = est.calc_relief_capacity(d, q, tqs, ttt)
        ratio = q / tqs if tqs > 0 else None
        too_big = q > 2 * tqs
    pressure = None if w is None else est.calc_waiting_list_pressure(w, target)

    per = f"patients/{u}"
    rows = (
        Row("queue_load", "Queue load", load, "–", "demand / capacity"),
        Row(
            "factor",
            "Factor (target / mean wait)",
            f,
            "–",
            "−ln(1 − share)" if target_share is not None else "given (default 4)",
        ),
        Row("share_within_target", "Share within target", share, "fraction", "1 − exp(−factor)"),
        Row("target_mean_wait", "Target mean wait", tmw, f"{u}s", "target_wait / factor"),
        Row(
            "target_queue_size",
            "Target queue size",
            tqs,
            "patients",
            "demand × target_wait / factor",
        ),
        Row(
            "queue_ratio", "Queue size / target size", ratio, "–", "queue_size / target_queue_size"
        ),
        Row(
            "queue_too_big",
            "Queue > 2 × target (relief needed)",
            too_big,
            "–",
            "queue_size > 2 × target_queue_size",
        ),
        Row(
            "relief_capacity",
            f"Relief capacity (over {ttt:g} {u}s)",
            relief,
            per,
            "demand + (queue_size − target_queue_size) / time_to_target",
        ),
        Row(
            "target_capacity",
            "Target capacity",
            tcap,
            per,
            "demand + ((cv_d² + cv_c²)/2) × factor / target_wait",
        ),
        Row(
            "waiting_list_pressure",
            "Waiting-list pressure",
            pressure,
            "–",
            "2 × mean_wait / target_wait",
        ),
    )
    notes: list[str] = []
    if load is not None and load >= 1:
        notes.append("Load ≥ 1: demand exceeds capacity, the list grows without bound.")
    if too_big:
        notes.append(
            "The list is more than twice its target size: run the relief capacity "
            "until it reaches target size, then the target capacity."
        )
    if pressure is not None and pressure > 1:
        notes.append("Pressure > 1: the list will most likely miss its target.")
    missing = [
        name
        for name, value in (
            ("--capacity (queue load)", cap),
            ("--queue-size (relief capacity)", q),
            ("--mean-wait (pressure)", w),
        )
        if value is None
    ]
    if missing:
        notes.append("Not computed, needs " + ", ".join(missing) + ".")
    notes.append(
        "Fong K et al., Understanding Waiting Lists Pressures, medRxiv 2022, "
        "doi:10.1101/2022.08.23.22279117 (as implemented in R NHSRwaitinglist)."
    )
    inputs: dict[str, InputValue] = {
        "demand": d,
        "capacity": cap,
        "queue_size": q,
        "mean_wait": w,
        "target_wait": target,
        "target_share": share_in,
        "factor": f,
        "time_to_target": ttt,
        "cv_demand": cvd,
        "cv_capacity": cvc,
        "time_unit": u,
    }
    return Estimate("waiting-list", "Waiting list (Fong et al. 2022)", inputs, rows, tuple(notes))


def waiting_list_document(
    demand: float,
    target_wait: float,
    capacity: float | None = None,
    queue_size: float | None = None,
    mean_wait: float | None = None,
    target_share: float | None = None,
    factor: float | None = None,
    time_to_target: float | None = None,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
    unit: TimeUnit | str = TimeUnit.week,
) -> dict[str, Any]:
    """The JSON document of :func:`waiting_list_estimate`."""
    return waiting_list_estimate(
        demand,
        target_wait,
        capacity,
        queue_size,
        mean_wait,
        target_share,
        factor,
        time_to_target,
        cv_demand,
        cv_capacity,
        unit,
    ).document()
