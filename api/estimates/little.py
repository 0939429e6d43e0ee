"""The Little's law estimate ``L = λ·W``: exactly two of the three given, the third
solved by :func:`simulering.estimate.littles_law`."""

from __future__ import annotations

from typing import Any

from api.estimates.document import Estimate, EstimateError, InputValue, Row, TimeUnit
from api.estimates.inputs import non_negative, optional, time_unit
from simulering import estimate as est


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
    u = time_unit(unit).value
    given = {"arrival_rate": arrival_rate, "mean_time": mean_time, "mean_number": mean_number}
    solved = unknown_quantity(given)
    lam = optional(non_negative, "arrival_rate", arrival_rate)
    w = optional(non_negative, "mean_time", mean_time)
    n = optional(non_negative, "mean_number", mean_number)
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


def unknown_quantity(given: dict[str, float | None]) -> str:
    """The one quantity of Little's law not given; EstimateError unless exactly one is
    missing (the missing ones named first)."""
    missing = tuple(k for k, v in given.items() if v is None)
    if len(missing) != 1:
        present = tuple(k for k in given if k not in missing)
        raise EstimateError(
            missing + present,
            "Little's law needs exactly two of arrival_rate, mean_time, mean_number; "
            f"got {3 - len(missing)}",
        )
    return missing[0]
