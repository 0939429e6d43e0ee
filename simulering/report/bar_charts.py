"""The bar figures: the SKR wait bands, equity across sub-regions, travel and care
outside the home unit, and utilisation per unit."""

from __future__ import annotations

from typing import Final

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulering.catalogue import BAND_NAMES
from simulering.report.charts import Chart, ci_bar, layout, stage_columns
from simulering.report.labels import KPI_KIND, esc, mean_of
from simulering.report.view import ReportView, group_kpi, stage_kpi

BAND_KEYS: Final = BAND_NAMES
"""The band KPIs, in band order (:data:`simulering.catalogue.BAND_NAMES`)."""
BAND_COLOURS: Final = (
    "#1a9850",
    "#91cf60",
    "#d9ef8b",
    "#fee08b",
    "#fc8d59",
    "#e34a33",
    "#b30000",
)
TRAVEL_KPIS: Final = ("mean_travel_km", "share_outside_home_unit")
SHARE_WAITING: Final = "share_waiting_within_guarantee"


def bands(view: ReportView) -> Chart:
    """3. The waits of those waiting at month ends in SKR's bands, stacked per policy."""
    fig = stage_columns(view)
    L = view.labels
    labels = [L.policy(n) for n in view.policies]
    for c, stage in enumerate(view.stages, start=1):
        for b, key in enumerate(BAND_KEYS):
            summaries = [stage_kpi(p, stage, key) for p in view.policies.values()]
            bar = go.Bar(
                x=labels,
                y=[mean_of(s) for s in summaries],
                name=L.kpi(key),
                legendgroup=key,
                showlegend=c == 1,
                marker_color=BAND_COLOURS[b],
                customdata=[L.cell(s, "share") for s in summaries],
                hovertemplate=f"{esc(L.kpi(key))}: %{{customdata}}<extra></extra>",
            )
            fig.add_trace(bar, row=1, col=c)
    fig.update_layout(barmode="stack")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.0])
    fig.update_yaxes(title_text=L["share"], row=1, col=1)
    layout(view, fig, 440)
    return Chart("bands", L["bands"], L["bands_note"], fig)


def equity(view: ReportView) -> Chart:
    """4a. The share waiting within the guarantee per sub-region, with 95 % CIs."""
    sids = view.subregion_ids()
    xlabels = [s[:1].upper() + s[1:] for s in sids]
    fig = stage_columns(view)
    for c, stage in enumerate(view.stages, start=1):
        for name, p in view.policies.items():
            summaries = [group_kpi(p.by_subregion, sid, stage, SHARE_WAITING) for sid in sids]
            fig.add_trace(
                ci_bar(view, name, xlabels, summaries, "share", show_legend=c == 1),
                row=1,
                col=c,
            )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    fig.update_yaxes(title_text=view.labels.kpi(SHARE_WAITING), row=1, col=1)
    fig.update_xaxes(title_text=view.labels["subregion"])
    layout(view, fig, 440)
    return Chart("equity", view.labels["equity"], view.labels["equity_note"], fig)


def travel(view: ReportView) -> Chart:
    """5. Mean travel and the share served outside the home unit, per stage."""
    L = view.labels
    fig = make_subplots(rows=1, cols=2, subplot_titles=[L.kpi(k) for k in TRAVEL_KPIS])
    xlabels = [L.stage(s) for s in view.stages]
    for c, key in enumerate(TRAVEL_KPIS, start=1):
        for name, p in view.policies.items():
            summaries = [stage_kpi(p, s, key) for s in view.stages]
            fig.add_trace(
                ci_bar(view, name, xlabels, summaries, KPI_KIND[key], show_legend=c == 1),
                row=1,
                col=c,
            )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=L["km"], rangemode="tozero", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.0], row=1, col=2)
    layout(view, fig, 420)
    return Chart("travel", L["travel"], L["travel_note"], fig)


def utilisation(view: ReportView) -> Chart:
    """6. Utilisation per unit and stage, with 95 % CIs."""
    L = view.labels
    units = view.unit_ids()
    xlabels = [L.unit(u) for u in units]
    fig = make_subplots(
        rows=len(view.stages),
        cols=1,
        subplot_titles=[L.stage(s) for s in view.stages],
        vertical_spacing=0.18,
    )
    for r, stage in enumerate(view.stages, start=1):
        for name, p in view.policies.items():
            summaries = [group_kpi(p.by_unit, u, stage, "utilisation") for u in units]
            fig.add_trace(
                ci_bar(view, name, xlabels, summaries, "share", show_legend=r == 1),
                row=r,
                col=1,
            )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05], title_text=L.kpi("utilisation"))
    layout(view, fig, 160 + 300 * len(view.stages))
    return Chart("utilisation", L["utilisation"], L["utilisation_note"], fig)
