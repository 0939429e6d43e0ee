"""The figures over time: compliance per month (region level, with 95 % bands across
replications) and the queue length per unit."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from allokering.domain import Stage
from simulering.report.charts import Chart, layout, stage_columns, warmup
from simulering.report.labels import clip01, esc, finite, mean_ci
from simulering.report.view import ReportView
from simulering.results import Estimate, PolicyResult, StageSeries

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

Line = list[float | None]


def region_series(
    policy: PolicyResult[Estimate], stage: Stage, days: Sequence[int]
) -> tuple[Line, Line, Line, bool]:
    """Mean, lo, hi per month and whether the band is a CI (else a range across units)."""
    series = policy.series.get(stage)
    region = series.region_share_waiting if series is not None else {}
    if region:
        triples = [mean_ci(region.get(d)) for d in days]
        return (
            [t[0] for t in triples],
            [clip01(t[1]) for t in triples],
            [clip01(t[2]) for t in triples],
            True,
        )
    return (*spread_across_units(series, len(days)), False)


def spread_across_units(
    series: StageSeries[Estimate] | None, months: int
) -> tuple[Line, Line, Line]:
    """Without the region series: the queue-weighted mean of the units' shares (their
    plain mean when no one waits) and the range across units, per month."""
    shares = series.unit_share_waiting if series is not None else {}
    lengths = series.unit_queue_length if series is not None else {}
    mean: Line = []
    lo: Line = []
    hi: Line = []
    for i in range(months):
        pairs = []
        for uid, values in shares.items():
            s = finite(values[i]) if i < len(values) else None
            q = lengths.get(uid, ())
            n = finite(q[i]) if i < len(q) else None
            if s is not None:
                pairs.append((s, n or 0.0))
        total = sum(n for _, n in pairs)
        if pairs and total > 0:
            mean.append(sum(s * n for s, n in pairs) / total)
        elif pairs:
            mean.append(sum(s for s, _ in pairs) / len(pairs))
        else:
            mean.append(None)
        lo.append(min((s for s, _ in pairs), default=None))
        hi.append(max((s for s, _ in pairs), default=None))
    return mean, lo, hi


def compliance_traces(
    view: ReportView, name: str, x: list[object], line: tuple[Line, Line, Line, bool], col: int
) -> tuple[go.Scatter, go.Scatter]:
    """A policy's band (filled, no hover) and its line with the interval in the hover."""
    mean, lo, hi, is_ci = line
    colour = view.colour[name]
    band = view.labels["band_ci"] if is_ci else view.labels["band_units"]
    label = view.labels.policy(name)
    fill = go.Scatter(
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
    )
    trace = go.Scatter(
        x=x,
        y=mean,
        mode="lines+markers",
        marker={"size": 4},
        line={"color": colour, "width": 2},
        name=label,
        legendgroup=name,
        showlegend=col == 1,
        customdata=[[a, b] for a, b in zip(lo, hi, strict=True)],
        hovertemplate=f"{esc(label)}<br>%{{x}}<br>%{{y:.1%}} "
        f"[%{{customdata[0]:.1%}} – %{{customdata[1]:.1%}}]<extra></extra>",
    )
    return fill, trace


def compliance(view: ReportView) -> Chart:
    """1. The share waiting within the guarantee at each month end, per stage."""
    days = [int(d) for d in view.month_end_day]
    x = view.x(days)
    fig = stage_columns(view)
    all_ci = True
    for c, stage in enumerate(view.stages, start=1):
        for name, p in view.policies.items():
            line = region_series(p, stage, days)
            all_ci &= line[3]
            for trace in compliance_traces(view, name, x, line, c):
                fig.add_trace(trace, row=1, col=c)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    fig.update_yaxes(title_text=view.labels["share"], row=1, col=1)
    layout(view, fig, 460)
    warmup(view, fig, 1, len(view.stages))
    limits = "/".join(str(view.ctx.guarantee(s)) for s in view.stages)
    note = view.labels["compliance_note" if all_ci else "compliance_note_units"]
    return Chart("compliance", view.labels["compliance"], note.format(limits=limits), fig)


def queue(view: ReportView) -> Chart:
    """2. Patients waiting at each month end per home unit: a panel per policy and stage."""
    names = view.names
    x = view.x([int(d) for d in view.month_end_day])
    L = view.labels
    fig = make_subplots(
        rows=len(names),
        cols=len(view.stages),
        subplot_titles=[f"{L.policy(n)} — {L.stage(s)}" for n in names for s in view.stages],
        shared_xaxes=True,
        vertical_spacing=min(0.12, 0.35 / len(names)),
    )
    units = view.unit_ids()
    colour = {u: UNIT_COLOURS[i % len(UNIT_COLOURS)] for i, u in enumerate(units)}
    for r, name in enumerate(names, start=1):
        for c, stage in enumerate(view.stages, start=1):
            series = view.policies[name].series.get(stage)
            lengths = series.unit_queue_length if series is not None else {}
            for uid in (u for u in units if u in lengths):
                label = L.unit(uid)
                trace = go.Scatter(
                    x=x,
                    y=list(lengths[uid]),
                    mode="lines",
                    line={"color": colour[uid], "width": 1.8},
                    name=label,
                    legendgroup=uid,
                    showlegend=r == 1 and c == 1,
                    hovertemplate=f"{esc(label)}<br>%{{x}}<br>%{{y:.0f}}<extra></extra>",
                )
                fig.add_trace(trace, row=r, col=c)
    fig.update_yaxes(title_text=L["patients"], col=1)
    fig.update_yaxes(rangemode="tozero")
    layout(view, fig, 140 + 260 * len(names))
    warmup(view, fig, len(names), len(view.stages))
    return Chart("queue", L["queue"], L["queue_note"], fig)
