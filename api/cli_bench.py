"""``remiss bench``: solver (and later simulation) benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
