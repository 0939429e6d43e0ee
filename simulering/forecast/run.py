"""``run_forecast``: a scenario holding the actual waiting list, simulated forward week
by week under each policy, summarised into the forecast document (Interface B).

This is the one place the simulation reads the scenario layer (Interface B takes a
:class:`~scenarios.schema.Scenario`): it resolves the scenario's region, checks its
references and compiles it with the forecast's horizon and no warm-up.

Replication ``i`` draws its patients from ``replication_stream(seed, i)`` and runs every
policy on them (common random numbers), so the document is the same whether the
replications run serially or on any executor (:mod:`simulering.executors`).
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scenarios.compiler import Overrides, compile_scenario
from scenarios.loader import check_references, load_region
from scenarios.schema import KNOWN_POLICIES, Scenario
from simulering.executors import Executor, SerialExecutor
from simulering.forecast.document import iso_days, policy_document
from simulering.forecast.errors import ForecastError
from simulering.forecast.uncertainty import FloatArray, arrival_counts, with_drawn_arrivals
from simulering.forecast.weekly import Calendar, WeeklySeries, weekly_series
from simulering.patients import draw_patients
from simulering.results import replication_warning
from simulering.runner import run_policy
from simulering.spec import ModelSpec
from simulering.streams import replication_stream

STAGES = ("first_visit", "treatment")
MAX_WEEKS = 52

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ForecastJob:
    """What every replication shares (sent once to a worker)."""

    spec: ModelSpec
    stage: int
    policies: tuple[str, ...]
    seed: int
    calendar: Calendar
    arrival_counts: FloatArray | None = None
    """The referrals per area behind estimated arrival rates (their uncertainty is
    drawn per replication, :mod:`simulering.forecast.uncertainty`); None: rates known."""


def forecast_replication(job: ForecastJob, replication: int) -> dict[str, WeeklySeries]:
    """Every policy on one replication's patients, read week by week.

    A model and its policy refer to each other (and SimPy's processes to the model), so
    a run's lists are freed only by the cycle collector; collecting after each run keeps
    the peak memory at one run's (about 330 MB rather than 4 GB for the 50,000-referral
    benchmark) for about 0.3 s of CPU."""
    streams = replication_stream(job.seed, replication)
    spec = job.spec
    if job.arrival_counts is not None:
        spec = with_drawn_arrivals(spec, job.arrival_counts, streams)
    patients = draw_patients(spec, streams)
    out: dict[str, WeeklySeries] = {}
    for name in job.policies:
        records = run_policy(spec, patients, name, job.seed, replication)
        out[name] = weekly_series(spec, patients, records, job.stage, job.calendar)
        del records
        gc.collect()
    return out


def check_request(
    scenario: Scenario,
    specialty: str,
    stage: str,
    weeks: int,
    replications: int,
    policies: Sequence[str],
) -> None:
    """One :class:`ForecastError` line for the first wrong argument."""
    if not specialty:
        raise ForecastError("specialty: empty")
    if stage not in STAGES:
        raise ForecastError(f"stage: unknown stage {stage!r} ({' | '.join(STAGES)})")
    if not 1 <= weeks <= MAX_WEEKS:
        raise ForecastError(f"weeks: {weeks} is not in 1..{MAX_WEEKS}")
    if replications < 1:
        raise ForecastError(f"replications: {replications}; at least 1")
    if not policies:
        raise ForecastError("policies: none given")
    for p in policies:
        if p not in KNOWN_POLICIES:
            raise ForecastError(
                f"policies: unknown policy {p!r}; known: {', '.join(KNOWN_POLICIES)}"
            )
    if scenario.waiting_list is None:
        raise ForecastError(
            f"scenario {scenario.name}: waiting_list: missing (a forecast starts from "
            "the actual list)"
        )


def forecast_calendar(start: dt.date, weeks: int, month_ends: Sequence[int]) -> Calendar:
    """The forecast Mondays: ``weeks`` of them from the first Monday on or after the
    start; the month ends up to the last forecast day."""
    first = (7 - start.weekday()) % 7
    mondays = np.arange(weeks, dtype=np.int64) * 7 + first
    end = int(mondays[-1]) + 7
    ends = np.array([d for d in month_ends if 0 <= d < end], dtype=np.int64)
    return Calendar(mondays=mondays, month_ends=ends)


def run_forecast(
    scenario: Scenario,
    specialty: str,
    stage: str,
    weeks: int = 26,
    replications: int = 20,
    policies: Sequence[str] = ("separate_by_hospital_group",),
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """The forecast document of ``scenario`` (with its ``waiting_list``): ``specialty,
    stage, as_of, weeks, initial_waiting, policies, replications, seed, estimates,
    warnings``. ``progress(done, total)`` is called as replications finish."""
    check_request(scenario, specialty, stage, weeks, replications, policies)
    start = scenario.run.start_date
    first = (7 - start.weekday()) % 7
    horizon = first + 7 * weeks
    path = Path(f"scenario {scenario.name}")
    region = load_region(scenario, path)
    check_references(scenario, region, path)
    spec = compile_scenario(scenario, region, Overrides(horizon_days=horizon, warmup_days=0))
    cal = forecast_calendar(start, weeks, spec.month_ends.tolist())
    s = STAGES.index(stage)
    estimates = dict(scenario.forecast_estimates or {})
    counts = arrival_counts(estimates, spec.area_ids)
    job = ForecastJob(spec, s, tuple(policies), scenario.run.seed, cal, counts)
    runs: dict[int, dict[str, WeeklySeries]] = {}
    ex = executor or SerialExecutor()
    for done, (i, result) in enumerate(
        ex.imap_unordered(forecast_replication, job, list(range(replications))), start=1
    ):
        runs[i] = result
        if progress is not None:
            progress(done, replications)
    ordered = [runs[i] for i in range(replications)]
    week_iso = iso_days(start, cal.mondays.tolist())
    month_iso = iso_days(start, cal.month_ends.tolist())
    wl = spec.waiting_list
    assert wl is not None
    return {
        "specialty": specialty,
        "stage": stage,
        "as_of": start.isoformat(),
        "weeks": week_iso,
        "initial_waiting": int((wl.stage == s).sum()),
        "policies": {
            p: policy_document(spec, [r[p] for r in ordered], week_iso, month_iso) for p in policies
        },
        "replications": replications,
        "seed": scenario.run.seed,
        "estimates": estimates,
        "uncertain_estimates": ["arrivals"] if counts is not None else [],
        "warnings": forecast_warnings(spec, s, replications),
    }


def forecast_warnings(spec: ModelSpec, stage: int, replications: int) -> list[str]:
    """What the reader of the forecast should know: few replications, listed referrals
    of the other stage (not forecast here)."""
    out: list[str] = []
    few = replication_warning(replications)
    if few:
        out.append(few)
    wl = spec.waiting_list
    if wl is not None:
        other = int((wl.stage != stage).sum())
        if other:
            out.append(
                f"{other} listed referral(s) wait on the other stage's list: not forecast here"
            )
    return out
