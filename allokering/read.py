"""Read a problem file straight into columns: a million referrals in about a second.

:func:`read_problem` parses the JSON bytes once (pydantic's Rust parser,
``pydantic_core.from_json``), validates the small part — horizon, units, areas,
distances, weights — with the :class:`~allokering.problem.AllocationProblem` model,
and checks the referrals column by column: the types, the ranges of every
:class:`~allokering.referral.Referral` field, known areas and units, unique ids, a
booked week inside the horizon and the int64 cost guard.

The column checks accept only plain, valid input. Whenever one of them finds
anything else — a wrong type, a value out of range, an unknown reference, a
duplicate, malformed JSON — the file is validated again by the model itself
(``AllocationProblem.model_validate_json``), which raises the usual
``ValidationError`` naming every bad field (``referrals[12345].deadline_day: ...``).
So the errors are exactly those of the model, and a file the model would accept in
lax mode (a number given as a string, say) is still accepted, only more slowly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from pydantic_core import from_json

from allokering.columns import FloatArray, IntArray, ReferralColumns, ReferralRows
from allokering.cost import cost_bound_errors, effective_weight
from allokering.problem import AllocationProblem, gc_paused

_MISSING = object()


class _NotPlain(Exception):
    """The fast checks cannot vouch for the input: let the model decide."""


def read_problem(path: str | Path) -> AllocationProblem:
    """Read and validate a problem file (raises ``ValidationError`` / ``OSError``).

    The result's ``referrals`` is a :class:`~allokering.columns.ReferralRows` view on
    the columns (the solvers compile from the columns directly).
    """
    data = Path(path).read_bytes()
    with gc_paused():
        problem = problem_from_json(data)
    return problem


def problem_from_json(data: bytes) -> AllocationProblem:
    """The problem in ``data``, through the column checks when they pass, else the model."""
    try:
        return _from_columns(data)
    except (_NotPlain, ValidationError, ValueError, TypeError, KeyError, OverflowError):
        return AllocationProblem.model_validate_json(data)


def _from_columns(data: bytes) -> AllocationProblem:
    doc = from_json(data, cache_strings="keys")
    if not isinstance(doc, dict) or not isinstance(doc.get("referrals"), list):
        raise _NotPlain
    refs: list[Any] = doc["referrals"]
    header = AllocationProblem.model_validate({**doc, "referrals": []})
    unit_ids = tuple(u.id for u in header.units)
    area_ids = tuple(a.id for a in header.areas)
    cols = referral_columns(refs, header.horizon_weeks, unit_ids, area_ids)
    km = header.km_table()
    max_km = max((max(row) for row in km), default=0)
    if cols.n:
        max_eff = effective_weight(
            int(cols.weight.max()), int(cols.priority.min()), int(cols.deadline.min()),
            header.weights,
        )  # fmt: skip
        if cost_bound_errors(cols.n, max_eff, header.horizon_weeks, max_km, header.weights):
            raise _NotPlain
    fields = {name: getattr(header, name) for name in AllocationProblem.model_fields}
    fields["referrals"] = ReferralRows(cols, area_ids)
    return AllocationProblem.model_construct(header.model_fields_set, **fields)


def referral_columns(
    refs: list[Any], horizon: int, unit_ids: tuple[str, ...], area_ids: tuple[str, ...]
) -> ReferralColumns:
    """Check the referral objects of a parsed document field by field; their columns."""
    if set(map(type, refs)) - {dict}:
        raise _NotPlain
    uidx = {u: i for i, u in enumerate(unit_ids)}
    aidx = {a: i for i, a in enumerate(area_ids)}
    ids = _strings([r["id"] for r in refs], 128)
    if len(set(ids)) != len(ids):
        raise _NotPlain
    booked_unit, booked_week = _bookings([r.get("booked") for r in refs], uidx, horizon)
    return ReferralColumns(
        unit_ids=unit_ids,
        ids=ids,
        area=np.fromiter(map(aidx.__getitem__, [r["area"] for r in refs]), np.int64, len(refs)),
        deadline=_ints([r["deadline_day"] for r in refs], -100_000, 100_000),
        weight=_ints([r.get("weight", 1) for r in refs], 1, 1_000),
        priority=_ints([r.get("priority", 5) for r in refs], 1, 5),
        minutes=_ints([r.get("procedure_minutes", 0) for r in refs], 0, 100_000),
        max_km=_max_km([r.get("max_travel_km") for r in refs]),
        eligible=_eligible([r.get("eligible_units") for r in refs], uidx),
        booked_unit=booked_unit,
        booked_week=booked_week,
        home_unit=_unit_refs([r.get("home_unit") for r in refs], uidx),
    )


def _strings(values: list[Any], max_length: int) -> list[str]:
    """Strings of 1 to ``max_length`` characters."""
    if values and (set(map(type, values)) != {str} or min(map(len, values)) < 1):
        raise _NotPlain
    if values and max(map(len, values)) > max_length:
        raise _NotPlain
    return values


def _ints(values: list[Any], lo: int, hi: int) -> IntArray:
    """Plain integers (no booleans, no floats) within ``lo..hi``."""
    if values and set(map(type, values)) != {int}:
        raise _NotPlain
    out = np.fromiter(values, np.int64, len(values))
    if len(out) and (out.min() < lo or out.max() > hi):
        raise _NotPlain
    return out


def _max_km(values: list[Any]) -> FloatArray:
    """Finite non-negative numbers or null; ``inf`` for null."""
    if set(map(type, values)) - {int, float, type(None)}:
        raise _NotPlain
    out = np.array(values, dtype=np.float64).reshape(len(values))  # null → nan
    given = ~np.isnan(out)
    if int(given.sum()) != len(values) - values.count(None):
        raise _NotPlain  # a NaN literal
    if given.any() and not (np.isfinite(out[given]).all() and out[given].min() >= 0):
        raise _NotPlain
    out[~given] = np.inf
    return out


def _unit_refs(values: list[Any], uidx: dict[str, int]) -> IntArray:
    """Known unit ids or null: their indices, -1 for null."""
    out = np.full(len(values), -1, dtype=np.int64)
    if values.count(None) != len(values):
        for i, u in enumerate(values):
            if u is not None:
                out[i] = uidx[u]
    return out


def _eligible(values: list[Any], uidx: dict[str, int]) -> list[list[str] | None]:
    """Lists of known unit ids, or null."""
    if values.count(None) != len(values):
        for e in values:
            if e is not None and (type(e) is not list or not all(u in uidx for u in e)):
                raise _NotPlain
    return values


def _bookings(values: list[Any], uidx: dict[str, int], horizon: int) -> tuple[IntArray, IntArray]:
    """Booked ``{unit, week}`` objects (a known unit, a week inside the horizon) or null:
    unit indices and weeks, -1 for null."""
    unit = np.full(len(values), -1, dtype=np.int64)
    week = np.full(len(values), -1, dtype=np.int64)
    if values.count(None) == len(values):
        return unit, week
    at = [i for i, b in enumerate(values) if b is not None]
    booked = [values[i] for i in at]
    if set(map(type, booked)) != {dict}:
        raise _NotPlain
    unit[at] = [uidx[b["unit"]] for b in booked]
    week[at] = _ints([b["week"] for b in booked], 0, horizon - 1)
    return unit, week
