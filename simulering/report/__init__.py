"""The HTML report: one self-contained file a planner can put in front of the board.

:func:`write_report` turns a :class:`~simulering.results.SimulationResult` (from
:func:`simulering.runner.run_simulation`, or ``SimulationResult.from_document(doc)`` of
a ``remiss simulate --json`` document) plus a :class:`ReportContext` with the scenario's
words and geography (filled by the ``api`` layer, so this package never imports
``scenarios``) into one HTML file with the plotly.js bundle inlined: it opens without a
network. Labels are Swedish by default and English with ``lang="en"``; the KPI rows and
labels come from :mod:`simulering.catalogue`; the scenario's own words (title,
description, sources, assumptions) are its ``*_sv`` texts in a Swedish report where it
has them (:meth:`ReportContext.in_language`).

Charts use the result's numbers as they are (every KPI is computed once, in
:mod:`simulering.kpis`). Compliance per month uses the region-level series
(:attr:`~simulering.results.StageSeries.region_share_waiting`: an estimate per month
end across replications), so the bands are true 95 % confidence intervals. When a
result has no region series the line is the queue-weighted mean of the unit series and
the band the range across units (the chart says so).

Modules: :mod:`~simulering.report.context` (the plain-data context),
:mod:`~simulering.report.text` (the words), :mod:`~simulering.report.labels` (labels and
number formatting), :mod:`~simulering.report.view` (what one rendering reads),
:mod:`~simulering.report.charts` (what the figures share),
:mod:`~simulering.report.time_charts`, :mod:`~simulering.report.bar_charts` and
:mod:`~simulering.report.map_chart` (the figures), :mod:`~simulering.report.tables`,
:mod:`~simulering.report.notes` (warnings, opposite moves) and
:mod:`~simulering.report.page` (the page, :func:`render_report`, :func:`write_report`).
"""

from simulering.report.bar_charts import BAND_KEYS
from simulering.report.context import ReportArea, ReportContext, ReportUnit, ScenarioTexts
from simulering.report.labels import KPI_KIND
from simulering.report.page import render_report, write_report
from simulering.report.tables import PRIORITY_KPIS, TABLE_KPIS
from simulering.report.text import LANGUAGES, TEXT

__all__ = [
    "BAND_KEYS",
    "KPI_KIND",
    "LANGUAGES",
    "PRIORITY_KPIS",
    "TABLE_KPIS",
    "TEXT",
    "ReportArea",
    "ReportContext",
    "ReportUnit",
    "ScenarioTexts",
    "render_report",
    "write_report",
]
