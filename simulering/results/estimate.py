"""The one summary of values across replications: :class:`Estimate`, made by
:func:`estimate` (a Student-t interval cut to the KPI's range).

The t quantile (:func:`t_quantile`) is ``scipy.special.stdtrit`` — what
``scipy.stats.t.ppf`` computes, without importing ``scipy.stats`` (0.8 s of a command's
start-up) — imported when a quantile is first needed: ``scipy.special`` alone is 0.4 s
and about 26 MiB resident, which a one-replication run, a command's ``--help`` or a
process that only runs replications (a worker, a benchmark) need not pay."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from simulering.catalogue import CATALOGUE, RangeKind

CONFIDENCE: Final = 0.95
MIN_REPLICATIONS: Final = 5
"""Fewer replications than this give a warning: with 2 the t-quantile is 12.7 and the
intervals say little."""

BOUNDS: Final[dict[RangeKind, tuple[float, float]]] = {
    "share": (0.0, 1.0),
    "non_negative": (0.0, math.inf),
    "real": (-math.inf, math.inf),
}
"""The closed range of a KPI of each range kind."""

DIFFERENCE_BOUNDS: Final[dict[RangeKind, tuple[float, float]]] = {
    "share": (-1.0, 1.0),
    "non_negative": (-math.inf, math.inf),
    "real": (-math.inf, math.inf),
}
"""The range of a paired difference of two KPIs of each range kind."""


def t_quantile(df: int, p: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom."""
    from scipy.special import stdtrit

    return float(stdtrit(df, p))


def kpi_range(name: str | None) -> RangeKind:
    """The range kind of a KPI name (``real`` when unknown)."""
    entry = CATALOGUE.get(name) if name is not None else None
    return entry.range if entry is not None else "real"


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean across replications with its 95 % interval ``[lo, hi]``.

    ``None`` everywhere when no replication had a finite value (e.g. nobody served);
    ``n`` is how many had one (not written to documents).
    """

    mean: float | None
    lo: float | None
    hi: float | None
    n: int = 0

    def to_document(self) -> dict[str, Any]:
        return {"mean": self.mean, "ci95": [self.lo, self.hi]}

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Estimate:
        lo, hi = doc["ci95"]
        return cls(number(doc["mean"]), number(lo), number(hi))


NO_ESTIMATE: Final = Estimate(None, None, None, 0)


def estimate(
    values: Sequence[float] | np.ndarray,
    bounds: tuple[float, float] = BOUNDS["real"],
    confidence: float = CONFIDENCE,
) -> Estimate:
    """Mean and two-sided Student-t interval of the finite ``values`` (NaN/inf dropped),
    cut to ``bounds`` (the range the mean can have, :data:`BOUNDS`).

    With one value, or when every value is the same (all 0, all 1), the interval is the
    point; with none, :data:`NO_ESTIMATE`.

    Cutting the t-interval to the range keeps its coverage exactly: the true mean lies
    in the range, so it is inside the cut interval exactly when it is inside the
    t-interval. The cut interval always contains the mean. (Values outside ``bounds``
    widen the bounds to include them, so the mean is never cut off.)
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    n = int(arr.size)
    if n == 0:
        return NO_ESTIMATE
    if n < 2 or float(arr.min()) == float(arr.max()):
        x = float(arr[0])  # all equal: the mean without rounding, and no spread
        return Estimate(x, x, x, n)
    mean = float(arr.mean())
    sd = float(arr.std(ddof=1))
    half = t_quantile(n - 1, 0.5 + confidence / 2) * sd / math.sqrt(n)
    floor = min(bounds[0], float(arr.min()))
    ceiling = max(bounds[1], float(arr.max()))
    lo = min(max(mean - half, floor), mean)
    hi = max(min(mean + half, ceiling), mean)
    return Estimate(mean, lo, hi, n)


def estimate_kpi(name: str, values: Sequence[float]) -> Estimate:
    """:func:`estimate` kept inside the range of the KPI called ``name``."""
    return estimate(values, bounds=BOUNDS[kpi_range(name)])


def replication_warning(replications: int) -> str | None:
    """A one-line warning when there are fewer than :data:`MIN_REPLICATIONS`."""
    if replications >= MIN_REPLICATIONS:
        return None
    t = t_quantile(replications - 1, 0.975) if replications >= 2 else math.inf
    why = (
        "one replication has no confidence interval (shown as the point)"
        if replications < 2
        else f"the 95 % intervals use a t-quantile of {t:.1f} and say little"
    )
    return (
        f"only {replications} replication{'s' if replications != 1 else ''} "
        f"(fewer than {MIN_REPLICATIONS}): {why}; use --replications {MIN_REPLICATIONS * 2} "
        "or more"
    )


def number(x: Any) -> float | None:
    """A JSON number as float (``None``, NaN and inf as ``None``)."""
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None
