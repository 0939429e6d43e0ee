"""The referrals of a problem as columns: one array (or list) per referral field.

A million :class:`~allokering.referral.Referral` objects cost seconds to build and
to walk; the solvers' compiled view (:mod:`allokering.compiled`) and the validator
(:mod:`allokering.validate`) both start from these plain columns instead.
:func:`columns_of` transposes validated referral objects; :mod:`allokering.read`
fills the columns straight from a JSON document. :class:`ReferralRows` is the other
direction: a read-only sequence that builds a ``Referral`` only when one is asked for,
so a problem read into columns still offers ``problem.referrals``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import overload

import numpy as np
import numpy.typing as npt

from allokering.referral import Booking, Referral

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ReferralColumns:
    """The referral fields as columns, with unit and area ids turned into indices."""

    unit_ids: tuple[str, ...]
    """The problem's unit ids in order (what the unit indices refer to)."""
    ids: list[str]
    area: IntArray
    """Index of the referral's area in the problem's areas."""
    deadline: IntArray
    weight: IntArray
    priority: IntArray
    minutes: IntArray
    """``procedure_minutes``."""
    max_km: FloatArray
    """``max_travel_km``; ``inf`` where the referral sets none."""
    eligible: list[list[str] | None]
    """``eligible_units`` as given (``None``: every unit)."""
    booked_unit: IntArray
    """Index of the booked unit, -1 when not booked."""
    booked_week: IntArray
    """Booked week, -1 when not booked."""
    home_unit: IntArray
    """Index of the referral's own ``home_unit``, -1 when it sets none."""

    @property
    def n(self) -> int:
        return len(self.ids)


def _index(ids: Sequence[str]) -> dict[str, int]:
    return {x: i for i, x in enumerate(ids)}


def columns_of(
    refs: Sequence[Referral], unit_ids: Sequence[str], area_ids: Sequence[str]
) -> ReferralColumns:
    """The columns of validated referral objects (their references are known ids)."""
    if isinstance(refs, ReferralRows):
        return refs.columns
    uidx, aidx = _index(unit_ids), _index(area_ids)
    n = len(refs)
    booked = list(map(attrgetter("booked"), refs))
    homes = list(map(attrgetter("home_unit"), refs))
    max_km = [np.inf if x is None else x for x in map(attrgetter("max_travel_km"), refs)]
    return ReferralColumns(
        unit_ids=tuple(unit_ids),
        ids=list(map(attrgetter("id"), refs)),
        area=np.fromiter(map(aidx.__getitem__, map(attrgetter("area"), refs)), np.int64, n),
        deadline=np.fromiter(map(attrgetter("deadline_day"), refs), np.int64, n),
        weight=np.fromiter(map(attrgetter("weight"), refs), np.int64, n),
        priority=np.fromiter(map(attrgetter("priority"), refs), np.int64, n),
        minutes=np.fromiter(map(attrgetter("procedure_minutes"), refs), np.int64, n),
        max_km=np.asarray(max_km, dtype=np.float64).reshape(n),
        eligible=list(map(attrgetter("eligible_units"), refs)),
        booked_unit=np.fromiter((-1 if b is None else uidx[b.unit] for b in booked), np.int64, n),
        booked_week=np.fromiter((-1 if b is None else b.week for b in booked), np.int64, n),
        home_unit=np.fromiter((-1 if u is None else uidx[u] for u in homes), np.int64, n),
    )


class ReferralRows(Sequence[Referral]):
    """The referrals of a :class:`ReferralColumns`, built one at a time when read."""

    __slots__ = ("_area_ids", "columns")

    def __init__(self, columns: ReferralColumns, area_ids: Sequence[str]) -> None:
        self.columns = columns
        self._area_ids = tuple(area_ids)

    def __len__(self) -> int:
        return self.columns.n

    @overload
    def __getitem__(self, i: int) -> Referral: ...
    @overload
    def __getitem__(self, i: slice) -> list[Referral]: ...
    def __getitem__(self, i: int | slice) -> Referral | list[Referral]:
        if isinstance(i, slice):
            return [self._row(j) for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("referral index out of range")
        return self._row(i)

    def __iter__(self) -> Iterator[Referral]:
        return map(self._row, range(len(self)))

    def _row(self, i: int) -> Referral:
        c = self.columns
        max_km = float(c.max_km[i])
        bu, hu = int(c.booked_unit[i]), int(c.home_unit[i])
        return Referral(
            id=c.ids[i],
            area=self._area_ids[int(c.area[i])],
            deadline_day=int(c.deadline[i]),
            weight=int(c.weight[i]),
            eligible_units=c.eligible[i],
            max_travel_km=None if max_km == np.inf else max_km,
            booked=None if bu < 0 else Booking(c.unit_ids[bu], int(c.booked_week[i])),
            procedure_minutes=int(c.minutes[i]),
            priority=int(c.priority[i]),
            home_unit=None if hu < 0 else c.unit_ids[hu],
        )


def eligibility_codes(
    eligible: Sequence[list[str] | None], uidx: Mapping[str, int]
) -> tuple[IntArray, list[npt.NDArray[np.bool_]]]:
    """Eligibility code per referral (0 = every unit, else an index into the masks) and
    the unit masks, one per distinct set of eligible units."""
    n_units = len(uidx)
    code = np.zeros(len(eligible), dtype=np.int64)
    masks: list[npt.NDArray[np.bool_]] = [np.ones(n_units, dtype=bool)]
    seen: dict[tuple[str, ...], int] = {}
    if eligible.count(None) == len(eligible):
        return code, masks
    for i, e in enumerate(eligible):
        if e is None:
            continue
        key = tuple(sorted(set(e)))
        k = seen.get(key)
        if k is None:
            k = seen[key] = len(masks)
            mask = np.zeros(n_units, dtype=bool)
            mask[[uidx[u] for u in key]] = True
            masks.append(mask)
        code[i] = k
    return code, masks
