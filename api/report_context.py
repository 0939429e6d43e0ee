"""Fill the report's plain-data context from a scenario and its region.

``simulering.report`` must not import ``scenarios`` (imports point inward), so the
command line builds a :class:`~simulering.report.ReportContext` here and passes it on::

    sc, spec = load_spec(ref, overrides)
    ctx = report_context(sc, load_region(sc, resolve_scenario_path(ref)))
    write_report(result, ctx, Path("report.html"), lang="sv")
"""

from __future__ import annotations

from pathlib import Path

from scenarios.loader import load_region, load_scenario, resolve_scenario_path
from scenarios.schema import RegionSpec, Scenario
from simulering.report import ReportArea, ReportContext, ReportUnit


def report_context(scenario: Scenario, region: RegionSpec) -> ReportContext:
    """The scenario's words (title, description, sources, assumptions), its units in
    scenario order and the region's areas with coordinates and sub-regions."""
    region_units = {u.id: u for u in region.units}
    units = tuple(
        ReportUnit(
            id=u.unit,
            name=region_units[u.unit].name if u.unit in region_units else u.unit,
            lat=region_units[u.unit].lat if u.unit in region_units else None,
            lon=region_units[u.unit].lon if u.unit in region_units else None,
        )
        for u in scenario.units
    )
    areas = tuple(
        ReportArea(
            id=a.id,
            name=a.name,
            lat=a.lat,
            lon=a.lon,
            subregion=a.subregion,
            population=a.population,
        )
        for a in region.areas
    )
    return ReportContext(
        title=scenario.title or scenario.name,
        name=scenario.name,
        description=" ".join(scenario.description.split()),
        sources=tuple(scenario.sources),
        assumptions=tuple(scenario.assumptions),
        region_name=region.name,
        areas=areas,
        units=units,
        start_date=scenario.run.start_date,
        guarantee_days=(scenario.guarantee.first_visit_days, scenario.guarantee.treatment_days),
    )


def load_report_context(ref: str | Path) -> ReportContext:
    """:func:`report_context` of a scenario file or library name, read from disk."""
    path = resolve_scenario_path(ref)
    scenario = load_scenario(path)
    return report_context(scenario, load_region(scenario, path))
