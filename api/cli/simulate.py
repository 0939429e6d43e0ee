"""``remiss simulate``: a scenario under several policies, compared with 95 % CIs and
paired against the first policy; terminal tables, and on request the JSON document,
the per-referral records (Parquet) and the HTML report.

The report's modules (Plotly) are imported only when ``--report`` asks for one: lazy
loading, since they add about 0.1 s to every start of ``remiss``.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pyarrow.parquet as pq
import typer
from rich.markup import escape

from api.cli.common import (
    ExecutorName,
    HorizonDays,
    ScenarioArg,
    WarmupDays,
    Workers,
    check_policies,
    console,
    err,
    load_or_fail,
    open_or_fail,
    progress_bar,
    resolve_executor,
    stage_limits_of,
    warn,
)
from api.cli.terminal_tables import comparison_table, opposite_lines, paired_table, priority_table
from api.documents import simulation_document
from scenarios.loader import Overrides, load_region, resolve_scenario_path
from scenarios.schema import Scenario
from simulering.runner import SimulationResult, run_simulation
from simulering.spec import ModelSpec


class Language(StrEnum):
    """Report language."""

    sv = "sv"
    en = "en"


class RecordsFile:
    """``DIR/referrals.parquet``, written a table at a time as replications finish."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "referrals.parquet"
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: Any) -> None:
        """Append one policy-replication's records."""
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)

    def close(self) -> None:
        """Finish the file (nothing when no table came)."""
        if self._writer is not None:
            self._writer.close()


def simulate_cmd(
    scenario: ScenarioArg,
    policy: Annotated[
        list[str] | None, typer.Option("--policy", "-p", help="Policy to compare (repeatable)")
    ] = None,
    replications: Annotated[int | None, typer.Option(min=1, help="Replications")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed")] = None,
    horizon_days: HorizonDays = None,
    warmup_days: WarmupDays = None,
    workers: Workers = None,
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
    check_policies(policies)
    reps = replications or sc.run.replications
    root_seed = sc.run.seed if seed is None else seed
    kind = resolve_executor(executor, workers, dask_address)
    records = RecordsFile(out) if out is not None else None

    with progress_bar() as bar:
        task = bar.add_task(f"{sc.name}: {', '.join(policies)}", total=reps)
        with open_or_fail(kind, workers, dask_address) as ex:
            run = run_simulation(
                spec,
                policies,
                root_seed,
                reps,
                progress=lambda done: bar.update(task, completed=done),
                on_records=records.write if records is not None else None,
                executor=ex,
            )
    if records is not None:
        records.close()
    print_tables(sc, spec, run, policies, reps, root_seed)
    doc = simulation_document(sc.name, spec, root_seed, reps, list(set_ or []), kind, run)
    warn(run.warnings)
    if json_path is not None:
        json_path.write_text(json.dumps(doc, ensure_ascii=False, indent=1))
        err.print(f"wrote {json_path}")
    if records is not None:
        err.print(f"wrote {records.path}")
    if report is not None:
        write_html_report(doc, sc, scenario, report, lang)
        err.print(f"wrote {report}")


def write_html_report(
    doc: dict[str, Any], sc: Scenario, scenario: str, path: Path, lang: Language
) -> None:
    """The self-contained HTML report of a result document (Plotly, loaded lazily)."""
    from api.report_context import report_context
    from simulering.report import write_report

    region = load_region(sc, resolve_scenario_path(scenario))
    write_report(doc, report_context(sc, region), path, lang.value)


def print_tables(
    sc: Scenario,
    spec: ModelSpec,
    run: SimulationResult,
    policies: list[str],
    reps: int,
    root_seed: int,
) -> None:
    """Per stage with activity: the KPI table, the per-priority table and the paired
    differences; then the notes where a share and the mean wait disagree."""
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
