"""``remiss target``: the smallest capacity increase that reaches a KPI goal.

The search lives in :mod:`simulering.target`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
    resolve_executor,
    warn,
)
from api.cli.console import console, err
from api.cli.progress import RunProgress
from scenarios.experiment import Experiment
from simulering.executors import Executor
from simulering.kpis import KPI_RANGE
from simulering.paired import KPI_DIRECTION
from simulering.results import json_safe, warnings_for
from simulering.target import (
    STAGE_NAMES,
    Evaluation,
    TargetResult,
    max_evaluations,
    search_target,
    unit_indices,
)


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


GoalOpt = Annotated[float, typer.Option(help="The KPI value to reach, e.g. 0.9")]
PolicyOpt = Annotated[
    str | None, typer.Option("--policy", "-p", help="Policy (default: the scenario's first)")
]
KpiOpt = Annotated[str, typer.Option(help="KPI to reach (higher- or lower-is-better KPIs)")]
StageOpt = Annotated[str, typer.Option(help="Stage whose KPI is measured and capacity scaled")]
UnitsOpt = Annotated[
    list[str] | None,
    typer.Option("--units", help="Scale only these units (repeatable; default: all)"),
]
ReplicationsOpt = Annotated[int | None, typer.Option(min=1, help="Replications per evaluation")]
SeedOpt = Annotated[int | None, typer.Option(min=0, help="Root seed (same for every step)")]
MaxMultiplierOpt = Annotated[
    float, typer.Option(min=1.01, help="Upper bound of the search (capacity ×)")
]
ToleranceOpt = Annotated[
    float, typer.Option(min=0.001, help="Grid step of the multiplier (0.01 = 1 %)")
]
CriterionOpt = Annotated[
    str, typer.Option(help="mean: the KPI's mean reaches the goal; ci: its whole 95 % CI does")
]
ExecutorOpt = Annotated[str | None, typer.Option(help="serial, process (default) or dask")]
WorkersOpt = Annotated[int | None, typer.Option(min=1, help="Worker processes")]
DaskAddressOpt = Annotated[
    str | None, typer.Option(help="Dask scheduler tcp://HOST:PORT (with --executor dask)")
]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="Write the result as JSON")]


def target_command(
    scenario: ScenarioArg,
    goal: GoalOpt,
    policy: PolicyOpt = None,
    kpi: KpiOpt = "share_waiting_within_guarantee",
    stage: StageOpt = "first_visit",
    units: UnitsOpt = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    horizon_days: HorizonDays = None,
    warmup_days: WarmupDays = None,
    max_multiplier: MaxMultiplierOpt = 3.0,
    tolerance: ToleranceOpt = 0.01,
    criterion: CriterionOpt = "mean",
    set_: SetAssignments = None,
    executor: ExecutorOpt = None,
    workers: WorkersOpt = None,
    dask_address: DaskAddressOpt = None,
    json_path: JsonOpt = None,
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
    check_options(kpi, stage, criterion)
    try:
        unit_indices(experiment.spec, units)
    except ValueError as exc:
        fail(f"--units: {exc}")
    kind = resolve_executor(executor, workers, dask_address)
    if kind not in ("serial", "process", "dask"):
        fail(f"--executor: unknown executor {kind!r}; known: serial, process, dask")
    search = Search(kpi, goal, stage, units, max_multiplier, tolerance, criterion)
    with open_or_fail(kind, workers, dask_address) as ex:
        r = run_search(experiment, search, ex)
    report(experiment, search, r, list(set_ or []), json_path)


@dataclass(frozen=True)
class Search:
    """What ``remiss target`` looks for: the options of the search."""

    kpi: str
    goal: float
    stage: str
    units: list[str] | None
    max_multiplier: float
    tolerance: float
    criterion: str


def run_search(experiment: Experiment, search: Search, ex: Executor) -> TargetResult:
    """The bisection with its progress: at most :func:`max_evaluations` evaluations of
    ``replications`` each, moving within every replication; one error line on bad
    input."""
    sc, plan = experiment.scenario, experiment.plan
    pol, reps = plan.policies[0], plan.replications
    most = max_evaluations(search.max_multiplier, search.tolerance)
    finished: list[Evaluation] = []

    def described(multiplier: float | None = None) -> str:
        at = f" (×{multiplier:.2f})" if multiplier is not None else ""
        return f"{sc.name}: {pol}, evaluation {len(finished) + 1}{at} of at most {most}"

    with RunProgress(described(1.0), most * reps, at_most=True) as shown:

        def step(e: Evaluation) -> None:
            finished.append(e)
            shown.update(len(finished) * reps, described())

        def within(done: float) -> None:
            shown.update(len(finished) * reps + done)

        try:
            result = search_target(
                experiment.spec,
                pol,
                search.kpi,
                search.goal,
                stage=search.stage,
                units=search.units,
                seed=plan.seed,
                replications=reps,
                executor=ex,
                max_multiplier=search.max_multiplier,
                tolerance=search.tolerance,
                criterion="ci" if search.criterion == "ci" else "mean",
                on_evaluation=step,
                progress=within,
            )
        except ValueError as exc:
            fail(str(exc))
        n = len(finished)
        shown.update(most * reps, f"{sc.name}: {pol}, {n} evaluation{'s' if n != 1 else ''}")
    return result


def report(
    experiment: Experiment,
    search: Search,
    r: TargetResult,
    overrides: list[str],
    json_path: Path | None,
) -> None:
    """The result table and summary; the JSON document when asked for; the warnings."""
    sc, plan = experiment.scenario, experiment.plan
    reps, kpi, stage = plan.replications, search.kpi, search.stage
    where = "at " + ", ".join(r.units) if search.units else "at every unit"
    better = "≥" if r.direction == "higher" else "≤"
    title = (
        f"{sc.title or sc.name} — {plan.policies[0]}: {kpi} ({stage}) {better} "
        f"{_fmt(search.goal, kpi)}; {stage} capacity scaled {where}; {reps} replications, "
        f"seed {plan.seed}"
    )
    console.print(result_table(r, title))
    console.print(_summary(r, kpi))
    if json_path is not None:
        doc = {
            "scenario": sc.name,
            "overrides": overrides,
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
