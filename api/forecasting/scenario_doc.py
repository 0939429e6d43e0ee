"""A :class:`~api.forecasting.snapshot.Snapshot` as an ordinary scenario (Interface A of
issue 13): the actual waiting list, each unit's slot calendar and dated changes, the
rates estimated from the history, and the planner's overrides on top.

Overrides come from a scenario file (``--scenario-overrides``, a partial scenario merged
field by field; a list replaces the list) and then ``--set PATH=VALUE``
(:mod:`scenarios.overrides`). A rate the history cannot give must be named by one of
them; what each rate came from is kept under ``forecast_estimates``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from api.forecasting.errors import ForecastInputError
from api.forecasting.estimates import PATHS, Estimate, estimate_rates, overridden
from api.forecasting.snapshot import Snapshot, UnitCalendar
from api.service.history import WaitingOnDay
from api.service.weeks import monday
from scenarios.overrides import OverrideError, apply_assignment, parse_assignment
from scenarios.schema import RegionSpec, Scenario

TREATMENT_POOL = "treatment"
"""The one treatment pool of a treatment forecast (the service has one list per stage)."""


@dataclass(frozen=True)
class RunOptions:
    """The run section of a forecast scenario."""

    weeks: int
    replications: int
    policies: Sequence[str]
    seed: int = 20260101


@dataclass(frozen=True)
class Overrides:
    """The planner's changes: a partial scenario, then ``PATH=VALUE`` assignments."""

    document: Mapping[str, Any] = field(default_factory=dict)
    assignments: Sequence[str] = ()


def pool_of(stage: str) -> str:
    return "first_visit" if stage == "first_visit" else TREATMENT_POOL


def unit_entry(cal: UnitCalendar, stage: str, areas: list[str]) -> dict[str, Any]:
    slots = {"slots_per_week": cal.base}
    entry: dict[str, Any] = {"unit": cal.unit.id, "catchment": areas}
    if stage == "first_visit":
        entry["first_visit"] = slots
    else:  # a first-visit calendar of 0: the treatment list is fed by direct arrivals
        entry["first_visit"] = {"slots_per_week": 0}
        entry["treatment"] = {TREATMENT_POOL: slots}
    return entry


def capacity_changes(cals: Sequence[UnitCalendar], stage: str) -> list[dict[str, Any]]:
    """Each later calendar row as a dated change lasting until the next one."""
    out = []
    for cal in cals:
        for i, (start, slots) in enumerate(cal.changes):
            nxt = cal.changes[i + 1][0] if i + 1 < len(cal.changes) else None
            out.append(
                {
                    "unit": cal.unit.id,
                    "pool": pool_of(stage),
                    "from_date": start,
                    "to_date": nxt - dt.timedelta(days=1) if nxt else None,
                    "slots_per_week": slots,
                }
            )
    return out


def waiting_entry(w: WaitingOnDay, snap: Snapshot, warnings: list[str]) -> dict[str, Any]:
    """One waiting referral: listed at its booked or offered unit, else its home unit,
    else its area's unit; an offered time counts as booked (the slot is held)."""
    unit = w.unit or w.home_unit or snap.catchment[w.area]
    booked = w.week if w.status in ("offered", "booked") and w.week else None
    if booked is not None and booked < monday(snap.as_of):
        warnings.append(f"referral {w.id}: booked for {booked} and not completed; waits again")
        booked = None
    return {
        "id": w.id,
        "unit": unit,
        "area": w.area,
        "priority": w.priority,
        "stage": snap.stage,
        "clock_start": w.clock_start,
        "excluded_days": w.excluded_days,
        "pvv_until": _until(w.pvv_from, w.pvv_until, snap, w.id, "PVV", warnings),
        "mov_until": _until(w.mov_from, w.mov_until, snap, w.id, "MOV", warnings),
        "booked_week": booked,
    }


def _until(
    start: dt.date | None,
    until: dt.date | None,
    snap: Snapshot,
    rid: str,
    kind: str,
    warnings: list[str],
) -> dt.date | None:
    """The end of a pause in effect on the forecast date; an open-ended one lasts past
    the horizon (said in the warnings)."""
    if start is None or start > snap.as_of or (until is not None and until <= snap.as_of):
        return None
    if until is None:
        warnings.append(f"referral {rid}: {kind} without an end date; taken to last the forecast")
        return snap.as_of + dt.timedelta(days=366)
    return until


def base_document(
    snap: Snapshot, region: RegionSpec, run: RunOptions, warnings: list[str]
) -> dict[str, Any]:
    """The scenario before estimates and overrides."""
    by_unit: dict[str, list[str]] = {}
    for area, uid in sorted(snap.catchment.items()):
        by_unit.setdefault(uid, []).append(area)
    days_key = "first_visit_days" if snap.stage == "first_visit" else "treatment_days"
    return {
        "name": f"forecast_{snap.specialty}_{snap.stage}",
        "title": f"Prognos {snap.specialty} {snap.stage} från {snap.as_of.isoformat()}",
        "description": "The service's queue on the forecast date as the initial state.",
        "region": region.model_dump(mode="json"),
        "priorities": [
            {"name": n, "share": round(share, 6), days_key: limit}
            for n, (limit, share) in snap.priorities.items()
        ],
        "demand": {"split": "counts", "stage": snap.stage},
        "pathway": {
            "assessment": {},
            "decision_share": 0.0,
            "treatment_pools": [{"name": TREATMENT_POOL, "share": 1.0}],
        },
        "units": [unit_entry(c, snap.stage, by_unit.get(c.unit.id, [])) for c in snap.calendars],
        "capacity_changes": capacity_changes(snap.calendars, snap.stage),
        "waiting_list": [waiting_entry(w, snap, warnings) for w in snap.waiting],
        "behaviour": {},
        "run": {
            "start_date": snap.as_of,
            "horizon_days": run.weeks * 7,
            "warmup_days": 0,
            "replications": run.replications,
            "policies": list(run.policies),
            "seed": run.seed,
        },
    }


def merge(base: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """``extra`` into ``base`` in place: mappings field by field, anything else replaced."""
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _has(doc: Mapping[str, Any], path: str) -> bool:
    node: Any = doc
    for seg in path.split("."):
        if not isinstance(node, Mapping) or seg not in node:
            return False
        node = node[seg]
    return True


def _get(doc: Mapping[str, Any], path: str) -> Any:
    node: Any = doc
    for seg in path.split("."):
        node = node[seg]
    return node


def _put(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = doc
    for seg in parents:
        node = node.setdefault(seg, {})
    node[last] = value


def apply_overrides(doc: dict[str, Any], over: Overrides) -> set[str]:
    """Merge the overrides into ``doc``; the estimate paths they set."""
    merge(doc, over.document)
    touched = {p for p in PATHS.values() if _has(over.document, p)}
    for text in over.assignments:
        a = parse_assignment(text)
        apply_assignment(doc, a)
        dotted = ".".join(a.path)
        touched |= {p for p in PATHS.values() if dotted == p or dotted.startswith(p + ".")}
    return touched


def build_scenario(
    snap: Snapshot, region: RegionSpec, run: RunOptions, over: Overrides
) -> tuple[Scenario, dict[str, Estimate], list[str]]:
    """The forecast scenario, what each rate came from, and the warnings. A rate the
    history cannot give and no override names is a :class:`ForecastInputError`."""
    warnings = list(snap.warnings)
    doc = base_document(snap, region, run, warnings)
    estimates = estimate_rates(snap.history, snap.stage)
    for name, est in estimates.items():
        if est.value is not None:
            _put(doc, PATHS[name], est.value)
    try:
        touched = apply_overrides(doc, over)
    except OverrideError as exc:
        raise ForecastInputError(f"--set {exc.assignment}", exc.problem) from None
    for name, est in list(estimates.items()):
        path = PATHS[name]
        if path in touched:
            estimates[name] = overridden(name, _get(doc, path))
        elif est.value is None:
            raise ForecastInputError(
                path,
                f"cannot be estimated ({est.reason}); give it with --set {path}=VALUE "
                "or in --scenario-overrides",
            )
    doc["forecast_estimates"] = {n: e.record() for n, e in estimates.items()}
    return validate(doc), estimates, warnings


def validate(doc: dict[str, Any]) -> Scenario:
    """The scenario, or a :class:`ForecastInputError` naming the field at fault."""
    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"] if p not in ("slots", "servers", "RegionSpec"))
        raise ForecastInputError(
            loc or "scenario", str(err["msg"]).removeprefix("Value error, ")
        ) from None
