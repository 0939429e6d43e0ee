"""Running the simulation benchmarks at full or CI smoke size, from the CLI
(``remiss-bench simulate``) or ``python -m benchmarks.simulate``."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence

from rich.console import Console

from benchmarks.simulate.memory import memory_benchmark
from benchmarks.simulate.region import region_benchmark
from benchmarks.simulate.region_scenario import write_region_scenario
from benchmarks.simulate.report import (
    BenchmarkReport,
    load_average,
    machine_info,
    rich_table,
    write_results,
)
from benchmarks.simulate.scaling import scaling_benchmark
from benchmarks.simulate.textbook import textbook_benchmark


def run_benchmarks(
    quick: bool = False,
    repeats: int | None = None,
    textbook_days: int | None = None,
    region_days: int | None = None,
    textbook: bool = True,
    region: bool = True,
    scaling: bool = True,
    memory: bool = True,
) -> BenchmarkReport:
    """The benchmarks at full size, or at CI smoke sizes with ``quick``: the textbook
    scenario against its peer, the region-scale year, the year at 1×, 2× and 4×
    demand, and the year's peak memory per policy in fresh processes."""
    load_before = load_average()
    reps = repeats if repeats is not None else (2 if quick else 5)
    tb_days = textbook_days if textbook_days is not None else (365 if quick else 3650)
    rg_days = region_days if region_days is not None else (14 if quick else 365)
    tb = (
        [
            textbook_benchmark(
                horizon_days=tb_days, warmup_days=min(180, tb_days // 10), repeats=reps, policy=p
            )
            for p in ("separate", "shared")
        ]
        if textbook
        else []
    )
    rg = region_benchmark(horizon_days=rg_days) if region else []
    sc = scaling_benchmark(horizon_days=rg_days, repeats=1 if quick else 2) if scaling else []
    mem = memory_benchmark(horizon_days=rg_days) if memory else []
    return BenchmarkReport(
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine_info(),
        quick=quick,
        textbook=tb,
        region=rg,
        scaling=sc,
        memory=mem,
        load_before=load_before,
        load_after=load_average(),
    )


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m benchmarks.simulate``: the benchmarks without the CLI."""
    parser = argparse.ArgumentParser(
        description="Simulation benchmark: referrals simulated per second (issue 2, part 9)."
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (CI smoke run), nothing written"
    )
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--no-write", action="store_true", help="do not write results/")
    parser.add_argument(
        "--rebuild-scenario",
        action="store_true",
        help="regenerate benchmarks/scenarios/region_scale.yaml first",
    )
    args = parser.parse_args(argv)
    if args.rebuild_scenario:
        write_region_scenario()
    report = run_benchmarks(quick=args.quick, repeats=args.repeats)
    Console().print(rich_table(report))
    if not (args.no_write or args.quick):
        for p in write_results(report):
            Console().print(f"wrote {p}")
