"""The checks of an allocation problem that no single field can see: unique ids, known
references, per-week lengths, a distance for every area and unit, and the int64 guard
of :mod:`allokering.cost`. At most :data:`MAX_ERRORS` are reported, each as
``(location, message, input)`` for pydantic's ``ValidationError``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import Any

from allokering.cost import cost_bound_errors, effective_weight
from allokering.places import AreaRef, UnitCapacity, km_table
from allokering.referral import Referral
from allokering.weights import Weights

MAX_ERRORS = 20
"""At most this many cross-field errors are reported for one problem."""

ErrorItem = tuple[tuple[str | int, ...], str, Any]
"""One error: its location in the document, the message, the offending input."""
TravelKm = Mapping[str, Mapping[str, float]] | None


def duplicates(ids: Sequence[str], field: str, errors: list[ErrorItem]) -> None:
    """An error for each id of ``field`` that occurs more than once."""
    if len(set(ids)) == len(ids):
        return
    counts = Counter(ids)
    for i, x in enumerate(ids):
        if counts[x] > 1 and len(errors) < MAX_ERRORS:
            errors.append(((field, i, "id"), f"duplicate id {x!r}", x))


def cross_errors(
    horizon: int,
    units: Sequence[UnitCapacity],
    areas: Sequence[AreaRef],
    travel_km: TravelKm,
    referrals: Sequence[Referral],
    weights: Weights,
) -> list[ErrorItem]:
    """Errors no single field can see: ids, references, lengths, distances; then, when
    there are none, costs that could overflow."""
    errors: list[ErrorItem] = []
    unit_ids = [u.id for u in units]
    area_ids = [a.id for a in areas]
    duplicates(unit_ids, "units", errors)
    duplicates(area_ids, "areas", errors)
    known_units, known_areas = set(unit_ids), set(area_ids)
    unit_errors(units, horizon, known_areas, errors)
    distance_errors(areas, units, travel_km, known_areas, known_units, errors)
    if len(errors) >= MAX_ERRORS:
        return errors[:MAX_ERRORS]
    referral_errors(referrals, horizon, known_areas, known_units, errors)
    if not errors:
        table = km_table(areas, units, travel_km)
        errors.extend(cost_errors(referrals, weights, horizon, table))
    return errors[:MAX_ERRORS]


def unit_errors(
    units: Sequence[UnitCapacity], horizon: int, known_areas: set[str], errors: list[ErrorItem]
) -> None:
    """Capacity and session minutes of the wrong length; catchments of unknown areas."""
    for i, u in enumerate(units):
        if len(u.capacity) != horizon:
            errors.append(
                (("units", i, "capacity"), f"has {len(u.capacity)} weeks, expected {horizon}", None)
            )
        if u.session_minutes is not None and len(u.session_minutes) != horizon:
            errors.append(
                (
                    ("units", i, "session_minutes"),
                    f"has {len(u.session_minutes)} weeks, expected {horizon}",
                    None,
                )
            )
        for j, a_id in enumerate(u.catchment):
            if a_id not in known_areas:
                errors.append((("units", i, "catchment", j), f"unknown area {a_id!r}", a_id))


def distance_errors(
    areas: Sequence[AreaRef],
    units: Sequence[UnitCapacity],
    travel_km: TravelKm,
    known_areas: set[str],
    known_units: set[str],
    errors: list[ErrorItem],
) -> None:
    """``travel_km`` entries of unknown areas or units, and pairs with no distance (no
    entry and no coordinates on both sides)."""
    given = travel_km or {}
    for a_id, row in given.items():
        if a_id not in known_areas:
            errors.append((("travel_km", a_id), f"unknown area {a_id!r}", a_id))
        for u_id in row:
            if u_id not in known_units:
                errors.append((("travel_km", a_id, u_id), f"unknown unit {u_id!r}", u_id))
    for a in areas:
        row = given.get(a.id, {})
        for u in units:
            if u.id not in row and None in (a.lat, a.lon, u.lat, u.lon):
                if len(errors) >= MAX_ERRORS:
                    break
                errors.append(
                    (
                        ("travel_km", a.id, u.id),
                        "no distance: give coordinates for both the area and the unit, "
                        "or a travel_km entry",
                        None,
                    )
                )


def referral_errors(
    refs: Sequence[Referral],
    horizon: int,
    known_areas: set[str],
    known_units: set[str],
    errors: list[ErrorItem],
) -> None:
    """Duplicate referral ids, unknown areas, and each referral's references."""
    duplicates([r.id for r in refs], "referrals", errors)
    if not {r.area for r in refs} <= known_areas:
        for i, r in enumerate(refs):
            if r.area not in known_areas and len(errors) < MAX_ERRORS:
                errors.append((("referrals", i, "area"), f"unknown area {r.area!r}", r.area))
    for i, r in enumerate(refs):
        if len(errors) >= MAX_ERRORS:
            break
        reference_errors(i, r, horizon, known_units, errors)


def reference_errors(
    i: int, r: Referral, horizon: int, known_units: set[str], errors: list[ErrorItem]
) -> None:
    """Referral ``i``'s unknown eligible, booked or home units and a booked week beyond
    the horizon."""
    if r.eligible_units is not None:
        for j, u_id in enumerate(r.eligible_units):
            if u_id not in known_units:
                errors.append(
                    (("referrals", i, "eligible_units", j), f"unknown unit {u_id!r}", u_id)
                )
    if r.booked is not None:
        if r.booked.unit not in known_units:
            errors.append(
                (
                    ("referrals", i, "booked", "unit"),
                    f"unknown unit {r.booked.unit!r}",
                    r.booked.unit,
                )
            )
        if r.booked.week >= horizon:
            errors.append(
                (
                    ("referrals", i, "booked", "week"),
                    f"week {r.booked.week} is outside the horizon 0..{horizon - 1}",
                    r.booked.week,
                )
            )
    if r.home_unit is not None and r.home_unit not in known_units:
        errors.append((("referrals", i, "home_unit"), f"unknown unit {r.home_unit!r}", r.home_unit))


def cost_errors(
    refs: Sequence[Referral], weights: Weights, horizon: int, km: list[list[int]]
) -> list[ErrorItem]:
    """The int64 guard of :mod:`allokering.cost`: refuse weights that could overflow
    (``km``: the whole-km distance table)."""
    max_km = max((max(row) for row in km), default=0)
    if refs:
        max_eff = effective_weight(
            max(map(attrgetter("weight"), refs)),
            min(map(attrgetter("priority"), refs)),
            min(map(attrgetter("deadline_day"), refs)),
            weights,
        )
    else:
        max_eff = 0
    found = cost_bound_errors(len(refs), max_eff, horizon, max_km, weights)
    return [(loc, msg, None) for loc, msg in found]
