"""Rich terminal tables for simulation results."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table

from allokering.domain import Stage
from simulering.catalogue import KPIS, PRIORITY, TERMINAL, labelled
from simulering.paired import opposite_directions
from simulering.results import (
    NO_ESTIMATE,
    Comparison,
    Estimate,
    PairedComparison,
    PolicyResult,
)

Summaries = Mapping[str, PolicyResult[Estimate]]
"""``{policy: its summarised result}``."""

POLICY_LABELS: dict[str, str] = {"separate_by_hospital_group": "today"}
"""Display names of policies whose key is not what a planner calls them."""

SUMMARY_KPIS: tuple[tuple[str, str, str], ...] = labelled(TERMINAL, "terminal")
"""(KPI key, row label, number kind) of the summary and paired tables, in order
(:data:`simulering.catalogue.TERMINAL`)."""

PRIORITY_KPIS: tuple[tuple[str, str, str], ...] = labelled(PRIORITY, "priority")
"""Rows per priority group (each group's shares against its own limit,
:data:`simulering.catalogue.PRIORITY`)."""

STAGE_WORDS = {"first_visit": "first visit", "treatment": "treatment"}


def policy_name(name: str) -> str:
    """What a planner calls a policy (``today``), else its key."""
    return POLICY_LABELS.get(name, name)


def policy_header(name: str) -> str:
    """A column header: ``today (separate_by_hospital_group)``, or the key alone."""
    label = POLICY_LABELS.get(name)
    return f"{label} ({name})" if label else name


CROSS_REGION_KPIS = frozenset(k.name for k in KPIS if k.cross_region)
"""Rows left out when they are 0 everywhere (a one-region scenario has no cross-region care)."""


def _all_zero(values: list[float | None]) -> bool:
    return all(v is None or v == 0 for v in values)


def _fmt(x: float | None, kind: str, signed: bool = False) -> str:
    """A number for the terminal; ``signed`` for differences (shares in pp, no %)."""
    if x is None:
        return "–"
    sign = "+" if signed else ""
    if kind == "share":
        return f"{100 * x:{sign}.1f}" + ("" if signed else " %")
    if kind in ("count", "sek"):
        return f"{x:{sign},.0f}".replace(",", " ")
    return f"{x:{sign}.1f}"


def cell(summary: Estimate, kind: str) -> str:
    """``mean [lo – hi]`` for a KPI summary."""
    if summary.mean is None:
        return "–"
    if summary.lo is None or summary.lo == summary.hi:
        return _fmt(summary.mean, kind)
    return f"{_fmt(summary.mean, kind)} [{_fmt(summary.lo, kind)} – {_fmt(summary.hi, kind)}]"


def comparison_table(title: str, policies: Summaries, stage: Stage) -> Table:
    """One row per KPI, one column per policy, each cell the mean with its 95 % CI."""
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    for name in policies:
        table.add_column(policy_header(name), justify="right")
    for key, label, kind in SUMMARY_KPIS:
        summaries = [p.kpis[stage].values.get(key, NO_ESTIMATE) for p in policies.values()]
        if key in CROSS_REGION_KPIS and _all_zero([x.mean for x in summaries]):
            continue
        table.add_row(label, *(cell(x, kind) for x in summaries))
    return table


def paired_table(title: str, paired: PairedComparison, stage: Stage) -> Table:
    """Paired differences against the baseline: one row per KPI, for each other policy
    ``policy − baseline`` with its 95 % CI (shares in percentage points, pp) and which
    policy is better.

    The verdict column says ``<policy> better`` when the difference is significant (its
    CI excludes 0) and the KPI has a direction, ``differs`` when it is significant but
    neither way is better, and ``n.s.`` (not significant) otherwise.
    """
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    for name in paired.comparisons:
        table.add_column(
            f"{policy_name(name)} − {policy_name(paired.baseline)} [95 % CI]", justify="right"
        )
        table.add_column("verdict")
    for key, label, kind in SUMMARY_KPIS:
        found = [
            comp[stage].values.get(key) if stage in comp else None
            for comp in paired.comparisons.values()
        ]
        means = [m for c in found if c is not None for m in (c.baseline_mean, c.policy_mean)]
        if key in CROSS_REGION_KPIS and _all_zero(means):
            continue
        row = [label]
        for c in found:
            row += _paired_cells(c, kind)
        table.add_row(*row)
    return table


def _paired_cells(c: Comparison | None, kind: str) -> list[str]:
    """The difference with its CI, and the verdict."""
    if c is None or c.difference.mean is None:
        return ["–", ""]
    d = c.difference
    unit = " pp" if kind == "share" else ""
    diff = _fmt(d.mean, kind, signed=True)
    if d.lo is None or d.lo == d.hi:
        text = diff + unit
    else:
        text = f"{diff} [{_fmt(d.lo, kind, signed=True)}, {_fmt(d.hi, kind, signed=True)}]{unit}"
    if c.better is not None:
        return [text, f"[green]{policy_name(c.better)} better[/]"]
    return [text, "differs" if c.significant else "[dim]n.s.[/]"]


def priority_groups(policies: Summaries, stage: Stage) -> list[str]:
    """The priority groups of a stage, in result order."""
    groups: dict[str, None] = {}
    for p in policies.values():
        for g in p.kpis[stage].by_priority:
            groups.setdefault(g, None)
    return list(groups)


def priority_table(
    title: str,
    policies: Summaries,
    stage: Stage,
    limits: Mapping[str, int] | None = None,
) -> Table | None:
    """Per priority group: a few KPIs (rows, grouped by priority), one column per policy,
    each cell the mean with its 95 % CI; shares against the group's own limit
    (``limits[group]`` days when known). ``None`` when there are no groups."""
    groups = priority_groups(policies, stage)
    if not groups:
        return None
    table = Table(title=title, title_justify="left")
    table.add_column("priority · KPI")
    for name in policies:
        table.add_column(policy_header(name), justify="right")
    for g in groups:
        limit = f"{limits[g]} d" if limits and g in limits else "own limit"
        for i, (key, label, kind) in enumerate(PRIORITY_KPIS):
            summaries = [
                p.kpis[stage].by_priority.get(g, {}).get(key, NO_ESTIMATE)
                for p in policies.values()
            ]
            table.add_row(
                f"{g} {label.format(limit=limit)}",
                *(cell(x, kind) for x in summaries),
                end_section=i == len(PRIORITY_KPIS) - 1,
            )
    return table


def opposite_lines(
    paired: PairedComparison, limits: Mapping[Stage, int] | None = None
) -> list[str]:
    """One line per case where an official share within the guarantee and the mean wait
    move in opposite directions between a policy and the baseline
    (:func:`simulering.paired.opposite_directions`)."""
    lines = []
    for case in opposite_directions(paired):
        stage = case.stage
        limit = f"{limits[stage]} days" if limits and stage in limits else "the guarantee"
        what = "completed" if case.kpi.startswith("share_completed") else "waiting"
        share = _fmt(case.share_difference, "share", signed=True) + " pp"
        wait = _fmt(case.wait_difference, "days", signed=True) + " d"
        good, bad = ("better", "worse") if case.share_better else ("worse", "better")
        if case.patient_chosen:
            why = "the share excludes patient-chosen waiting"
        else:
            why = "the share counts only who is past the limit, the mean every day waited"
        lines.append(
            f"{policy_name(case.policy)} vs {policy_name(case.baseline)}, "
            f"{STAGE_WORDS.get(stage, stage)}: the official share {what} within {limit} is "
            f"{good} ({share}) but the mean wait is {bad} ({wait}): {why}; read both."
        )
    return lines
