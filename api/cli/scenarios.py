"""``remiss scenarios``: the scenario library and file format — ``list``, ``validate``,
``schema`` — and ``table``, a Markdown results table of a scenario, per stage.

The table's rows are the KPIs a planner reads, columns the policies, each cell the mean
over the replications with its 95 % confidence interval (the same numbers as ``remiss
simulate`` prints, computed once in :mod:`simulering.kpis` and summarised by
:mod:`simulering.runner`). The table ends with the exact command that made it, so a
README can show results that anyone can reproduce.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from allokering.domain import Stage
from api.cli.common import (
    HorizonDays,
    ScenarioArg,
    WarmupDays,
    fail,
    load_or_fail,
    stage_limits_of,
    warn,
)
from api.cli.console import console, err
from api.cli.progress import RunProgress
from api.cli.terminal_tables import (
    CROSS_REGION_KPIS,
    PRIORITY_KPIS,
    STAGE_WORDS,
    Summaries,
    cell,
    policy_header,
    priority_groups,
)
from scenarios.loader import (
    LIBRARY_DIR,
    ScenarioError,
    list_library,
    load_scenario,
    load_spec,
)
from scenarios.schema import Scenario
from simulering.catalogue import MARKDOWN, labelled
from simulering.results import NO_ESTIMATE
from simulering.runner import default_workers

app = typer.Typer(help="The scenario library and file format.", no_args_is_help=True)

MARKDOWN_ROWS: tuple[tuple[str, str, str], ...] = labelled(MARKDOWN, "markdown")
"""(KPI key, row label, number kind) in table order (:data:`simulering.catalogue.MARKDOWN`);
``{limit}`` is the stage's limit."""

TABLE_KPIS: tuple[tuple[str, str, str], ...] = tuple(
    row for row in MARKDOWN_ROWS if row[0] not in CROSS_REGION_KPIS
)
"""The rows always shown."""

CROSS_REGION_ROWS: tuple[tuple[str, str, str], ...] = tuple(
    row for row in MARKDOWN_ROWS if row[0] in CROSS_REGION_KPIS
)
"""Rows shown only when some policy has a value other than 0 (several-region files)."""


def markdown_table(policies: Summaries, stage: Stage, limit_days: int) -> str:
    """One row per KPI, one column per policy; cells ``mean [lo – hi]``; then rows per
    priority group (``P1 completed ≤ own limit``: each group's shares against its own
    limit, as :mod:`simulering.kpis` measures ``by_priority``)."""
    names = list(policies)
    lines = [
        "| KPI | " + " | ".join(policy_header(n) for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for key, label, kind in MARKDOWN_ROWS:
        summaries = [policies[p].kpis[stage].values.get(key, NO_ESTIMATE) for p in names]
        if key in CROSS_REGION_KPIS and all(e.mean in (None, 0) for e in summaries):
            continue
        cells = [cell(e, kind) for e in summaries]
        lines.append(f"| {label.format(limit=limit_days)} | " + " | ".join(cells) + " |")
    for g in priority_groups(policies, stage):
        for key, label, kind in PRIORITY_KPIS:
            cells = [
                cell(policies[p].kpis[stage].by_priority.get(g, {}).get(key, NO_ESTIMATE), kind)
                for p in names
            ]
            lines.append(f"| {g} {label.format(limit='own limit')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def command_line(
    scenario: str,
    policies: Sequence[str] | None,
    replications: int | None,
    seed: int | None,
    horizon_days: int | None,
    warmup_days: int | None,
    stage: str | None,
) -> str:
    """The ``remiss scenarios table`` command with the options that shape the table."""
    parts = ["remiss", "scenarios", "table", scenario]
    for p in policies or []:
        parts += ["--policy", p]
    for flag, value in (
        ("--replications", replications),
        ("--seed", seed),
        ("--horizon-days", horizon_days),
        ("--warmup-days", warmup_days),
        ("--stage", stage),
    ):
        if value is not None:
            parts += [flag, str(value)]
    return shlex.join(parts)


def render(
    title: str,
    policies: Summaries,
    stages: Sequence[Stage],
    limits: Mapping[Stage, int],
    settings: str,
    command: str,
) -> str:
    """The whole Markdown document: a heading line and a table per stage, then the
    command. A stage where no policy completed anything is left out unless asked for."""
    blocks: list[str] = []
    for stage in stages:
        blocks.append(f"**{title} — {STAGE_WORDS[stage]}** ({settings}; mean [95 % CI])")
        blocks.append(markdown_table(policies, stage, limits[stage]))
    blocks.append(f"Made with: `{command}`")
    return "\n\n".join(blocks) + "\n"


TablePolicyOpt = Annotated[
    list[str] | None,
    typer.Option("--policy", "-p", help="Policy column (repeatable; default: the file's)"),
]
ReplicationsOpt = Annotated[int | None, typer.Option(min=1, help="Replications")]
SeedOpt = Annotated[int | None, typer.Option(min=0, help="Root seed")]
StageOpt = Annotated[
    Stage | None, typer.Option(help="Only this stage (default: every stage with activity)")
]
TableWorkersOpt = Annotated[
    int | None,
    typer.Option(min=1, help="Worker processes (default: one per core; same results)"),
]
OutOpt = Annotated[Path | None, typer.Option(help="Also write the Markdown to this file")]


@app.command("table")
def table_command(
    scenario: ScenarioArg,
    policy: TablePolicyOpt = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    horizon_days: HorizonDays = None,
    warmup_days: WarmupDays = None,
    stage: StageOpt = None,
    workers: TableWorkersOpt = None,
    out: OutOpt = None,
) -> None:
    """Run a scenario under its policies and print a Markdown KPI table per stage
    (mean and 95 % CI per policy), followed by the command that made it."""
    experiment = load_or_fail(
        scenario,
        horizon_days=horizon_days,
        warmup_days=warmup_days,
        policies=policy,
        replications=replications,
        seed=seed,
    )
    sc, spec, plan = experiment.scenario, experiment.spec, experiment.plan
    if len(set(plan.policies)) != len(plan.policies):
        fail("--policy: each policy may be given once")
    reps, root_seed = plan.replications, plan.seed
    with RunProgress(f"{sc.name}: {', '.join(plan.policies)}", reps) as shown:
        run = experiment.run(workers=workers or default_workers(), progress=shown.update)
    result = run.policies
    stages = [stage] if stage is not None else active_stages(result)
    measured = spec.horizon_days - spec.warmup_days
    settings = (
        f"{reps} replication{'s' if reps != 1 else ''}, seed {root_seed}, "
        f"{measured} days measured after {spec.warmup_days} days warm-up"
    )
    limits = stage_limits_of(spec)
    command = command_line(
        scenario,
        policy,
        replications,
        seed,
        horizon_days,
        warmup_days,
        stage.value if stage is not None else None,
    )
    text = render(sc.title or sc.name, result, stages, limits, settings, command)
    typer.echo(text, nl=False)
    if out is not None:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"--out: cannot write {out}: {exc}")
        err.print(f"wrote {out}")
    warn(run.warnings)


def active_stages(policies: Summaries) -> list[Stage]:
    """The stages where some policy completed anything, in table order."""
    return [
        s
        for s in Stage
        if any(p.kpis[s]["completed"].mean not in (0, None) for p in policies.values())
    ]


@app.command("list")
def scenarios_list() -> None:
    """The scenarios in the library."""
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


@app.command("validate")
def scenarios_validate(
    file: Annotated[str, typer.Argument(help="Scenario file or library name")],
) -> None:
    """Check a scenario file; exit code 2 with the field path on error."""
    try:
        sc, spec = load_spec(file)
    except ScenarioError as exc:
        fail(str(exc))
    console.print(
        f"[green]ok[/] {file}: {sc.name} — {spec.n_units} units, {spec.n_areas} areas, "
        f"{spec.daily_arrivals.sum() / spec.horizon_days * 365.25:,.0f} referrals a year, "
        f"{len(spec.pools)} capacity pools"
    )


@app.command("schema")
def scenarios_schema() -> None:
    """Print the JSON Schema of scenario files."""
    sys.stdout.write(json.dumps(Scenario.model_json_schema(), ensure_ascii=False, indent=2) + "\n")
