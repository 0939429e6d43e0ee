"""The ``remiss`` command line."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from api import cli_allocate, cli_bench, cli_estimate
from api.tables import comparison_table
from scenarios.loader import (
    LIBRARY_DIR,
    Overrides,
    ScenarioError,
    list_library,
    load_scenario,
    load_spec,
)
from scenarios.schema import Scenario
from simulering.runner import default_workers, simulate

USAGE_ERROR = 2

app = typer.Typer(
    name="remiss",
    help="Referral-queue simulation and allocation for a shared regional referral portal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scenarios_app = typer.Typer(help="The scenario library and file format.", no_args_is_help=True)
app.add_typer(scenarios_app, name="scenarios")
app.add_typer(cli_estimate.app, name="estimate")
app.add_typer(cli_allocate.app, name="allocate")
app.add_typer(cli_bench.app, name="bench")

console = Console()
err = Console(stderr=True)


def fail(message: str) -> None:
    """Print one clear error line and exit with the usage-error code."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(USAGE_ERROR)


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN and inf become null."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


@app.command("simulate")
def simulate_cmd(
    scenario: Annotated[str, typer.Argument(help="Scenario file, or a library scenario name")],
    policy: Annotated[
        list[str] | None, typer.Option("--policy", "-p", help="Policy to compare (repeatable)")
    ] = None,
    replications: Annotated[int | None, typer.Option(min=1, help="Replications")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed")] = None,
    horizon_days: Annotated[int | None, typer.Option(min=1, help="Simulated days")] = None,
    warmup_days: Annotated[int | None, typer.Option(min=0, help="Days before measuring")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Processes (default: one per core)")
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write results as JSON")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder for per-referral records (referrals.parquet)")
    ] = None,
) -> None:
    """Simulate a scenario under several policies and compare them with 95 % CIs."""
    try:
        sc, spec = load_spec(scenario, Overrides(horizon_days, warmup_days))
    except ScenarioError as exc:
        fail(str(exc))
        return
    policies = policy or sc.run.policies
    unknown = [p for p in policies if p not in _policy_names()]
    if unknown:
        fail(f"--policy: unknown policy {unknown[0]!r}; known: {', '.join(_policy_names())}")
    reps = replications or sc.run.replications
    root_seed = sc.run.seed if seed is None else seed
    n_workers = workers or default_workers()
    writer = None
    if out is not None:
        import pyarrow.parquet as pq

        out.mkdir(parents=True, exist_ok=True)
        records_path = out / "referrals.parquet"

    def on_records(table: Any) -> None:
        nonlocal writer
        if writer is None:
            writer = pq.ParquetWriter(records_path, table.schema)
        writer.write_table(table)

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(f"{sc.name}: {', '.join(policies)}", total=reps)
        result = simulate(
            spec,
            policies,
            root_seed,
            reps,
            workers=n_workers,
            progress=lambda done: bar.update(task, completed=done),
            on_records=on_records if out is not None else None,
        )
    if writer is not None:
        writer.close()
    for stage, label in (("first_visit", "First visit"), ("treatment", "Treatment")):
        if all(p["kpis"][stage]["completed"]["mean"] in (0, None) for p in result.values()):
            continue
        title = (
            f"{sc.title or sc.name} — {label} — {reps} replications, seed {root_seed}, "
            f"{spec.horizon_days - spec.warmup_days} days measured; mean [95 % CI]"
        )
        console.print(comparison_table(title, result, stage))
    if json_path is not None:
        doc = {
            "scenario": sc.name,
            "seed": root_seed,
            "replications": reps,
            "horizon_days": spec.horizon_days,
            "warmup_days": spec.warmup_days,
            "policies": result,
        }
        json_path.write_text(json.dumps(_clean(doc), ensure_ascii=False, indent=1))
        err.print(f"wrote {json_path}")
    if out is not None:
        err.print(f"wrote {out / 'referrals.parquet'}")


def _policy_names() -> list[str]:
    from simulering.policies import POLICIES

    return list(POLICIES)


@scenarios_app.command("list")
def scenarios_list() -> None:
    """The scenarios in the library."""
    from rich.table import Table

    table = Table(title=f"Scenario library ({LIBRARY_DIR})", title_justify="left")
    for col in ("name", "title", "policies"):
        table.add_column(col)
    for path in list_library():
        try:
            sc = load_scenario(path)
            table.add_row(sc.name, sc.title, ", ".join(sc.run.policies))
        except ScenarioError as exc:
            table.add_row(path.stem, f"[red]invalid: {exc.problem}[/]", "")
    console.print(table)


@scenarios_app.command("validate")
def scenarios_validate(
    file: Annotated[str, typer.Argument(help="Scenario file or library name")],
) -> None:
    """Check a scenario file; exit code 2 with the field path on error."""
    try:
        sc, spec = load_spec(file)
    except ScenarioError as exc:
        fail(str(exc))
        return
    console.print(
        f"[green]ok[/] {file}: {sc.name} — {spec.n_units} units, {spec.n_areas} areas, "
        f"{spec.daily_arrivals.sum() / spec.horizon_days * 365.25:,.0f} referrals a year, "
        f"{len(spec.pools)} capacity pools"
    )


@scenarios_app.command("schema")
def scenarios_schema() -> None:
    """Print the JSON Schema of scenario files."""
    sys.stdout.write(json.dumps(Scenario.model_json_schema(), ensure_ascii=False, indent=2) + "\n")


def main() -> None:
    """Console-script entry point."""
    app()
