"""The benchmark's output: rich tables for the terminal, a Markdown report and a JSON
document (``benchmarks/results/service_load.md`` and ``.json``)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.table import Table

from benchmarks import RESULTS_DIR
from benchmarks.service_load.figures import (
    BOOKED_SHARE,
    TARGET_P99_MS,
    TARGET_PER_SECOND,
    PhaseResult,
    ServiceLoadReport,
)


def _f(x: float | None, digits: int = 1) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _target(p: PhaseResult) -> str:
    met = p.target_met
    if met is None:
        return ""
    what = (
        f"≥ {TARGET_PER_SECOND:.0f}/s" if p.phase == "suggestions" else f"p99 < {TARGET_P99_MS:.0f}"
    )
    return f"{what}: {'yes' if met else 'NO'}"


def _overall(r: ServiceLoadReport, database: str, workers: int) -> str:
    met = r.target_met(database, workers)
    return "not measured" if met is None else ("MET" if met else "MISSED")


def _phase_name(p: PhaseResult) -> str:
    return f"suggestions@{p.rate:.0f}/s" if p.rate is not None else p.phase


def rich_tables(r: ServiceLoadReport) -> list[Table]:
    """A terminal table per server (database, workers) with its phases."""
    tables = []
    for database, workers in r.servers:
        ratio = r.ratio(database, workers)
        table = Table(
            title=(
                f"{database}, {workers} uvicorn worker(s), {r.clients} clients ({r.client}) — "
                f"suggestions/healthz throughput: {_f(ratio, 2)}; target ≥ "
                f"{TARGET_PER_SECOND:.0f}/s with p99 < {TARGET_P99_MS:.0f} ms: "
                f"{_overall(r, database, workers)}"
            ),
            title_justify="left",
        )
        cols = (
            "phase", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms",
            "server p50/p99 ms", "CPU ms/req server/client", "CPU % server/client/other",
            "target",
        )  # fmt: skip
        for c in cols:
            table.add_column(c, justify="left" if c in ("phase", "target") else "right")
        for p in r.phases:
            if (p.database, p.workers) != (database, workers):
                continue
            table.add_row(
                _phase_name(p),
                str(p.requests),
                str(p.errors) if p.errors == 0 else f"[red]{p.errors}[/]",
                _f(p.per_second, 0),
                _f(p.p50_ms),
                _f(p.p90_ms),
                _f(p.p99_ms),
                _f(p.max_ms),
                f"{_f(p.server_p50_ms)}/{_f(p.server_p99_ms)}",
                f"{_f(p.server_cpu_ms, 2)}/{_f(p.client_cpu_ms, 2)}",
                f"{_f(p.server_cpu_percent, 0)}/{_f(p.client_cpu_percent, 0)}/"
                f"{_f(p.other_cpu_percent, 0)}",
                _target(p),
            )
        tables.append(table)
    return tables


def markdown(r: ServiceLoadReport) -> str:
    """The report as Markdown: the conditions, the phases, the targets, the setups."""
    lines = [
        *_conditions(r),
        *_phase_rows(r),
        *_target_rows(r),
        *_setup_rows(r),
        *_reading_notes(r),
    ]
    return "\n".join(lines)


def _conditions(r: ServiceLoadReport) -> list[str]:
    window = f"{r.requests} requests" if r.requests is not None else f"{_f(r.seconds, 0)} s"
    return [
        "# Service load: suggestions and referral registration against `remiss serve`",
        "",
        f"{r.clients} concurrent clients (one asyncio process, "
        + (
            "`httpx.AsyncClient`"
            if r.client == "httpx"
            else "`aiohttp.ClientSession` (`--client aiohttp`)"
        )
        + ", a keep-alive connection "
        f"per client) against a server started by the benchmark on a fresh database: "
        f"{r.units} units at VGR sites with capacity for `{r.specialty}` (first visit) for "
        f"the 26 weeks the service sees, {r.referrals:,} waiting referrals from VGR's "
        f"municipalities (by population), {BOOKED_SHARE:.0%} of them booked. Each phase: "
        f"{_f(r.warmup_seconds, 0)} s warm-up (not counted), then {window}. Seed {r.seed}.",
        "",
        f"Service code: `{r.code}`. Machine: {r.cores} cores, {r.machine}, Python {r.python}, "
        f"{r.date}; the load "
        "generator runs on the same cores as the server. Load at the start: "
        f"`{r.uptime_start}`; at the end: `{r.uptime_end}`. Server settings from the "
        "environment: "
        + (", ".join(f"`{k}={v}`" for k, v in r.server_settings.items()) or "none (defaults)")
        + ".",
        "",
    ]


def _phase_rows(r: ServiceLoadReport) -> list[str]:
    lines = [
        "| database | workers | phase | requests | errors | req/s | p50 ms | p90 ms | p99 ms "
        "| max ms | server p50 / p99 ms | CPU ms/request server / client "
        "| CPU % server / client / other | load 1 min | target |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in r.phases:
        lines.append(
            f"| {p.database} | {p.workers} | {_phase_name(p)} | {p.requests} | {p.errors} | "
            f"{_f(p.per_second, 0)} | {_f(p.p50_ms)} | {_f(p.p90_ms)} | {_f(p.p99_ms)} | "
            f"{_f(p.max_ms)} | {_f(p.server_p50_ms)} / {_f(p.server_p99_ms)} | "
            f"{_f(p.server_cpu_ms, 2)} / {_f(p.client_cpu_ms, 2)} | "
            f"{_f(p.server_cpu_percent, 0)} / {_f(p.client_cpu_percent, 0)} / "
            f"{_f(p.other_cpu_percent, 0)} | {p.load_after[0]:.2f} | {_target(p)} |"
        )
    return lines


def _target_rows(r: ServiceLoadReport) -> list[str]:
    lines = [
        "",
        "| database | workers | target (≥ 500/s back to back, p99 < 50 ms at 500/s) "
        "| suggestions/s over `/healthz`/s (the stack's ceiling) |",
        "|---|---:|---|---:|",
    ]
    for database, workers in r.servers:
        lines.append(
            f"| {database} | {workers} | {_overall(r, database, workers)} | "
            f"{_f(r.ratio(database, workers), 2)} |"
        )
    return lines


def _setup_rows(r: ServiceLoadReport) -> list[str]:
    lines = [
        "",
        "| database | workers | setup s | registrations/s during setup | booked | full weeks |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in r.setups:
        lines.append(
            f"| {s.database} | {s.workers} | {s.seconds:.1f} | "
            f"{s.registrations_per_second:.0f} | {s.booked} | {s.booking_conflicts} |"
        )
    return lines


def _reading_notes(r: ServiceLoadReport) -> list[str]:
    return [
        "",
        f"Target (issue 5): ≥ {TARGET_PER_SECOND:.0f} suggestions/s with p99 < "
        f"{TARGET_P99_MS:.0f} ms and no errors, checked in two phases: *suggestions* runs "
        "the clients back to back (throughput; its latency is mostly queueing, since with "
        f"{r.clients} requests always in flight the mean latency is {r.clients} / "
        "throughput), *suggestions@rate* offers requests at fixed times "
        f"({r.rate:.0f}/s over the same {r.clients} connections) and times each from when "
        "it was due, so a server that falls behind shows it. Latency is the client's (it "
        "includes the load generator's own CPU); *server* ms is the "
        "service's access log (middleware, key lookup, handler, database, commit — not "
        "uvicorn's HTTP parsing). CPU is per cent of one core over the measured window; "
        "*other* is everything else on the machine (other jobs); CPU ms/request is the "
        "server's (or load generator's) CPU time over the requests served, so 1000 / that "
        "is what one fully available core could serve. Reproduce with "
        "`remiss-bench service` (options: `--database sqlite|postgres|both`, `--clients`, "
        "`--seconds` or `--requests`, `--rate`, `--workers 1,2`, `--client httpx|aiohttp`).",
        "",
    ]


def write_results(r: ServiceLoadReport, out_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    """Write the Markdown report and the JSON document (``service_load_aiohttp.*`` with
    the aiohttp client); return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "service_load" if r.client == "httpx" else f"service_load_{r.client}"
    md, js = out_dir / f"{stem}.md", out_dir / f"{stem}.json"
    md.write_text(markdown(r), encoding="utf-8")
    data = asdict(r)
    for p, raw in zip(r.phases, data["phases"], strict=True):
        raw["target_met"] = p.target_met
    data["ratios"] = {f"{d}/{w}": r.ratio(d, w) for d, w in r.servers}
    data["targets_met"] = {f"{d}/{w}": r.target_met(d, w) for d, w in r.servers}
    js.write_text(json.dumps(finite(data), indent=2) + "\n", encoding="utf-8")
    return md, js


def finite(x: Any) -> Any:
    """JSON has no NaN: missing figures become null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [finite(v) for v in x]
    return x
