"""The report's tables: the KPIs per policy, per priority group, the paired comparison
against the baseline and the facts of the run."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable
from typing import Final

from allokering.domain import Stage
from simulering.catalogue import CATALOGUE, PRIORITY, REPORT, Kind
from simulering.report.bar_charts import BAND_KEYS
from simulering.report.labels import KPI_KIND, Labels, esc, finite
from simulering.report.view import ReportView, stage_kpi
from simulering.results import Comparison, PairedComparison

TABLE_KPIS: Final[tuple[tuple[str, Kind], ...]] = tuple((k, CATALOGUE[k].kind) for k in REPORT)
"""(key, kind) of the KPI table, in order (:data:`simulering.catalogue.REPORT`)."""
PRIORITY_KPIS: Final[tuple[tuple[str, Kind], ...]] = tuple((k, CATALOGUE[k].kind) for k in PRIORITY)
"""The KPIs of the per-priority table (shares against each group's own limit)."""
PAIRED_COLUMNS: Final = (
    "kpi",
    "baseline_value",
    "policy_value",
    "difference",
    "significant",
    "better",
)

PairedRow = tuple[str, list[str]]
"""``(class attribute, cells)`` of a row of the paired table."""


def policy_head(view: ReportView) -> str:
    """A header cell per policy: its label and, below, its name."""
    L = view.labels
    return "".join(f"<th>{esc(L.policy(n))}<br><code>{esc(n)}</code></th>" for n in view.names)


def stage_table(view: ReportView, stage: Stage, classes: str, rows: Iterable[str]) -> str:
    """A stage's heading and a table of KPI rows with a column per policy."""
    L = view.labels
    return (
        f"<h3>{esc(L.stage(stage))}</h3><table class='{classes}'><thead><tr>"
        f"<th>{esc(L['kpi'])}</th>{policy_head(view)}</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def zero_everywhere(view: ReportView, key: str) -> bool:
    """Whether KPI ``key`` is exactly 0 (mean and interval) for every policy and stage —
    care in another region in a one-region scenario, say: a row that says nothing."""
    for policy in view.policies.values():
        for stage in view.stages:
            value = stage_kpi(policy, stage, key)
            if value is None or any(x != 0 for x in (value.mean, value.lo, value.hi)):
                return False
    return True


def zero_cross_region(view: ReportView) -> list[str]:
    """The care-in-another-region KPIs (``cross_region`` in the catalogue) that are zero
    everywhere: left out of the tables, as the terminal tables do."""
    return [k for k, _ in TABLE_KPIS if CATALOGUE[k].cross_region and zero_everywhere(view, k)]


def summary_table(view: ReportView) -> str:
    """Per stage: a row per KPI (:data:`TABLE_KPIS`), mean [95 % CI] per policy; the
    cross-region KPIs that are zero everywhere are named once below instead."""
    L = view.labels
    parts = []
    omitted = zero_cross_region(view)
    for stage in view.stages:
        rows = []
        for key, kind in TABLE_KPIS:
            if key in omitted:
                continue
            cells = "".join(
                f"<td>{esc(L.cell(stage_kpi(view.policies[n], stage, key), kind))}</td>"
                for n in view.names
            )
            rows.append(f"<tr><th scope='row'>{esc(L.kpi(key, stage))}</th>{cells}</tr>")
        parts.append(stage_table(view, stage, "kpis", rows))
    if omitted:
        names = ", ".join(L.kpi(key) for key in omitted)
        parts.append(f"<p class='note'>{esc(L['zero_rows'])}: {esc(names)}.</p>")
    return "".join(parts)


def priority_rows(view: ReportView, stage: Stage, group: str) -> list[str]:
    """A priority group's heading row and a row per KPI of :data:`PRIORITY_KPIS`."""
    L = view.labels
    rows = [
        f"<tr class='group'><th colspan='{len(view.names) + 1}'>"
        f"{esc(L['priority_group'])} {esc(group)}</th></tr>"
    ]
    for key, kind in PRIORITY_KPIS:
        cells = []
        for n in view.names:
            kpis = view.policies[n].kpis.get(stage)
            value = kpis.by_priority.get(group, {}).get(key) if kpis is not None else None
            cells.append(f"<td>{esc(L.cell(value, kind))}</td>")
        label = L.priority_kpi(key, stage)
        rows.append(f"<tr><th scope='row'>{esc(label)}</th>{''.join(cells)}</tr>")
    return rows


def priority_table(view: ReportView) -> str:
    """Per stage: rows = priority group × a few KPIs, columns = policies ("" when no
    policy has priority groups)."""
    parts = []
    for stage in view.stages:
        groups: dict[str, None] = {}
        for p in view.policies.values():
            kpis = p.kpis.get(stage)
            for g in kpis.by_priority if kpis is not None else {}:
                groups.setdefault(str(g), None)
        if not groups:
            continue
        rows = [row for g in groups for row in priority_rows(view, stage, g)]
        parts.append(stage_table(view, stage, "kpis priority", rows))
    if not parts:
        return ""
    return f"<p class='note'>{esc(view.labels['priority_note'])}</p>" + "".join(parts)


def significant_as_shown(L: Labels, c: Comparison, kind: str) -> bool:
    """Significant, and its interval excludes 0 as the table writes it: a difference of
    +0,0 [+0,0 – +0,0] is "n.s." even when the unrounded interval just misses zero."""
    lo, hi = c.difference.lo, c.difference.hi
    if not c.significant or lo is None or hi is None:
        return False
    nearest = lo if lo > 0 else hi
    return not L.shown_as_zero(nearest, kind)


def paired_row(L: Labels, key: str, stage: Stage, c: Comparison, baseline: str) -> PairedRow:
    """A KPI's row: baseline and policy means, the difference [95 % CI], whether it is
    significant ("n.s." when the interval, as written, contains 0) and the better policy
    (bold when significant, coloured by the winner)."""
    kind = KPI_KIND.get(key, "days")
    significant = significant_as_shown(L, c, kind)
    better = c.better if significant else None
    classes = ["significant"] if significant else []
    if better is not None and better == baseline:
        classes.append("worse")
    elif better is not None:
        classes.append("better")
    cls = f" class='{' '.join(classes)}'" if classes else ""
    cells = [
        L.kpi(key, stage),
        L.number(c.baseline_mean, kind),
        L.number(c.policy_mean, kind),
        L.cell(c.difference, kind, signed=True),
        L["yes"] if significant else L["not_significant"],
        L.policy(better) if better is not None else "",
    ]
    return cls, cells


def paired_groups(view: ReportView) -> dict[str, list[PairedRow]]:
    """``{group title: rows}``, a group per policy and stage. The SKR bands are left out
    (they are in the band chart), so are the priority groups (in the JSON) and the
    cross-region KPIs that are zero everywhere (named under the KPI table)."""
    L, paired = view.labels, view.result.paired
    zero = set(zero_cross_region(view))
    groups: dict[str, list[PairedRow]] = {}
    for policy, stages in paired.comparisons.items():
        if policy != paired.baseline:
            comparison = f"{L.policy(policy)} − {L.policy(paired.baseline)}"
        else:
            comparison = L.policy(policy)
        for stage, kpis in stages.items():
            rows = [
                paired_row(L, key, stage, c, paired.baseline)
                for key, c in kpis.values.items()
                if key not in BAND_KEYS and key not in zero
            ]
            if rows:
                groups.setdefault(f"{comparison} · {L.stage(stage)}", []).extend(rows)
    return groups


def has_means(paired: PairedComparison) -> bool:
    """Whether any row of the paired table has a baseline or a policy mean."""
    return any(
        finite(c.baseline_mean) is not None or finite(c.policy_mean) is not None
        for stages in paired.comparisons.values()
        for kpis in stages.values()
        for key, c in kpis.values.items()
        if key not in BAND_KEYS
    )


def paired_table(view: ReportView) -> str:
    """Each policy against the baseline, a group of rows per stage; the baseline and
    policy columns are left out when no row has either mean."""
    L, paired = view.labels, view.result.paired
    groups = paired_groups(view)
    if not groups:
        return f"<p class='note'>{esc(L['paired_missing'])}</p>"
    drop = set() if has_means(paired) else {1, 2}
    head = "".join(f"<th>{esc(L[k])}</th>" for i, k in enumerate(PAIRED_COLUMNS) if i not in drop)
    span = len(PAIRED_COLUMNS) - len(drop)
    body = []
    for title, rows in groups.items():
        body.append(f"<tr class='group'><th colspan='{span}'>{esc(title)}</th></tr>")
        body.extend(
            f"<tr{cls}>"
            + "".join(f"<td>{esc(c)}</td>" for i, c in enumerate(cells) if i not in drop)
            + "</tr>"
            for cls, cells in rows
        )
    notes = [
        f"{L['baseline']}: {L.policy(paired.baseline)}",
        f"{L['confidence']}: {100 * float(paired.confidence):g} %",
    ]
    return (
        f"<p class='note'>{esc(L['paired_note'])}</p>"
        f"<p class='note'>{esc('; '.join(notes))}</p>"
        f"<table class='paired'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def about(view: ReportView) -> str:
    """The facts of the run, then the scenario's assumptions and sources."""
    run, L, ctx = view.result.run, view.labels, view.ctx
    facts = [
        (L["scenario"], f"{ctx.title} ({run.scenario})"),
        (L["region"], ctx.region_name),
        (L["seed"], run.seed),
        (L["replications"], run.replications),
        (L["horizon"], run.horizon_days),
        (L["warmup_days"], run.warmup_days),
        (L["measured"], run.horizon_days - run.warmup_days),
        (L["policies"], ", ".join(f"{L.policy(n)} ({n})" for n in view.names)),
        (L["version"], version()),
    ]
    rows = "".join(
        f"<tr><th scope='row'>{esc(k)}</th><td>{esc(v)}</td></tr>"
        for k, v in facts
        if v not in (None, "")
    )
    out = [f"<table class='facts'>{rows}</table>"]
    for key, items in (("assumptions", ctx.assumptions), ("sources", ctx.sources)):
        if items:
            lis = "".join(f"<li>{esc(i)}</li>" for i in items)
            out.append(f"<h3>{esc(L[key])}</h3><ul>{lis}</ul>")
    return "".join(out)


def version() -> str:
    """The installed remiss version (``unknown`` when not installed)."""
    try:
        return importlib.metadata.version("remiss")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
