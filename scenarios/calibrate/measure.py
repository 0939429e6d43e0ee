"""Measuring a calibration's rows: simulate ``separate`` and read each row's share
waiting within 90 days and number waiting at its month end."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from allokering.domain import Stage
from scenarios.calibrate.targets import Target
from simulering.executors import Executor
from simulering.results import BOUNDS, estimate
from simulering.runner import iter_replications
from simulering.spec import ModelSpec

POLICY = "separate"
"""The policy whose figures are fitted: today's separate lists."""


@dataclass(frozen=True)
class Measured:
    """A row's simulated figures at its month end: mean and 95 % CI over replications."""

    share: float
    share_ci95: tuple[float, float]
    waiting: float
    waiting_ci95: tuple[float, float]


def measure(
    spec: ModelSpec,
    targets: Sequence[Target],
    seed: int,
    replications: int,
    executor: Executor | str | None = None,
    workers: int = 1,
) -> list[Measured]:
    """Simulate ``separate`` and read every row's share within 90 days and number
    waiting at its month end (a replication with nobody waiting counts as 100 %)."""
    shares = np.zeros((replications, len(targets)))
    queues = np.zeros((replications, len(targets)))
    runs = iter_replications(spec, [POLICY], seed, replications, workers, executor=executor)
    for r, (rep, _) in enumerate(runs):
        series = rep[POLICY].series
        for t, target in enumerate(targets):
            st = series[Stage(target.observation.stage)]
            within = waiting = 0.0
            for uid in target.unit_ids:
                q = float(st.unit_queue_length[uid][target.month_index] or 0.0)
                s = st.unit_share_waiting[uid][target.month_index]
                waiting += q
                if q > 0 and s is not None and not math.isnan(s):
                    within += float(s) * q
            shares[r, t] = within / waiting if waiting > 0 else 1.0
            queues[r, t] = waiting
    out: list[Measured] = []
    for t in range(len(targets)):
        share = estimate(shares[:, t], BOUNDS["share"])
        queue = estimate(queues[:, t], BOUNDS["non_negative"])
        out.append(
            Measured(
                share=_value(share.mean),
                share_ci95=(_value(share.lo), _value(share.hi)),
                waiting=_value(queue.mean),
                waiting_ci95=(_value(queue.lo), _value(queue.hi)),
            )
        )
    return out


def _value(x: float | None) -> float:
    """An estimate's figure (every replication gives a value here, so never ``None``)."""
    if x is None:
        raise ValueError("calibration measured no replication")
    return x
