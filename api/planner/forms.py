"""The what-if form: its fields read, turned into a changed library scenario and the
options of a simulation job, and every problem placed beside the field it belongs to.

A changed capacity, demand or summer is a ``--set`` assignment
(:mod:`scenarios.overrides`), so the form changes a scenario exactly as ``remiss
simulate --set`` does; a capacity kept only in some weeks is a recurring reduction
(``reductions``) from the Monday of the first ISO week to the Sunday of the last, in the
year the run starts. The changed scenario is validated by the scenario schema, then sent
to the job as an inline scenario (its region still the library's region name).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from pydantic import ValidationError

from api.planner.texts import Texts
from scenarios.overrides import OverrideError, apply_assignment, parse_assignment
from scenarios.schema import Scenario

Form = dict[str, list[str]]
WEEKS_NAME = "planerade_veckor"
"""The name of the reduction the week-range fields add."""


def parse_form(body: bytes) -> Form:
    """An ``application/x-www-form-urlencoded`` body, every value a list."""
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def first(form: Form, name: str) -> str:
    """The field's first value, stripped ('' when absent)."""
    return (form.get(name) or [""])[0].strip()


def capacity_field(unit: str, pool: str) -> str:
    """The form field of a unit's capacity in ``first_visit`` or a treatment pool."""
    return f"cap__{unit}__{pool}"


def capacities(scenario: Scenario) -> list[tuple[str, str, float]]:
    """(unit, pool, slots per week) of every slot calendar of the scenario, in order."""
    rows = []
    for u in scenario.units:
        pools = [("first_visit", u.first_visit), *u.treatment.items()]
        for pool, cap in pools:
            slots = getattr(cap, "slots_per_week", None)
            if slots is not None:
                rows.append((u.unit, pool, float(slots)))
    return rows


def summer_index(scenario: Scenario) -> int | None:
    """The position of the summer reduction (named *sommar* or *summer*), if any."""
    for i, r in enumerate(scenario.reductions):
        if r.name.lower() in ("sommar", "summer"):
            return i
    return None


@dataclass
class WhatIf:
    """What the form asked for: the job's options and the changed scenario."""

    policies: list[str] = field(default_factory=list)
    replications: int | None = None
    horizon_days: int | None = None
    warmup_days: int | None = None
    changes: list[str] = field(default_factory=list)
    """One line per change, as a ``--set`` assignment (shown in the run list)."""
    scenario: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    """Form field → what is wrong with it (``_form``: not one field's fault)."""

    def job_request(self) -> dict[str, Any]:
        """The body of a simulation job (:class:`api.service.schemas.SimulationIn`)."""
        return {
            "scenario": self.scenario,
            "policies": self.policies or None,
            "replications": self.replications,
            "horizon_days": self.horizon_days,
            "warmup_days": self.warmup_days,
        }


def number(form: Form, name: str, out: WhatIf, message: str) -> float | None:
    """The field as a number (a decimal comma allowed); None when empty."""
    text = first(form, name).replace(",", ".").replace("\u2212", "-")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        out.errors[name] = message
        return None
    if not math.isfinite(value):
        out.errors[name] = message
        return None
    return value


def integer(form: Form, name: str, out: WhatIf, message: str) -> int | None:
    value = number(form, name, out, message)
    if value is None:
        return None
    if value != int(value):
        out.errors[name] = message
        return None
    return int(value)


def read_whatif(form: Form, scenario: Scenario, msg: Texts) -> WhatIf:
    """The what-if of a submitted form on ``scenario``; ``errors`` says what is wrong.
    ``msg`` holds the texts of the form's own checks (``error_number`` ...)."""
    out = WhatIf(policies=[p for p in form.get("policies", []) if p])
    if not out.policies:
        out.errors["policies"] = msg["error_policy"]
    out.replications = integer(form, "replications", out, msg["error_integer"])
    out.horizon_days = integer(form, "horizon_days", out, msg["error_integer"])
    out.warmup_days = integer(form, "warmup_days", out, msg["error_integer"])
    assignments: list[tuple[str, str]] = []  # (form field, PATH=VALUE)
    for unit, pool, slots in capacities(scenario):
        name = capacity_field(unit, pool)
        value = number(form, name, out, msg["error_number"])
        if value is not None and value != slots:
            path = "first_visit" if pool == "first_visit" else f"treatment.{pool}"
            assignments.append((name, f"units[{unit}].{path}.slots_per_week={value:g}"))
    demand = number(form, "demand_change", out, msg["error_number"])
    if demand:
        sign = "+" if demand > 0 else "-"
        assignments.append(("demand_change", f"demand.referrals_per_year={sign}{abs(demand):g}%"))
    summer = number(form, "summer_factor", out, msg["error_share"])
    i = summer_index(scenario)
    if summer is not None and i is not None and summer != scenario.reductions[i].factor:
        name = scenario.reductions[i].name
        assignments.append(("summer_factor", f"reductions[{name}].factor={summer:g}"))
    data = copy.deepcopy(scenario.model_dump(mode="json"))
    for name, text in assignments:
        try:
            apply_assignment(data, parse_assignment(text))
        except OverrideError as exc:
            out.errors[name] = exc.problem
        out.changes.append(text)
    add_week_range(form, scenario, data, out, msg)
    validate(data, out, scenario)
    out.scenario = data
    return out


def add_week_range(
    form: Form, scenario: Scenario, data: dict[str, Any], out: WhatIf, msg: Texts
) -> None:
    """The week-range fields as a reduction appended to ``data['reductions']``."""
    factor = number(form, "week_factor", out, msg["error_share"])
    week_from = integer(form, "week_from", out, msg["error_week"])
    week_to = integer(form, "week_to", out, msg["error_week"])
    if factor is None and week_from is None and week_to is None:
        return
    if week_from is None or week_to is None or not 1 <= week_from <= week_to <= 53:
        out.errors.setdefault("week_from", msg["error_week"])
        return
    if factor is None:
        out.errors.setdefault("week_factor", msg["error_share"])
        return
    year = scenario.run.start_date.year
    try:
        start = dt.date.fromisocalendar(year, week_from, 1)
        end = dt.date.fromisocalendar(year, week_to, 7)
    except ValueError:
        out.errors["week_to"] = msg["error_week"]
        return
    reduction: dict[str, Any] = {
        "name": WEEKS_NAME,
        "start": start.strftime("%m-%d"),
        "end": end.strftime("%m-%d"),
        "factor": factor,
    }
    unit = first(form, "week_unit")
    if unit:
        reduction["units"] = [unit]
    data.setdefault("reductions", []).append(reduction)
    where = f"[{unit}]" if unit else ""
    out.changes.append(f"reductions+={{weeks {week_from}-{week_to}{where}: factor {factor:g}}}")


def field_of(loc: tuple[str | int, ...], data: dict[str, Any], scenario: Scenario) -> str:
    """The form field a scenario error's location belongs to (``_form`` if none)."""
    parts = [p for p in loc if p not in ("slots", "servers")]
    if parts[:1] == ["units"] and len(parts) >= 3 and isinstance(parts[1], int):
        unit = data["units"][parts[1]]["unit"]
        pool = (
            "first_visit" if parts[2] == "first_visit" else str(parts[3:4][0] if parts[3:4] else "")
        )
        return capacity_field(unit, pool)
    if parts[:2] == ["demand", "referrals_per_year"]:
        return "demand_change"
    if parts[:1] == ["reductions"] and len(parts) >= 2 and isinstance(parts[1], int):
        if parts[1] == summer_index(scenario):
            return "summer_factor"
        if data["reductions"][parts[1]].get("name") == WEEKS_NAME:
            return {"start": "week_from", "end": "week_to"}.get(str(parts[2:3][0]), "week_factor")
    if parts[:1] == ["run"] and len(parts) >= 2:
        return str(parts[1])
    return "_form"


def validate(data: dict[str, Any], out: WhatIf, scenario: Scenario) -> None:
    """The changed scenario as the scenario format validates it; each error beside its
    field."""
    try:
        Scenario.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            name = field_of(tuple(err["loc"]), data, scenario)
            out.errors.setdefault(name, str(err["msg"]).removeprefix("Value error, "))


def service_field(field_path: str) -> str:
    """The form field of a service problem's field (``body.scenario.run.replications``,
    ``body.horizon_days``)."""
    parts = field_path.removeprefix("body.").removeprefix("scenario.").split(".")
    if parts[0] == "run" and len(parts) > 1:
        return parts[1]
    if parts[0] in ("replications", "horizon_days", "warmup_days", "policies"):
        return parts[0]
    if parts[:2] == ["demand", "referrals_per_year"]:
        return "demand_change"
    return "_form"
