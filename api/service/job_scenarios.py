"""The experiment a simulation job runs: a library scenario by name, or a scenario sent
inline, resolved through :class:`scenarios.experiment.Experiment` exactly as
``remiss simulate`` resolves a file — then held to the service's size limits.

No name or path from a request reaches the filesystem: a library scenario is looked up
among :func:`library_names`, and an inline scenario's ``region`` is either carried
inline or is the name of one of the library's region files (:func:`region_names`),
which is replaced by that file's content before anything is loaded. Any other name —
an absolute path, ``../``, a symlink — gets the same reply, so the reply never tells
whether a file exists.

The limits (:class:`~api.service.settings.Settings`: ``max_scenario_units``,
``max_scenario_areas``, ``max_referrals_per_year``, ``max_horizon_days``,
``max_replications``) are checked on the experiment's own values — after the request's
options, the scenario's ``run:`` section and the schema's defaults are combined — so no
field of an inline scenario can skip them. An inline region's size is checked before
the scenario is compiled (compiling builds an areas × units distance matrix).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api.service.http_problems import Problem, invalid_field
from api.service.settings import Settings
from scenarios.experiment import Experiment
from scenarios.loader import (
    LIBRARY_DIR,
    REGION_DIR,
    ScenarioError,
    list_library,
    load_region_file,
)
from scenarios.schema import KNOWN_POLICIES, RegionSpec, Scenario

INLINE_PATH = REGION_DIR / "inline.yaml"
"""The path an inline scenario is reported under (never read)."""


def library_names() -> list[str]:
    """The scenarios of the library, by name."""
    return [p.stem for p in list_library()]


def region_names() -> list[str]:
    """The region files of the library, by name (``vgr``, ``sydost``)."""
    return sorted(p.stem for p in REGION_DIR.glob("*.yaml"))


def check_policies(policies: list[str] | tuple[str, ...], field: str = "body.policies") -> None:
    """422 naming the first unknown policy."""
    for i, p in enumerate(policies):
        if p not in KNOWN_POLICIES:
            raise invalid_field(
                f"{field}.{i}", f"unknown policy; known: {', '.join(KNOWN_POLICIES)}"
            )


def too_large(field: str, value: float, limit: float) -> Problem:
    """A 422 naming the field whose value passes a limit, and the limit."""
    return invalid_field(field, f"{value:g} is more than this service runs (at most {limit:g})")


def inline_scenario(doc: dict[str, Any], settings: Settings) -> Scenario:
    """The validated inline scenario, its region inline (a library region's name is
    replaced by the region file's content); 422 naming the field at fault."""
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:
        errors = exc.errors()
        # ``region`` is a name or a region: report the region's error, not "not a string"
        e = next((e for e in errors if e["type"] != "string_type"), errors[0])
        loc = [p for p in e["loc"] if p != "RegionSpec"]
        where = ".".join(str(p) for p in ("body", "scenario", *loc))
        raise invalid_field(where, str(e["msg"]).removeprefix("Value error, ")) from None
    region = scenario.region
    if isinstance(region, str):
        names = region_names()
        if region not in names:
            raise invalid_field(
                "body.scenario.region",
                f"not a library region; name one of {', '.join(names)} or give the region inline",
            )
        region = load_region_file(REGION_DIR / f"{region}.yaml")
    check_region_size(region, settings, "body.scenario.region")
    return scenario.model_copy(update={"region": region})


def check_region_size(region: RegionSpec, settings: Settings, field: str) -> None:
    """Units and areas within the limits, before anything is compiled."""
    if len(region.units) > settings.max_scenario_units:
        raise too_large(f"{field}.units", len(region.units), settings.max_scenario_units)
    if len(region.areas) > settings.max_scenario_areas:
        raise too_large(f"{field}.areas", len(region.areas), settings.max_scenario_areas)


def check_experiment_size(
    experiment: Experiment, request: dict[str, Any], settings: Settings
) -> None:
    """The limits on what will actually run: the compiled model and the run plan. The
    field named is the request's option when it set the value, else the scenario's."""
    spec, plan = experiment.spec, experiment.plan
    run = "body.scenario.run" if isinstance(request["scenario"], dict) else "body"
    if spec.n_units > settings.max_scenario_units:
        raise too_large("body.scenario.region.units", spec.n_units, settings.max_scenario_units)
    if spec.n_areas > settings.max_scenario_areas:
        raise too_large("body.scenario.region.areas", spec.n_areas, settings.max_scenario_areas)
    if spec.horizon_days > settings.max_horizon_days:
        where = "body" if request.get("horizon_days") else run
        raise too_large(f"{where}.horizon_days", spec.horizon_days, settings.max_horizon_days)
    per_year = float(spec.daily_arrivals.sum()) * 365.25 / spec.horizon_days
    if not per_year <= settings.max_referrals_per_year:  # also refuses NaN
        raise too_large(
            "body.scenario.demand.referrals_per_year", per_year, settings.max_referrals_per_year
        )
    if plan.replications > settings.max_replications:
        where = "body" if request.get("replications") else run
        raise too_large(f"{where}.replications", plan.replications, settings.max_replications)
    check_policies(plan.policies)


def experiment_for(request: dict[str, Any], settings: Settings) -> Experiment:
    """The experiment of a simulation request (``SimulationIn`` as a dict), checked
    against the limits; 422 naming the field when it is wrong or too large."""
    scenario = request["scenario"]
    options: dict[str, Any] = {
        "horizon_days": request.get("horizon_days"),
        "warmup_days": request.get("warmup_days"),
        "policies": request.get("policies"),
        "replications": request.get("replications"),
        "seed": request.get("seed"),
    }
    try:
        if isinstance(scenario, str):
            if scenario not in library_names():
                raise invalid_field("body.scenario", f"no library scenario {scenario!r}")
            experiment = Experiment.load(LIBRARY_DIR / f"{scenario}.yaml", **options)
        else:
            sc = inline_scenario(scenario, settings)
            experiment = Experiment.of_scenario(sc, INLINE_PATH, **options)
    except ScenarioError as exc:
        if isinstance(scenario, str):  # a broken library file is the server's fault
            raise Problem(500, "Internal error", str(exc)) from None
        raise invalid_field(f"body.scenario.{exc.field}", exc.problem) from None
    except ValueError as exc:
        raise invalid_field("body.scenario", str(exc)) from None
    check_experiment_size(experiment, request, settings)
    return experiment
