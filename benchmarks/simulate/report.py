"""The simulation benchmark's report: the figures of one run with the machine it ran
on, as a terminal table, Markdown and JSON (``benchmarks/results/simulate.*``)."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import simpy
from rich.table import Table

from benchmarks import RESULTS_DIR
from benchmarks.simulate.memory import TARGET_PEAK_RATIO, MemoryResult
from benchmarks.simulate.region import TARGET_SECONDS, RegionResult
from benchmarks.simulate.scaling import TARGET_PER_DOUBLING, ScalingRun
from benchmarks.simulate.textbook import TARGET_RATIO, TextbookResult


@dataclass(frozen=True)
class BenchmarkReport:
    """Everything one benchmark run measured, with the machine it ran on."""

    date: str
    machine: dict[str, Any]
    quick: bool
    textbook: list[TextbookResult] = field(default_factory=list)
    region: list[RegionResult] = field(default_factory=list)
    scaling: list[ScalingRun] = field(default_factory=list)
    memory: list[MemoryResult] = field(default_factory=list)
    load_before: list[float] = field(default_factory=list)
    """The 1-, 5- and 15-minute load averages when the run started (the box is shared)."""
    load_after: list[float] = field(default_factory=list)


def load_average() -> list[float]:
    """The 1-, 5- and 15-minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


def machine_info() -> dict[str, Any]:
    """Platform, CPU and library versions."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "simpy": simpy.__version__,
        "numpy": np.__version__,
    }


def _rows(report: BenchmarkReport) -> list[tuple[str, str, str, str]]:
    """(benchmark, measure, value, target) rows shared by the terminal and markdown."""
    rows: list[tuple[str, str, str, str]] = []
    for t in report.textbook:
        rows += _textbook_rows(t)
    for r in report.region:
        rows += _region_rows(r)
    rows += _scaling_rows(report.scaling)
    for m in report.memory:
        rows += _memory_rows(m)
    if report.load_before:
        rows.append(("machine", "load average before → after", _loads(report), ""))
    return rows


def _loads(report: BenchmarkReport) -> str:
    return f"{report.load_before} → {report.load_after}"


def _scaling_rows(runs: list[ScalingRun]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for policy in dict.fromkeys(r.policy for r in runs):
        mine = [r for r in runs if r.policy == policy]
        name = f"region year × demand, {policy}"
        rows.append(
            (
                name,
                "demand × " + " / ".join(str(r.factor) for r in mine) + ": referrals",
                " / ".join(f"{r.referrals:,}" for r in mine),
                "",
            )
        )
        rows.append(
            (
                name,
                "run CPU s (wall s)",
                " / ".join(f"{r.run_cpu_seconds:.2f} ({r.run_seconds:.2f})" for r in mine),
                "",
            )
        )
        growth = [r.cpu_per_doubling for r in mine if r.cpu_per_doubling is not None]
        met = all(g <= TARGET_PER_DOUBLING for g in growth)
        rows.append(
            (
                name,
                "CPU growth per doubling of demand",
                " / ".join(f"{g:.2f}×" for g in growth),
                f"≤ {TARGET_PER_DOUBLING:g}×: {'met' if met else 'MISSED'}" if growth else "",
            )
        )
    return rows


def _memory_rows(m: MemoryResult) -> list[tuple[str, str, str, str]]:
    name = f"region {m.referrals:,} referrals, {m.policy}, fresh process"
    met = m.peak_ratio <= TARGET_PEAK_RATIO
    return [
        (
            name,
            "bytes per referral: patients + records",
            f"{m.patient_bytes_per_referral:.0f} + {m.record_bytes_per_referral:.0f}",
            "",
        ),
        (
            name,
            "arrays / RSS before drawing / peak RSS (MiB)",
            f"{m.arrays_mib:.0f} / {m.start_rss_mib:.0f} / {m.peak_rss_mib:.0f}",
            "",
        ),
        (
            name,
            "peak RSS ÷ arrays",
            f"{m.peak_ratio:.2f}×",
            (
                f"≤ {TARGET_PEAK_RATIO:g}×: {'met' if met else 'MISSED'}"
                if m.horizon_days >= 365
                else "(target is for a 365-day year)"
            ),
        ),
        (name, "CPU s of the replication (draw, run, KPIs)", f"{m.cpu_seconds:.2f}", ""),
    ]


def _textbook_rows(t: TextbookResult) -> list[tuple[str, str, str, str]]:
    name = (
        f"textbook M/M/2×4, {t.policy}" if t.policy == "separate" else f"textbook M/M/8, {t.policy}"
    )
    return [
        (
            name,
            f"referrals in {t.repeats} replications of {t.horizon_days} days (remiss/peer)",
            f"{t.referrals:,} / {t.peer_customers:,}",
            "same work",
        ),
        (name, "served (remiss/peer)", f"{t.remiss_served:,} / {t.peer_served:,}", ""),
        (name, "remiss, draw + run (best)", f"{t.remiss_per_second:,.0f} /s", ""),
        (name, "remiss, run only", f"{t.remiss_model_only_per_second:,.0f} /s", ""),
        (name, "remiss, draw + run + KPIs", f"{t.remiss_with_kpis_per_second:,.0f} /s", ""),
        (name, "bare SimPy peer (best)", f"{t.peer_per_second:,.0f} /s", ""),
        (
            name,
            "ratio remiss / peer",
            f"{t.ratio:.2f}",
            f"≥ {TARGET_RATIO:g}: {'met' if t.ratio >= TARGET_RATIO else 'MISSED'}",
        ),
        (name, "ratio with KPIs", f"{t.ratio_with_kpis:.2f}", ""),
        (
            name,
            "mean wait, days: Erlang C / remiss / peer (mean of replications)",
            f"{t.erlang_c_wait:.3f} / {t.remiss_mean_wait:.3f} / {t.peer_mean_wait:.3f}",
            "",
        ),
    ]


def _region_rows(r: RegionResult) -> list[tuple[str, str, str, str]]:
    name = f"region {r.referrals:,} referrals, {r.units} units, {r.policy}"
    return [
        (
            name,
            "draw / run / KPIs (s)",
            f"{r.draw_seconds:.2f} / {r.run_seconds:.2f} / {r.kpi_seconds:.2f}",
            "",
        ),
        (
            name,
            "seconds per replication (wall; CPU)",
            f"{r.total_seconds:.2f}; {r.cpu_seconds:.2f}",
            (
                f"< {TARGET_SECONDS:g} s: {'met' if r.under_target else 'MISSED'}"
                if r.horizon_days >= 365
                else "(target is for a 365-day year)"
            ),
        ),
        (
            name,
            "referrals per second (all phases / run only)",
            f"{r.referrals_per_second:,.0f} / {r.model_referrals_per_second:,.0f}",
            "",
        ),
    ]


def rich_table(report: BenchmarkReport) -> Table:
    """The figures as a terminal table, the benchmark named once per group of rows."""
    table = Table(title="remiss simulation benchmark" + (" (quick)" if report.quick else ""))
    for col in ("benchmark", "measure", "value", "target"):
        table.add_column(col, justify="right" if col == "value" else "left")
    previous = None
    for bench, measure, value, target in _rows(report):
        table.add_row(bench if bench != previous else "", measure, value, target)
        previous = bench
    return table


def markdown(report: BenchmarkReport) -> str:
    """The figures as Markdown, with the machine they were measured on."""
    m = report.machine
    lines = [
        "# Simulation benchmark results" + (" (quick sizes)" if report.quick else ""),
        "",
        f"Date: {report.date}. Machine: {m['cpu']} ({m['cpu_count']} logical CPUs, one used), "
        f"{m['platform']}, Python {m['python']}, SimPy {m['simpy']}, numpy {m['numpy']}.",
        "",
        "| benchmark | measure | value | target |",
        "|---|---|---:|---|",
    ]
    lines += [f"| {b} | {me} | {v} | {t} |" for b, me, v, t in _rows(report)]
    return "\n".join(lines) + "\n"


def write_results(report: BenchmarkReport, out_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    """``simulate.md`` and ``simulate.json`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / "simulate.md", out_dir / "simulate.json"
    md.write_text(markdown(report), encoding="utf-8")
    js.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return md, js
