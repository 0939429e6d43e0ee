"""``remiss simulate``: a scenario under several policies, compared with 95 % CIs and
paired against the first policy; terminal tables, and on request the JSON document,
the per-referral records (Parquet) and the HTML report.

The report's modules (Plotly) are imported only when ``--report`` asks for one, and
Parquet only when ``--out`` does: lazy loading, since they add about 0.15 s to every
start of ``remiss``.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from allokering.domain import Stage
from api.cli.common import (
    ExecutorName,
    HorizonDays,
    ScenarioArg,
    SetAssignments,
    WarmupDays,
    Workers,
    load_or_fail,
    open_or_fail,
    resolve_executor,
    stage_limits_of,
    warn,
)
from api.cli.console import console, err
from api.cli.progress import RunProgress
from api.cli.terminal_tables import comparison_table, opposite_lines, paired_table, priority_table
from scenarios.experiment import Experiment
from simulering.results import SimulationResult

if TYPE_CHECKING:
    import pyarrow.parquet as pq


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
            import pyarrow.parquet as pq

            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)

    def close(self) -> None:
        """Finish the file (nothing when no table came)."""
        if self._writer is not None:
            self._writer.close()


PolicyOpt = Annotated[
    list[str] | None, typer.Option("--policy", "-p", help="Policy to compare (repeatable)")
]
ReplicationsOpt = Annotated[int | None, typer.Option(min=1, help="Replications")]
SeedOpt = Annotated[int | None, typer.Option(min=0, help="Root seed")]
ExecutorOpt = Annotated[
    ExecutorName | None,
    typer.Option(help="Where replications run: serial, process (local pool, the default) or dask"),
]
DaskAddressOpt = Annotated[
    str | None,
    typer.Option(
        help="Dask scheduler, tcp://HOST:PORT (with --executor dask; default: a "
        "LocalCluster with --workers workers)"
    ),
]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="Write results as JSON")]
OutOpt = Annotated[
    Path | None,
    typer.Option(metavar="DIR", help="Folder for per-referral records (referrals.parquet)"),
]
ReportOpt = Annotated[Path | None, typer.Option(help="Write a self-contained HTML report (Plotly)")]
LangOpt = Annotated[Language, typer.Option(help="Report language: sv or en")]


def simulate_cmd(
    scenario: ScenarioArg,
    policy: PolicyOpt = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    horizon_days: HorizonDays = None,
    warmup_days: WarmupDays = None,
    workers: Workers = None,
    executor: ExecutorOpt = None,
    dask_address: DaskAddressOpt = None,
    set_: SetAssignments = None,
    json_path: JsonOpt = None,
    out: OutOpt = None,
    report: ReportOpt = None,
    lang: LangOpt = Language.sv,
) -> None:
    """Simulate a scenario under several policies and compare them with 95 % CIs,
    paired against the first policy (common random numbers)."""
    experiment = load_or_fail(
        scenario,
        set_ or [],
        horizon_days=horizon_days,
        warmup_days=warmup_days,
        policies=policy,
        replications=replications,
        seed=seed,
    )
    plan = experiment.plan
    kind = resolve_executor(executor, workers, dask_address)
    records = RecordsFile(out) if out is not None else None

    described = f"{experiment.name}: {', '.join(plan.policies)}"
    with (
        RunProgress(described, plan.replications) as shown,
        open_or_fail(kind, workers, dask_address) as ex,
    ):
        run = experiment.run(
            executor=ex,
            progress=shown.update,
            on_records=records.write if records is not None else None,
        )
    if records is not None:
        records.close()
    print_tables(experiment, run)
    warn(run.warnings)
    write_outputs(run, experiment, json_path, records, report, lang)


def write_outputs(
    run: SimulationResult,
    experiment: Experiment,
    json_path: Path | None,
    records: RecordsFile | None,
    report: Path | None,
    lang: Language,
) -> None:
    """The JSON document, the records and the HTML report that were asked for."""
    if json_path is not None:
        json_path.write_text(json.dumps(run.to_document(), ensure_ascii=False, indent=1))
        err.print(f"wrote {json_path}")
    if records is not None:
        err.print(f"wrote {records.path}")
    if report is not None:
        write_html_report(run, experiment, report, lang)
        err.print(f"wrote {report}")


def write_html_report(
    run: SimulationResult, experiment: Experiment, path: Path, lang: Language
) -> None:
    """The self-contained HTML report of a run (Plotly, loaded lazily)."""
    from api.report_context import report_context
    from simulering.report import write_report

    write_report(run, report_context(experiment.scenario, experiment.region), path, lang.value)


STAGE_TITLES = {Stage.FIRST_VISIT: "First visit", Stage.TREATMENT: "Treatment"}


def print_tables(experiment: Experiment, run: SimulationResult) -> None:
    """Per stage with activity: the KPI table, the per-priority table and the paired
    differences; then the notes where a share and the mean wait disagree."""
    spec, sc, plan = experiment.spec, experiment.scenario, experiment.plan
    result = run.policies
    measured = spec.horizon_days - spec.warmup_days
    for s, stage in enumerate(Stage):
        label = STAGE_TITLES[stage]
        if all(p.kpis[stage]["completed"].mean in (0, None) for p in result.values()):
            continue
        title = (
            f"{sc.title or sc.name} — {label} — {plan.replications} replications, "
            f"seed {plan.seed}, {measured} days measured; mean [95 % CI]"
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
        if len(plan.policies) > 1:
            console.print(
                paired_table(
                    f"{label} — paired differences against {plan.policies[0]} (same patients "
                    "in every replication); better = significant at 95 %",
                    run.paired,
                    stage,
                )
            )
    if len(plan.policies) > 1:
        for line in opposite_lines(run.paired, stage_limits_of(spec)):
            console.print(f"[yellow]note:[/] {escape(line)}", highlight=False, soft_wrap=True)
