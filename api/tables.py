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
    ("utilisation", "Utilisation", "share"),
    ("arrived", "Arrived", "count"),
    ("completed", "Completed", "count"),
    ("withdrawn", "Withdrawn", "count"),
    ("patient_chosen_waits", "Patient-chosen waits (PVV)", "count"),
    ("no_shows", "No-shows", "count"),
)


def _fmt(x: float | None, kind: str) -> str:
    if x is None:
        return "–"
    if kind == "share":
        return f"{100 * x:.1f} %"
    if kind == "count":
        return f"{x:,.0f}".replace(",", " ")
    return f"{x:.1f}"


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
        table.add_row(label, *(cell(p["kpis"][stage][key], kind) for p in policies.values()))
    return table
