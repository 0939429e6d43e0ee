"""One forecast from the service's database, as ``remiss forecast`` and
``POST /v1/forecasts`` run it: the snapshot on the date, the scenario, the simulation's
forecast (:func:`simulering.forecast.run_forecast`) and, for a past date whose weeks the
database has recorded since, the back-test (:func:`simulering.forecast.backtest`)
against the realised weekly queue (:func:`api.service.history.realised_weeks`).

The database is read in two short sessions (the snapshot before, the realised weeks
after); none is held while the simulation runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.forecasting.errors import ForecastInputError
from api.forecasting.estimates import Estimate
from api.forecasting.region import service_region
from api.forecasting.scenario_doc import Overrides, RunOptions, build_scenario
from api.forecasting.snapshot import read_snapshot
from api.service import audit
from api.service.db_schema import ReferralHistoryRow, UnitRow
from api.service.history import realised_weeks
from api.service.keys import Caller
from api.service.weeks import today
from scenarios.schema import KNOWN_POLICIES, Scenario
from simulering.forecast import backtest, run_forecast

MAX_WEEKS = 52
DEFAULT_HISTORY_WEEKS = 26
DEFAULT_POLICIES: tuple[str, ...] = (KNOWN_POLICIES[0],)
"""Today's baseline (the registry's first policy) unless the caller names others."""

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ForecastRequest:
    """What the planner asked for."""

    specialty: str
    stage: str
    weeks: int = 26
    replications: int = 20
    policies: Sequence[str] = DEFAULT_POLICIES
    as_of: dt.date | None = None
    history_weeks: int = DEFAULT_HISTORY_WEEKS
    overrides: Overrides = field(default_factory=Overrides)
    seed: int = 20260101

    def day(self) -> dt.date:
        return self.as_of or today()


@dataclass(frozen=True)
class Prepared:
    """The scenario a forecast runs, what was estimated, and the warnings."""

    scenario: Scenario
    estimates: dict[str, Estimate]
    warnings: list[str]


def check_options(req: ForecastRequest) -> None:
    """Weeks, replications and policies within what a forecast runs."""
    if not 1 <= req.weeks <= MAX_WEEKS:
        raise ForecastInputError("weeks", f"{req.weeks} is not within 1..{MAX_WEEKS}")
    if req.replications < 2:
        raise ForecastInputError("replications", "at least 2 (the intervals need a spread)")
    if req.history_weeks < 1:
        raise ForecastInputError("history_weeks", "at least 1")
    if not req.policies:
        raise ForecastInputError("policies", "name at least one policy")
    for i, p in enumerate(req.policies):
        if p not in KNOWN_POLICIES:
            known = ", ".join(KNOWN_POLICIES)
            raise ForecastInputError(f"policies.{i}", f"unknown policy {p!r}; known: {known}")


def prepare(session: Session, region_name: str, req: ForecastRequest) -> Prepared:
    """The forecast scenario from the database (the snapshot on the request's date)."""
    check_options(req)
    region_units = service_units(session)
    day = req.day()
    snap = read_snapshot(
        session,
        service_region(region_name, region_units),
        req.specialty,
        req.stage,
        day,
        req.history_weeks,
    )
    region = service_region(region_name, [c.unit for c in snap.calendars])
    run = RunOptions(req.weeks, req.replications, list(req.policies), req.seed)
    scenario, estimates, warnings = build_scenario(snap, region, run, req.overrides)
    return Prepared(scenario, estimates, warnings)


def service_units(session: Session) -> list[UnitRow]:
    """The service's units, by id."""
    return list(session.scalars(select(UnitRow).order_by(UnitRow.id)))


def simulate(
    prep: Prepared, req: ForecastRequest, progress: Progress | None = None
) -> dict[str, Any]:
    """The forecast document of the prepared scenario."""
    doc: dict[str, Any] = run_forecast(
        prep.scenario,
        specialty=req.specialty,
        stage=req.stage,
        weeks=req.weeks,
        replications=req.replications,
        policies=list(req.policies),
        progress=progress,
    )
    doc["warnings"] = [*prep.warnings, *doc.get("warnings", [])]
    return doc


def recorded_until(session: Session, specialty: str, stage: str) -> dt.date | None:
    """The date of the last change the database holds for the specialty and stage."""
    return session.scalar(
        select(func.max(ReferralHistoryRow.on_day)).where(
            ReferralHistoryRow.specialty == specialty, ReferralHistoryRow.stage == stage
        )
    )


def add_backtest(session: Session, doc: dict[str, Any], req: ForecastRequest) -> None:
    """``doc["backtest"]`` per policy: the forecast weeks the database has recorded
    whole since the forecast date, realised against forecast (nothing for today)."""
    last = min(recorded_until(session, req.specialty, req.stage) or req.day(), today())
    weeks = [w for w in doc["weeks"] if dt.date.fromisoformat(w) + dt.timedelta(days=6) <= last]
    if req.as_of is None or not weeks:
        return
    first = dt.date.fromisoformat(weeks[0])
    realised = realised_weeks(session, req.specialty, req.stage, first, len(weeks))
    doc["backtest"] = {p: backtest(doc, realised, p) for p in doc["policies"]}


def audit_read(
    session: Session, caller: Caller, request_id: str, req: ForecastRequest, prep: Prepared
) -> None:
    """The forecast read the waiting list (patient-level data): one audit row, in the
    session that read it."""
    detail = {
        "specialty": req.specialty,
        "stage": req.stage,
        "as_of": req.day().isoformat(),
        "waiting": len(prep.scenario.waiting_list or []),
    }
    entity_id = f"{req.specialty}/{req.stage}/{req.day().isoformat()}"
    audit.record(session, caller, request_id, "forecast.read", "forecast", entity_id, detail)
