"""What the report needs from the scenario, as plain data: filled by the ``api`` layer
(:mod:`api.report_context`), so :mod:`simulering.report` never imports ``scenarios``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from allokering.domain import Stage


@dataclass(frozen=True)
class ReportArea:
    """A municipality as the report draws it."""

    id: str
    name: str
    lat: float
    lon: float
    subregion: str
    population: int = 0


@dataclass(frozen=True)
class ReportUnit:
    """A unit of the scenario (the report lists units in this order)."""

    id: str
    name: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class ScenarioTexts:
    """A scenario's words in one language (empty: not given in that language)."""

    title: str = ""
    description: str = ""
    sources: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportContext:
    """What the report needs from the scenario, as plain data (filled by ``api``)."""

    title: str
    name: str = ""
    description: str = ""
    sources: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    region_name: str = ""
    areas: tuple[ReportArea, ...] = ()
    units: tuple[ReportUnit, ...] = ()
    start_date: dt.date | None = None
    """Day 0 of the simulation: month-end days become dates on the time axes."""
    guarantee_days: tuple[int, int] = (90, 90)
    """Guarantee limit of the first visit and of treatment, calendar days."""
    outline: tuple[tuple[float, float], ...] = ()
    """The region's outline as a closed ring of (lon, lat), drawn behind the map."""
    translations: Mapping[str, ScenarioTexts] = field(default_factory=dict)
    """The scenario's words by language (``"sv"``: ``title_sv``, ``description_sv`` …);
    ``title``, ``description``, ``sources`` and ``assumptions`` above are the scenario's
    own (English) words."""

    def in_language(self, lang: str) -> ReportContext:
        """The context with the scenario's words in ``lang`` where it has them (each of
        title, description, sources and assumptions on its own; the rest as written)."""
        words = self.translations.get(lang)
        if words is None:
            return self
        return replace(
            self,
            title=words.title or self.title,
            description=words.description or self.description,
            sources=words.sources or self.sources,
            assumptions=words.assumptions or self.assumptions,
        )

    def guarantee(self, stage: Stage | str) -> int:
        """The guarantee limit of ``stage`` in days."""
        return self.guarantee_days[1 if stage == Stage.TREATMENT else 0]
