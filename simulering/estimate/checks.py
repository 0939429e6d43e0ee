"""Checks of the estimates' inputs: each returns the value as a float (or int) or raises
:class:`ValueError` naming the argument."""

from __future__ import annotations

import math
from numbers import Integral, Real


def real(name: str, value: float) -> float:
    """``value`` as a finite float; ValueError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return x


def non_negative(name: str, value: float) -> float:
    """A finite number ≥ 0."""
    x = real(name, value)
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return x


def positive(name: str, value: float) -> float:
    """A finite number > 0."""
    x = real(name, value)
    if x <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return x


def server_count(c: int) -> int:
    """A whole number of servers ≥ 1."""
    if isinstance(c, bool) or not isinstance(c, Integral):
        raise ValueError(f"servers c must be a whole number, got {c!r}")
    if c < 1:
        raise ValueError(f"servers c must be >= 1, got {c!r}")
    return int(c)
