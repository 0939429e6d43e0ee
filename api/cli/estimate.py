"""``remiss estimate``: instant analytic queueing estimates on the command line.

Three subcommands, each printing a table (quantity, value, unit, formula) or, with
``--json``, one JSON object with stable keys::

    {"model": "mmc" | "little" | "waiting-list",
     "inputs": {name: value, ...},
     "results": {key: {"label": str, "value": float | bool | null,
                       "unit": str, "formula": str}, ...},
     "notes": [str, ...]}

Invalid input prints ``error: ...`` on stderr and exits with code 2 (as a usage
error), without a traceback. The rows and the document are built in
:mod:`api.estimates` (shared with the service's ``POST /v1/estimate``); the formulas
live in :mod:`simulering.estimate`.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from allokering.domain import GUARANTEE_DAYS
from api import estimates
from api.cli.common import USAGE_ERROR
from api.cli.console import console, error
from api.estimates import Estimate, TimeUnit

app = typer.Typer(
    name="estimate",
    help=(
        "Instant analytic estimates: M/M/c (Erlang C) waits, Little's law and the "
        "waiting-list formulas of Fong et al. (2022). No simulation, no randomness."
    ),
    no_args_is_help=True,
    add_completion=False,
)

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


def _emit(estimate: Estimate, as_json: bool) -> None:
    if as_json:
        doc = estimate.document()
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False))
        return
    table = Table(title=estimate.title, title_justify="left")
    table.add_column("Quantity")
    table.add_column("Value", justify="right")
    table.add_column("Unit")
    table.add_column("Formula", overflow="fold")
    for r in estimate.rows:
        table.add_row(r.label, _fmt(r.value), r.unit, r.formula)
    console.print(table)
    for note in estimate.notes:
        console.print(f"• {note}")


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
        e = estimates.mmc_estimate(arrival_rate, service_rate, servers, limit_days)
    except ValueError as exc:
        error(str(exc), USAGE_ERROR)
    _emit(e, as_json)


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
        e = estimates.little_estimate(arrival_rate, mean_time, mean_number, unit)
    except ValueError as exc:
        error(str(exc), USAGE_ERROR)
    _emit(e, as_json)


# -------------------------------------------------------------------- waiting-list


DemandOpt = Annotated[
    float,
    typer.Option("--demand", help="Referrals added to the list per time unit (see --unit)."),
]
TargetWaitOpt = Annotated[
    float, typer.Option("--target-wait", help="Waiting-time target in time units.")
]
CapacityOpt = Annotated[
    float | None,
    typer.Option("--capacity", help="Patients removed (served) per time unit."),
]
QueueSizeOpt = Annotated[
    float | None,
    typer.Option("--queue-size", help="Patients on the list now."),
]
MeanWaitOpt = Annotated[
    float | None,
    typer.Option("--mean-wait", help="Observed mean wait of the list, in time units."),
]
TargetShareOpt = Annotated[
    float | None,
    typer.Option(
        "--target-share",
        help="Share to be seen within the target (0–1); sets factor = −ln(1−share).",
    ),
]
FactorOpt = Annotated[
    float | None,
    typer.Option("--factor", help="Target / mean-wait ratio; Fong et al. use 4 to 6 (default 4)."),
]
TimeToTargetOpt = Annotated[
    float | None,
    typer.Option(
        "--time-to-target",
        help="Time units to bring the list to target size [26 weeks / 182 days].",
    ),
]
CvDemandOpt = Annotated[float, typer.Option("--cv-demand", help="CV of time between referrals.")]
CvCapacityOpt = Annotated[float, typer.Option("--cv-capacity", help="CV of removals (service).")]
WaitingListUnitOpt = Annotated[
    TimeUnit, typer.Option("--unit", help="Time unit of rates and waits.")
]


@app.command("waiting-list")
def waiting_list_command(
    demand: DemandOpt,
    target_wait: TargetWaitOpt,
    capacity: CapacityOpt = None,
    queue_size: QueueSizeOpt = None,
    mean_wait: MeanWaitOpt = None,
    target_share: TargetShareOpt = None,
    factor: FactorOpt = None,
    time_to_target: TimeToTargetOpt = None,
    cv_demand: CvDemandOpt = 1.0,
    cv_capacity: CvCapacityOpt = 1.0,
    unit: WaitingListUnitOpt = TimeUnit.week,
    as_json: JsonOpt = False,
) -> None:
    """Waiting-list metrics of Fong et al. (2022): load, targets, capacity, pressure."""
    try:
        e = estimates.waiting_list_estimate(
            demand,
            target_wait,
            capacity=capacity,
            queue_size=queue_size,
            mean_wait=mean_wait,
            target_share=target_share,
            factor=factor,
            time_to_target=time_to_target,
            cv_demand=cv_demand,
            cv_capacity=cv_capacity,
            unit=unit,
        )
    except ValueError as exc:
        error(str(exc), USAGE_ERROR)
    _emit(e, as_json)
