"""The Swedish HTML forecast report of a forecast document (:mod:`simulering.forecast`):
a summary per policy, fan charts of the queue and the breaches for the region and per
unit, SKR's month-end share, the coordinator's worklist, what was estimated from the
history, and the warnings. One self-contained file (plotly.js inlined), built on the
simulation report's style sheet and chart conventions."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from plotly.offline import get_plotlyjs

from simulering.report.forecast_charts import region_fan, unit_fans
from simulering.report.labels import esc
from simulering.report.page import CSS, Section, figure_section
from simulering.report.tables import version
from simulering.report.text import TEXT

WORKLIST_ROWS: Final = 1000
"""Rows of the worklist shown (all are in the JSON document)."""
STAGE_SV: Final = {"first_visit": "förstabesök", "treatment": "behandling/operation"}


def _number(x: Any, digits: int = 0) -> str:
    if x is None:
        return "–"
    return f"{float(x):,.{digits}f}".replace(",", " ").replace(".", ",")


def _percent(x: Any) -> str:
    return "–" if x is None else f"{100 * float(x):.1f} %".replace(".", ",")


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table class='{cls}'><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def summary(doc: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """Per policy: the queue in the first and last week, breaches summed, the worklist."""
    rows = []
    for policy, part in doc["policies"].items():
        q = part["queue"]["region"]
        total = sum(p["mean"] or 0.0 for p in part["breaches"]["region"])
        rows.append(
            [
                esc(labels.get(policy, policy)),
                _number(q[0]["mean"]),
                _number(q[-1]["mean"]),
                f"{_number(q[-1]['lo'])}–{_number(q[-1]['hi'])}",
                _number(total),
                _number(len(part["worklist"])),
            ]
        )
    head = [
        "Styrning",
        "Väntande första veckan",
        "Väntande sista veckan",
        "95 %-intervall",
        "Vårdgarantibrott totalt (medel)",
        "Remisser på åtgärdslistan",
    ]
    return _table(head, rows)


def shares(doc: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """SKR's share waiting within the guarantee at each month end, per policy."""
    policies = list(doc["policies"].items())
    months = [m["month_end"] for m in policies[0][1]["share_waiting_within_guarantee"]]
    rows = [
        [esc(m)]
        + [
            f"{_percent(p['share_waiting_within_guarantee'][i]['mean'])} "
            f"({_percent(p['share_waiting_within_guarantee'][i]['lo'])}–"
            f"{_percent(p['share_waiting_within_guarantee'][i]['hi'])})"
            for _, p in policies
        ]
        for i, m in enumerate(months)
    ]
    return _table(["Månadsslut"] + [labels.get(p, p) for p, _ in policies], rows)


def worklist(part: Mapping[str, Any]) -> str:
    """The worklist of one policy (the first WORKLIST_ROWS rows)."""
    items = part["worklist"]
    rows = [
        [
            esc(w["referral_id"]),
            esc(w["unit"]),
            esc(w["expected_breach_week"]),
            _percent(w["probability"]),
        ]
        for w in items[:WORKLIST_ROWS]
    ]
    shown = (
        ""
        if len(items) <= WORKLIST_ROWS
        else (
            f"<p class='note'>Visar {WORKLIST_ROWS} av {len(items)}; hela listan finns i "
            "JSON-dokumentet.</p>"
        )
    )
    if not items:
        return "<p>Ingen remiss bryter vårdgarantin i minst hälften av replikeringarna.</p>"
    head = ["Remiss-id", "Enhet", "Förväntad vecka för brott", "Sannolikhet"]
    return shown + _table(head, rows, "worklist")


def estimates(doc: Mapping[str, Any]) -> str:
    """What the forecast's rates were estimated from (the scenario's forecast_estimates)."""
    est = doc.get("estimates") or {}
    if not est:
        return "<p>Inga skattningar ur historiken: alla antaganden kommer från scenariofilen.</p>"
    rows = []
    for name, e in est.items():
        e = e if isinstance(e, Mapping) else {"value": e}
        rows.append(
            [
                esc(name),
                esc(e.get("value", "–")),
                esc(e.get("from", "–")),
                esc(e.get("weeks_of_history", "–")),
                esc(e.get("n", "–")),
            ]
        )
    table = _table(["Skattning", "Värde", "Källa", "Veckor historik", "Antal (n)"], rows)
    uncertain = list(doc.get("uncertain_estimates") or [])
    if not uncertain:
        return table
    note = (
        "<p>Prognosintervallen inkluderar osäkerheten i den skattade ankomsttakten: varje "
        "replikering drar sina takter kring skattningen efter hur många remisser den "
        f"bygger på ({esc(', '.join(uncertain))}).</p>"
    )
    return table + note


def sections(doc: Mapping[str, Any]) -> list[Section]:
    """Every section in page order."""
    labels = {p: TEXT["sv"].get(f"policy_{p}", p) for p in doc["policies"]}
    if "separate_by_hospital_group" in labels:  # "idag" alone is too short for a legend
        labels["separate_by_hospital_group"] = "Idag (köer per förvaltning)"
    band = (
        "Linjen är medelvärdet över replikeringarna, bandet ett 95 %-prognosintervall: där "
        "en vecka som faktiskt inträffar väntas hamna (medelvärde ± t·s·√(1 + 1/n))."
    )
    out: list[Section] = [("summary", "Sammanfattning", summary(doc, labels))]
    charts = [
        region_fan(
            doc,
            "queue",
            "queue",
            "Väntande per vecka, hela regionen",
            f"Antal väntande remisser vid veckans början. {band}",
            labels,
        ),
        region_fan(
            doc,
            "breaches",
            "breaches",
            "Vårdgarantibrott per vecka, hela regionen",
            "Remisser vars gräns (klockstart + prioritetens gräns + PVV/MOV-dagar) "
            f"passeras under veckan medan de fortfarande väntar. {band}",
            labels,
        ),
        unit_fans(
            doc,
            "queue",
            "queue-units",
            "Väntande per vecka och enhet",
            f"Enheten vars lista remissen står på. {band}",
            labels,
        ),
        unit_fans(
            doc, "breaches", "breaches-units", "Vårdgarantibrott per vecka och enhet", band, labels
        ),
    ]
    out.extend(figure_section(c) for c in charts)
    out.append(
        (
            "share",
            "Andel väntande inom vårdgarantin (SKR)",
            (
                "<p class='note'>Vid varje månadsslut: av de väntande, andelen som väntat högst "
                "vårdgarantins dagar; patientvald väntan (PVV) och medicinskt orsakad väntan (MOV) "
                "exkluderade, som i SKR:s Väntetider i vården.</p>" + shares(doc, labels)
            ),
        )
    )
    for policy, part in doc["policies"].items():
        out.append(
            (
                f"worklist-{policy}",
                f"Åtgärdslista: {labels[policy]}",
                (
                    "<p class='note'>Remisser på den aktuella listan som bryter vårdgarantin i "
                    "minst "
                    "hälften av replikeringarna, efter sannolikhet och vecka.</p>" + worklist(part)
                ),
            )
        )
    out.append(("estimates", "Skattat ur historiken", estimates(doc)))
    return out


def render_forecast(doc: Mapping[str, Any], lang: str = "sv") -> str:
    """The forecast report of ``doc`` as one HTML string (Swedish only)."""
    if lang != "sv":
        raise ValueError(f"lang: {lang!r}; the forecast report is in Swedish ('sv')")
    parts = sections(doc)
    toc = "".join(f"<li><a href='#{a}'>{esc(t)}</a></li>" for a, t, _ in parts)
    body = "".join(f"<section id='{a}'><h2>{esc(t)}</h2>{c}</section>" for a, t, c in parts)
    warn = "".join(f"<p class='warning'>{esc(w)}</p>" for w in doc.get("warnings", []))
    title = f"Prognos: {doc['specialty']}, {STAGE_SV.get(doc['stage'], doc['stage'])}"
    meta = (
        f"Från {esc(doc['as_of'])} · {len(doc['weeks'])} veckor · "
        f"{esc(doc['initial_waiting'])} väntande vid start · "
        f"replikeringar {esc(doc['replications'])} · frö {esc(doc['seed'])} · "
        f"remiss {esc(version())}"
    )
    return (
        "<!DOCTYPE html>\n<html lang='sv'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{CSS}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<header><p class='kicker'>Prognos från den aktuella kön</p><h1>{esc(title)}</h1>"
        f"<p class='meta'>{meta}</p>{warn}</header>"
        f"<nav><h2>Innehåll</h2><ol>{toc}</ol></nav><main>{body}</main></body></html>\n"
    )


def render_forecast_report(doc: Mapping[str, Any], path: Path, lang: str = "sv") -> None:
    """Write the self-contained Swedish forecast report of ``doc`` to ``path``."""
    text = render_forecast(doc, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
