"""Rich terminal tables for simulation results."""

from __future__ import annotations

from typing import Any

from rich.table import Table

SUMMARY_KPIS = (
    ("share_waiting_within_guarantee", "Waiting ≤ 90 d (month ends)", "share"),
    ("share_completed_within_guarantee", "Completed ≤ 90 d", "share"),
    ("mean_wait_days", "Mean wait, days", "days"),
    ("median_wait_days", "Median wait, days", "days"),
    ("p90_wait_days", "90th pct wait, days", "days"),
    ("equity_gap", "Equity gap (sub-regions)", "share"),
    ("mean_travel_km", "Mean travel, km", "km"),
    ("share_outside_home_unit", "Outside home unit", "share"),
    ("share_other_region", "Treated in another region", "share"),
    ("cross_region_cost_sek", "Cross-region cost, SEK", "count"),
    ("utilisation", "Utilisation", "share"),
    ("arrived", "Arrived", "count"),
    ("completed", "Completed", "count"),
    ("withdrawn", "Withdrawn", "count"),
    ("patient_chosen_waits", "Patient-chosen waits (PVV)", "count"),
    ("no_shows", "No-shows", "count"),
)

CROSS_REGION_KPIS = frozenset({"share_other_region", "cross_region_cost_sek"})
"""Rows left out when they are 0 everywhere (a one-region scenario has no cross-region care)."""


def _all_zero(values: list[Any]) -> bool:
    return all(v is None or v == 0 for v in values)


def _fmt(x: float | None, kind: str, signed: bool = False) -> str:
    """A number for the terminal; ``signed`` for differences (shares in pp, no %)."""
    if x is None:
        return "–"
    sign = "+" if signed else ""
    if kind == "share":
        return f"{100 * x:{sign}.1f}" + ("" if signed else " %")
    if kind == "count":
        return f"{x:{sign},.0f}".replace(",", " ")
    return f"{x:{sign}.1f}"


def cell(summary: dict[str, Any], kind: str) -> str:
    """``mean [lo – hi]`` for a KPI summary."""
    mean, (lo, hi) = summary["mean"], summary["ci95"]
    if mean is None:
        return "–"
    if lo is None or lo == hi:
        return _fmt(mean, kind)
    return f"{_fmt(mean, kind)} [{_fmt(lo, kind)} – {_fmt(hi, kind)}]"


def comparison_table(title: str, policies: dict[str, Any], stage: str) -> Table:
    """One row per KPI, one column per policy, each cell the mean with its 95 % CI."""
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    for name in policies:
        table.add_column(name, justify="right")
    for key, label, kind in SUMMARY_KPIS:
        summaries = [p["kpis"][stage][key] for p in policies.values()]
        if key in CROSS_REGION_KPIS and _all_zero([x["mean"] for x in summaries]):
            continue
        table.add_row(label, *(cell(x, kind) for x in summaries))
    return table


def paired_table(title: str, paired: dict[str, Any], stage: str) -> Table:
    """Paired differences against the baseline: one row per KPI, for each other policy
    ``policy − baseline`` with its 95 % CI (shares in percentage points, pp) and which
    policy is better.

    The verdict column says ``<policy> better`` when the difference is significant (its
    CI excludes 0) and the KPI has a direction, ``differs`` when it is significant but
    neither way is better, and ``n.s.`` (not significant) otherwise.
    """
    base = paired["baseline"]
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    for name in paired["comparisons"]:
        table.add_column(f"{name} − {base} [95 % CI]", justify="right")
        table.add_column("verdict")
    for key, label, kind in SUMMARY_KPIS:
        found = [comp.get(stage, {}).get(key) for comp in paired["comparisons"].values()]
        means = [c.get(m) for c in found if c is not None for m in ("baseline_mean", "policy_mean")]
        if key in CROSS_REGION_KPIS and _all_zero(means):
            continue
        row = [label]
        for comp in paired["comparisons"].values():
            c = comp.get(stage, {}).get(key)
            if c is None or c["difference"]["mean"] is None:
                row += ["–", ""]
                continue
            mean, (lo, hi) = c["difference"]["mean"], c["difference"]["ci95"]
            unit = " pp" if kind == "share" else ""
            diff = _fmt(mean, kind, signed=True)
            if lo is None or lo == hi:
                row.append(diff + unit)
            else:
                ci = f"{_fmt(lo, kind, signed=True)}, {_fmt(hi, kind, signed=True)}"
                row.append(f"{diff} [{ci}]{unit}")
            if c["better"] is not None:
                row.append(f"[green]{c['better']} better[/]")
            elif c["significant"]:
                row.append("differs")
            else:
                row.append("[dim]n.s.[/]")
        table.add_row(*row)
    return table
