"""The uncertainty of the estimated arrival rates, carried into the forecast's intervals.

A rate estimated from the history is not the true rate: ``k`` referrals from an area in
``w`` weeks estimate its weekly rate as ``k / w`` with a standard error of ``√k / w``.
Over a 26-week forecast that error moves the queue as much as the week-to-week
randomness does (a rate 0.7 a week too high is 18 referrals too many after 26 weeks),
so intervals from replications at the point estimate alone are too narrow.

Each replication therefore runs at its own arrival rates, drawn per area around the
estimate from the estimator's sampling distribution (a parametric bootstrap):
``rate × G`` with ``G ~ Gamma(k, 1/k)`` — mean 1, variance ``1/k``, so the drawn rate
has the estimate's mean and its Poisson standard error. Rates a scenario gives itself
(an override, or a scenario without ``forecast_estimates``) are taken as known. The
draws come from the replication's own ``estimates`` stream, so every other draw of the
replication is unchanged and a seed gives the same forecast serially or in parallel.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from simulering.spec import ModelSpec
from simulering.streams import Streams

FloatArray = npt.NDArray[np.float64]


def arrival_counts(estimates: Mapping[str, Any], area_ids: tuple[str, ...]) -> FloatArray | None:
    """The referrals per area (in ``area_ids`` order) behind the ``arrivals`` estimate
    (its weekly rate × its weeks of history); None when the rates were not estimated
    from history (absent, overridden or without weeks)."""
    est = estimates.get("arrivals")
    if not isinstance(est, Mapping):
        return None
    weeks, rates = est.get("weeks_of_history"), est.get("value")
    if not isinstance(rates, Mapping) or not isinstance(weeks, int | float) or weeks <= 0:
        return None
    return np.array([round(float(rates.get(a, 0.0)) * weeks) for a in area_ids], dtype=float)


def with_drawn_arrivals(spec: ModelSpec, counts: FloatArray, streams: Streams) -> ModelSpec:
    """``spec`` with each area's arrival rate multiplied by its ``Gamma(k, 1/k)`` draw
    (areas with no referrals in the history keep their rate of zero)."""
    rng = streams.get("estimates")
    seen = counts > 0
    factor = np.ones(counts.shape[0])
    factor[seen] = rng.gamma(counts[seen], 1.0 / counts[seen])
    return dataclasses.replace(spec, daily_arrivals=spec.daily_arrivals * factor[None, :])
