"""``remiss allocate``: solve an allocation problem file, or generate one.

    remiss allocate [solve] PROBLEM.json [--solver auto|flow|cpsat|greedy|greedy_home|greedy_edd]
                                         [--time-limit S] [--out RESULT.json] [--reasons]
    remiss allocate generate --referrals N --units U --weeks H --seed S --out F

Bad input ends with one clear message naming the file and the field path, exit code 2.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table
from typer.core import TyperGroup

if TYPE_CHECKING:
    from allokering.generate import AreaSite

from allokering.file_plan import plan_arrays, plan_rows
from allokering.problem import AllocationResult, gc_paused
from allokering.read import read_problem
from allokering.result_json import row_tails, write_result
from allokering.solve import SOLVERS, SolverError
from allokering.validate import ValidationReport, validate_rows
from api.cli.console import console, err
from api.cli.console import error as fail  # exit code 2; api.cli.common loads the simulator

MAX_SHOWN = 10


class _ProblemOrCommand(TyperGroup):
    """A group whose first argument is either a subcommand or a PROBLEM file.

    ``remiss allocate generate ...`` runs ``generate``; ``remiss allocate x.json ...``
    runs the ``solve`` command with ``x.json`` (listed in the help as such).
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own Context
        first = next((a for a in args if not a.startswith("-")), None)
        wants_help = any(a in ("--help", "-h") for a in args) and first is None
        if first is not None and first not in self.commands and not wants_help:
            args = ["solve", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_ProblemOrCommand,
    help="Allocate waiting referrals to units and weeks (solve PROBLEM.json, or just "
    "PROBLEM.json), or generate a problem (generate).",
    no_args_is_help=True,
    add_completion=False,
)


def format_loc(loc: Sequence[int | str]) -> str:
    """``("referrals", 3, "area")`` → ``referrals[3].area``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def validation_message(path: Path, exc: ValidationError) -> str:
    """One message listing the field paths and what was wrong."""
    errs = exc.errors(include_url=False)
    lines = [f"{path}: {len(errs)} invalid field(s)"]
    for e in errs[:MAX_SHOWN]:
        lines.append(f"  {format_loc(e['loc'])}: {e['msg']}")
    if len(errs) > MAX_SHOWN:
        lines.append(f"  ... and {len(errs) - MAX_SHOWN} more")
    return "\n".join(lines)


SolverOpt = Annotated[
    str,
    typer.Option(
        metavar="|".join(SOLVERS),
        help="auto: flow (exact, proven optimal), or cpsat when the problem sets side "
        "constraints (session minutes, external share, area floors); greedy = greedy_edd.",
        show_default="auto: flow, or cpsat with side constraints",
    ),
]


@app.command("solve")
def solve_command(
    problem: Annotated[Path, typer.Argument(help="Problem JSON file.", show_default=False)],
    solver: SolverOpt = "auto",
    time_limit: Annotated[
        float | None, typer.Option(help="Seconds (cpsat).", show_default=False)
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Result JSON (default: PROBLEM.result.json).", show_default=False),
    ] = None,
    reasons: Annotated[
        bool,
        typer.Option(
            "--reasons/--no-reasons",
            help="Write a coordinator reason per placement (else the reasons are empty).",
        ),
    ] = False,
) -> None:
    """Solve PROBLEM.json, print a summary and write the result JSON (remiss allocate
    PROBLEM.json does the same)."""
    try:
        prob = read_problem(problem)
    except OSError as exc:
        fail(f"{problem}: cannot read ({exc.strerror or exc})")
    except ValidationError as exc:
        fail(validation_message(problem, exc))
    try:
        plan = plan_arrays(prob, solver, time_limit)
    except SolverError as exc:
        fail(f"{problem}: {exc}")
    report = validate_rows(prob, plan.summary, plan_rows(plan))
    target = out or problem.with_name(problem.name.removesuffix(".json") + ".result.json")
    try:
        with gc_paused():
            tails = row_tails(plan.compiled, plan.unit, plan.week, reasons=reasons)
            with target.open("w", encoding="utf-8") as f:
                write_result(f, plan.summary, plan.compiled, plan.unit, tails)
    except OSError as exc:
        fail(f"{target}: cannot write ({exc.strerror or exc})")
    n_placed = len(tails.placed)
    table = summary_table(problem.name, len(prob.referrals), plan.summary, report, n_placed)
    console.print(table)
    console.print(f"result written to {target}")
    if not report.ok:
        for line in report.errors[:MAX_SHOWN]:
            err.print(f"[red]validation:[/] {line}", highlight=False)
        raise typer.Exit(1)


def summary_table(
    name: str,
    n_referrals: int,
    result: AllocationResult,
    report: ValidationReport,
    n_placed: int | None = None,
) -> Table:
    """The human summary of a result (``n_placed``: when its rows are not in it)."""
    table = Table(title=f"remiss allocate · {name}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    obj = result.objective
    placed = len(result.assignments) if n_placed is None else n_placed
    rows: list[tuple[str, Any]] = [
        ("status", result.status.value),
        ("solver", result.solver),
        ("referrals", f"{n_referrals:,}"),
        ("placed / unassigned", f"{placed:,} / {n_referrals - placed:,}"),
        ("cost", f"{result.cost:,}" if result.cost is not None else "–"),
        ("lower bound", f"{result.lower_bound:,}" if result.lower_bound is not None else "–"),
        ("gap", f"{100 * result.gap:.3f} %" if result.gap is not None else "–"),
    ]
    if obj is not None:
        mean_wait = obj.total_wait_days / n_referrals if n_referrals else 0.0
        rows += [
            ("guarantee breaches", f"{obj.breaches:,}"),
            ("total wait (days)", f"{obj.total_wait_days:,} (mean {mean_wait:.1f})"),
            ("total travel (km)", f"{obj.total_travel_km:,}"),
            ("moved bookings", f"{obj.moves:,}"),
        ]
    rows += [
        ("solve time", f"{result.solve_seconds:.3f} s"),
        ("validation", "ok" if report.ok else f"FAILED ({report.n_errors} errors)"),
    ]
    if result.message:
        rows.append(("message", result.message))
    for key, value in rows:
        table.add_row(key, str(value))
    return table


def read_areas_csv(path: Path) -> list[AreaSite]:
    """Areas from a ``kod,kommun,...,befolkning,lat,lon`` CSV (vgr_kommuner.csv)."""
    from allokering.generate import AreaSite  # lazy: solving a file never needs it

    areas: list[AreaSite] = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        need = {"kod", "kommun", "befolkning", "lat", "lon"}
        missing = need - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            try:
                areas.append(
                    AreaSite(
                        id=row["kod"].strip(),
                        name=row["kommun"].strip(),
                        population=int(row["befolkning"]),
                        lat=float(row["lat"]),
                        lon=float(row["lon"]),
                    )
                )
            except (TypeError, ValueError) as exc:
                raise ValueError(f"line {line}: {exc}") from None
    if not areas:
        raise ValueError("no areas")
    return areas


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option(help="Problem JSON to write.", show_default=False)],
    referrals: Annotated[int, typer.Option(min=0, help="Waiting referrals.")] = 10_000,
    units: Annotated[int, typer.Option(min=1, help="Units.")] = 40,
    weeks: Annotated[int, typer.Option(min=1, max=520, help="Horizon H in weeks.")] = 26,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 1,
    capacity_ratio: Annotated[
        float, typer.Option(min=0.0, help="Slots over the horizon per waiting referral.")
    ] = 1.0,
    areas_csv: Annotated[
        Path | None,
        typer.Option(
            help="Areas CSV (vgr_kommuner.csv format; default: the municipalities of "
            "scenarios/regioner/vgr.yaml).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write a realistic VGR instance (summer dip, mixed priorities, late backlog)."""
    # lazy: the generator and the region file are only needed here (CLI start-up)
    from allokering.generate import generate
    from scenarios.geography import VGR_UNIT_SITES, vgr_areas

    areas: Sequence[AreaSite]
    if areas_csv is None:
        areas = vgr_areas()
    else:
        try:
            areas = read_areas_csv(areas_csv)
        except OSError as exc:
            fail(f"{areas_csv}: cannot read ({exc.strerror or exc})")
        except ValueError as exc:
            fail(f"{areas_csv}: {exc}")
    problem = generate(
        referrals,
        areas,
        VGR_UNIT_SITES,
        n_units=units,
        weeks=weeks,
        seed=seed,
        capacity_ratio=capacity_ratio,
    )
    try:
        with gc_paused():
            out.write_text(problem.model_dump_json(exclude_defaults=True), encoding="utf-8")
    except OSError as exc:
        fail(f"{out}: cannot write ({exc.strerror or exc})")
    console.print(
        f"wrote {out}: {referrals:,} referrals, {units} units, {weeks} weeks, "
        f"{len(areas)} areas, seed {seed}"
    )


def main() -> None:  # pragma: no cover - convenience entry point
    """Run the allocate app on its own."""
    app()


__all__ = ["app", "format_loc", "read_areas_csv", "validation_message"]
