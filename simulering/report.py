"""The HTML report: one self-contained file a planner can put in front of the board.

:func:`write_report` turns the result document of ``remiss simulate --json`` (plus a
:class:`ReportContext` with the scenario's words and geography, filled by the ``api``
layer, so this module never imports ``scenarios``) into one HTML file with the
plotly.js bundle inlined: it opens without a network. Labels are Swedish by default
and English with ``lang="en"``.

Charts use the numbers of the document as they are (every KPI is computed once, in
:mod:`simulering.kpis`). Compliance per month uses the region-level series
``series[stage]["region"]`` when the document has it: one value per month end and
replication, summarised by the runner to ``{day: {mean, ci95}}``, so the bands are true
95 % confidence intervals across replications. For older documents without it the
region line is the queue-weighted mean of the unit series and the band is the range
across units (the chart says so).
"""

from __future__ import annotations

import datetime as dt
import html
import importlib.metadata
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from simulering.catalogue import BAND_NAMES, CATALOGUE, KPIS, PRIORITY, REPORT, Kind
from simulering.paired import MIN_REPLICATIONS, opposite_directions

STAGE_KEYS = ("first_visit", "treatment")
BAND_KEYS = BAND_NAMES
BAND_COLOURS = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#e34a33", "#b30000")
POLICY_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
UNIT_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

TABLE_KPIS: tuple[tuple[str, Kind], ...] = tuple((k, CATALOGUE[k].kind) for k in REPORT)
"""(key, kind) of the KPI table, in order (:data:`simulering.catalogue.REPORT`)."""
KPI_KIND: dict[str, Kind] = {k.name: k.kind for k in KPIS}
PRIORITY_KPIS: tuple[tuple[str, Kind], ...] = tuple((k, CATALOGUE[k].kind) for k in PRIORITY)
"""The KPIs of the per-priority table (shares against each group's own limit)."""


TEXT: dict[str, dict[str, str]] = {
    "sv": {
        "lang": "sv",
        "report": "Simuleringsrapport",
        "first_visit": "Förstabesök",
        "treatment": "Operation/åtgärd",
        "contents": "Innehåll",
        "summary": "Nyckeltal per policy",
        "summary_note": "Medelvärde över replikeringarna med 95 % konfidensintervall inom "
        "hakparentes. Andelar följer SKR:s definitioner (patientvald väntan undantagen); "
        "väntetider i dagar inkluderar alla.",
        "compliance": "Andel väntande inom vårdgarantin per månad",
        "compliance_note": "Andel av de väntande vid varje månadsslut som väntat högst "
        "{limits} dagar, hela regionen. Band: 95 % konfidensintervall över replikeringarna.",
        "compliance_note_units": "Andel av de väntande vid varje månadsslut som väntat högst "
        "{limits} dagar, hela regionen (köviktat medelvärde av enheterna). Dokumentet saknar "
        "månadsvärden per replikering: bandet visar spridningen mellan enheterna, inte ett "
        "konfidensintervall.",
        "band_ci": "95 % KI",
        "band_units": "spridning mellan enheter",
        "warmup": "uppvärmning (mäts ej)",
        "queue": "Antal väntande per enhet",
        "queue_note": "Väntande vid månadsslut (patientvald väntan undantagen), per "
        "hemenhet, medelvärde över replikeringarna.",
        "bands": "Väntetid i SKR:s intervall",
        "bands_note": "Fördelning av de väntandes väntetid vid månadsslut i mätperioden.",
        "equity": "Jämlikhet mellan delregioner",
        "equity_note": "Andel väntande inom vårdgarantin per delregion (patientens "
        "hemkommun), med 95 % konfidensintervall.",
        "map": "Kommunerna: andel väntande inom vårdgarantin",
        "map_note": "En punkt per kommun (storlek efter befolkning), färg efter andelen "
        "väntande inom vårdgarantin; svarta romber är enheterna.",
        "travel": "Resor och vård utanför hemenheten",
        "travel_note": "Medelresväg (km) och andel som fått vård vid en annan enhet än "
        "hemenheten, av de som fått vård i mätperioden.",
        "utilisation": "Kapacitetsutnyttjande per enhet",
        "utilisation_note": "Använd kapacitet delad med erbjuden kapacitet i mätperioden "
        "(uteblivna besök räknas som använda).",
        "paired": "Parvisa jämförelser",
        "paired_note": "Skillnad mellan policyer på samma patienter (gemensamma "
        "slumptal), medelvärde med 95 % konfidensintervall.",
        "paired_missing": "Dokumentet innehåller inga parvisa jämförelser.",
        "about": "Scenario och körning",
        "assumptions": "Antaganden",
        "sources": "Källor",
        "comparison": "Jämförelse",
        "stage": "Steg",
        "kpi": "Nyckeltal",
        "difference": "Skillnad [95 % KI]",
        "significant": "Signifikant",
        "better": "Bättre",
        "baseline": "Jämfört med",
        "confidence": "Konfidensnivå",
        "baseline_value": "Baslinje",
        "policy_value": "Policy",
        "yes": "ja",
        "no": "nej",
        "scenario": "Scenario",
        "region": "Region",
        "seed": "Slumptalsfrö",
        "replications": "Replikeringar",
        "horizon": "Simulerade dagar",
        "warmup_days": "Uppvärmning, dagar",
        "measured": "Mätperiod, dagar",
        "policies": "Policyer",
        "version": "remiss-version",
        "share": "Andel",
        "patients": "Patienter",
        "km": "km",
        "none": "–",
        "pp": "p.e.",
        "subregion": "Delregion",
        "unit": "Enhet",
        "policy": "Policy",
        "month_end": "Månadsslut",
        "mean": "medel",
        "units_marker": "enheter",
        "no_data": "inga väntande",
        "priority": "Per prioritetsgrupp",
        "priority_note": "Varje prioritetsgrupp mätt mot sin egen gräns (t.ex. P1 inom "
        "14 dagar): medelvärde med 95 % konfidensintervall.",
        "priority_group": "Prioritetsgrupp",
        "warning": "Varning",
        "few_replications": "Endast {n} replikering(ar) (färre än {min}): 95 %-intervallen "
        "blir mycket breda och säger lite. Kör med minst {rec} replikeringar.",
        "opposite": "Läs båda måtten",
        "opposite_line": "{policy} jämfört med {baseline}, {stage}: den officiella andelen "
        "{what} inom {limit} dagar är {good} ({share}) men medelväntetiden är {bad} "
        "({wait}): {why}; läs båda.",
        "what_completed": "genomförda",
        "what_waiting": "väntande",
        "better_word": "bättre",
        "worse_word": "sämre",
        "why_pvv": "andelen räknar inte patientvald väntan",
        "why_limit": "andelen räknar bara vilka som passerat gränsen, medelvärdet varje väntad dag",
        "policy_separate": "Separata köer",
        "policy_shared": "Gemensam kö",
        "policy_shared_within_subregion": "Gemensam kö inom delregion",
        "policy_optimised": "Optimerad planering",
        "policy_patient_choice": "Patientens val",
        "policy_separate_by_hospital_group": "idag",
        "days_suffix": "d",
    },
    "en": {
        "lang": "en",
        "report": "Simulation report",
        "first_visit": "First visit",
        "treatment": "Treatment",
        "contents": "Contents",
        "summary": "KPIs per policy",
        "summary_note": "Mean over replications with the 95 % confidence interval in "
        "brackets. Shares follow SKR's definitions (patient-chosen waiting excluded); "
        "waits in days include everyone.",
        "compliance": "Share waiting within the guarantee, per month",
        "compliance_note": "Of the patients waiting at each month end, the share who have "
        "waited at most {limits} days, whole region. Band: 95 % confidence interval across "
        "replications.",
        "compliance_note_units": "Of the patients waiting at each month end, the share who "
        "have waited at most {limits} days, whole region (queue-weighted mean of the units). "
        "The document has no per-replication monthly values: the band shows the range "
        "across units, not a confidence interval.",
        "band_ci": "95 % CI",
        "band_units": "range across units",
        "warmup": "warm-up (not measured)",
        "queue": "Patients waiting per unit",
        "queue_note": "Waiting at month ends (patient-chosen waiting excluded), by home "
        "unit, mean over replications.",
        "bands": "Waiting time in SKR bands",
        "bands_note": "Distribution of the waits of those waiting at month ends in the "
        "measured period.",
        "equity": "Equity across sub-regions",
        "equity_note": "Share waiting within the guarantee by sub-region (the patient's home "
        "municipality), with 95 % confidence intervals.",
        "map": "Municipalities: share waiting within the guarantee",
        "map_note": "One point per municipality (size by population), coloured by the share "
        "waiting within the guarantee; black diamonds are the units.",
        "travel": "Travel and care outside the home unit",
        "travel_note": "Mean travel distance (km) and share seen at a unit other than the "
        "home unit, of those served in the measured period.",
        "utilisation": "Utilisation per unit",
        "utilisation_note": "Capacity used over capacity offered in the measured period "
        "(a no-show uses its slot).",
        "paired": "Paired comparisons",
        "paired_note": "Difference between policies on the same patients (common random "
        "numbers), mean with 95 % confidence interval.",
        "paired_missing": "The document has no paired comparisons.",
        "about": "Scenario and run",
        "assumptions": "Assumptions",
        "sources": "Sources",
        "comparison": "Comparison",
        "stage": "Stage",
        "kpi": "KPI",
        "difference": "Difference [95 % CI]",
        "significant": "Significant",
        "better": "Better",
        "baseline": "Compared with",
        "confidence": "Confidence level",
        "baseline_value": "Baseline",
        "policy_value": "Policy",
        "yes": "yes",
        "no": "no",
        "scenario": "Scenario",
        "region": "Region",
        "seed": "Seed",
        "replications": "Replications",
        "horizon": "Simulated days",
        "warmup_days": "Warm-up, days",
        "measured": "Measured period, days",
        "policies": "Policies",
        "version": "remiss version",
        "share": "Share",
        "patients": "Patients",
        "km": "km",
        "none": "–",
        "pp": "pp",
        "subregion": "Sub-region",
        "unit": "Unit",
        "policy": "Policy",
        "month_end": "Month end",
        "mean": "mean",
        "units_marker": "units",
        "no_data": "no one waiting",
        "priority": "By priority group",
        "priority_note": "Each priority group measured against its own limit (e.g. P1 "
        "within 14 days): mean with the 95 % confidence interval.",
        "priority_group": "Priority group",
        "warning": "Warning",
        "few_replications": "Only {n} replication(s) (fewer than {min}): the 95 % intervals "
        "are very wide and say little. Run at least {rec} replications.",
        "opposite": "Read both measures",
        "opposite_line": "{policy} vs {baseline}, {stage}: the official share {what} within "
        "{limit} days is {good} ({share}) but the mean wait is {bad} ({wait}): {why}; "
        "read both.",
        "what_completed": "completed",
        "what_waiting": "waiting",
        "better_word": "better",
        "worse_word": "worse",
        "why_pvv": "the share excludes patient-chosen waiting",
        "why_limit": "the share counts only who is past the limit, the mean every day waited",
        "policy_separate": "Separate lists",
        "policy_shared": "Shared list",
        "policy_shared_within_subregion": "Shared within sub-region",
        "policy_optimised": "Optimised",
        "policy_patient_choice": "Patient choice",
        "policy_separate_by_hospital_group": "today",
        "days_suffix": "d",
    },
}
LANGUAGES = tuple(TEXT)


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
    """A unit of the scenario (in the order of the document's unit ids)."""

    id: str
    name: str
    lat: float | None = None
    lon: float | None = None


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


# --- small helpers ----------------------------------------------------------------------
class _Labels:
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

    def kpi(self, key: str, stage: str | None = None) -> str:
        """The KPI's label (:mod:`simulering.catalogue`), ``{limit}`` the stage's."""
        entry = CATALOGUE.get(key)
        text = entry.report_label(self.lang) if entry is not None else key
        limit = self.ctx.guarantee_days[1 if stage == "treatment" else 0]
        return text.format(limit=limit)

    def priority_kpi(self, key: str, stage: str | None = None) -> str:
        """The KPI's label in the per-priority table (shares: within the own limit)."""
        entry = CATALOGUE.get(key)
        if entry is None:
            return self.kpi(key, stage)
        limit = self.ctx.guarantee_days[1 if stage == "treatment" else 0]
        return entry.report_priority_label(self.lang).format(limit=limit)

    def band(self, key: str) -> str:
        return self.kpi(key)

    def number(self, x: float | None, kind: str, signed: bool = False) -> str:
        """A number as a planner reads it (decimal comma and thin grouping in Swedish)."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
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

    def cell(self, summary: Any, kind: str, signed: bool = False) -> str:
        mean, lo, hi = _mean_ci(summary)
        if mean is None:
            return self.t["none"]
        if lo is None or hi is None or lo == hi:
            return self.number(mean, kind, signed)
        bounds = [self.number(b, kind, signed) for b in (lo, hi)]
        if signed and kind == "share":  # the unit once: +35,2 p.e. [+30,0 – +40,3]
            bounds = [b.removesuffix(f" {self.t['pp']}") for b in bounds]
        return f"{self.number(mean, kind, signed)} [{bounds[0]} – {bounds[1]}]"


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return None if math.isnan(x) else float(x)


def _mean_ci(summary: Any) -> tuple[float | None, float | None, float | None]:
    """``(mean, lo, hi)`` of a ``{mean, ci95}`` summary (or a bare number), Nones if absent."""
    if isinstance(summary, Mapping):
        mean = _num(summary.get("mean"))
        ci = summary.get("ci95")
        if isinstance(ci, Sequence) and not isinstance(ci, str) and len(ci) == 2:
            return mean, _num(ci[0]), _num(ci[1])
        return mean, None, None
    return _num(summary), None, None


def _get(doc: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, Mapping):
            return None
        doc = doc.get(key)
    return doc


def _esc(text: Any) -> str:
    return html.escape(str(text))


def _stages(policies: Mapping[str, Any]) -> list[str]:
    """Stages with anything in them (a scenario without treatment has only first visits)."""
    out = []
    for stage in STAGE_KEYS:
        for p in policies.values():
            completed, _, _ = _mean_ci(_get(p, "kpis", stage, "completed"))
            arrived, _, _ = _mean_ci(_get(p, "kpis", stage, "arrived"))
            if completed or arrived:
                out.append(stage)
                break
    return out or [s for s in STAGE_KEYS if any(_get(p, "kpis", s) for p in policies.values())]


def _clip01(x: float | None) -> float | None:
    return None if x is None else min(1.0, max(0.0, x))


def _error_bars(summaries: Iterable[Any], clip: bool = False) -> dict[str, Any]:
    plus, minus = [], []
    for s in summaries:
        mean, lo, hi = _mean_ci(s)
        if mean is None or lo is None or hi is None:
            plus.append(0.0)
            minus.append(0.0)
            continue
        if clip:
            lo, hi = _clip01(lo) or 0.0, _clip01(hi) or 0.0
        plus.append(max(0.0, hi - mean))
        minus.append(max(0.0, mean - lo))
    return {"type": "data", "array": plus, "arrayminus": minus, "visible": True, "thickness": 1}


# --- the report ---------------------------------------------------------------------------
class _Report:
    def __init__(self, doc: Mapping[str, Any], ctx: ReportContext, lang: str) -> None:
        self.doc = doc
        self.ctx = ctx
        self.L = _Labels(lang, ctx)
        policies = doc.get("policies")
        if not isinstance(policies, Mapping) or not policies:
            raise ValueError("doc: no 'policies' in the result document")
        self.policies: Mapping[str, Any] = policies
        self.stages = _stages(policies)
        self.colour = {
            name: POLICY_COLOURS[i % len(POLICY_COLOURS)] for i, name in enumerate(policies)
        }
        self.figures: list[tuple[str, str, str, go.Figure]] = []  # (anchor, title, note, fig)

    # time axis
    def _ci_bar(
        self, name: str, xlabels: list[str], summaries: list[Any], kind: str, show_legend: bool
    ) -> go.Bar:
        """One policy's bars: means with 95 % CI error bars, the CI in the hover text."""
        return go.Bar(
            x=xlabels,
            y=[_mean_ci(s)[0] for s in summaries],
            error_y=_error_bars(summaries, clip=kind == "share"),
            name=self.L.policy(name),
            legendgroup=name,
            showlegend=show_legend,
            marker_color=self.colour[name],
            customdata=[self.L.cell(s, kind) for s in summaries],
            hovertemplate=f"{_esc(self.L.policy(name))}<br>%{{x}}: %{{customdata}}<extra></extra>",
        )

    def _x(self, days: Sequence[Any]) -> list[Any]:
        start = self.ctx.start_date
        if start is None:
            return list(days)
        return [start + dt.timedelta(days=int(d)) for d in days]

    def _layout(self, fig: go.Figure, height: int) -> None:
        fig.update_layout(
            template="plotly_white",
            height=height,
            margin={"l": 60, "r": 30, "t": 60, "b": 50},
            separators=", " if self.L.lang == "sv" else ".,",
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "x": 0},
            hoverlabel={"namelength": -1},
        )

    def _warmup(self, fig: go.Figure, rows: int, cols: int) -> None:
        warm = self.doc.get("warmup_days")
        if not isinstance(warm, int) or warm <= 0:
            return
        x0, x1 = self._x([0, warm])
        for r in range(1, rows + 1):
            for c in range(1, cols + 1):
                label: dict[str, Any] = {}
                if r == 1 and c == 1:
                    label = {
                        "annotation_text": self.L["warmup"],
                        "annotation_position": "top left",
                        "annotation_font_size": 10,
                    }
                fig.add_vrect(
                    x0=x0,
                    x1=x1,
                    fillcolor="#888",
                    opacity=0.12,
                    line_width=0,
                    row=r,
                    col=c,
                    **label,
                )
        if self.ctx.start_date is not None:
            fig.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m-%d")

    # 1. compliance per month
    def _region_series(
        self, policy: Mapping[str, Any], stage: str, days: Sequence[int]
    ) -> tuple[list[float | None], list[float | None], list[float | None], bool]:
        """Mean, lo, hi per month and whether the band is a CI (else a range across units)."""
        region = _get(policy, "series", stage, "region", "share_waiting_within_guarantee")
        if isinstance(region, Mapping) and region:
            triples = [_mean_ci(region.get(str(d))) for d in days]
            return (
                [t[0] for t in triples],
                [_clip01(t[1]) for t in triples],
                [_clip01(t[2]) for t in triples],
                True,
            )
        shares = _get(policy, "series", stage, "share_waiting_within_guarantee") or {}
        lengths = _get(policy, "series", stage, "queue_length") or {}
        mean: list[float | None] = []
        lo: list[float | None] = []
        hi: list[float | None] = []
        for i in range(len(days)):
            pairs = []
            for uid, values in shares.items():
                s = _num(values[i]) if i < len(values) else None
                q = lengths.get(uid, [])
                n = _num(q[i]) if i < len(q) else None
                if s is not None:
                    pairs.append((s, n or 0.0))
            total = sum(n for _, n in pairs)
            if isinstance(region, list) and i < len(region):
                mean.append(_num(region[i]))
            elif pairs and total > 0:
                mean.append(sum(s * n for s, n in pairs) / total)
            elif pairs:
                mean.append(sum(s for s, _ in pairs) / len(pairs))
            else:
                mean.append(None)
            lo.append(min((s for s, _ in pairs), default=None))
            hi.append(max((s for s, _ in pairs), default=None))
        return mean, lo, hi, False

    def compliance(self) -> None:
        days = [int(d) for d in _get(next(iter(self.policies.values())), "series", "month_end_day")]
        x = self._x(days)
        fig = make_subplots(
            rows=1,
            cols=len(self.stages),
            subplot_titles=[self.L.stage(s) for s in self.stages],
            shared_yaxes=True,
        )
        all_ci = True
        for c, stage in enumerate(self.stages, start=1):
            for name, p in self.policies.items():
                mean, lo, hi, is_ci = self._region_series(p, stage, days)
                all_ci &= is_ci
                colour = self.colour[name]
                band = self.L["band_ci"] if is_ci else self.L["band_units"]
                label = self.L.policy(name)
                fig.add_trace(
                    go.Scatter(
                        x=x + x[::-1],
                        y=hi + lo[::-1],
                        fill="toself",
                        fillcolor=colour,
                        opacity=0.2,
                        line={"width": 0},
                        hoverinfo="skip",
                        name=f"{label}, {band}",
                        legendgroup=name,
                        showlegend=False,
                    ),
                    row=1,
                    col=c,
                )
                fig.add_trace(
                    go.Scatter(
                        x=x,
                        y=mean,
                        mode="lines+markers",
                        marker={"size": 4},
                        line={"color": colour, "width": 2},
                        name=label,
                        legendgroup=name,
                        showlegend=c == 1,
                        customdata=[[a, b] for a, b in zip(lo, hi, strict=True)],
                        hovertemplate=f"{_esc(label)}<br>%{{x}}<br>%{{y:.1%}} "
                        f"[%{{customdata[0]:.1%}} – %{{customdata[1]:.1%}}]<extra></extra>",
                    ),
                    row=1,
                    col=c,
                )
        fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
        fig.update_yaxes(title_text=self.L["share"], row=1, col=1)
        self._layout(fig, 460)
        self._warmup(fig, 1, len(self.stages))
        limits = "/".join(str(self.ctx.guarantee_days[STAGE_KEYS.index(s)]) for s in self.stages)
        note = self.L["compliance_note" if all_ci else "compliance_note_units"].format(
            limits=limits
        )
        self.figures.append(("compliance", self.L["compliance"], note, fig))

    # 2. queue length per unit
    def queue(self) -> None:
        names = list(self.policies)
        days = [int(d) for d in _get(self.policies[names[0]], "series", "month_end_day")]
        x = self._x(days)
        titles = [f"{self.L.policy(n)} — {self.L.stage(s)}" for n in names for s in self.stages]
        fig = make_subplots(
            rows=len(names),
            cols=len(self.stages),
            subplot_titles=titles,
            shared_xaxes=True,
            vertical_spacing=min(0.12, 0.35 / len(names)),
        )
        units = self._unit_ids()
        colour = {u: UNIT_COLOURS[i % len(UNIT_COLOURS)] for i, u in enumerate(units)}
        for r, name in enumerate(names, start=1):
            for c, stage in enumerate(self.stages, start=1):
                lengths = _get(self.policies[name], "series", stage, "queue_length") or {}
                for uid in units:
                    if uid not in lengths:
                        continue
                    label = self.L.unit(uid)
                    fig.add_trace(
                        go.Scatter(
                            x=x,
                            y=lengths[uid],
                            mode="lines",
                            line={"color": colour[uid], "width": 1.8},
                            name=label,
                            legendgroup=uid,
                            showlegend=r == 1 and c == 1,
                            hovertemplate=f"{_esc(label)}<br>%{{x}}<br>%{{y:.0f}}<extra></extra>",
                        ),
                        row=r,
                        col=c,
                    )
        fig.update_yaxes(title_text=self.L["patients"], col=1)
        fig.update_yaxes(rangemode="tozero")
        self._layout(fig, 140 + 260 * len(names))
        self._warmup(fig, len(names), len(self.stages))
        self.figures.append(("queue", self.L["queue"], self.L["queue_note"], fig))

    def _unit_ids(self) -> list[str]:
        seen: dict[str, None] = {u.id: None for u in self.ctx.units}
        for p in self.policies.values():
            for uid in p.get("by_unit") or {}:
                seen.setdefault(uid, None)
        return list(seen)

    # 3. SKR bands
    def bands(self) -> None:
        fig = make_subplots(
            rows=1,
            cols=len(self.stages),
            subplot_titles=[self.L.stage(s) for s in self.stages],
            shared_yaxes=True,
        )
        labels = [self.L.policy(n) for n in self.policies]
        for c, stage in enumerate(self.stages, start=1):
            for b, key in enumerate(BAND_KEYS):
                summaries = [_get(p, "kpis", stage, key) for p in self.policies.values()]
                y = [_mean_ci(s)[0] for s in summaries]
                text = [self.L.cell(s, "share") for s in summaries]
                fig.add_trace(
                    go.Bar(
                        x=labels,
                        y=y,
                        name=self.L.band(key),
                        legendgroup=key,
                        showlegend=c == 1,
                        marker_color=BAND_COLOURS[b],
                        customdata=text,
                        hovertemplate=f"{_esc(self.L.band(key))}: %{{customdata}}<extra></extra>",
                    ),
                    row=1,
                    col=c,
                )
        fig.update_layout(barmode="stack")
        fig.update_yaxes(tickformat=".0%", range=[0, 1.0])
        fig.update_yaxes(title_text=self.L["share"], row=1, col=1)
        self._layout(fig, 440)
        self.figures.append(("bands", self.L["bands"], self.L["bands_note"], fig))

    # 4a. equity across sub-regions
    def equity(self) -> None:
        subregions: dict[str, None] = {a.subregion: None for a in self.ctx.areas}
        for p in self.policies.values():
            for sid in p.get("by_subregion") or {}:
                subregions.setdefault(sid, None)
        sids = list(subregions)
        xlabels = [s[:1].upper() + s[1:] for s in sids]
        fig = make_subplots(
            rows=1,
            cols=len(self.stages),
            subplot_titles=[self.L.stage(s) for s in self.stages],
            shared_yaxes=True,
        )
        key, kind = "share_waiting_within_guarantee", "share"
        for c, stage in enumerate(self.stages, start=1):
            for name, p in self.policies.items():
                summaries = [_get(p, "by_subregion", sid, stage, key) for sid in sids]
                fig.add_trace(
                    self._ci_bar(name, xlabels, summaries, kind, show_legend=c == 1),
                    row=1,
                    col=c,
                )
        fig.update_layout(barmode="group")
        fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
        fig.update_yaxes(title_text=self.L.kpi(key), row=1, col=1)
        fig.update_xaxes(title_text=self.L["subregion"])
        self._layout(fig, 440)
        self.figures.append(("equity", self.L["equity"], self.L["equity_note"], fig))

    # 4b. the map
    def map(self) -> None:
        areas = [a for a in self.ctx.areas if a.id]
        if not areas:
            return
        names = list(self.policies)
        titles = [f"{self.L.policy(n)} — {self.L.stage(s)}" for n in names for s in self.stages]
        fig = make_subplots(
            rows=len(names),
            cols=len(self.stages),
            subplot_titles=titles,
            horizontal_spacing=0.04,
            vertical_spacing=min(0.08, 0.3 / len(names)),
        )
        key = "share_waiting_within_guarantee"
        biggest = max((a.population for a in areas), default=0) or 1
        sizes = [6 + 22 * math.sqrt(max(a.population, 0) / biggest) for a in areas]
        if not any(a.population for a in areas):
            sizes = [10.0] * len(areas)
        units = [u for u in self.ctx.units if u.lat is not None and u.lon is not None]
        for r, name in enumerate(names, start=1):
            for c, stage in enumerate(self.stages, start=1):
                summaries = [_get(self.policies[name], "by_area", a.id, stage, key) for a in areas]
                values = [_mean_ci(s)[0] for s in summaries]
                hover = [
                    f"{_esc(a.name)} ({_esc(a.subregion)})<br>"
                    f"{_esc(self.L.cell(s, 'share') if v is not None else self.L['no_data'])}"
                    for a, s, v in zip(areas, summaries, values, strict=True)
                ]
                have = [i for i, v in enumerate(values) if v is not None]
                empty = [i for i, v in enumerate(values) if v is None]
                fig.add_trace(
                    go.Scatter(
                        x=[areas[i].lon for i in have],
                        y=[areas[i].lat for i in have],
                        mode="markers",
                        marker={
                            "size": [sizes[i] for i in have],
                            "color": [values[i] for i in have],
                            "coloraxis": "coloraxis",
                            "line": {"width": 0.5, "color": "#333"},
                        },
                        text=[hover[i] for i in have],
                        hovertemplate="%{text}<extra></extra>",
                        showlegend=False,
                        name=self.L.policy(name),
                    ),
                    row=r,
                    col=c,
                )
                if empty:
                    fig.add_trace(
                        go.Scatter(
                            x=[areas[i].lon for i in empty],
                            y=[areas[i].lat for i in empty],
                            mode="markers",
                            marker={"size": [sizes[i] for i in empty], "color": "#ccc"},
                            text=[hover[i] for i in empty],
                            hovertemplate="%{text}<extra></extra>",
                            showlegend=False,
                        ),
                        row=r,
                        col=c,
                    )
                if units:
                    fig.add_trace(
                        go.Scatter(
                            x=[u.lon for u in units],
                            y=[u.lat for u in units],
                            mode="markers",
                            marker={"symbol": "diamond", "size": 8, "color": "#000"},
                            text=[_esc(u.name) for u in units],
                            hovertemplate="%{text}<extra></extra>",
                            name=self.L["units_marker"],
                            showlegend=False,
                        ),
                        row=r,
                        col=c,
                    )
        mid_lat = sum(a.lat for a in areas) / len(areas)
        ratio = 1 / max(0.2, math.cos(math.radians(mid_lat)))
        for i in range(1, len(names) * len(self.stages) + 1):
            suffix = "" if i == 1 else str(i)
            fig.layout[f"yaxis{suffix}"].update(
                scaleanchor=f"x{suffix}", scaleratio=ratio, visible=False
            )
            fig.layout[f"xaxis{suffix}"].update(visible=False)
        fig.update_layout(
            coloraxis={
                "colorscale": "RdYlGn",
                "cmin": 0,
                "cmax": 1,
                "colorbar": {"title": {"text": self.L["share"]}, "tickformat": ".0%"},
            }
        )
        self._layout(fig, 120 + 420 * len(names))
        self.figures.append(("map", self.L["map"], self.L["map_note"], fig))

    # 5. travel and outside home unit
    def travel(self) -> None:
        keys = ("mean_travel_km", "share_outside_home_unit")
        fig = make_subplots(rows=1, cols=2, subplot_titles=[self.L.kpi(k) for k in keys])
        xlabels = [self.L.stage(s) for s in self.stages]
        for c, key in enumerate(keys, start=1):
            kind = KPI_KIND[key]
            for name, p in self.policies.items():
                summaries = [_get(p, "kpis", s, key) for s in self.stages]
                fig.add_trace(
                    self._ci_bar(name, xlabels, summaries, kind, show_legend=c == 1),
                    row=1,
                    col=c,
                )
        fig.update_layout(barmode="group")
        fig.update_yaxes(title_text=self.L["km"], rangemode="tozero", row=1, col=1)
        fig.update_yaxes(tickformat=".0%", range=[0, 1.0], row=1, col=2)
        self._layout(fig, 420)
        self.figures.append(("travel", self.L["travel"], self.L["travel_note"], fig))

    # 6. utilisation per unit
    def utilisation(self) -> None:
        units = self._unit_ids()
        xlabels = [self.L.unit(u) for u in units]
        fig = make_subplots(
            rows=len(self.stages),
            cols=1,
            subplot_titles=[self.L.stage(s) for s in self.stages],
            vertical_spacing=0.18,
        )
        kind = "share"
        for r, stage in enumerate(self.stages, start=1):
            for name, p in self.policies.items():
                summaries = [_get(p, "by_unit", u, stage, "utilisation") for u in units]
                fig.add_trace(
                    self._ci_bar(name, xlabels, summaries, kind, show_legend=r == 1),
                    row=r,
                    col=1,
                )
        fig.update_layout(barmode="group")
        fig.update_yaxes(tickformat=".0%", range=[0, 1.05], title_text=self.L.kpi("utilisation"))
        self._layout(fig, 160 + 300 * len(self.stages))
        self.figures.append(("utilisation", self.L["utilisation"], self.L["utilisation_note"], fig))

    # tables
    def summary_table(self) -> str:
        names = list(self.policies)
        head = "".join(
            f"<th>{_esc(self.L.policy(n))}<br><code>{_esc(n)}</code></th>" for n in names
        )
        parts = []
        for stage in self.stages:
            rows = []
            for key, kind in TABLE_KPIS:
                cells = "".join(
                    f"<td>{_esc(self.L.cell(_get(self.policies[n], 'kpis', stage, key), kind))}"
                    "</td>"
                    for n in names
                )
                rows.append(f"<tr><th scope='row'>{_esc(self.L.kpi(key, stage))}</th>{cells}</tr>")
            parts.append(
                f"<h3>{_esc(self.L.stage(stage))}</h3><table class='kpis'><thead><tr>"
                f"<th>{_esc(self.L['kpi'])}</th>{head}</tr></thead><tbody>"
                + "".join(rows)
                + "</tbody></table>"
            )
        return "".join(parts)

    def paired_table(self) -> str:
        """Rows of the paired comparison, read defensively: the documented shape is
        ``{baseline, confidence, direction, comparisons: {policy: {stage: {kpi: {
        baseline_mean, policy_mean, difference: {mean, ci95}, n, significant, better}}}}}``,
        but any nesting whose leaves carry ``{mean, ci95}`` is shown. The SKR bands are
        left out (they are in the band chart and the JSON)."""
        L = self.L
        paired = self.doc.get("paired")
        missing = f"<p class='note'>{_esc(L['paired_missing'])}</p>"
        if not paired:
            return missing
        baseline = paired.get("baseline") if isinstance(paired, Mapping) else None
        notes = []
        if isinstance(paired, Mapping):
            for k, v in paired.items():
                if isinstance(v, bool) or not isinstance(v, str | int | float):
                    continue
                if k == "baseline" and isinstance(v, str):
                    notes.append(f"{L['baseline']}: {L.policy(v)}")
                elif k == "confidence" and isinstance(v, int | float):
                    notes.append(f"{L['confidence']}: {100 * float(v):g} %")
                else:
                    notes.append(f"{k}: {v}")
        with_values = False
        groups: dict[tuple[str, str], list[tuple[str, list[str]]]] = {}
        for path, node in _paired_leaves(paired):
            stage = next((p for p in path if p in STAGE_KEYS), "")
            kpi = next((p for p in path if p in KPI_KIND), "")
            if kpi in BAND_KEYS or "by_priority" in path:
                continue  # the bands are in their chart; groups in the JSON
            rest = [p for p in path if p not in (stage, kpi, "comparisons") and not p.isdigit()]
            policy = rest[0] if len(rest) == 1 else None
            if isinstance(baseline, str) and policy is not None and policy != baseline:
                comparison = f"{L.policy(policy)} − {L.policy(baseline)}"
            else:
                comparison = " / ".join(_policy_words(p, L) for p in rest)
            kind = KPI_KIND.get(kpi, "days")
            diff = node.get("difference")
            summary = diff if isinstance(diff, Mapping) else node
            sig = node.get("significant", summary.get("significant"))
            sig_text = L["yes"] if sig is True else L["no"] if sig is False else ""
            better = node.get("better", summary.get("better"))
            better_text = L.policy(better) if isinstance(better, str) else ""
            values = [node.get("baseline_mean"), node.get("policy_mean")]
            with_values |= any(_num(v) is not None for v in values)
            classes = ["significant"] if sig is True else []
            if isinstance(better, str) and better == baseline:
                classes.append("worse")
            elif isinstance(better, str):
                classes.append("better")
            cls = f" class='{' '.join(classes)}'" if classes else ""
            groups.setdefault((comparison, stage), []).append(
                (
                    cls,
                    [
                        L.kpi(kpi, stage) if kpi else "",
                        L.number(_num(values[0]), kind),
                        L.number(_num(values[1]), kind),
                        L.cell(summary, kind, signed=True),
                        sig_text,
                        better_text,
                    ],
                )
            )
        if not groups:
            return missing
        keys = ["kpi", "baseline_value", "policy_value", "difference", "significant", "better"]
        drop = set() if with_values else {1, 2}
        head = "".join(f"<th>{_esc(L[k])}</th>" for i, k in enumerate(keys) if i not in drop)
        span = len(keys) - len(drop)
        body = []
        for (comparison, stage), rows in groups.items():
            title = " · ".join(x for x in (comparison, L.stage(stage) if stage else "") if x)
            body.append(f"<tr class='group'><th colspan='{span}'>{_esc(title)}</th></tr>")
            body.extend(
                f"<tr{cls}>"
                + "".join(f"<td>{_esc(c)}</td>" for i, c in enumerate(cells) if i not in drop)
                + "</tr>"
                for cls, cells in rows
            )
        extra = f"<p class='note'>{_esc('; '.join(notes))}</p>" if notes else ""
        return (
            f"<p class='note'>{_esc(L['paired_note'])}</p>{extra}"
            f"<table class='paired'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )

    def warnings(self) -> str:
        """The warnings at the top: too few replications (in the report's language,
        from ``replications``) and any other line of the document's ``warnings``."""
        L = self.L
        lines: list[str] = []
        n = self.doc.get("replications")
        few = isinstance(n, int) and not isinstance(n, bool) and n < MIN_REPLICATIONS
        if few:
            lines.append(
                L["few_replications"].format(n=n, min=MIN_REPLICATIONS, rec=2 * MIN_REPLICATIONS)
            )
        for w in self.doc.get("warnings") or []:
            if isinstance(w, str) and not (few and "replication" in w):
                lines.append(w)  # the replication warning is already said, in the language
        return "".join(
            f"<p class='warning' role='alert'><strong>{_esc(L['warning'])}:</strong> "
            f"{_esc(line)}</p>"
            for line in lines
        )

    def opposite_lines(self) -> list[str]:
        """One line per policy, stage and official share that moves opposite to the mean
        wait against the baseline (:func:`simulering.paired.opposite_directions`)."""
        L = self.L
        paired = self.doc.get("paired")
        if not isinstance(paired, Mapping):
            return []
        out = []
        for case in opposite_directions(paired):
            stage = case["stage"]
            limit = self.ctx.guarantee_days[1 if stage == "treatment" else 0]
            what = "completed" if case["kpi"].startswith("share_completed") else "waiting"
            good, bad = ("better", "worse") if case["share_better"] else ("worse", "better")
            out.append(
                L["opposite_line"].format(
                    policy=L.policy(case["policy"]),
                    baseline=L.policy(str(case["baseline"])),
                    stage=L.stage(stage).lower(),
                    what=L[f"what_{what}"],
                    limit=limit,
                    good=L[f"{good}_word"],
                    bad=L[f"{bad}_word"],
                    share=L.number(case["share_difference"], "share", signed=True),
                    wait=f"{L.number(case['wait_difference'], 'days', signed=True)} "
                    f"{L['days_suffix']}",
                    why=L["why_pvv" if case["pvv"] else "why_limit"],
                )
            )
        return out

    def opposite(self) -> str:
        lines = self.opposite_lines()
        if not lines:
            return ""
        items = "".join(f"<li>{_esc(line)}</li>" for line in lines)
        return f"<div class='opposite'><h3>{_esc(self.L['opposite'])}</h3><ul>{items}</ul></div>"

    def priority_table(self) -> str:
        """Per stage: rows = priority group × a few KPIs, columns = policies."""
        L = self.L
        names = list(self.policies)
        head = "".join(f"<th>{_esc(L.policy(n))}<br><code>{_esc(n)}</code></th>" for n in names)
        parts = []
        for stage in self.stages:
            groups: dict[str, None] = {}
            for p in self.policies.values():
                by = _get(p, "kpis", stage, "by_priority")
                for g in by if isinstance(by, Mapping) else {}:
                    groups.setdefault(str(g), None)
            if not groups:
                continue
            rows = []
            for g in groups:
                rows.append(
                    f"<tr class='group'><th colspan='{len(names) + 1}'>"
                    f"{_esc(L['priority_group'])} {_esc(g)}</th></tr>"
                )
                for key, kind in PRIORITY_KPIS:
                    cells = "".join(
                        "<td>"
                        + _esc(
                            L.cell(
                                _get(self.policies[n], "kpis", stage, "by_priority", g, key), kind
                            )
                        )
                        + "</td>"
                        for n in names
                    )
                    label = L.priority_kpi(key, stage)
                    rows.append(f"<tr><th scope='row'>{_esc(label)}</th>{cells}</tr>")
            parts.append(
                f"<h3>{_esc(L.stage(stage))}</h3><table class='kpis priority'><thead><tr>"
                f"<th>{_esc(L['kpi'])}</th>{head}</tr></thead><tbody>"
                + "".join(rows)
                + "</tbody></table>"
            )
        if not parts:
            return ""
        return f"<p class='note'>{_esc(L['priority_note'])}</p>" + "".join(parts)

    def about(self) -> str:
        d, L = self.doc, self.L
        horizon, warm = d.get("horizon_days"), d.get("warmup_days")
        measured = horizon - warm if isinstance(horizon, int) and isinstance(warm, int) else None
        facts = [
            (L["scenario"], f"{self.ctx.title} ({d.get('scenario', self.ctx.name)})"),
            (L["region"], self.ctx.region_name),
            (L["seed"], d.get("seed")),
            (L["replications"], d.get("replications")),
            (L["horizon"], horizon),
            (L["warmup_days"], warm),
            (L["measured"], measured),
            (L["policies"], ", ".join(f"{L.policy(n)} ({n})" for n in self.policies)),
            (L["version"], _version()),
        ]
        rows = "".join(
            f"<tr><th scope='row'>{_esc(k)}</th><td>{_esc(v)}</td></tr>"
            for k, v in facts
            if v not in (None, "")
        )
        out = [f"<table class='facts'>{rows}</table>"]
        for key, items in (("assumptions", self.ctx.assumptions), ("sources", self.ctx.sources)):
            if items:
                lis = "".join(f"<li>{_esc(i)}</li>" for i in items)
                out.append(f"<h3>{_esc(L[key])}</h3><ul>{lis}</ul>")
        return "".join(out)

    def render(self) -> str:
        for build in (
            self.compliance,
            self.queue,
            self.bands,
            self.equity,
            self.map,
            self.travel,
            self.utilisation,
        ):
            build()
        L = self.L
        config = {"displaylogo": False, "responsive": True}
        sections = [
            (
                "summary",
                L["summary"],
                f"<p class='note'>{_esc(L['summary_note'])}</p>"
                + self.summary_table()
                + self.opposite(),
            )
        ]
        priority = self.priority_table()
        if priority:
            sections.append(("priority", L["priority"], priority))
        for anchor, title, note, fig in self.figures:
            div = fig.to_html(
                full_html=False,
                include_plotlyjs=False,
                div_id=f"fig-{anchor}",
                config=config,
                default_width="100%",
            )
            sections.append((anchor, title, f"<p class='note'>{_esc(note)}</p>{div}"))
        sections.append(("paired", L["paired"], self.paired_table()))
        sections.append(("about", L["about"], self.about()))
        toc = "".join(f"<li><a href='#{a}'>{_esc(t)}</a></li>" for a, t, _ in sections)
        body = "".join(
            f"<section id='{a}'><h2>{_esc(t)}</h2>{content}</section>" for a, t, content in sections
        )
        meta = (
            f"{_esc(L['seed'])} {_esc(self.doc.get('seed'))} · "
            f"{_esc(L['replications'])} {_esc(self.doc.get('replications'))} · "
            f"remiss {_esc(_version())}"
        )
        title = self.ctx.title or str(self.doc.get("scenario", ""))
        return (
            f"<!DOCTYPE html>\n<html lang='{L['lang']}'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<meta name='generator' content='remiss {_esc(_version())}'>"
            f"<title>{_esc(title)} — {_esc(L['report'])}</title><style>{CSS}</style>"
            f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
            f"<header><p class='kicker'>{_esc(L['report'])}</p><h1>{_esc(title)}</h1>"
            f"<p>{_esc(self.ctx.description)}</p><p class='meta'>{meta}</p>"
            f"{self.warnings()}</header>"
            f"<nav><h2>{_esc(L['contents'])}</h2><ol>{toc}</ol></nav>"
            f"<main>{body}</main></body></html>\n"
        )


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
background:#fafafa;line-height:1.45}
header,nav,main{max-width:1200px;margin:0 auto;padding:0 24px}
header{padding-top:24px}
h1{margin:.2em 0}
.kicker{text-transform:uppercase;letter-spacing:.08em;color:#666;margin:0;font-size:.85em}
.meta,.note{color:#555;font-size:.92em}
nav ol{columns:2;font-size:.95em}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:8px 20px 16px;
margin:18px 0}
table{border-collapse:collapse;margin:8px 0;font-size:.92em}
th,td{border-bottom:1px solid #e6e6e6;padding:4px 10px;text-align:right;vertical-align:top}
th[scope=row],td:first-child{text-align:left}
thead th{background:#f2f4f7}
thead th:first-child{text-align:left}
table.facts th{text-align:left}
table.facts td{text-align:left}
tr.significant td{font-weight:600}
table.paired td:first-child,table.paired th:first-child,
table.paired td:last-child,table.paired th:last-child{text-align:left}
table.paired td:nth-child(4){white-space:nowrap}
table.paired tr.group th{text-align:left;background:#f7f7f9;padding-top:10px}
tr.better td:last-child{color:#1a7f37}
tr.worse td:last-child{color:#b42318}
code{font-size:.85em;color:#666}
.warning{background:#fff4e5;border:1px solid #f0b429;border-radius:4px;padding:8px 12px;
color:#7a4b00}
.opposite{background:#f5f8ff;border-left:4px solid #4a6fd1;padding:4px 14px;margin:12px 0}
.opposite h3{margin:.4em 0;font-size:1em}
table.priority tr.group th{text-align:left;background:#f7f7f9;padding-top:10px}
"""


def _paired_leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[list[str], Any]]:
    """Every comparison entry of the paired document, with the keys leading to it.

    An entry is a mapping with a ``mean`` or with a ``difference: {mean, ...}``. The
    shape is not trusted: string fields of the entry itself (``stage``, ``kpi``, ``a``,
    ``b`` ...) count as path parts too, so a flat list of records works as well as
    nested ``{comparison: {stage: {kpi: {...}}}}`` mappings.
    """
    if isinstance(node, Mapping):
        diff = node.get("difference")
        if "mean" in node or (isinstance(diff, Mapping) and "mean" in diff):
            own = [
                str(v)
                for k, v in node.items()
                if isinstance(v, str) and k not in ("better", "significant")
            ]
            yield [*path, *own], node
            return
        for key, value in node.items():
            yield from _paired_leaves(value, (*path, str(key)))
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            yield from _paired_leaves(value, (*path, str(i)))


def _policy_words(text: str, labels: _Labels) -> str:
    """Policy names inside a comparison key (``shared-separate``, ``shared vs separate``)
    as their labels."""
    if labels.t.get(f"policy_{text}"):
        return labels.policy(text)
    for sep in (" vs ", "_vs_", " - ", "-", ":", "|", "/"):
        if sep in text:
            parts = text.split(sep)
            if all(f"policy_{p.strip()}" in labels.t for p in parts):
                return " − ".join(labels.policy(p.strip()) for p in parts)
    return text


def _version() -> str:
    try:
        return importlib.metadata.version("remiss")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def render_report(doc: Mapping[str, Any], ctx: ReportContext, lang: str = "sv") -> str:
    """The report as one HTML string (see :func:`write_report`)."""
    return _Report(doc, ctx, lang).render()


def write_report(doc: Mapping[str, Any], ctx: ReportContext, path: Path, lang: str = "sv") -> None:
    """Write the self-contained HTML report of a ``remiss simulate`` result document.

    ``doc`` is the document ``--json`` writes (``{scenario, seed, replications,
    horizon_days, warmup_days, policies, [paired]}``); ``lang`` is ``"sv"`` or ``"en"``.
    """
    text = render_report(doc, ctx, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
