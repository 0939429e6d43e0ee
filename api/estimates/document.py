"""What every estimate returns: its rows (quantity, value, unit, formula) for the
command line's table and the JSON document both ``remiss estimate … --json`` and the
service send; :class:`EstimateError` names the parameters to fix."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

Value = float | bool | None
InputValue = float | int | str | None
T = TypeVar("T")


class TimeUnit(StrEnum):
    """Time unit for rates ("per …") and durations."""

    day = "day"
    week = "week"


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
            "inputs": {k: finite(v) for k, v in self.inputs.items()},
            "results": {
                r.key: {
                    "label": r.label,
                    "value": finite(r.value),
                    "unit": r.unit,
                    "formula": r.formula,
                }
                for r in self.rows
            },
            "notes": list(self.notes),
        }


def finite(value: T) -> T | None:
    """``value``, or None when it is a float that is not finite (JSON has no inf/NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
