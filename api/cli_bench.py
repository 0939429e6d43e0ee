"""``remiss bench``: solver (and later simulation) benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli_bench_service import service_command
from api.cli_bench_simulate import simulate_command
from benchmarks.allocate import RESULTS_DIR

app = typer.Typer(
    help="Benchmarks against peers, written to benchmarks/results/.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def bench() -> None:
    """Benchmarks against peers, written to benchmarks/results/."""


@app.command("allocate")
def allocate(
    sizes: Annotated[
        str, typer.Option(help="Comma-separated referral counts, e.g. 10000 for a quick run.")
    ] = "10000,100000,1000000",
    solvers: Annotated[
        str, typer.Option(help="Comma-separated: flow, greedy_home, greedy_edd, highs.")
    ] = "flow,greedy_home,greedy_edd,highs",
    highs_time_limit: Annotated[float, typer.Option(min=1.0, help="Seconds for HiGHS.")] = 600.0,
    results_dir: Annotated[
        Path, typer.Option(help="Where allocate.md and allocate.json go.")
    ] = RESULTS_DIR,
) -> None:
    """Allocation solvers at 10k/100k/1M referrals × 40 units × 26 weeks (+ HiGHS, greedy)."""
    from benchmarks.allocate import print_table, run

    try:
        size_list = [int(s.replace("_", "")) for s in sizes.split(",") if s.strip()]
    except ValueError:
        typer.echo(f"error: --sizes {sizes!r}: expected comma-separated integers", err=True)
        raise typer.Exit(2) from None
    known = {"flow", "greedy_home", "greedy_edd", "highs"}
    solver_list = [s.strip() for s in solvers.split(",") if s.strip()]
    unknown = [s for s in solver_list if s not in known]
    if unknown or not size_list or min(size_list) < 1:
        typer.echo(f"error: bad --sizes or --solvers ({', '.join(unknown) or sizes})", err=True)
        raise typer.Exit(2)
    rows = run(size_list, solver_list, highs_time_limit=highs_time_limit, results_dir=results_dir)
    print_table(rows)
    if any(r.get("valid") is False for r in rows):
        raise typer.Exit(1)


app.command("simulate")(simulate_command)
app.command("service")(service_command)


@app.command("replications")
def replications(
    replications: Annotated[
        int, typer.Option(min=1, help="Replications per executor (the issue asks for 100).")
    ] = 100,
    policies: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated policies (default: those of separate, shared, optimised, "
            "patient_choice that exist)."
        ),
    ] = None,
    executors: Annotated[
        str, typer.Option(help="Comma-separated: serial, process, dask.")
    ] = "serial,process,dask",
    workers: Annotated[
        int | None, typer.Option(min=1, help="Workers for process and dask (default: cores).")
    ] = None,
    horizon_days: Annotated[
        int | None, typer.Option(min=30, help="Simulated days (default: the scenario's).")
    ] = None,
    write: Annotated[
        bool, typer.Option("--write/--no-write", help="Write replications.md and .json.")
    ] = True,
    results_dir: Annotated[
        Path, typer.Option(help="Where replications.md and replications.json go.")
    ] = RESULTS_DIR,
) -> None:
    """Wall time of N replications of the gallstone scenario with every policy: serial vs
    local process pool vs Dask LocalCluster, with speed-ups; results must be identical."""
    from rich.console import Console

    from benchmarks.replications import EXECUTORS, rich_table, run, write_results
    from simulering.policies import POLICIES

    pol_list = [p.strip() for p in policies.split(",") if p.strip()] if policies else None
    unknown = [p for p in pol_list or [] if p not in POLICIES]
    ex_list = [e.strip() for e in executors.split(",") if e.strip()]
    bad_ex = [e for e in ex_list if e not in EXECUTORS]
    if unknown or bad_ex or not ex_list:
        typer.echo(
            f"error: unknown --policies {', '.join(unknown)} or --executors "
            f"{', '.join(bad_ex) or executors!r} (policies: {', '.join(POLICIES)}; "
            f"executors: {', '.join(EXECUTORS)})",
            err=True,
        )
        raise typer.Exit(2)
    console = Console()
    report = run(replications, pol_list, ex_list, workers=workers, horizon_days=horizon_days)
    console.print(rich_table(report))
    if write:
        for path in write_results(report, results_dir):
            console.print(f"wrote {path}")
    if not report.identical:
        raise typer.Exit(1)


@app.command("optimised")
def optimised(
    scenario: Annotated[str, typer.Option(help="Library scenario or file")] = "gallsten",
    replications: Annotated[int, typer.Option(min=1, help="Replications (median reported)")] = 3,
    write: Annotated[bool, typer.Option(help="Write results/optimised_cost.json")] = True,
) -> None:
    """Cost of the optimised policy per simulated year vs shared (target ≤ 2×)."""
    from benchmarks.optimised_cost import main as run_optimised

    run_optimised(scenario, replications, write)
