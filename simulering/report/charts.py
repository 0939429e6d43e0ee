"""What the report's figures share: :class:`Chart`, the layout, the shaded warm-up and
bars with 95 % confidence intervals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulering.report.labels import clip01, esc, mean_ci, mean_of
from simulering.report.view import ReportView
from simulering.results import Estimate


class Chart(NamedTuple):
    """One figure of the report, under its section."""

    anchor: str
    title: str
    note: str
    fig: go.Figure


def stage_columns(view: ReportView) -> go.Figure:
    """One column per stage shown, sharing the y axis."""
    return make_subplots(
        rows=1,
        cols=len(view.stages),
        subplot_titles=[view.labels.stage(s) for s in view.stages],
        shared_yaxes=True,
    )


def layout(view: ReportView, fig: go.Figure, height: int) -> None:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 30, "t": 60, "b": 50},
        separators=", " if view.labels.lang == "sv" else ".,",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "x": 0},
        hoverlabel={"namelength": -1},
    )


def warmup(view: ReportView, fig: go.Figure, rows: int, cols: int) -> None:
    """Shade the warm-up (not measured) in every panel; label it in the first."""
    warm = view.result.run.warmup_days
    if warm <= 0:
        return
    x0, x1 = view.x([0, warm])
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            label: dict[str, Any] = {}
            if r == 1 and c == 1:
                label = {
                    "annotation_text": view.labels["warmup"],
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
    if view.ctx.start_date is not None:
        fig.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m-%d")


def error_bars(summaries: Iterable[Estimate | None], clip: bool = False) -> dict[str, Any]:
    """Plotly error bars of the 95 % intervals (none where an interval is missing)."""
    plus, minus = [], []
    for s in summaries:
        mean, lo, hi = mean_ci(s)
        if mean is None or lo is None or hi is None:
            plus.append(0.0)
            minus.append(0.0)
            continue
        if clip:
            lo, hi = clip01(lo) or 0.0, clip01(hi) or 0.0
        plus.append(max(0.0, hi - mean))
        minus.append(max(0.0, mean - lo))
    return {"type": "data", "array": plus, "arrayminus": minus, "visible": True, "thickness": 1}


def ci_bar(
    view: ReportView,
    name: str,
    xlabels: list[str],
    summaries: list[Estimate | None],
    kind: str,
    show_legend: bool,
) -> go.Bar:
    """One policy's bars: means with 95 % CI error bars, the CI in the hover text."""
    label = view.labels.policy(name)
    return go.Bar(
        x=xlabels,
        y=[mean_of(s) for s in summaries],
        error_y=error_bars(summaries, clip=kind == "share"),
        name=label,
        legendgroup=name,
        showlegend=show_legend,
        marker_color=view.colour[name],
        customdata=[view.labels.cell(s, kind) for s in summaries],
        hovertemplate=f"{esc(label)}<br>%{{x}}: %{{customdata}}<extra></extra>",
    )
