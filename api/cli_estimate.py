"""``remiss estimate``: instant analytic queueing estimates on the command line.

Three subcommands, each printing a table (quantity, value, unit, formula) or, with
``--json``, one JSON object with stable keys::

    {"model": "mmc" | "little" | "waiting-list",
     "inputs": {name: value, ...},
     "results": {key: {"label": str, "value": float | bool | null,
                       "unit": str, "formula": str}, ...},
     "notes": [str, ...]}

Invalid input prints ``Error: ...`` on stderr and exits with code 2 (as a usage
error), without a traceback. The formulas live in :mod:`simulering.estimate`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from allokering.domain import GUARANTEE_DAYS
from simulering import estimate as est

app = typer.Typer(
    name="estimate",
    help=(
        "Instant analytic estimates: M/M/c (Erlang C) waits, Little's law and the "
        "waiting-list formulas of Fong et al. (2022). No simulation, no randomness."
    ),
    no_args_is_help=True,
    add_completion=False,
)

USAGE_ERROR = 2


class TimeUnit(StrEnum):
    """Time unit for rates ("per …") and durations."""

    day = "day"
    week = "week"


_RELIEF_DEFAULT = {TimeUnit.week: 26.0, TimeUnit.day: 182.0}


@dataclass(frozen=True)
class Row:
    """One reported quantity."""

    key: str
    label: str
    value: float | bool | None
    unit: str
    formula: str


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _fmt(value: float | bool | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value == 0:
        return "0"
    if abs(value) >= 1e6 or abs(value) < 1e-4:
        return f"{value:.4e}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _emit(
    model: str,
    title: str,
    inputs: dict[str, float | int | str | None],
    rows: list[Row],
    notes: list[str],
    as_json: bool,
) -> None:
    if as_json:
        payload = {
            "model": model,
            "inputs": inputs,
            "results": {
                r.key: {
                    "label": r.label,
                    "value": r.value,
                    "unit": r.unit,
                    "formula": r.formula,
                }
                for r in rows
            },
            "notes": notes,
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False))
        return
    console = Console()
    table = Table(title=title, title_justify="left")
    table.add_column("Quantity")
    table.add_column("Value", justify="right")
    table.add_column("Unit")
    table.add_column("Formula", overflow="fold")
    for r in rows:
        table.add_row(r.label, _fmt(r.value), r.unit, r.formula)
    console.print(table)
    for note in notes:
        console.print(f"• {note}")


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=USAGE_ERROR)


# ----------------------------------------------------------------------------- mmc


@app.command("mmc")
def mmc_command(
    arrival_rate: Annotated[
        float, typer.Option("--arrival-rate", help="λ: referrals arriving per day.")
    ],
    service_rate: Annotated[
        float,
        typer.Option("--service-rate", help="μ: patients one server completes per day."),
    ],
    servers: Annotated[int, typer.Option("--servers", help="c: number of parallel servers.")],
    limit_days: Annotated[
        float,
        typer.Option("--limit-days", help="Waiting-time limit in days (care guarantee)."),
    ] = float(GUARANTEE_DAYS),
    as_json: JsonOpt = False,
) -> None:
    """M/M/c queue (Erlang C): Poisson arrivals, exponential service, c servers, FCFS."""
    try:
        r = est.mmc(arrival_rate, service_rate, servers)
        within = r.prob_wait_within(limit_days)
        over = r.prob_wait_longer_than(limit_days)
        within_sys = r.prob_time_in_system_within(limit_days)
        q90 = r.wait_quantile(0.9)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    t = f"{limit_days:g}"
    rows = [
        Row("offered_load", "Offered load a", r.offered_load, "Erlang", "a = λ/μ"),
        Row("utilisation", "Utilisation ρ", r.rho, "–", "ρ = λ/(cμ)"),
        Row("prob_wait", "P(wait > 0)", r.prob_wait, "probability", "C(c,a) (Erlang C)"),
        Row(
            "mean_queue_length",
            "Mean number waiting Lq",
            r.mean_queue_length,
            "patients",
            "Lq = C·ρ/(1−ρ)",
        ),
        Row(
            "mean_in_system", "Mean number in system L", r.mean_in_system, "patients", "L = Lq + a"
        ),
        Row("mean_wait", "Mean wait Wq", r.mean_wait, "days", "Wq = C/(cμ−λ) = Lq/λ"),
        Row(
            "mean_time_in_system",
            "Mean time in system W",
            r.mean_time_in_system,
            "days",
            "W = Wq + 1/μ = L/λ",
        ),
        Row(
            "wait_p90",
            "90th percentile of wait",
            q90,
            "days",
            "ln(C/0.1)/(cμ−λ) if C > 0.1, else 0",
        ),
        Row(
            "prob_wait_within_limit", f"P(Wq ≤ {t} d)", within, "probability", "1 − C·exp(−(cμ−λ)t)"
        ),
        Row("prob_wait_over_limit", f"P(Wq > {t} d)", over, "probability", "C·exp(−(cμ−λ)t)"),
        Row(
            "prob_time_in_system_within_limit",
            f"P(W ≤ {t} d)",
            within_sys,
            "probability",
            "1 − e^{−μt}[1 + C(1−e^{−μt(c−1−a)})/(c−1−a)]",
        ),
    ]
    inputs: dict[str, float | int | str | None] = {
        "arrival_rate": arrival_rate,
        "service_rate": service_rate,
        "servers": servers,
        "limit_days": limit_days,
        "time_unit": "day",
    }
    notes = [
        "Steady state of an M/M/c queue; times in days, rates per day.",
        "Wq is the wait before service starts; W adds the service time.",
    ]
    _emit("mmc", f"M/M/{servers} queue (Erlang C)", inputs, rows, notes, as_json)


# -------------------------------------------------------------------------- little


@app.command("little")
def little_command(
    arrival_rate: Annotated[
        float | None,
        typer.Option("--arrival-rate", help="λ: arrivals per time unit."),
    ] = None,
    mean_time: Annotated[
        float | None,
        typer.Option("--mean-time", help="W: mean time in the system, in time units."),
    ] = None,
    mean_number: Annotated[
        float | None,
        typer.Option("--mean-number", help="L: mean number in the system."),
    ] = None,
    unit: Annotated[TimeUnit, typer.Option("--unit", help="Time unit.")] = TimeUnit.day,
    as_json: JsonOpt = False,
) -> None:
    """Little's law L = λ·W: give exactly two of the three, get the third."""
    try:
        r = est.littles_law(arrival_rate=arrival_rate, mean_time=mean_time, mean_number=mean_number)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    u = unit.value
    solved = (
        "mean_number"
        if mean_number is None
        else "mean_time"
        if mean_time is None
        else "arrival_rate"
    )
    rows = [
        Row(
            "arrival_rate",
            "Arrival rate λ",
            r.arrival_rate,
            f"per {u}",
            "λ = L/W" if solved == "arrival_rate" else "given",
        ),
        Row(
            "mean_time",
            "Mean time in system W",
            r.mean_time,
            f"{u}s",
            "W = L/λ" if solved == "mean_time" else "given",
        ),
        Row(
            "mean_number",
            "Mean number in system L",
            r.mean_number,
            "items",
            "L = λ·W" if solved == "mean_number" else "given",
        ),
    ]
    inputs: dict[str, float | int | str | None] = {
        "arrival_rate": arrival_rate,
        "mean_time": mean_time,
        "mean_number": mean_number,
        "time_unit": u,
    }
    notes = ["Little's law holds for any stable system in steady state."]
    _emit("little", "Little's law", inputs, rows, notes, as_json)


# -------------------------------------------------------------------- waiting-list


@app.command("waiting-list")
def waiting_list_command(
    demand: Annotated[
        float,
        typer.Option("--demand", help="Referrals added to the list per time unit (see --unit)."),
    ],
    target_wait: Annotated[
        float, typer.Option("--target-wait", help="Waiting-time target in time units.")
    ],
    capacity: Annotated[
        float | None,
        typer.Option("--capacity", help="Patients removed (served) per time unit."),
    ] = None,
    queue_size: Annotated[
        float | None,
        typer.Option("--queue-size", help="Patients on the list now."),
    ] = None,
    mean_wait: Annotated[
        float | None,
        typer.Option("--mean-wait", help="Observed mean wait of the list, in time units."),
    ] = None,
    target_share: Annotated[
        float | None,
        typer.Option(
            "--target-share",
            help="Share to be seen within the target (0–1); sets factor = −ln(1−share).",
        ),
    ] = None,
    factor: Annotated[
        float | None,
        typer.Option(
            "--factor", help="Target / mean-wait ratio; Fong et al. use 4 to 6. [default: 4]"
        ),
    ] = None,
    time_to_target: Annotated[
        float | None,
        typer.Option(
            "--time-to-target",
            help="Time units to bring the list to target size [26 weeks / 182 days].",
        ),
    ] = None,
    cv_demand: Annotated[
        float, typer.Option("--cv-demand", help="CV of time between referrals.")
    ] = 1.0,
    cv_capacity: Annotated[
        float, typer.Option("--cv-capacity", help="CV of removals (service).")
    ] = 1.0,
    unit: Annotated[
        TimeUnit, typer.Option("--unit", help="Time unit of rates and waits.")
    ] = TimeUnit.week,
    as_json: JsonOpt = False,
) -> None:
    """Waiting-list metrics of Fong et al. (2022): load, targets, capacity, pressure."""
    u = unit.value
    ttt = _RELIEF_DEFAULT[unit] if time_to_target is None else time_to_target
    try:
        if target_share is not None and factor is not None:
            raise ValueError("give either --target-share or --factor, not both")
        if not (math.isfinite(ttt) and ttt > 0):
            raise ValueError(f"time_to_target must be a finite number > 0, got {ttt!r}")
        f = (
            est.factor_for_share(target_share)
            if target_share is not None
            else est.DEFAULT_FACTOR
            if factor is None
            else factor
        )
        share = est.share_within_target(f)
        tmw = est.calc_target_mean_wait(target_wait, f)
        tqs = est.calc_target_queue_size(demand, target_wait, f)
        tcap = est.calc_target_capacity(demand, target_wait, f, cv_demand, cv_capacity)
        load = None if capacity is None else est.calc_queue_load(demand, capacity)
        relief = ratio = None
        too_big: bool | None = None
        if queue_size is not None:
            relief = est.calc_relief_capacity(demand, queue_size, tqs, ttt)
            ratio = queue_size / tqs if tqs > 0 else None
            too_big = queue_size > 2 * tqs
        pressure = (
            None if mean_wait is None else est.calc_waiting_list_pressure(mean_wait, target_wait)
        )
    except ValueError as exc:
        raise _fail(str(exc)) from None

    per = f"patients/{u}"
    rows = [
        Row("queue_load", "Queue load", load, "–", "demand / capacity"),
        Row(
            "factor",
            "Factor (target / mean wait)",
            f,
            "–",
            "−ln(1 − share)" if target_share is not None else "given (default 4)",
        ),
        Row("share_within_target", "Share within target", share, "fraction", "1 − exp(−factor)"),
        Row("target_mean_wait", "Target mean wait", tmw, f"{u}s", "target_wait / factor"),
        Row(
            "target_queue_size",
            "Target queue size",
            tqs,
            "patients",
            "demand × target_wait / factor",
        ),
        Row(
            "queue_ratio", "Queue size / target size", ratio, "–", "queue_size / target_queue_size"
        ),
        Row(
            "queue_too_big",
            "Queue > 2 × target (relief needed)",
            too_big,
            "–",
            "queue_size > 2 × target_queue_size",
        ),
        Row(
            "relief_capacity",
            f"Relief capacity (over {ttt:g} {u}s)",
            relief,
            per,
            "demand + (queue_size − target_queue_size) / time_to_target",
        ),
        Row(
            "target_capacity",
            "Target capacity",
            tcap,
            per,
            "demand + ((cv_d² + cv_c²)/2) × factor / target_wait",
        ),
        Row(
            "waiting_list_pressure",
            "Waiting-list pressure",
            pressure,
            "–",
            "2 × mean_wait / target_wait",
        ),
    ]
    notes: list[str] = []
    if load is not None and load >= 1:
        notes.append("Load ≥ 1: demand exceeds capacity, the list grows without bound.")
    if too_big:
        notes.append(
            "The list is more than twice its target size: run the relief capacity "
            "until it reaches target size, then the target capacity."
        )
    if pressure is not None and pressure > 1:
        notes.append("Pressure > 1: the list will most likely miss its target.")
    missing = [
        name
        for name, value in (
            ("--capacity (queue load)", capacity),
            ("--queue-size (relief capacity)", queue_size),
            ("--mean-wait (pressure)", mean_wait),
        )
        if value is None
    ]
    if missing:
        notes.append("Not computed, needs " + ", ".join(missing) + ".")
    notes.append(
        "Fong K et al., Understanding Waiting Lists Pressures, medRxiv 2022, "
        "doi:10.1101/2022.08.23.22279117 (as implemented in R NHSRwaitinglist)."
    )
    inputs: dict[str, float | int | str | None] = {
        "demand": demand,
        "capacity": capacity,
        "queue_size": queue_size,
        "mean_wait": mean_wait,
        "target_wait": target_wait,
        "target_share": target_share,
        "factor": f,
        "time_to_target": ttt,
        "cv_demand": cv_demand,
        "cv_capacity": cv_capacity,
        "time_unit": u,
    }
    _emit("waiting-list", "Waiting list (Fong et al. 2022)", inputs, rows, notes, as_json)
