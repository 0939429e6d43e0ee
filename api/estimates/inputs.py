"""Checks of an estimate's inputs: each returns the value or raises
:class:`~api.estimates.document.EstimateError` naming the parameter and what is wrong."""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Integral, Real

from api.estimates.document import EstimateError, TimeUnit

MAX_SERVERS = 100_000
"""Most servers an M/M/c estimate accepts (Erlang B is a loop over the servers)."""


def number(param: str, value: object) -> float:
    """A finite number (not a bool); EstimateError naming ``param`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise EstimateError(param, f"{param} must be a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise EstimateError(param, f"{param} must be finite, got {value!r}")
    return x


def non_negative(param: str, value: object) -> float:
    """A finite number ≥ 0."""
    x = number(param, value)
    if x < 0:
        raise EstimateError(param, f"{param} must be >= 0, got {value!r}")
    return x


def positive(param: str, value: object) -> float:
    """A finite number > 0."""
    x = number(param, value)
    if x <= 0:
        raise EstimateError(param, f"{param} must be > 0, got {value!r}")
    return x


def optional(check: Callable[[str, object], float], param: str, value: object) -> float | None:
    """``check(param, value)``, or None when the value is not given."""
    return None if value is None else check(param, value)


def server_count(value: object) -> int:
    """A whole number of servers in 1…``MAX_SERVERS``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise EstimateError("servers", f"servers must be a whole number, got {value!r}")
    c = int(value)
    if c < 1:
        raise EstimateError("servers", f"servers must be >= 1, got {value!r}")
    if c > MAX_SERVERS:
        raise EstimateError("servers", f"servers must be at most {MAX_SERVERS}, got {value!r}")
    return c


def time_unit(value: object) -> TimeUnit:
    """``day`` or ``week`` as a :class:`TimeUnit`."""
    for unit in TimeUnit:
        if value == unit.value:
            return unit
    raise EstimateError("unit", f"unit must be 'day' or 'week', got {value!r}")


def or_none(compute: Callable[[], float]) -> float | None:
    """``compute()``, or ``None`` when the result leaves the float range (valid inputs
    so extreme that ``**`` or ``exp`` overflow, or a rate difference rounds to 0)."""
    try:
        return compute()
    except (OverflowError, ZeroDivisionError):
        return None
