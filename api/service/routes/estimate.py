"""``POST /v1/estimate``: the analytic estimates of ``remiss estimate`` over HTTP.

The body names the model (``"mmc"``, ``"little"`` or ``"waiting-list"``) and carries the
command's options in snake case; the response is the document ``remiss estimate …
--json`` prints, built by the same functions (:mod:`api.estimates`). Out-of-range
numbers are refused by the body's constraints; what only the combination rules out (an
unstable queue, both a target share and a factor) comes back from the estimate as a
422 naming the fields. Nothing is stored, so nothing is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any, Literal

from fastapi import Body, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from allokering.domain import GUARANTEE_DAYS
from api import estimates
from api.service.deps import Planner, v1_router
from api.service.http_problems import Problem

MODELS = ("mmc", "little", "waiting-list")


class _TagFreeErrors(APIRoute):
    """Report body errors at their JSON path (``body.servers``), without the union tag
    pydantic puts in the location (``body.mmc.servers``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise RequestValidationError(_untag(exc.errors()), body=exc.body) from None

        return handle


def _untag(errors: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for error in errors:
        e = dict(error)
        loc = tuple(e.get("loc", ()))
        if loc[:1] == ("body",) and len(loc) > 1 and loc[1] in MODELS:
            e["loc"] = ("body", *loc[2:])
        elif loc == ("body",) and e.get("type") in ("union_tag_not_found", "union_tag_invalid"):
            e["loc"] = ("body", "model")
            e["msg"] = f"must be one of {', '.join(repr(m) for m in MODELS)}"
        out.append(e)
    return out


router = v1_router(route_class=_TagFreeErrors)


def _finite(
    description: str, *, ge: float | None = None, gt: float | None = None, lt: float | None = None
) -> Any:
    return Field(description=description, ge=ge, gt=gt, lt=lt, allow_inf_nan=False)


Unit = Literal["day", "week"]


class _In(BaseModel):
    """Strict, as the schema says: no unknown fields, no ``"8"`` or ``true`` for a number."""

    model_config = ConfigDict(extra="forbid", strict=True)


class MmcIn(_In):
    """An M/M/c queue (Erlang C); rates per day, times in days."""

    model: Literal["mmc"]
    arrival_rate: Annotated[float, _finite("λ: referrals arriving per day", ge=0)]
    service_rate: Annotated[float, _finite("μ: patients one server completes per day", gt=0)]
    servers: int = Field(ge=1, le=estimates.MAX_SERVERS, description="c: parallel servers")
    limit_days: Annotated[float, _finite("Care-guarantee limit in days", ge=0)] = float(
        GUARANTEE_DAYS
    )


class LittleIn(_In):
    """Little's law L = λ·W: give exactly two of the three."""

    model: Literal["little"]
    arrival_rate: Annotated[float | None, _finite("λ: arrivals per time unit", ge=0)] = None
    mean_time: Annotated[float | None, _finite("W: mean time in the system", ge=0)] = None
    mean_number: Annotated[float | None, _finite("L: mean number in the system", ge=0)] = None
    unit: Unit = Field("day", description="Time unit of rates and times")


class WaitingListIn(_In):
    """Waiting-list metrics of Fong et al. (2022); rates per ``unit``, waits in units."""

    model: Literal["waiting-list"]
    demand: Annotated[float, _finite("Referrals added to the list per time unit", ge=0)]
    target_wait: Annotated[float, _finite("Waiting-time target in time units", gt=0)]
    capacity: Annotated[float | None, _finite("Patients served per time unit", gt=0)] = None
    queue_size: Annotated[float | None, _finite("Patients on the list now", ge=0)] = None
    mean_wait: Annotated[
        float | None, _finite("Observed mean wait of the list, in time units", ge=0)
    ] = None
    target_share: Annotated[
        float | None,
        _finite("Share to be seen within the target; sets factor = −ln(1−share)", gt=0, lt=1),
    ] = None
    factor: Annotated[
        float | None, _finite("Target / mean-wait ratio (Fong et al. use 4 to 6; default 4)", gt=0)
    ] = None
    time_to_target: Annotated[
        float | None,
        _finite("Time units to bring the list to target size (default 26 weeks / 182 days)", gt=0),
    ] = None
    cv_demand: Annotated[float, _finite("CV of the time between referrals", ge=0)] = 1.0
    cv_capacity: Annotated[float, _finite("CV of removals (service)", ge=0)] = 1.0
    unit: Unit = Field("week", description="Time unit of rates and waits")


EstimateIn = Annotated[MmcIn | LittleIn | WaitingListIn, Body(discriminator="model")]


class ResultOut(BaseModel):
    """One reported quantity."""

    label: str
    value: bool | float | None = Field(
        description="null when it needs an input not given, or is not finite"
    )
    unit: str
    formula: str


class EstimateOut(BaseModel):
    """The document ``remiss estimate … --json`` prints."""

    model: Literal["mmc", "little", "waiting-list"]
    inputs: dict[str, int | float | str | None]
    results: dict[str, ResultOut]
    notes: list[str]


@router.post("/estimate", response_model=EstimateOut, tags=["planner"])
def estimate(body: EstimateIn, caller: Planner) -> dict[str, Any]:
    """An instant analytic estimate: M/M/c (Erlang C), Little's law or the waiting-list
    formulas of Fong et al. (2022); the document ``remiss estimate … --json`` prints."""
    try:
        match body:
            case MmcIn():
                return estimates.mmc_document(
                    body.arrival_rate, body.service_rate, body.servers, body.limit_days
                )
            case LittleIn():
                return estimates.little_document(
                    body.arrival_rate, body.mean_time, body.mean_number, body.unit
                )
            case WaitingListIn():
                return estimates.waiting_list_document(**body.model_dump(exclude={"model"}))
    except ValueError as exc:
        fields = (
            [f"body.{p}" for p in exc.params]
            if isinstance(exc, estimates.EstimateError)
            else ["body"]
        )
        raise Problem(
            422,
            "Invalid request",
            f"{fields[0]}: {exc}",
            [{"field": f, "message": str(exc)} for f in fields],
        ) from None
