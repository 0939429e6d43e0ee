"""Forecast benchmark (issue 13, part 5): a snapshot of 50,000 waiting referrals over the
40 units of the region-scale VGR scenario, forecast 26 weeks × 20 replications under one
policy (``separate_by_hospital_group``) on one core. Target: under 60 s.

The snapshot is synthetic and built here from ``benchmarks/scenarios/region_scale.yaml``
(the VGR geography with 40 units): its demand and slot calendars scaled to about 4,000
referrals a week, and 50,000 listed referrals spread over the units in the proportions
of that file's backlog, each with an area of its unit's catchment, a priority (15 % P1),
a wait of up to 120 days (P1 up to 40), 3 % in PVV and 1 % in MOV for a few weeks, and
8 % booked in the coming four weeks.

Beside it, in the same run, the **peer**: the same replications of the same scenario as
``remiss simulate`` runs them — draw the patients, run the policy, compute the KPIs —
without the forecast's week-by-week reading. Printed and written to
``benchmarks/results/forecast.md`` (and ``.json``): CPU and wall seconds of both, the
load average before and after, and where the forecast's time goes (simulation vs the
weekly reading). Run with ``remiss-bench forecast`` (``--quick``: 2 replications).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np
import yaml
from rich.console import Console
from rich.table import Table

from benchmarks import RESULTS_DIR
from benchmarks.simulate.region_scenario import REGION_SCENARIO
from benchmarks.simulate.report import machine_info
from scenarios.compiler import Overrides, compile_scenario
from scenarios.loader import load_region
from scenarios.schema import Scenario
from simulering.forecast import run_forecast
from simulering.forecast.run import forecast_calendar
from simulering.forecast.weekly import weekly_series
from simulering.kpis import replication_kpis
from simulering.patients import draw_patients
from simulering.runner import run_policy
from simulering.streams import replication_stream

TARGET_SECONDS: Final = 60.0
LISTED: Final = 50_000
WEEKS: Final = 26
REPLICATIONS: Final = 20
POLICY: Final = "separate_by_hospital_group"
START: Final = dt.date(2026, 3, 2)  # a Monday
REFERRALS_PER_WEEK: Final = 4_000.0
SEED: Final = 13


def snapshot_scenario(listed: int = LISTED, seed: int = SEED) -> dict[str, Any]:
    """The region-scale scenario as a forecast snapshot of ``listed`` waiting referrals."""
    doc: dict[str, Any] = yaml.safe_load(REGION_SCENARIO.read_text(encoding="utf-8"))
    rng = np.random.default_rng(seed)
    scale = REFERRALS_PER_WEEK / (float(doc["demand"]["referrals_per_year"]) / 52.0)
    for unit in doc["units"]:
        for cap in [unit.get("first_visit"), *unit.get("treatment", {}).values()]:
            if cap is not None:
                cap["slots_per_week"] = round(cap["slots_per_week"] * scale, 1)
    areas = doc["region"]["areas"]
    population = np.array([a["population"] for a in areas], dtype=float)
    weekly = REFERRALS_PER_WEEK * population / population.sum()
    doc["demand"] = {
        "split": "counts",
        "referrals_per_week": {
            a["id"]: round(float(w), 3) for a, w in zip(areas, weekly, strict=True)
        },
    }
    doc["waiting_list"] = _listed(doc, listed, rng)
    doc.pop("backlog", None)
    doc["name"], doc["title"] = "forecast_snapshot", f"Forecast benchmark: {listed:,} waiting"
    doc["run"] = {
        "start_date": START.isoformat(),
        "horizon_days": 7 * WEEKS,
        "warmup_days": 0,
        "seed": seed,
        "replications": REPLICATIONS,
    }
    return doc


def _listed(doc: dict[str, Any], n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """``n`` waiting referrals over the units with a catchment, by the file's backlog."""
    counts = {b["unit"]: b["count"] for b in doc.get("backlog", [])}
    units = [u for u in doc["units"] if u.get("catchment") and counts.get(u["unit"])]
    weights = np.array([counts[u["unit"]] for u in units], dtype=float)
    which = rng.choice(len(units), size=n, p=weights / weights.sum())
    p1 = rng.random(n) < 0.15
    age = np.where(p1, rng.integers(0, 41, n), rng.integers(0, 121, n))
    state = rng.random(n)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        unit = units[int(which[i])]
        row: dict[str, Any] = {
            "id": f"r-{i:06d}",
            "unit": unit["unit"],
            "area": unit["catchment"][int(rng.integers(len(unit["catchment"])))],
            "priority": "P1" if p1[i] else "standard",
            "clock_start": (START - dt.timedelta(days=int(age[i]))).isoformat(),
        }
        until = (START + dt.timedelta(days=int(rng.integers(7, 60)))).isoformat()
        if state[i] < 0.03:
            row["pvv_until"] = until
        elif state[i] < 0.04:
            row["mov_until"] = until
        elif state[i] < 0.12:
            row["booked_week"] = (START + dt.timedelta(weeks=int(rng.integers(0, 4)))).isoformat()
        rows.append(row)
    return rows


@dataclass(frozen=True)
class ForecastBenchmark:
    """The figures of one benchmark run."""

    listed: int
    units: int
    weeks: int
    replications: int
    policy: str
    forecast_cpu_seconds: float
    forecast_wall_seconds: float
    peer_cpu_seconds: float
    """The same replications as ``remiss simulate`` runs them (patients, policy, KPIs)."""
    peer_wall_seconds: float
    draw_cpu_seconds: float
    """Of one replication: drawing the patients, running the model, the weekly reading."""
    model_cpu_seconds: float
    weekly_cpu_seconds: float
    worklist: int
    final_queue_mean: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    under_target: bool


def _cpu_wall(fn: Any, *args: Any, **kw: Any) -> tuple[float, float, Any]:
    w0, c0 = time.perf_counter(), time.process_time()
    value = fn(*args, **kw)
    return time.process_time() - c0, time.perf_counter() - w0, value


def _peer(scenario: Scenario, replications: int) -> None:
    """The same replications, as ``remiss simulate`` computes them."""
    spec = compile_scenario(
        scenario, load_region(scenario, REGION_SCENARIO), Overrides(7 * WEEKS, 0)
    )
    for i in range(replications):
        pts = draw_patients(spec, replication_stream(scenario.run.seed, i))
        rec = run_policy(spec, pts, POLICY, scenario.run.seed, i)
        replication_kpis(spec, pts, rec)


def _phases(scenario: Scenario) -> tuple[float, float, float]:
    """CPU of drawing, running and reading one replication week by week."""
    spec = compile_scenario(
        scenario, load_region(scenario, REGION_SCENARIO), Overrides(7 * WEEKS, 0)
    )
    cal = forecast_calendar(START, WEEKS, spec.month_ends.tolist())
    c_draw, _, pts = _cpu_wall(draw_patients, spec, replication_stream(scenario.run.seed, 0))
    c_run, _, rec = _cpu_wall(run_policy, spec, pts, POLICY, scenario.run.seed, 0)
    c_week, _, _ = _cpu_wall(weekly_series, spec, pts, rec, 0, cal)
    return c_draw, c_run, c_week


def measure(replications: int = REPLICATIONS, listed: int = LISTED) -> ForecastBenchmark:
    """Build the snapshot, forecast it, then run the peer and time one replication's phases."""
    scenario = Scenario.model_validate(snapshot_scenario(listed))
    load_before = os.getloadavg()
    c_fc, w_fc, doc = _cpu_wall(
        run_forecast,
        scenario,
        specialty="benchmark",
        stage="first_visit",
        weeks=WEEKS,
        replications=replications,
        policies=[POLICY],
    )
    c_peer, w_peer, _ = _cpu_wall(_peer, scenario, replications)
    draw, model, weekly = _phases(scenario)
    load_after = os.getloadavg()
    result = doc["policies"][POLICY]
    return ForecastBenchmark(
        listed=listed,
        units=len(scenario.units),
        weeks=WEEKS,
        replications=replications,
        policy=POLICY,
        forecast_cpu_seconds=c_fc,
        forecast_wall_seconds=w_fc,
        peer_cpu_seconds=c_peer,
        peer_wall_seconds=w_peer,
        draw_cpu_seconds=draw,
        model_cpu_seconds=model,
        weekly_cpu_seconds=weekly,
        worklist=len(result["worklist"]),
        final_queue_mean=float(result["queue"]["region"][-1]["mean"]),
        load_before=load_before,
        load_after=load_after,
        under_target=c_fc < TARGET_SECONDS,
    )


def rows(b: ForecastBenchmark) -> list[tuple[str, str]]:
    """(measure, value) rows shared by the terminal table and the Markdown file."""
    verdict = "met" if b.under_target else "MISSED"
    return [
        (
            "snapshot",
            f"{b.listed:,} waiting, {b.units} units, {b.weeks} weeks × "
            f"{b.replications} replications, {b.policy}, one core",
        ),
        ("forecast CPU s (target < 60)", f"{b.forecast_cpu_seconds:.1f} ({verdict})"),
        ("forecast wall s", f"{b.forecast_wall_seconds:.1f}"),
        ("peer: same replications as remiss simulate, CPU s", f"{b.peer_cpu_seconds:.1f}"),
        ("peer wall s", f"{b.peer_wall_seconds:.1f}"),
        ("forecast / peer CPU", f"{b.forecast_cpu_seconds / b.peer_cpu_seconds:.2f}"),
        (
            "one replication: draw / model / weekly reading, CPU s",
            f"{b.draw_cpu_seconds:.2f} / {b.model_cpu_seconds:.2f} / {b.weekly_cpu_seconds:.2f}",
        ),
        ("worklist (breach in ≥ 50 % of replications)", f"{b.worklist:,}"),
        ("queue in the last week (mean)", f"{b.final_queue_mean:,.0f}"),
        (
            "load average before → after",
            f"{' '.join(f'{x:.2f}' for x in b.load_before)} → "
            f"{' '.join(f'{x:.2f}' for x in b.load_after)}",
        ),
    ]


def main(quick: bool = False, write: bool = True) -> ForecastBenchmark:
    """Run, print, and (unless quick) write ``benchmarks/results/forecast.{md,json}``."""
    b = measure(replications=2 if quick else REPLICATIONS)
    table = Table(title="remiss-bench forecast")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for measure_name, value in rows(b):
        table.add_row(measure_name, value)
    Console().print(table)
    if write and not quick:
        RESULTS_DIR.mkdir(exist_ok=True)
        doc = {**asdict(b), "machine": machine_info()}
        (RESULTS_DIR / "forecast.json").write_text(json.dumps(doc, indent=1) + "\n")
        lines = [
            "# Forecast benchmark",
            "",
            "`remiss-bench forecast` (benchmarks/forecast.py).",
            "",
            "| measure | value |",
            "| --- | --- |",
        ]
        lines += [f"| {m} | {v} |" for m, v in rows(b)]
        lines += ["", f"Machine: {doc['machine']['cpu']}, Python {doc['machine']['python']}.", ""]
        (RESULTS_DIR / "forecast.md").write_text("\n".join(lines), encoding="utf-8")
    return b


if __name__ == "__main__":
    main()
