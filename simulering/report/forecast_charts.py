"""The forecast report's figures: fan charts (the mean line and its 95 % band across
replications) of the queue and the breaches per week, for the region and per unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulering.report.charts import Chart
from simulering.report.time_charts import UNIT_COLOURS

UNIT_COLUMNS = 4
PANEL_HEIGHT = 170


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def fan(
    fig: go.Figure,
    points: Sequence[Mapping[str, Any]],
    name: str,
    colour: str,
    legend: bool,
    row: int | None = None,
    col: int | None = None,
) -> None:
    """One policy's fan: the 95 % band (filled between hi and lo) and the mean line."""
    weeks = [p["week"] for p in points]
    at = {"row": row, "col": col} if row is not None else {}
    fig.add_trace(
        go.Scatter(
            x=weeks + weeks[::-1],
            y=[p["hi"] for p in points] + [p["lo"] for p in points][::-1],
            fill="toself",
            fillcolor=_rgba(colour, 0.18),
            line={"width": 0},
            hoverinfo="skip",
            name=f"{name} 95 %",
            legendgroup=name,
            showlegend=False,
        ),
        **at,
    )
    fig.add_trace(
        go.Scatter(
            x=weeks,
            y=[p["mean"] for p in points],
            mode="lines",
            line={"color": colour, "width": 2},
            name=name,
            legendgroup=name,
            showlegend=legend,
            customdata=[[p["lo"], p["hi"]] for p in points],
            hovertemplate=f"{name}<br>%{{x}}: %{{y:.0f}} (%{{customdata[0]:.0f}}–"
            "%{customdata[1]:.0f})<extra></extra>",
        ),
        **at,
    )


def _layout(fig: go.Figure, height: int) -> None:
    fig.update_layout(
        template="plotly_white",
        height=height,
        separators=", ",
        margin={"l": 60, "r": 30, "t": 60, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )


def region_fan(
    doc: Mapping[str, Any],
    key: str,
    anchor: str,
    title: str,
    note: str,
    labels: Mapping[str, str],
) -> Chart:
    """The region's ``key`` ("queue" or "breaches") per week under every policy."""
    fig = go.Figure()
    for i, (policy, part) in enumerate(doc["policies"].items()):
        colour = UNIT_COLOURS[i % len(UNIT_COLOURS)]
        fan(fig, part[key]["region"], labels.get(policy, policy), colour, True)
    _layout(fig, 420)
    fig.update_xaxes(title_text="Vecka (måndag)")
    return Chart(anchor, title, note, fig)


def unit_fans(
    doc: Mapping[str, Any],
    key: str,
    anchor: str,
    title: str,
    note: str,
    labels: Mapping[str, str],
) -> Chart:
    """Small multiples: one panel per unit, every policy's fan in it."""
    policies = list(doc["policies"].items())
    units = list(policies[0][1][key]["by_unit"])
    rows = max(1, -(-len(units) // UNIT_COLUMNS))
    fig = make_subplots(
        rows=rows,
        cols=UNIT_COLUMNS,
        subplot_titles=units,
        vertical_spacing=min(0.3 / rows, 0.08),
        horizontal_spacing=0.05,
    )
    for u, unit in enumerate(units):
        r, c = u // UNIT_COLUMNS + 1, u % UNIT_COLUMNS + 1
        for i, (policy, part) in enumerate(policies):
            colour = UNIT_COLOURS[i % len(UNIT_COLOURS)]
            fan(
                fig,
                part[key]["by_unit"][unit],
                labels.get(policy, policy),
                colour,
                u == 0,
                row=r,
                col=c,
            )
    _layout(fig, 120 + PANEL_HEIGHT * rows)
    fig.update_annotations(font_size=11)
    fig.update_xaxes(showticklabels=False)
    return Chart(anchor, title, note, fig)
