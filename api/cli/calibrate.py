"""``remiss calibrate``: fit a scenario's capacities (and demand) to observed figures.

The fitting lives in :mod:`scenarios.calibrate`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import (
    Workers,
    fail,
    open_or_fail,
    resolve_executor,
)
from api.cli.console import console, err
from scenarios.calibrate import (
    CalibrationResult,
    Iteration,
    ObservedFileError,
    calibrate,
    calibrated_yaml,
    command_line,
    fit_report,
)
from scenarios.loader import ScenarioError

NOT_CONVERGED = 1
"""Exit code when the fit does not reach the tolerance."""

StartArg = Annotated[
    str, typer.Argument(help="The start scenario: a file, or a library scenario name")
]
ObservedOption = Annotated[
    Path,
    typer.Option(
        help="CSV of observed figures: unit,stage,share_within_90[,waiting][,observed_on]"
        "[,note]; unit is a unit id or a hospital-group id"
    ),
]
OutOption = Annotated[Path | None, typer.Option(help="Write the calibrated scenario YAML here")]
ReportOption = Annotated[Path | None, typer.Option(help="Write the fit report (Markdown) here")]
ReplicationsOption = Annotated[
    int | None, typer.Option(min=1, help="Replications per iteration (default: the file's)")
]
SeedOption = Annotated[int | None, typer.Option(min=0, help="Root seed, the same every iteration")]
TolerancePpOption = Annotated[
    float, typer.Option(min=0.01, help="Largest accepted |simulated − observed| share, in pp")
]
ToleranceQueueOption = Annotated[
    float,
    typer.Option(
        min=0.001, help="Largest accepted relative error of the number waiting (0.05 = 5 %)"
    ),
]
MaxIterationsOption = Annotated[int, typer.Option(min=1, help="Most simulations before giving up")]
FitDemandOption = Annotated[
    bool,
    typer.Option(
        help="Fit each first-visit row's catchment demand to its observed number waiting "
        "(rows with a waiting figure); --no-fit-demand fits capacity only"
    ),
]


def fit_table(result: CalibrationResult) -> Table:
    """Observed vs simulated per row, as a terminal table."""
    dates = ", ".join(str(d) for d in result.observation_dates())
    table = Table(
        title=f"{result.scenario} — calibration of `separate` at {dates}: "
        f"{result.replications} replications, seed {result.seed}; mean [95 % CI]",
        title_justify="left",
    )
    for col, justify in (
        ("row", "left"),
        ("observed ≤ 90 d", "right"),
        ("simulated ≤ 90 d", "right"),
        ("diff pp", "right"),
        ("observed waiting", "right"),
        ("simulated waiting", "right"),
        ("slots/week", "right"),
        ("demand ×", "right"),
        ("ok", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in result.rows:
        obs, m = r.target.observation, r.measured
        lo, hi = m.share_ci95
        wlo, whi = m.waiting_ci95
        table.add_row(
            r.target.label,
            f"{100 * obs.share:.1f} %",
            f"{100 * m.share:.1f} % [{100 * lo:.1f} – {100 * hi:.1f}]",
            f"{r.share_difference_pp:+.1f}",
            "–" if obs.waiting is None else f"{obs.waiting:,.0f}",
            f"{m.waiting:,.0f} [{wlo:,.0f} – {whi:,.0f}]",
            f"{sum(r.capacity_before.values()):.1f} → {sum(r.capacity_after.values()):.1f}",
            f"{r.demand_factor:.3f}" if r.target.fit_demand else "–",
            "[green]yes[/]" if r.within else "[red]NO[/]",
        )
    return table


def calibrate_command(
    scenario: StartArg,
    observed: ObservedOption,
    out: OutOption = None,
    report: ReportOption = None,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    tolerance_pp: TolerancePpOption = 1.0,
    tolerance_queue: ToleranceQueueOption = 0.05,
    max_iterations: MaxIterationsOption = 30,
    fit_demand: FitDemandOption = True,
    workers: Workers = None,
) -> None:
    """Fit unit capacities (first-visit or treatment slots per week) and, with waiting
    figures, catchment demand, so that the `separate` policy reproduces the observed
    share waiting within 90 days and number waiting per unit or hospital group at the
    observation date. Exit 2 on bad input, 1 when it does not converge."""
    kind = resolve_executor(None, workers, None)
    cmd = command_line(
        scenario,
        observed,
        out,
        replications,
        seed,
        tolerance_pp,
        tolerance_queue,
        max_iterations,
        fit_demand,
    )
    with open_or_fail(kind, workers, None) as ex:
        try:
            result = calibrate(
                scenario,
                observed,
                replications=replications,
                seed=seed,
                tolerance_pp=tolerance_pp,
                tolerance_queue=tolerance_queue,
                max_iterations=max_iterations,
                fit_demand=fit_demand,
                executor=ex,
                on_iteration=print_iteration,
            )
        except (ObservedFileError, ScenarioError) as exc:
            fail(str(exc))
    console.print(fit_table(result))
    write_outcome(result, cmd, out, report)


def print_iteration(it: Iteration) -> None:
    """One line on stderr per simulation of the search: each row's share and queue."""
    err.print(
        f"iteration {it.number} (epoch {it.epoch}): "
        + ", ".join(f"{100 * m.share:.1f} %/{m.waiting:,.0f}" for m in it.measured),
        highlight=False,
    )


def write_outcome(
    result: CalibrationResult, cmd: str, out: Path | None, report: Path | None
) -> None:
    """The fit report; then either what did not converge (exit 1, nothing written to
    ``out``) or the converged line and the calibrated scenario."""
    if report is not None:
        report.write_text(fit_report(result, cmd), encoding="utf-8")
        err.print(f"wrote {report}")
    if not result.converged:
        err.print(
            f"[bold red]not converged[/] after {len(result.iterations)} iterations "
            f"(tolerance {result.tolerance_pp:g} pp"
            + (f", {100 * result.tolerance_queue:g} % waiting" if result.fit_demand else "")
            + "):",
            highlight=False,
        )
        for line in result.failures():
            err.print(f"  {line}", highlight=False, markup=False)
        if out is not None:
            err.print(f"{out} not written.")
        raise typer.Exit(NOT_CONVERGED)
    console.print(
        f"[green]converged[/] in {len(result.iterations)} iterations: every row within "
        f"{result.tolerance_pp:g} pp"
        + (
            f" and {100 * result.tolerance_queue:g} % of the number waiting"
            if any(r.target.fit_demand for r in result.rows)
            else ""
        )
        + "."
    )
    if out is not None:
        out.write_text(calibrated_yaml(result, cmd), encoding="utf-8")
        err.print(f"wrote {out}")
