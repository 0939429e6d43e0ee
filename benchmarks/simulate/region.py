"""(b) A region-scale year: one replication of the region-scale scenario per policy,
split into drawing patients, running the model and computing KPIs. Target: under 10 s
per replication on one core."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.simulate.region_scenario import REGION_SCENARIO
from benchmarks.simulate.timing import timed
from scenarios.loader import Overrides, load_spec
from simulering.kpis import replication_kpis
from simulering.patients import draw_patients
from simulering.runner import run_policy
from simulering.streams import replication_stream

TARGET_SECONDS = 10.0


@dataclass(frozen=True)
class RegionResult:
    """One replication of the region-scale scenario under one policy."""

    policy: str
    horizon_days: int
    units: int
    referrals: int
    """Referrals in the replication (initial backlog included)."""
    arrivals: int
    """Of which arriving within the horizon."""
    served_first_visit: int
    served_treatment: int
    draw_seconds: float
    """Drawing the replication's patients (shared by all policies; counted in each)."""
    run_seconds: float
    kpi_seconds: float
    total_seconds: float
    cpu_seconds: float
    """CPU time of the three phases (less disturbed than wall time on a busy machine)."""
    referrals_per_second: float
    model_referrals_per_second: float
    under_target: bool


def region_benchmark(
    policies: Sequence[str] = ("separate", "shared"),
    horizon_days: int = 365,
    seed: int = 500_000,
    path: Path = REGION_SCENARIO,
) -> list[RegionResult]:
    """Time one replication of the region-scale scenario per policy, by phase."""
    _, spec = load_spec(path, Overrides(horizon_days=horizon_days, warmup_days=0))
    t_draw, c_draw, pts = timed(draw_patients, spec, replication_stream(seed, 0))
    arrivals = int(np.count_nonzero(pts.backlog_stage < 0))
    results = []
    for policy in policies:
        t_run, c_run, rec = timed(run_policy, spec, pts, policy, seed, 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months of a group
            t_kpi, c_kpi, _ = timed(replication_kpis, spec, pts, rec)
        total = t_draw + t_run + t_kpi
        results.append(
            RegionResult(
                policy=policy,
                horizon_days=spec.horizon_days,
                units=spec.n_units,
                referrals=pts.n,
                arrivals=arrivals,
                served_first_visit=int(np.count_nonzero(~np.isnan(rec.served[0]))),
                served_treatment=int(np.count_nonzero(~np.isnan(rec.served[1]))),
                draw_seconds=t_draw,
                run_seconds=t_run,
                kpi_seconds=t_kpi,
                total_seconds=total,
                cpu_seconds=c_draw + c_run + c_kpi,
                referrals_per_second=pts.n / total,
                model_referrals_per_second=pts.n / t_run,
                under_target=total < TARGET_SECONDS,
            )
        )
    return results
