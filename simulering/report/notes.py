"""What the reader must know before the numbers: the warnings at the top, and where an
official share and the mean wait move in opposite directions."""

from __future__ import annotations

from simulering.paired import OppositeMove, opposite_directions
from simulering.report.labels import esc
from simulering.report.view import ReportView
from simulering.results import MIN_REPLICATIONS


def warning_lines(view: ReportView) -> list[str]:
    """Too few replications (in the report's language) and every other warning of the
    result (:attr:`~simulering.results.SimulationResult.warnings`)."""
    L = view.labels
    n = view.result.run.replications
    few = n < MIN_REPLICATIONS
    lines = []
    if few:
        lines.append(
            L["few_replications"].format(n=n, min=MIN_REPLICATIONS, rec=2 * MIN_REPLICATIONS)
        )
    for w in view.result.warnings:
        if not (few and "replication" in w):
            lines.append(w)  # the replication warning is already said, in the language
    return lines


def warnings(view: ReportView) -> str:
    """The warnings at the top, one alert each."""
    return "".join(
        f"<p class='warning' role='alert'><strong>{esc(view.labels['warning'])}:</strong> "
        f"{esc(line)}</p>"
        for line in warning_lines(view)
    )


def opposite_line(view: ReportView, case: OppositeMove) -> str:
    L = view.labels
    what = "completed" if case.kpi.startswith("share_completed") else "waiting"
    good, bad = ("better", "worse") if case.share_better else ("worse", "better")
    return L["opposite_line"].format(
        policy=L.policy(case.policy),
        baseline=L.policy(case.baseline),
        stage=L.stage(case.stage).lower(),
        what=L[f"what_{what}"],
        limit=view.ctx.guarantee(case.stage),
        good=L[f"{good}_word"],
        bad=L[f"{bad}_word"],
        share=L.number(case.share_difference, "share", signed=True),
        wait=f"{L.number(case.wait_difference, 'days', signed=True)} {L['days_suffix']}",
        why=L["why_pvv" if case.patient_chosen else "why_limit"],
    )


def opposite_lines(view: ReportView) -> list[str]:
    """One line per policy, stage and official share that moves opposite to the mean
    wait against the baseline (:func:`simulering.paired.opposite_directions`)."""
    return [opposite_line(view, case) for case in opposite_directions(view.result.paired)]


def opposite(view: ReportView) -> str:
    """The opposite moves as a box under the KPI table ("" when there are none)."""
    lines = opposite_lines(view)
    if not lines:
        return ""
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return f"<div class='opposite'><h3>{esc(view.labels['opposite'])}</h3><ul>{items}</ul></div>"
