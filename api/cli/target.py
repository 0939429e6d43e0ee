"""``remiss target``: the smallest capacity increase that reaches a KPI goal.

The search lives in :mod:`simulering.target`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.common import (
    HorizonDays,
    ScenarioArg,
    SetAssignments,
    WarmupDays,
    fail,
    load_or_fail,
    open_or_fail,
    progress_bar,
    resolve_executor,
    warn,
)
from api.cli.console import console, err
from simulering.kpis import KPI_RANGE
from simulering.paired import KPI_DIRECTION
from simulering.results import json_safe, warnings_for
from simulering.target import STAGE_NAMES, Evaluation, TargetResult, search_target, unit_indices


def _fmt(x: float | None, kpi: str) -> str:
    if x is None:
        return "–"
    return f"{100 * x:.1f} %" if KPI_RANGE.get(kpi) == "share" else f"{x:.2f}"


def _eval_cell(e: Evaluation | None, kpi: str) -> str:
    if e is None:
        return "–"
    lo, hi = e.ci95
    return f"{_fmt(e.mean, kpi)} [{_fmt(lo, kpi)} – {_fmt(hi, kpi)}]"


def result_table(r: TargetResult, title: str) -> Table:
    """The evaluations in multiplier order, the answer marked."""
    table = Table(title=title, title_justify="left")
    table.add_column("capacity ×", justify="right")
    table.add_column(f"{r.kpi} ({r.stage}) mean [95 % CI]", justify="right")
    table.add_column("reaches goal")
    for e in sorted(r.evaluations, key=lambda e: e.multiplier):
        mark = " ← answer" if r.multiplier is not None and e.multiplier == r.multiplier else ""
        table.add_row(
            f"{e.multiplier:.2f}",
            _eval_cell(e, r.kpi),
            ("[green]yes[/]" if e.reached else "[red]no[/]") + mark,
        )
    return table


def check_options(kpi: str, stage: str, criterion: str) -> None:
    """``--kpi`` must be known and have a better direction; ``--stage`` and
    ``--criterion`` known."""
    if kpi not in KPI_DIRECTION:
        fail(f"--kpi: unknown KPI {kpi!r}; known: {', '.join(KPI_DIRECTION)}")
    if KPI_DIRECTION[kpi] is None:
        fail(f"--kpi: {kpi!r} has no better direction (neither higher nor lower is better)")
    if stage not in STAGE_NAMES:
        fail(f"--stage: unknown stage {stage!r}; known: {', '.join(STAGE_NAMES)}")
    if criterion not in ("mean", "ci"):
        fail(f"--criterion: {criterion!r}; use mean or ci")


def target_command(
    scenario: ScenarioArg,
    goal: Annotated[float, typer.Option(help="The KPI value to reach, e.g. 0.9")],
    policy: Annotated[
        str | None, typer.Option("--policy", "-p", help="Policy (default: the scenario's first)")
    ] = None,
    kpi: Annotated[
        str, typer.Option(help="KPI to reach (higher- or lower-is-better KPIs)")
    ] = "share_waiting_within_guarantee",
    stage: Annotated[
        str, typer.Option(help="Stage whose KPI is measured and capacity scaled")
    ] = "first_visit",
    units: Annotated[
        list[str] | None,
        typer.Option("--units", help="Scale only these units (repeatable; default: all)"),
    ] = None,
    replications: Annotated[
        int | None, typer.Option(min=1, help="Replications per evaluation")
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (same for every step)")] = None,
    horizon_days: HorizonDays = None,
    warmup_days: WarmupDays = None,
    max_multiplier: Annotated[
        float, typer.Option(min=1.01, help="Upper bound of the search (capacity ×)")
    ] = 3.0,
    tolerance: Annotated[
        float, typer.Option(min=0.001, help="Grid step of the multiplier (0.01 = 1 %)")
    ] = 0.01,
    criterion: Annotated[
        str,
        typer.Option(help="mean: the KPI's mean reaches the goal; ci: its whole 95 % CI does"),
    ] = "mean",
    set_: SetAssignments = None,
    executor: Annotated[str | None, typer.Option(help="serial, process (default) or dask")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes")] = None,
    dask_address: Annotated[
        str | None, typer.Option(help="Dask scheduler tcp://HOST:PORT (with --executor dask)")
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the result as JSON")
    ] = None,
) -> None:
    """The smallest uniform capacity increase (or at --units only) that reaches a KPI
    goal: bisection over a capacity multiplier, every step simulated with the same
    seed (common random numbers); printed with the KPI's 95 % CI at the answer and at
    the step below, and beside the analytic estimate (Fong et al. / M/M/c)."""
    experiment = load_or_fail(
        scenario,
        set_ or [],
        horizon_days=horizon_days,
        warmup_days=warmup_days,
        policies=[policy] if policy else None,
        replications=replications,
        seed=seed,
    )
    sc, spec, plan = experiment.scenario, experiment.spec, experiment.plan
    pol = plan.policies[0]
    check_options(kpi, stage, criterion)
    try:
        unit_indices(spec, units)
    except ValueError as exc:
        fail(f"--units: {exc}")
    reps, root_seed = plan.replications, plan.seed
    kind = resolve_executor(executor, workers, dask_address)
    if kind not in ("serial", "process", "dask"):
        fail(f"--executor: unknown executor {kind!r}; known: serial, process, dask")

    with progress_bar() as bar:
        task = bar.add_task(f"{sc.name}: searching capacity for {pol}", total=None)

        def step(e: Evaluation) -> None:
            bar.update(task, advance=1, description=f"{sc.name}: ×{e.multiplier:.2f}")

        with open_or_fail(kind, workers, dask_address) as ex:
            try:
                r = search_target(
                    spec,
                    pol,
                    kpi,
                    goal,
                    stage=stage,
                    units=units,
                    seed=root_seed,
                    replications=reps,
                    executor=ex,
                    max_multiplier=max_multiplier,
                    tolerance=tolerance,
                    criterion="ci" if criterion == "ci" else "mean",
                    on_evaluation=step,
                )
            except ValueError as exc:
                fail(str(exc))
    where = "at " + ", ".join(r.units) if units else "at every unit"
    better = "≥" if r.direction == "higher" else "≤"
    title = (
        f"{sc.title or sc.name} — {pol}: {kpi} ({stage}) {better} {_fmt(goal, kpi)}; "
        f"{stage} capacity scaled {where}; {reps} replications, seed {root_seed}"
    )
    console.print(result_table(r, title))
    console.print(_summary(r, kpi))
    if json_path is not None:
        doc = {
            "scenario": sc.name,
            "overrides": list(set_ or []),
            "warnings": warnings_for(reps),
            **r.as_dict(),
        }
        json_path.write_text(json.dumps(json_safe(doc), ensure_ascii=False, indent=1))
        err.print(f"wrote {json_path}")
    warn(warnings_for(reps))


def _summary(r: TargetResult, kpi: str) -> str:
    lines: list[str] = []
    judged = "its mean" if r.criterion == "mean" else "its whole 95 % CI"
    if not r.reachable:
        lines.append(
            f"[bold red]not reachable[/] within ×{r.max_multiplier:g} capacity "
            f"({judged} never reaches {_fmt(r.goal, kpi)})."
        )
    elif r.multiplier == 1.0:
        lines.append(
            f"[bold green]already reached[/] with today's capacity: {kpi} = "
            f"{_eval_cell(r.at_answer, kpi)}."
        )
    else:
        assert r.multiplier is not None and r.capacity_after is not None
        lines.append(
            f"[bold green]answer: capacity × {r.multiplier:.2f}[/] (+{r.increase_percent:.0f} %) "
            f"— {kpi} = {_eval_cell(r.at_answer, kpi)}; at × {r.step_below.multiplier:.2f} "
            f"(the step below): {_eval_cell(r.step_below, kpi)}."
            if r.step_below
            else ""
        )
        unit = r.capacity_unit
        changes = [
            f"{u} {r.capacity_before[u]:.1f} → {r.capacity_after[u]:.1f}"
            for u in r.units
            if r.capacity_before[u] > 0
        ]
        lines.append(f"capacity ({unit}, measured period): " + ", ".join(changes))
        ci_ok = r.at_answer is not None and r.criterion == "mean"
        if ci_ok and r.at_answer is not None:
            lo, hi = r.at_answer.ci95
            edge = lo if r.direction == "higher" else hi
            if edge is not None and (edge < r.goal if r.direction == "higher" else edge > r.goal):
                lines.append(
                    "[yellow]the 95 % CI at the answer still straddles the goal[/]: use more "
                    "--replications or --criterion ci for a cautious answer."
                )
    e: dict[str, Any] | None = r.estimate
    if e is None:
        lines.append("analytic estimate: none for this KPI.")
    elif e.get("multiplier") is None:
        lines.append(f"analytic estimate ({e['method']}): " + "; ".join(e.get("notes", [])))
    else:
        lines.append(
            f"analytic estimate ({e['method']}): capacity × {e['multiplier']:.2f} "
            f"(+{e['increase_percent']:.0f} %) — " + "; ".join(e.get("notes", []))
        )
    return "\n".join(line for line in lines if line)
