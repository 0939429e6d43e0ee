"""The waiting-list estimate of Fong et al. (2022): its inputs checked, the metrics of
:func:`simulering.estimate.waiting_list`, its rows, notes and document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.estimates.document import Estimate, EstimateError, InputValue, Row, TimeUnit
from api.estimates.inputs import non_negative, number, optional, positive, time_unit
from simulering import estimate as est

RELIEF_DEFAULT = {TimeUnit.week: 26.0, TimeUnit.day: 182.0}
"""Default time to bring a list to target size: six months."""
SOURCE = (
    "Fong K et al., Understanding Waiting Lists Pressures, medRxiv 2022, "
    "doi:10.1101/2022.08.23.22279117 (as implemented in R NHSRwaitinglist)."
)


@dataclass(frozen=True)
class WaitingListInputs:
    """The checked inputs: rates per ``unit``, waits in ``unit``\\ s; the factor from
    ``target_share`` when that is given, else ``factor`` (default 4)."""

    demand: float
    target_wait: float
    capacity: float | None
    queue_size: float | None
    mean_wait: float | None
    target_share: float | None
    factor: float
    time_to_target: float
    cv_demand: float
    cv_capacity: float
    unit: TimeUnit

    def document(self) -> dict[str, InputValue]:
        """The inputs as the document's ``inputs``."""
        return {
            "demand": self.demand,
            "capacity": self.capacity,
            "queue_size": self.queue_size,
            "mean_wait": self.mean_wait,
            "target_wait": self.target_wait,
            "target_share": self.target_share,
            "factor": self.factor,
            "time_to_target": self.time_to_target,
            "cv_demand": self.cv_demand,
            "cv_capacity": self.cv_capacity,
            "time_unit": self.unit.value,
        }


def waiting_list_estimate(
    demand: float,
    target_wait: float,
    capacity: float | None = None,
    queue_size: float | None = None,
    mean_wait: float | None = None,
    target_share: float | None = None,
    factor: float | None = None,
    time_to_target: float | None = None,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
    unit: TimeUnit | str = TimeUnit.week,
) -> Estimate:
    """Waiting-list metrics of Fong et al. (2022): load, targets, capacity, pressure.

    Rates are per ``unit``, waits in ``unit``\\ s. ``capacity``, ``queue_size`` and
    ``mean_wait`` are optional; what needs a missing one is reported as ``None``.

    Raises:
        EstimateError: a negative or non-finite number, a zero ``target_wait``,
            ``capacity``, ``factor`` or ``time_to_target``, ``target_share`` outside
            (0, 1), or both ``target_share`` and ``factor``.
    """
    tu = time_unit(unit)
    if target_share is not None and factor is not None:
        raise EstimateError(
            ("target_share", "factor"), "give either target_share or factor, not both"
        )
    d = non_negative("demand", demand)
    target = positive("target_wait", target_wait)
    cap = optional(positive, "capacity", capacity)
    q = optional(non_negative, "queue_size", queue_size)
    w = optional(non_negative, "mean_wait", mean_wait)
    share_in = optional(number, "target_share", target_share)
    if share_in is not None and not 0 < share_in < 1:
        raise EstimateError(
            "target_share", f"target_share must be strictly between 0 and 1, got {target_share!r}"
        )
    f = (
        est.factor_for_share(share_in)
        if share_in is not None
        else est.DEFAULT_FACTOR
        if factor is None
        else positive("factor", factor)
    )
    ttt = (
        RELIEF_DEFAULT[tu] if time_to_target is None else positive("time_to_target", time_to_target)
    )
    cvd = non_negative("cv_demand", cv_demand)
    cvc = non_negative("cv_capacity", cv_capacity)
    return waiting_list_of(WaitingListInputs(d, target, cap, q, w, share_in, f, ttt, cvd, cvc, tu))


def waiting_list_of(i: WaitingListInputs) -> Estimate:
    """The estimate of checked inputs."""
    r = est.waiting_list(
        i.demand, i.target_wait, i.factor, i.time_to_target, i.cv_demand, i.cv_capacity,
        capacity=i.capacity, queue_size=i.queue_size, mean_wait=i.mean_wait,
    )  # fmt: skip
    return Estimate(
        "waiting-list",
        "Waiting list (Fong et al. 2022)",
        i.document(),
        waiting_list_rows(i, r),
        waiting_list_notes(i, r),
    )


def waiting_list_rows(i: WaitingListInputs, r: est.WaitingListResult) -> tuple[Row, ...]:
    """The rows of a waiting-list estimate: the load and the targets, then the list
    against its target size and the capacities."""
    return _target_rows(i, r) + _list_rows(i, r)


def _target_rows(i: WaitingListInputs, r: est.WaitingListResult) -> tuple[Row, ...]:
    u = i.unit.value
    return (
        Row("queue_load", "Queue load", r.queue_load, "–", "demand / capacity"),
        Row(
            "factor",
            "Factor (target / mean wait)",
            i.factor,
            "–",
            "−ln(1 − share)" if i.target_share is not None else "given (default 4)",
        ),
        Row(
            "share_within_target",
            "Share within target",
            r.share_within_target,
            "fraction",
            "1 − exp(−factor)",
        ),
        Row(
            "target_mean_wait",
            "Target mean wait",
            r.target_mean_wait,
            f"{u}s",
            "target_wait / factor",
        ),
        Row(
            "target_queue_size",
            "Target queue size",
            r.target_queue_size,
            "patients",
            "demand × target_wait / factor",
        ),
    )


def _list_rows(i: WaitingListInputs, r: est.WaitingListResult) -> tuple[Row, ...]:
    u = i.unit.value
    per = f"patients/{u}"
    return (
        Row(
            "queue_ratio",
            "Queue size / target size",
            r.queue_ratio,
            "–",
            "queue_size / target_queue_size",
        ),
        Row(
            "queue_too_big",
            "Queue > 2 × target (relief needed)",
            r.queue_too_big,
            "–",
            "queue_size > 2 × target_queue_size",
        ),
        Row(
            "relief_capacity",
            f"Relief capacity (over {i.time_to_target:g} {u}s)",
            r.relief_capacity,
            per,
            "demand + (queue_size − target_queue_size) / time_to_target",
        ),
        Row(
            "target_capacity",
            "Target capacity",
            r.target_capacity,
            per,
            "demand + ((cv_d² + cv_c²)/2) × factor / target_wait",
        ),
        Row(
            "waiting_list_pressure",
            "Waiting-list pressure",
            r.pressure,
            "–",
            "2 × mean_wait / target_wait",
        ),
    )


def waiting_list_notes(i: WaitingListInputs, r: est.WaitingListResult) -> tuple[str, ...]:
    """What to read into the figures, what was not computed, and the source."""
    notes: list[str] = []
    if r.queue_load is not None and r.queue_load >= 1:
        notes.append("Load ≥ 1: demand exceeds capacity, the list grows without bound.")
    if r.queue_too_big:
        notes.append(
            "The list is more than twice its target size: run the relief capacity "
            "until it reaches target size, then the target capacity."
        )
    if r.pressure is not None and r.pressure > 1:
        notes.append("Pressure > 1: the list will most likely miss its target.")
    missing = [
        name
        for name, value in (
            ("--capacity (queue load)", i.capacity),
            ("--queue-size (relief capacity)", i.queue_size),
            ("--mean-wait (pressure)", i.mean_wait),
        )
        if value is None
    ]
    if missing:
        notes.append("Not computed, needs " + ", ".join(missing) + ".")
    notes.append(SOURCE)
    return tuple(notes)


def waiting_list_document(
    demand: float,
    target_wait: float,
    capacity: float | None = None,
    queue_size: float | None = None,
    mean_wait: float | None = None,
    target_share: float | None = None,
    factor: float | None = None,
    time_to_target: float | None = None,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
    unit: TimeUnit | str = TimeUnit.week,
) -> dict[str, Any]:
    """The JSON document of :func:`waiting_list_estimate`."""
    return waiting_list_estimate(
        demand,
        target_wait,
        capacity,
        queue_size,
        mean_wait,
        target_share,
        factor,
        time_to_target,
        cv_demand,
        cv_capacity,
        unit,
    ).document()
