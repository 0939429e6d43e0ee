"""Little's law ``L = λ·W`` (Little 1961), valid for any stable queue."""

from __future__ import annotations

from dataclasses import dataclass

from simulering.estimate.checks import non_negative


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
        arrival_rate = non_negative("arrival_rate", arrival_rate)
    if mean_time is not None:
        mean_time = non_negative("mean_time", mean_time)
    if mean_number is not None:
        mean_number = non_negative("mean_number", mean_number)

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
