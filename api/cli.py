"""The ``remiss`` command line."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from api import cli_allocate, cli_bench, cli_estimate, cli_serve
from api.cli_calibrate import calibrate_command
from api.cli_target import target_command
from api.documents import simulation_document
from api.tables import comparison_table, opposite_lines, paired_table, priority_table
from scenarios.loader import (
    LIBRARY_DIR,
    Overrides,
    ScenarioError,
    list_library,
    load_scenario,
    load_spec,
)
from scenarios.overrides import OverrideError, load_spec_with
from scenarios.schema import Scenario
from simulering.executors import open_executor
from simulering.runner import run_simulation
from simulering.spec import ModelSpec

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
app.command("serve")(cli_serve.serve)
app.add_typer(cli_serve.db_app, name="db")
app.add_typer(cli_serve.key_app, name="apikey")

console = Console()
err = Console(stderr=True)


def fail(message: str) -> None:
    """Print one clear error line and exit with the usage-error code."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(USAGE_ERROR)


class ExecutorName(StrEnum):
    """Where replications run."""

    serial = "serial"
    process = "process"
    dask = "dask"


class Language(StrEnum):
    """Report language."""

    sv = "sv"
    en = "en"


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
        int | None,
        typer.Option(min=1, help="Worker processes (default: one per core; 1 runs serially)"),
    ] = None,
    executor: Annotated[
        ExecutorName | None,
        typer.Option(
            help="Where replications run: serial, process (local pool, the default) or dask"
        ),
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler, tcp://HOST:PORT (with --executor dask; default: a "
            "LocalCluster with --workers workers)"
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a scenario field, PATH=VALUE (repeatable): "
            "units[su_ostra].first_visit.slots_per_week=40, demand.referrals_per_year=+10%",
        ),
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write results as JSON")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder for per-referral records (referrals.parquet)")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write a self-contained HTML report (Plotly)")
    ] = None,
    lang: Annotated[Language, typer.Option(help="Report language: sv or en")] = Language.sv,
) -> None:
    """Simulate a scenario under several policies and compare them with 95 % CIs,
    paired against the first policy (common random numbers)."""
    sc, spec = load_or_fail(scenario, set_ or [], Overrides(horizon_days, warmup_days))
    policies = policy or sc.run.policies
    unknown = [p for p in policies if p not in _policy_names()]
    if unknown:
        fail(f"--policy: unknown policy {unknown[0]!r}; known: {', '.join(_policy_names())}")
    reps = replications or sc.run.replications
    root_seed = sc.run.seed if seed is None else seed
    kind = resolve_executor(executor, workers, dask_address)
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

    with progress_bar() as bar:
        task = bar.add_task(f"{sc.name}: {', '.join(policies)}", total=reps)
        with open_or_fail(kind, workers, dask_address) as ex:
            run = run_simulation(
                spec,
                policies,
                root_seed,
                reps,
                progress=lambda done: bar.update(task, completed=done),
                on_records=on_records if out is not None else None,
                executor=ex,
            )
    if writer is not None:
        writer.close()
    result = run.policies
    measured = spec.horizon_days - spec.warmup_days
    stage_limits = stage_limits_of(spec)
    for s, (stage, label) in enumerate(
        (("first_visit", "First visit"), ("treatment", "Treatment"))
    ):
        if all(p["kpis"][stage]["completed"]["mean"] in (0, None) for p in result.values()):
            continue
        title = (
            f"{sc.title or sc.name} — {label} — {reps} replications, seed {root_seed}, "
            f"{measured} days measured; mean [95 % CI]"
        )
        console.print(comparison_table(title, result, stage))
        by_priority = priority_table(
            f"{label} — by priority group (shares against each group's own limit); mean [95 % CI]",
            result,
            stage,
            {g: int(spec.priority_limit[i, s]) for i, g in enumerate(spec.priority_names)},
        )
        if by_priority is not None:
            console.print(by_priority)
        if len(policies) > 1:
            console.print(
                paired_table(
                    f"{label} — paired differences against {policies[0]} (same patients in "
                    "every replication); better = significant at 95 %",
                    run.paired,
                    stage,
                )
            )
    if len(policies) > 1:
        for line in opposite_lines(run.paired, stage_limits):
            console.print(f"[yellow]note:[/] {escape(line)}", highlight=False, soft_wrap=True)
    doc = simulation_document(sc.name, spec, root_seed, reps, list(set_ or []), kind, run)
    warn(run.warnings)
    if json_path is not None:
        json_path.write_text(json.dumps(doc, ensure_ascii=False, indent=1))
        err.print(f"wrote {json_path}")
    if out is not None:
        err.print(f"wrote {out / 'referrals.parquet'}")
    if report is not None:
        from api.report_context import report_context
        from scenarios.loader import load_region, resolve_scenario_path
        from simulering.report import write_report

        region = load_region(sc, resolve_scenario_path(scenario))
        write_report(doc, report_context(sc, region), report, lang.value)
        err.print(f"wrote {report}")


def warn(lines: list[str]) -> None:
    """Each warning as one line on stderr."""
    for line in lines:
        err.print(f"[bold yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)


def stage_limits_of(spec: ModelSpec) -> dict[str, int]:
    """The guarantee limit of each stage, days."""
    return {"first_visit": int(spec.guarantee_days[0]), "treatment": int(spec.guarantee_days[1])}


def progress_bar() -> Progress:
    """The per-replication progress bar on stderr (hidden when not a terminal)."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def load_or_fail(
    scenario: str, assignments: list[str], overrides: Overrides
) -> tuple[Scenario, ModelSpec]:
    """Load a scenario with ``--set`` assignments; one error line and exit 2 on failure."""
    try:
        return load_spec_with(scenario, assignments, overrides)
    except (ScenarioError, OverrideError) as exc:
        fail(str(exc))
        raise  # unreachable: fail exits


def resolve_executor(
    executor: ExecutorName | str | None, workers: int | None, dask_address: str | None
) -> str:
    """The executor name: as given; ``dask`` when only an address is; else ``serial``
    for ``--workers 1`` and ``process`` otherwise."""
    if executor is not None:
        kind = str(executor.value if isinstance(executor, ExecutorName) else executor)
    elif dask_address:
        kind = "dask"
    else:
        kind = "serial" if workers == 1 else "process"
    if dask_address and kind != "dask":
        fail(f"--dask-address needs --executor dask (got --executor {kind})")
    return kind


def open_or_fail(kind: str, workers: int | None, dask_address: str | None) -> Any:
    """Open the executor; a cluster that cannot be reached is one error line, exit 2."""
    try:
        return open_executor(kind, workers, dask_address)
    except (OSError, TimeoutError, ValueError) as exc:
        where = f" at {dask_address}" if dask_address else ""
        fail(f"--executor {kind}: cannot start or reach the executor{where}: {exc}")
        raise  # unreachable


app.command("target")(target_command)

from api.cli_scenario_table import table_command  # noqa: E402  (after scenarios_app)

scenarios_app.command("table")(table_command)
app.command("calibrate")(calibrate_command)


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


if __name__ == "__main__":
    main()
