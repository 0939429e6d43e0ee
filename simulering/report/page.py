"""The page: the sections in order, the table of contents, the header with the warnings,
the style sheet and the inlined plotly.js bundle; :func:`render_report` and
:func:`write_report`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from plotly.offline import get_plotlyjs

from simulering.report.bar_charts import bands, equity, travel, utilisation
from simulering.report.charts import Chart
from simulering.report.context import ReportContext
from simulering.report.labels import esc
from simulering.report.map_chart import area_map
from simulering.report.notes import opposite, warnings
from simulering.report.tables import about, paired_table, priority_table, summary_table, version
from simulering.report.time_charts import compliance, queue
from simulering.report.view import ReportView
from simulering.results import SimulationResult

FIGURES: Final[tuple[Callable[[ReportView], Chart | None], ...]] = (
    compliance,
    queue,
    bands,
    equity,
    area_map,
    travel,
    utilisation,
)
"""The figures in page order (a figure may be left out: the map without areas)."""
PLOTLY_CONFIG: Final = {"displaylogo": False, "responsive": True}

Section = tuple[str, str, str]
"""``(anchor, title, HTML content)``."""

CSS: Final = """
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


def figure_section(chart: Chart) -> Section:
    div = chart.fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=f"fig-{chart.anchor}",
        config=PLOTLY_CONFIG,
        default_width="100%",
    )
    return chart.anchor, chart.title, f"<p class='note'>{esc(chart.note)}</p>{div}"


def sections(view: ReportView) -> list[Section]:
    """Every section in page order: KPIs, priority groups (when any), the figures, the
    paired comparison and the run."""
    L = view.labels
    summary = f"<p class='note'>{esc(L['summary_note'])}</p>" + summary_table(view)
    out = [("summary", L["summary"], summary + opposite(view))]
    priority = priority_table(view)
    if priority:
        out.append(("priority", L["priority"], priority))
    charts = [build(view) for build in FIGURES]
    out.extend(figure_section(chart) for chart in charts if chart is not None)
    out.append(("paired", L["paired"], paired_table(view)))
    out.append(("about", L["about"], about(view)))
    return out


def page(view: ReportView, parts: list[Section]) -> str:
    """The HTML document around the sections."""
    L, run = view.labels, view.result.run
    toc = "".join(f"<li><a href='#{a}'>{esc(t)}</a></li>" for a, t, _ in parts)
    body = "".join(
        f"<section id='{a}'><h2>{esc(t)}</h2>{content}</section>" for a, t, content in parts
    )
    meta = (
        f"{esc(L['seed'])} {esc(run.seed)} · "
        f"{esc(L['replications'])} {esc(run.replications)} · "
        f"remiss {esc(version())}"
    )
    title = view.ctx.title or run.scenario
    return (
        f"<!DOCTYPE html>\n<html lang='{L['lang']}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<meta name='generator' content='remiss {esc(version())}'>"
        f"<title>{esc(title)} — {esc(L['report'])}</title><style>{CSS}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<header><p class='kicker'>{esc(L['report'])}</p><h1>{esc(title)}</h1>"
        f"<p>{esc(view.ctx.description)}</p><p class='meta'>{meta}</p>"
        f"{warnings(view)}</header>"
        f"<nav><h2>{esc(L['contents'])}</h2><ol>{toc}</ol></nav>"
        f"<main>{body}</main></body></html>\n"
    )


def render_report(result: SimulationResult, ctx: ReportContext, lang: str = "sv") -> str:
    """The report of ``result`` as one HTML string (see :func:`write_report`)."""
    view = ReportView.of(result, ctx, lang)
    return page(view, sections(view))


def write_report(
    result: SimulationResult, ctx: ReportContext, path: Path, lang: str = "sv"
) -> None:
    """Write the self-contained HTML report of a simulation result to ``path``.

    ``result`` is what :func:`simulering.runner.run_simulation` returns, or
    ``SimulationResult.from_document(doc)`` of a ``remiss simulate --json`` document;
    ``lang`` is ``"sv"`` or ``"en"``.
    """
    text = render_report(result, ctx, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
