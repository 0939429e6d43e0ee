"""``remiss forecast``: the service's queue on a date (today, or ``--as-of`` a past date)
forecast under one or more policies — who will breach, and when — with what was
estimated from the database's history, and, for a past date, the back-test against
what happened since.

The database is the service's (``--database-url``, else ``REMISS_DATABASE_URL``, else
``remiss.db``); the read of the waiting list is audited as ``forecast.read`` with the
command line as its actor. The report's modules (Plotly) load only with ``--report``.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from api.cli.common import SetAssignments, check_policies, fail, warn
from api.cli.console import console, err
from api.cli.database import DatabaseUrl, settings_for
from api.cli.progress import RunProgress
from api.forecasting.errors import ForecastInputError
from api.forecasting.forecast import (
    DEFAULT_HISTORY_WEEKS,
    DEFAULT_POLICIES,
    MAX_WEEKS,
    ForecastRequest,
    Prepared,
    add_backtest,
    audit_read,
    prepare,
    simulate,
)
from api.forecasting.scenario_doc import Overrides
from api.service import db
from api.service.keys import Caller, Role
from scenarios.loader import ScenarioError, read_yaml

SpecialtyOpt = Annotated[str, typer.Option("--specialty", help="Specialty code, e.g. gallsten")]
StageOption = Annotated[str, typer.Option("--stage", help="first_visit or treatment")]
WeeksOpt = Annotated[int, typer.Option(help=f"Weeks to forecast (1-{MAX_WEEKS})")]
RepsOpt = Annotated[int, typer.Option(help="Replications (at least 2)")]
PolicyOpt = Annotated[
    list[str] | None,
    typer.Option("--policy", "-p", help=f"Policy (repeatable; default {DEFAULT_POLICIES[0]})"),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Forecast from the queue on this past date (YYYY-MM-DD)"),
]
HistoryOpt = Annotated[int, typer.Option(help="Weeks of history the rates are estimated from")]
OverridesOpt = Annotated[
    Path | None,
    typer.Option(help="A partial scenario (YAML) whose fields replace the estimated ones"),
]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="Write the forecast as JSON")]
ReportOpt = Annotated[Path | None, typer.Option(help="Write the Swedish HTML forecast report")]
SnapshotOpt = Annotated[
    Path | None,
    typer.Option(help="Write the scenario (YAML) the forecast runs; `remiss simulate` takes it"),
]
SeedOpt = Annotated[int, typer.Option(min=0, help="Root seed")]


def parse_as_of(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"--as-of: {text!r} is not a date written YYYY-MM-DD")


def read_overrides(path: Path | None) -> dict[str, Any]:
    """The partial scenario of ``--scenario-overrides`` (a mapping)."""
    if path is None:
        return {}
    try:
        doc = read_yaml(path)
    except ScenarioError as exc:
        fail(f"--scenario-overrides: {exc}")
    if not isinstance(doc, dict):
        fail(f"--scenario-overrides: {path}: not a mapping of scenario fields")
    return doc


def forecast_command(
    specialty: SpecialtyOpt,
    stage: StageOption,
    weeks: WeeksOpt = 26,
    replications: RepsOpt = 20,
    policy: PolicyOpt = None,
    set_: SetAssignments = None,
    scenario_overrides: OverridesOpt = None,
    as_of: AsOfOpt = None,
    history_weeks: HistoryOpt = DEFAULT_HISTORY_WEEKS,
    seed: SeedOpt = 20260101,
    json_path: JsonOpt = None,
    report: ReportOpt = None,
    snapshot_out: SnapshotOpt = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Forecast the service's queue: the actual waiting list as the starting state,
    capacity from the units' calendars, demand and rates from the database's history."""
    policies = policy or list(DEFAULT_POLICIES)
    check_policies(policies)
    req = ForecastRequest(
        specialty=specialty,
        stage=stage,
        weeks=weeks,
        replications=replications,
        policies=policies,
        as_of=parse_as_of(as_of),
        history_weeks=history_weeks,
        overrides=Overrides(read_overrides(scenario_overrides), set_ or []),
        seed=seed,
    )
    settings = settings_for(database_url)
    engine = db.make_engine(settings.database_url, pool_size=1, timeouts=settings.db_timeouts())
    factory = db.session_factory(engine)
    caller = Caller("cli", frozenset({Role.planner}), getpass.getuser(), "forecast")
    try:
        with factory.begin() as s:
            prep = prepare(s, settings.region, req)
            audit_read(s, caller, str(uuid.uuid4()), req, prep)
        print_estimates(prep)
        if snapshot_out is not None:
            write_snapshot(prep, snapshot_out)
        doc = run_with_bar(prep, req)
        with factory() as s:
            add_backtest(s, doc, req)
    except ForecastInputError as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        fail(f"--database-url: cannot read the service's database ({exc.orig})")
    finally:
        engine.dispose()
    print_forecast(doc)
    warn(doc.get("warnings", []))
    write_outputs(doc, json_path, report)


def run_with_bar(prep: Prepared, req: ForecastRequest) -> dict[str, Any]:
    with RunProgress(f"forecast {req.specialty} {req.stage}", req.replications) as shown:
        return simulate(prep, req, lambda done, total: shown.update(done))


def write_snapshot(prep: Prepared, path: Path) -> None:
    """The scenario as an ordinary scenario file."""
    data = prep.scenario.model_dump(mode="json", exclude_defaults=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    err.print(f"wrote {path}")


def write_outputs(doc: dict[str, Any], json_path: Path | None, report: Path | None) -> None:
    if json_path is not None:
        json_path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        err.print(f"wrote {json_path}")
    if report is not None:
        from simulering.report.forecast_page import render_forecast_report  # Plotly: when asked

        render_forecast_report(doc, report)
        err.print(f"wrote {report}")


def print_estimates(prep: Prepared) -> None:
    table = Table(title="Estimated from the history (value, source, weeks, events)")
    for col in ("rate", "value", "from", "weeks", "n"):
        table.add_column(col)
    for name, est in prep.estimates.items():
        value = est.value
        if isinstance(value, dict):
            value = f"{sum(value.values()):.2f}/week over {len(value)} areas"
        table.add_row(name, str(value), est.source, f"{est.weeks_of_history:.1f}", str(est.n))
    console.print(table)


def interval(point: dict[str, Any]) -> str:
    return f"{point['mean']:.1f} [{point['lo']:.1f}, {point['hi']:.1f}]"


def print_forecast(doc: dict[str, Any]) -> None:
    """Per policy: the queue now, at week 12 and at the end, breaches, worklist size."""
    title = (
        f"Forecast {doc['specialty']} {doc['stage']} from {doc['as_of']}: "
        f"{doc['initial_waiting']} waiting, {len(doc['weeks'])} weeks, "
        f"{doc['replications']} replications; mean [95 % interval]"
    )
    table = Table(title=escape(title))
    w12 = min(12, len(doc["weeks"]) - 1)
    for col in ("policy", "queue now", f"queue week {w12}", "queue at end", "breaches", "worklist"):
        table.add_column(col)
    for name, p in doc["policies"].items():
        queue = p["queue"]["region"]
        breaches = sum(b["mean"] for b in p["breaches"]["region"])
        table.add_row(
            name,
            interval(queue[0]),
            interval(queue[w12]),
            interval(queue[-1]),
            f"{breaches:.1f}",
            str(len(p["worklist"])),
        )
    console.print(table)
    for name, bt in doc.get("backtest", {}).items():
        console.print(
            f"back-test {escape(name)}: {bt['weeks_compared']} weeks, queue MAE "
            f"{bt['queue_mae']:.2f}, coverage {bt['queue_coverage']:.0%}; breaches MAE "
            f"{bt['breaches_mae']:.2f}, coverage {bt['breaches_coverage']:.0%}",
            highlight=False,
        )
