"""The error of a forecast asked for wrongly."""

from __future__ import annotations


class ForecastError(ValueError):
    """Bad input to a forecast: one line naming the argument or field and the problem."""
