"""Fill the report's plain-data context from a scenario and its region.

``simulering.report`` must not import ``scenarios`` (imports point inward), so the
command line builds a :class:`~simulering.report.ReportContext` here and passes it on::

    sc, spec = load_spec(ref, overrides)
    ctx = report_context(sc, load_region(sc, resolve_scenario_path(ref)))
    write_report(result, ctx, Path("report.html"), lang="sv")
"""

from __future__ import annotations

from pathlib import Path

from scenarios.loader import REGION_DIR, load_region, load_scenario, resolve_scenario_path
from scenarios.outline import outline_path, read_outline, region_outline
from scenarios.references import readable
from scenarios.schema import RegionSpec, Scenario
from simulering.report import ReportArea, ReportContext, ReportUnit, ScenarioTexts


def swedish_texts(scenario: Scenario) -> ScenarioTexts:
    """The scenario's ``*_sv`` words, sources named in Swedish (where a Swedish text
    is missing, the report keeps the scenario's own)."""
    return ScenarioTexts(
        title=scenario.title_sv,
        description=" ".join(scenario.description_sv.split()),
        sources=tuple(readable(x, "sv") for x in scenario.sources_sv or scenario.sources),
        assumptions=tuple(scenario.assumptions_sv),
    )


def outline_of(scenario: Scenario, region: RegionSpec) -> tuple[tuple[float, float], ...]:
    """The outline shipped beside a library region file, else one derived from the
    region's areas now (the same computation, :mod:`scenarios.outline`)."""
    if isinstance(scenario.region, str):
        shipped = read_outline(outline_path(REGION_DIR / f"{scenario.region}.yaml"))
        if shipped:
            return tuple(shipped)
    return tuple(region_outline(region))


def report_context(scenario: Scenario, region: RegionSpec) -> ReportContext:
    """The scenario's words (title, description, sources named not as paths,
    assumptions; in Swedish where it has them), its units in scenario order, the
    region's areas with coordinates and sub-regions, and the region's outline."""
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
        sources=tuple(readable(x, "en") for x in scenario.sources),
        assumptions=tuple(scenario.assumptions),
        region_name=region.name,
        areas=areas,
        units=units,
        start_date=scenario.run.start_date,
        guarantee_days=(scenario.guarantee.first_visit_days, scenario.guarantee.treatment_days),
        outline=outline_of(scenario, region),
        translations={"sv": swedish_texts(scenario)},
    )


def load_report_context(ref: str | Path) -> ReportContext:
    """:func:`report_context` of a scenario file or library name, read from disk."""
    path = resolve_scenario_path(ref)
    scenario = load_scenario(path)
    return report_context(scenario, load_region(scenario, path))
