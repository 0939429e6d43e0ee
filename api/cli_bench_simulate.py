"""``remiss bench simulate``: referrals simulated per second (issue 2, part 9).

Register with ``app.command("simulate")(simulate_command)`` on the ``bench`` Typer app.
The work lives in :mod:`benchmarks.simulate`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from benchmarks.simulate import RESULTS_DIR


def simulate_command(
    quick: Annotated[
        bool,
        typer.Option(
            "--quick", help="Small sizes for a CI smoke run (seconds); results not written."
        ),
    ] = False,
    repeats: Annotated[
        int | None,
        typer.Option(min=1, help="Textbook repeats (replications); default 5, quick 2."),
    ] = None,
    textbook_days: Annotated[
        int | None, typer.Option(min=30, help="Textbook horizon; default 3650, quick 365.")
    ] = None,
    region_days: Annotated[
        int | None, typer.Option(min=1, help="Region-scale horizon; default 365, quick 14.")
    ] = None,
    textbook: Annotated[
        bool, typer.Option("--textbook/--no-textbook", help="Run the textbook benchmark.")
    ] = True,
    region: Annotated[
        bool, typer.Option("--region/--no-region", help="Run the region-scale benchmark.")
    ] = True,
    write: Annotated[
        bool | None,
        typer.Option(
            "--write/--no-write",
            help="Write simulate.md and simulate.json (default: yes, except with --quick).",
        ),
    ] = None,
    results_dir: Annotated[
        Path, typer.Option(help="Where simulate.md and simulate.json go.")
    ] = RESULTS_DIR,
    rebuild_scenario: Annotated[
        bool,
        typer.Option(
            "--rebuild-scenario",
            help="Regenerate benchmarks/scenarios/region_scale.yaml before running.",
        ),
    ] = False,
) -> None:
    """Referrals simulated per second: the textbook M/M/2×4 scenario against a bare SimPy
    M/M/c loop (target ratio ≥ 1.0), and a region-scale year of 500,000 referrals over
    40 units (target < 10 s per replication on one core)."""
    from benchmarks.simulate import (
        rich_table,
        run_benchmarks,
        write_region_scenario,
        write_results,
    )

    console = Console()
    if rebuild_scenario:
        console.print(f"wrote {write_region_scenario()}")
    report = run_benchmarks(
        quick=quick,
        repeats=repeats,
        textbook_days=textbook_days,
        region_days=region_days,
        textbook=textbook,
        region=region,
    )
    console.print(rich_table(report))
    if write if write is not None else not quick:
        for path in write_results(report, results_dir):
            console.print(f"wrote {path}")
