"""Load scenario and region files, check cross-references, compile to a ModelSpec
(the compilation itself is :mod:`scenarios.compiler`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from scenarios.compiler import Overrides, compile_scenario
from scenarios.errors import ScenarioError
from scenarios.schema import RegionSpec, Scenario
from simulering.spec import ModelSpec

__all__ = [
    "LIBRARY_DIR",
    "PACKAGE_DIR",
    "REGION_DIR",
    "Overrides",
    "ScenarioError",
    "check_references",
    "compile_scenario",
    "list_library",
    "load_region",
    "load_region_file",
    "load_scenario",
    "load_spec",
    "read_yaml",
    "resolve_scenario_path",
    "validate_as",
]

M = TypeVar("M", bound=BaseModel)

PACKAGE_DIR = Path(__file__).resolve().parent
REGION_DIR = PACKAGE_DIR / "regioner"
LIBRARY_DIR = PACKAGE_DIR / "library"


def read_yaml(path: Path) -> Any:
    """A YAML file's contents; a missing, unreadable or malformed file is a
    :class:`ScenarioError` naming it (and the line and column of a syntax error)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, "", f"cannot read file ({exc})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError(
            path, "", f"not valid YAML: {at}{getattr(exc, 'problem', exc)}"
        ) from None


def validate_as(model: type[M], data: Any, path: Path) -> M:
    """``data`` (read from ``path``) validated as ``model``; the first wrong field is a
    :class:`ScenarioError` with its dotted path."""
    if not isinstance(data, dict):
        raise ScenarioError(path, "", "expected a mapping of fields at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
        raise ScenarioError(path, field or "(top level)", msg + more) from None


def load_region_file(path: Path) -> RegionSpec:
    """Read and validate a region file (``REGION_DIR / "vgr.yaml"``, or any path)."""
    return validate_as(RegionSpec, read_yaml(path), path)


def resolve_scenario_path(ref: str | Path) -> Path:
    """A path as given, or the name of a scenario in the library."""
    path = Path(ref)
    if path.exists() or path.suffix in (".yaml", ".yml") or "/" in str(ref):
        return path
    return LIBRARY_DIR / f"{ref}.yaml"


def load_scenario(ref: str | Path) -> Scenario:
    """Read and validate a scenario file (or a library scenario by name)."""
    path = resolve_scenario_path(ref)
    scenario = validate_as(Scenario, read_yaml(path), path)
    check_references(scenario, load_region(scenario, path), path)
    return scenario


def load_region(scenario: Scenario, scenario_path: Path) -> RegionSpec:
    """The scenario's region: inline, a region file name, or a path beside the scenario."""
    if isinstance(scenario.region, RegionSpec):
        return scenario.region
    ref = scenario.region
    candidates = [REGION_DIR / f"{ref}.yaml", scenario_path.parent / ref, Path(ref)]
    for candidate in candidates:
        if candidate.is_file():
            return load_region_file(candidate)
    raise ScenarioError(scenario_path, "region", f"no region file {ref!r} in {REGION_DIR}")


def list_library() -> list[Path]:
    """The library scenarios."""
    return sorted(LIBRARY_DIR.glob("*.yaml"))


def check_references(s: Scenario, region: RegionSpec, path: Path) -> None:
    """Every id a scenario names must exist in its region."""
    areas = {a.id for a in region.areas}
    units = {u.id for u in region.units}
    used = {u.unit for u in s.units}
    pools = {"first_visit"} | {p.name for p in s.pathway.treatment_pools}

    def need(ok: bool, field: str, problem: str) -> None:
        if not ok:
            raise ScenarioError(path, field, problem)

    for i, u in enumerate(s.units):
        need(u.unit in units, f"units.{i}.unit", f"unknown unit {u.unit!r} in region {region.id}")
        for j, a in enumerate(u.catchment or []):
            need(a in areas, f"units.{i}.catchment.{j}", f"unknown area {a!r}")
    for i, b in enumerate(s.backlog):
        need(b.unit in used, f"backlog.{i}.unit", f"unit {b.unit!r} is not in this scenario")
    for i, st in enumerate(s.demand.steps):
        for j, a in enumerate(st.areas or []):
            need(a in areas, f"demand.steps.{i}.areas.{j}", f"unknown area {a!r}")
    for rate_area in s.demand.rates_per_1000:
        need(
            rate_area in areas,
            f"demand.rates_per_1000.{rate_area}",
            f"unknown area {rate_area!r}",
        )
    _check_forecast_areas(s, areas, path)
    for i, r in enumerate(s.reductions):
        for j, uid in enumerate(r.units or []):
            need(uid in used, f"reductions.{i}.units.{j}", f"unit {uid!r} is not in this scenario")
        for j, p in enumerate(r.pools or []):
            need(p in pools, f"reductions.{i}.pools.{j}", f"unknown pool {p!r}")
    prices = s.cross_region.price_per_referral_sek or s.cross_region.price_per_first_visit_sek
    need(
        not prices or any(a.region for a in region.areas),
        "cross_region",
        f"prices given, but the areas of region {region.id} have no administrative 'region'",
    )
    fv = [u for u in s.units if u.first_visit is not None]
    need(bool(fv), "units", "no unit has first_visit capacity")
    for name in pools - {"first_visit"}:
        if s.pathway.decision_share > 0:
            need(
                any(name in u.treatment for u in s.units),
                "units",
                f"no unit has capacity for treatment pool {name!r}",
            )


def _check_forecast_areas(s: Scenario, areas: set[str], path: Path) -> None:
    """The areas of the weekly referral counts and of the waiting list are the region's."""
    for rate_area in s.demand.referrals_per_week or {}:
        if rate_area not in areas:
            field = f"demand.referrals_per_week.{rate_area}"
            raise ScenarioError(path, field, f"unknown area {rate_area!r}")
    for i, row in enumerate(s.waiting_list or []):
        if row.area not in areas:
            raise ScenarioError(path, f"waiting_list.{i}.area", f"unknown area {row.area!r}")


def load_spec(ref: str | Path, overrides: Overrides | None = None) -> tuple[Scenario, ModelSpec]:
    """Load, check and compile a scenario in one step."""
    path = resolve_scenario_path(ref)
    scenario = validate_as(Scenario, read_yaml(path), path)
    region = load_region(scenario, path)
    check_references(scenario, region, path)
    return scenario, compile_scenario(scenario, region, overrides)
