"""The fitted rows of a calibration: each observation mapped to the scenario units it
covers and to the month end its figures are compared at."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scenarios.calibrate.observed import Observation, ObservedFileError
from scenarios.schema import RegionSpec, Scenario, Servers
from simulering.spec import ModelSpec


@dataclass(frozen=True)
class Target:
    """A fitted row: the observation and the scenario units it covers."""

    observation: Observation
    units: tuple[int, ...]
    """Positions in ``scenario.units`` (the model's unit order)."""
    unit_ids: tuple[str, ...]
    kind: str
    """``unit`` or ``hospital_group``."""
    day: int
    """The month-end day (days since the start) the figures are compared at."""
    month_index: int
    """Its position in the model's monthly series."""
    fit_demand: bool
    """The row's queue size is fitted through its catchment demand."""

    @property
    def label(self) -> str:
        return f"{self.observation.target} {self.observation.stage}"


def resolve_targets(
    observations: Sequence[Observation],
    scenario: Scenario,
    region: RegionSpec,
    spec: ModelSpec,
    path: str | Path,
    fit_demand: bool = True,
) -> list[Target]:
    """Map the rows to scenario units and month ends; check what the scenario can fit."""
    p = Path(path)
    month_ends = [int(d) for d in spec.month_ends if d < spec.horizon_days]
    start = scenario.run.start_date
    last_day = start + dt.timedelta(days=spec.horizon_days - 1)
    taken: dict[tuple[int, str], int] = {}
    targets: list[Target] = []
    for obs in observations:
        units, kind = _row_units(obs, scenario, region, p)
        for u in units:
            _check_fittable(obs, scenario, u, taken, p)
        day = _month_end(obs, month_ends, start, last_day, p)
        targets.append(
            Target(
                observation=obs,
                units=units,
                unit_ids=tuple(scenario.units[u].unit for u in units),
                kind=kind,
                day=day,
                month_index=month_ends.index(day),
                fit_demand=fit_demand and obs.stage == "first_visit" and obs.waiting is not None,
            )
        )
    return targets


def _row_units(
    obs: Observation, scenario: Scenario, region: RegionSpec, p: Path
) -> tuple[tuple[int, ...], str]:
    """The scenario units a row covers (positions) and whether it names a unit or a
    hospital group."""
    unit_pos = {u.unit: i for i, u in enumerate(scenario.units)}
    group_of = {u.id: u.hospital_group for u in region.units}
    groups = {g.id for g in region.hospital_groups}
    if obs.target in unit_pos:
        return (unit_pos[obs.target],), "unit"
    if obs.target in groups:
        units = tuple(i for i, u in enumerate(scenario.units) if group_of[u.unit] == obs.target)
        if not units:
            raise ObservedFileError(
                p,
                f"line {obs.line}, column unit",
                f"hospital group {obs.target!r} has no unit in scenario {scenario.name}",
            )
        return units, "hospital_group"
    raise ObservedFileError(
        p,
        f"line {obs.line}, column unit",
        f"unknown unit {obs.target!r}: not a unit of scenario {scenario.name} "
        f"({', '.join(unit_pos)}) nor a hospital group of region {region.id} "
        f"({', '.join(sorted(groups))})",
    )


def _check_fittable(
    obs: Observation, scenario: Scenario, u: int, taken: dict[tuple[int, str], int], p: Path
) -> None:
    """A unit's stage is fitted by one row only and has slot calendars to fit."""
    uid = scenario.units[u].unit
    if (u, obs.stage) in taken:
        raise ObservedFileError(
            p,
            f"line {obs.line}, column unit",
            f"unit {uid} {obs.stage} is already fitted by line {taken[u, obs.stage]}",
        )
    taken[u, obs.stage] = obs.line
    caps = (
        [scenario.units[u].first_visit]
        if obs.stage == "first_visit"
        else list(scenario.units[u].treatment.values())
    )
    caps = [c for c in caps if c is not None]
    if not caps:
        raise ObservedFileError(
            p,
            f"line {obs.line}, column stage",
            f"unit {uid} has no {obs.stage} capacity in the scenario to fit",
        )
    if any(isinstance(c, Servers) for c in caps):
        raise ObservedFileError(
            p,
            f"line {obs.line}, column stage",
            f"unit {uid} {obs.stage} uses servers; calibration fits slot calendars "
            "(slots_per_week) only",
        )


def _month_end(
    obs: Observation, month_ends: list[int], start: dt.date, last_day: dt.date, p: Path
) -> int:
    """The month end a row is compared at: the last of the run, or the last on or before
    its observation date."""
    if obs.observed_on is None:
        return month_ends[-1]
    if not start <= obs.observed_on <= last_day:
        raise ObservedFileError(
            p,
            f"line {obs.line}, column observed_on",
            f"{obs.observed_on} is outside the run ({start} – {last_day})",
        )
    offset = (obs.observed_on - start).days
    before = [d for d in month_ends if d <= offset]
    if not before:
        raise ObservedFileError(
            p,
            f"line {obs.line}, column observed_on",
            f"no month end of the run on or before {obs.observed_on}",
        )
    return before[-1]
