"""4b. The map: one point per municipality (lon/lat, sized by population, coloured by
the share waiting within the guarantee; its name and value on hover), a panel per policy
and stage, the units as black diamonds, over the region's outline (shipped with the
region file, :mod:`scenarios.outline`)."""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from allokering.domain import Stage
from simulering.report.charts import Chart, layout
from simulering.report.context import ReportArea, ReportUnit
from simulering.report.labels import esc, mean_of
from simulering.report.view import ReportView, group_kpi

KEY = "share_waiting_within_guarantee"


def area_sizes(areas: list[ReportArea]) -> list[float]:
    """Marker sizes by the square root of the population (all alike without one)."""
    if not any(a.population for a in areas):
        return [10.0] * len(areas)
    biggest = max((a.population for a in areas), default=0) or 1
    return [6 + 22 * math.sqrt(max(a.population, 0) / biggest) for a in areas]


def area_traces(
    view: ReportView, name: str, stage: Stage, areas: list[ReportArea], sizes: list[float]
) -> list[go.Scatter]:
    """The areas with a value, coloured on the shared scale, then those without (grey)."""
    L = view.labels
    summaries = [group_kpi(view.policies[name].by_area, a.id, stage, KEY) for a in areas]
    values = [mean_of(s) for s in summaries]
    hover = [
        f"{esc(a.name)} ({esc(a.subregion)})<br>"
        f"{esc(L.cell(s, 'share') if v is not None else L['no_data'])}"
        for a, s, v in zip(areas, summaries, values, strict=True)
    ]
    have = [i for i, v in enumerate(values) if v is not None]
    empty = [i for i, v in enumerate(values) if v is None]
    traces = [
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
            name=L.policy(name),
        )
    ]
    if empty:
        traces.append(
            go.Scatter(
                x=[areas[i].lon for i in empty],
                y=[areas[i].lat for i in empty],
                mode="markers",
                marker={"size": [sizes[i] for i in empty], "color": "#ccc"},
                text=[hover[i] for i in empty],
                hovertemplate="%{text}<extra></extra>",
                showlegend=False,
            )
        )
    return traces


def outline_trace(outline: tuple[tuple[float, float], ...]) -> go.Scatter:
    """The region's outline, a filled grey shape behind the points (no hover)."""
    return go.Scatter(
        x=[p[0] for p in outline],
        y=[p[1] for p in outline],
        mode="lines",
        fill="toself",
        fillcolor="#eef0f3",
        line={"color": "#9aa3ad", "width": 1},
        hoverinfo="skip",
        showlegend=False,
        name="outline",
    )


def unit_trace(view: ReportView, units: list[ReportUnit]) -> go.Scatter:
    return go.Scatter(
        x=[u.lon for u in units],
        y=[u.lat for u in units],
        mode="markers",
        marker={"symbol": "diamond", "size": 8, "color": "#000"},
        text=[esc(u.name) for u in units],
        hovertemplate="%{text}<extra></extra>",
        name=view.labels["units_marker"],
        showlegend=False,
    )


def map_axes(fig: go.Figure, panels: int, areas: list[ReportArea]) -> None:
    """Hide the axes and keep the aspect of the map at the region's mean latitude."""
    mid_lat = sum(a.lat for a in areas) / len(areas)
    ratio = 1 / max(0.2, math.cos(math.radians(mid_lat)))
    for i in range(1, panels + 1):
        suffix = "" if i == 1 else str(i)
        fig.layout[f"yaxis{suffix}"].update(
            scaleanchor=f"x{suffix}", scaleratio=ratio, visible=False
        )
        fig.layout[f"xaxis{suffix}"].update(visible=False)


def area_map(view: ReportView) -> Chart | None:
    """The map, or ``None`` when the context has no areas."""
    areas = [a for a in view.ctx.areas if a.id]
    if not areas:
        return None
    L, names = view.labels, view.names
    fig = make_subplots(
        rows=len(names),
        cols=len(view.stages),
        subplot_titles=[f"{L.policy(n)} — {L.stage(s)}" for n in names for s in view.stages],
        horizontal_spacing=0.04,
        vertical_spacing=min(0.08, 0.3 / len(names)),
    )
    sizes = area_sizes(areas)
    units = [u for u in view.ctx.units if u.lat is not None and u.lon is not None]
    for r, name in enumerate(names, start=1):
        for c, stage in enumerate(view.stages, start=1):
            if view.ctx.outline:
                fig.add_trace(outline_trace(view.ctx.outline), row=r, col=c)
            for trace in area_traces(view, name, stage, areas, sizes):
                fig.add_trace(trace, row=r, col=c)
            if units:
                fig.add_trace(unit_trace(view, units), row=r, col=c)
    map_axes(fig, len(names) * len(view.stages), areas)
    fig.update_layout(
        coloraxis={
            "colorscale": "RdYlGn",
            "cmin": 0,
            "cmax": 1,
            "colorbar": {"title": {"text": L["share"]}, "tickformat": ".0%"},
        }
    )
    layout(view, fig, 120 + 420 * len(names))
    return Chart("map", L["map"], L["map_note"], fig)
