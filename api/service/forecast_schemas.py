"""Request and response bodies of ``/v1/forecasts`` (issue 13): a forecast of the
service's own queue for one specialty and stage."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, Field

from api.service.schemas import Body, Code, IsoDate, StageName


class ForecastIn(Body):
    """A forecast from the queue on ``as_of`` (default today); ``set`` and
    ``scenario_overrides`` change the scenario built from the database as
    ``remiss forecast --set`` and ``--scenario-overrides`` do."""

    specialty: Code
    stage: Annotated[StageName, Field(strict=False)]
    weeks: int = Field(26, ge=1, le=52, description="Weeks forecast (1-52)")
    replications: int = Field(20, ge=2, le=1000)
    policies: list[str] | None = Field(None, min_length=1, max_length=5)
    as_of: IsoDate | None = Field(None, description="A past date: forecast and back-test")
    history_weeks: int = Field(26, ge=1, le=520, description="Weeks the rates come from")
    set: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list, max_length=50, description="PATH=VALUE overrides, in order"
    )
    scenario_overrides: dict[str, Any] | None = Field(
        None, description="A partial scenario whose fields replace the estimated ones"
    )
    seed: int = Field(20260101, ge=0, le=2**63 - 1)


class ForecastJob(BaseModel):
    """A forecast job: its state and request."""

    id: str
    state: str = Field(description="queued | running | done | failed | cancelled")
    progress: float
    request: dict[str, Any]
    error: str | None = None
    report_url: str | None = None


class ForecastOut(ForecastJob):
    result: dict[str, Any] | None = Field(
        None, description="When done: the document `remiss forecast --json` writes"
    )


class ForecastSummary(ForecastJob):
    """A forecast job in the list: its state and request, not its result."""

    created_at: dt.datetime


class ForecastList(BaseModel):
    forecasts: list[ForecastSummary] = Field(description="Newest first")
