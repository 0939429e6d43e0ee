"""The back-test arithmetic: a forecast made on a past date against what happened since.

Per forecast week present in ``realised``: the realised queue and breaches beside the
forecast's mean and 95 % interval; the mean absolute error of the means, and the
coverage — the share of compared weeks whose realised value lies within ``[lo, hi]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulering.forecast.errors import ForecastError


def backtest(
    doc: Mapping[str, Any], realised: Mapping[str, Mapping[str, int]], policy: str
) -> dict[str, Any]:
    """Compare forecast ``doc``'s ``policy`` with ``realised`` (``{week_iso: {"queue":
    int, "breaches": int}}``), week by week."""
    policies = doc.get("policies", {})
    if policy not in policies:
        known = ", ".join(policies) or "none"
        raise ForecastError(f"policy: {policy!r} is not in the forecast (it has {known})")
    queue = {p["week"]: p for p in policies[policy]["queue"]["region"]}
    breaches = {p["week"]: p for p in policies[policy]["breaches"]["region"]}
    weeks: list[dict[str, Any]] = []
    for week in doc["weeks"]:
        seen = realised.get(week)
        if seen is None:
            continue
        for key in ("queue", "breaches"):
            if key not in seen:
                raise ForecastError(f"realised.{week}: no {key!r}")
        weeks.append(
            {
                "week": week,
                "realised_queue": int(seen["queue"]),
                "forecast_queue": _band(queue[week]),
                "realised_breaches": int(seen["breaches"]),
                "forecast_breaches": _band(breaches[week]),
            }
        )
    return {
        "policy": policy,
        "weeks": weeks,
        "queue_mae": _mae(weeks, "queue"),
        "breaches_mae": _mae(weeks, "breaches"),
        "queue_coverage": _coverage(weeks, "queue"),
        "breaches_coverage": _coverage(weeks, "breaches"),
        "weeks_compared": len(weeks),
    }


def _band(point: Mapping[str, Any]) -> dict[str, float]:
    return {"mean": point["mean"], "lo": point["lo"], "hi": point["hi"]}


def _mae(weeks: list[dict[str, Any]], key: str) -> float | None:
    if not weeks:
        return None
    errors = [abs(w[f"realised_{key}"] - w[f"forecast_{key}"]["mean"]) for w in weeks]
    return float(sum(errors)) / len(errors)


def _coverage(weeks: list[dict[str, Any]], key: str) -> float | None:
    if not weeks:
        return None
    inside = [
        w[f"forecast_{key}"]["lo"] <= w[f"realised_{key}"] <= w[f"forecast_{key}"]["hi"]
        for w in weeks
    ]
    return float(sum(inside)) / len(inside)
