"""``remiss scenarios table``: a Markdown results table of a scenario, per stage.

Rows are the KPIs a planner reads, columns the policies, each cell the mean over the
replications with its 95 % confidence interval (the same numbers as ``remiss simulate``
prints, computed once in :mod:`simulering.kpis` and summarised by
:mod:`simulering.runner`). The table ends with the exact command that made it, so a
README can show results that anyone can reproduce.

Register with ``scenarios_app.command("table")(table_command)``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from api.tables import CROSS_REGION_KPIS, PRIORITY_KPIS, cell, policy_header, priority_groups
from simulering.catalogue import MARKDOWN, labelled

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

MISSING: dict[str, Any] = {"mean": None, "ci95": [None, None]}
"""A KPI a policy's summary lacks (printed as a dash)."""

STAGE_LABELS = {"first_visit": "first visit", "treatment": "treatment"}


class StageName(StrEnum):
    """A stage of the pathway."""

    first_visit = "first_visit"
    treatment = "treatment"


def markdown_table(
    policies: dict[str, Any],
    stage: str,
    limit_days: int,
) -> str:
    """One row per KPI, one column per policy; cells ``mean [lo – hi]``; then rows per
    priority group (``P1 completed ≤ own limit``: each group's shares against its own
    limit, as :mod:`simulering.kpis` measures ``by_priority``)."""
    names = list(policies)
    lines = [
        "| KPI | " + " | ".join(policy_header(n) for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for key, label, kind in MARKDOWN_ROWS:
        if key in CROSS_REGION_KPIS:
            means = [policies[p]["kpis"][stage].get(key, {}).get("mean") for p in names]
            if all(m in (None, 0) for m in means):
                continue
        cells = [cell(policies[p]["kpis"][stage].get(key, MISSING), kind) for p in names]
        lines.append(f"| {label.format(limit=limit_days)} | " + " | ".join(cells) + " |")
    for g in priority_groups(policies, stage):
        for key, label, kind in PRIORITY_KPIS:
            cells = [
                cell(
                    (policies[p]["kpis"][stage].get("by_priority") or {})
                    .get(g, {})
                    .get(key, MISSING),
                    kind,
                )
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
    policies: dict[str, Any],
    stages: Sequence[str],
    limits: dict[str, int],
    settings: str,
    command: str,
) -> str:
    """The whole Markdown document: a heading line and a table per stage, then the
    command. A stage where no policy completed anything is left out unless asked for."""
    blocks: list[str] = []
    for stage in stages:
        blocks.append(f"**{title} — {STAGE_LABELS[stage]}** ({settings}; mean [95 % CI])")
        blocks.append(markdown_table(policies, stage, limits[stage]))
    blocks.append(f"Made with: `{command}`")
    return "\n\n".join(blocks) + "\n"


def table_command(
    scenario: Annotated[str, typer.Argument(help="Scenario file, or a library scenario name")],
    policy: Annotated[
        list[str] | None,
        typer.Option("--policy", "-p", help="Policy column (repeatable; default: the file's)"),
    ] = None,
    replications: Annotated[int | None, typer.Option(min=1, help="Replications")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed")] = None,
    horizon_days: Annotated[int | None, typer.Option(min=1, help="Simulated days")] = None,
    warmup_days: Annotated[int | None, typer.Option(min=0, help="Days before measuring")] = None,
    stage: Annotated[
        StageName | None, typer.Option(help="Only this stage (default: every stage with activity)")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes (default: one per core; same results)"),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the Markdown to this file")] = None,
) -> None:
    """Run a scenario under its policies and print a Markdown KPI table per stage
    (mean and 95 % CI per policy), followed by the command that made it."""
    from api.cli import _policy_names, err, fail, load_or_fail, progress_bar, warn
    from scenarios.loader import Overrides
    from simulering.runner import default_workers, run_simulation

    sc, spec = load_or_fail(scenario, [], Overrides(horizon_days, warmup_days))
    policies = list(policy or sc.run.policies)
    known = _policy_names()
    unknown = [p for p in policies if p not in known]
    if unknown:
        fail(f"--policy: unknown policy {unknown[0]!r}; known: {', '.join(known)}")
    if len(set(policies)) != len(policies):
        fail("--policy: each policy may be given once")
    reps = replications or sc.run.replications
    root_seed = sc.run.seed if seed is None else seed
    with progress_bar() as bar:
        task = bar.add_task(f"{sc.name}: {', '.join(policies)}", total=reps)
        run = run_simulation(
            spec,
            policies,
            root_seed,
            reps,
            workers=workers or default_workers(),
            progress=lambda done: bar.update(task, completed=done),
        )
    result = run.policies
    if stage is not None:
        stages = [stage.value]
    else:
        stages = [
            s
            for s in STAGE_LABELS
            if any(p["kpis"][s]["completed"]["mean"] not in (0, None) for p in result.values())
        ]
    measured = spec.horizon_days - spec.warmup_days
    settings = (
        f"{reps} replication{'s' if reps != 1 else ''}, seed {root_seed}, "
        f"{measured} days measured after {spec.warmup_days} days warm-up"
    )
    limits = {"first_visit": spec.guarantee_days[0], "treatment": spec.guarantee_days[1]}
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
