"""Words and numbers as the report writes them: :class:`Labels` (the report's words,
the catalogue's KPI labels, numbers with a decimal comma in Swedish, ``mean [lo – hi]``
cells) and the small helpers on :class:`~simulering.results.Estimate` the figures share."""

from __future__ import annotations

import html
import math
from typing import Any, Final

from allokering.domain import Stage
from simulering.catalogue import CATALOGUE, KPIS, Kind
from simulering.report.context import ReportContext
from simulering.report.text import LANGUAGES, TEXT
from simulering.results import Estimate

KPI_KIND: Final[dict[str, Kind]] = {k.name: k.kind for k in KPIS}
"""How each KPI's numbers are written (:data:`simulering.catalogue.Kind`)."""

MeanCi = tuple[float | None, float | None, float | None]


class Labels:
    """The report's words in one language, with the scenario's unit names and limits."""

    def __init__(self, lang: str, ctx: ReportContext) -> None:
        if lang not in TEXT:
            raise ValueError(f"lang: unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
        self.lang = lang
        self.t = TEXT[lang]
        self.ctx = ctx
        self.unit_names = {u.id: u.name for u in ctx.units}

    def __getitem__(self, key: str) -> str:
        return self.t[key]

    def stage(self, stage: str) -> str:
        return self.t.get(stage, stage)

    def policy(self, name: str) -> str:
        return self.t.get(f"policy_{name}", name)

    def unit(self, uid: str) -> str:
        return self.unit_names.get(uid, uid)

    def kpi(self, key: str, stage: Stage | None = None) -> str:
        """The KPI's label (:mod:`simulering.catalogue`), ``{limit}`` the stage's."""
        entry = CATALOGUE.get(key)
        text = entry.report_label(self.lang) if entry is not None else key
        return text.format(limit=self.ctx.guarantee(stage or Stage.FIRST_VISIT))

    def priority_kpi(self, key: str, stage: Stage | None = None) -> str:
        """The KPI's label in the per-priority table (shares: within the own limit)."""
        entry = CATALOGUE.get(key)
        if entry is None:
            return self.kpi(key, stage)
        limit = self.ctx.guarantee(stage or Stage.FIRST_VISIT)
        return entry.report_priority_label(self.lang).format(limit=limit)

    def number(self, x: float | None, kind: str, signed: bool = False) -> str:
        """A number as a planner reads it (decimal comma and thin grouping in Swedish)."""
        if x is None or math.isnan(x):
            return self.t["none"]
        sign = "+" if signed else ""
        unit = ""
        if kind == "share":
            text = f"{100 * x:{sign}.1f}"
            unit = f" {self.t['pp'] if signed else '%'}"
        elif kind in ("count", "sek"):
            text = f"{x:{sign},.0f}".replace(",", "\u202f")
        else:
            text = f"{x:{sign}.1f}"
        if self.lang == "sv":
            text = text.replace(".", ",").replace("-", "−")
        return text + unit

    def shown_as_zero(self, x: float, kind: str) -> bool:
        """Whether :meth:`number` writes ``x`` as zero (``0,0 %``, ``0``, ``0,0``)."""
        if kind == "share":
            return abs(100 * x) < 0.05
        if kind in ("count", "sek"):
            return abs(x) < 0.5
        return abs(x) < 0.05

    def cell(self, summary: Estimate | None, kind: str, signed: bool = False) -> str:
        """``mean [lo – hi]`` (the mean alone when the interval is a point)."""
        mean, lo, hi = mean_ci(summary)
        if mean is None:
            return self.t["none"]
        if lo is None or hi is None or lo == hi:
            return self.number(mean, kind, signed)
        bounds = [self.number(b, kind, signed) for b in (lo, hi)]
        if signed and kind == "share":  # the unit once: +35,2 p.e. [+30,0 – +40,3]
            bounds = [b.removesuffix(f" {self.t['pp']}") for b in bounds]
        return f"{self.number(mean, kind, signed)} [{bounds[0]} – {bounds[1]}]"


def finite(x: float | None) -> float | None:
    """``x`` as a float, ``None`` when it is missing or NaN."""
    return None if x is None or math.isnan(x) else float(x)


def mean_ci(summary: Estimate | None) -> MeanCi:
    """``(mean, lo, hi)`` of an estimate, ``None`` for what is missing."""
    if summary is None:
        return None, None, None
    return finite(summary.mean), finite(summary.lo), finite(summary.hi)


def mean_of(summary: Estimate | None) -> float | None:
    return mean_ci(summary)[0]


def clip01(x: float | None) -> float | None:
    return None if x is None else min(1.0, max(0.0, x))


def esc(text: Any) -> str:
    return html.escape(str(text))
