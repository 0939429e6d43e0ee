"""Simulation benchmark: referrals simulated per second (issue 2, part 9).

Two measurements, printed as a Rich table and written to ``benchmarks/results/``:

(a) **textbook** — the textbook M/M/2 × 4 scenario (server mode) run by remiss against a
    bare SimPy M/M/c loop written the idiomatic way (a process per customer, one
    ``simpy.Resource(capacity=c)`` per unit, an arrival process per unit), doing the same
    work in the same run: the very same customers (arrival and service times), the same
    units and servers. The ratio remiss / peer is the headline; the target is ≥ 1.0.
    Both mean waits are printed beside Erlang C so the peer visibly does the same work.
    With ``policy="shared"`` the peer is one M/M/8 queue instead.

(b) **region** — a region-scale year: 500,000 referrals over 40 units of the VGR
    geography (``benchmarks/scenarios/region_scale.yaml``, built by
    :func:`build_region_scenario`), one replication per policy, split into drawing
    patients, running the model and computing KPIs. Target: under 10 s per replication
    on one core.

Run it with ``remiss-bench simulate`` (``--quick`` for a CI-sized smoke run) or
``python -m benchmarks.simulate``.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import math
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable, Generator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import simpy
import yaml
from rich.console import Console
from rich.table import Table

from allokering.travel import great_circle_km
from benchmarks import BENCH_DIR, RESULTS_DIR
from scenarios.loader import REGION_DIR, Overrides, compile_scenario, load_region_file, load_spec
from scenarios.schema import RegionSpec, Scenario
from simulering.estimate import mmc
from simulering.kpis import replication_kpis
from simulering.model import Records, home_units
from simulering.patients import Patients, draw_patients
from simulering.runner import run_policy
from simulering.spec import ModelSpec
from simulering.streams import replication_stream

REGION_SCENARIO = BENCH_DIR / "scenarios" / "region_scale.yaml"
TARGET_RATIO = 1.0
TARGET_SECONDS = 10.0
T = TypeVar("T")


# --- (a) the textbook scenario against a bare SimPy M/M/c loop ---------------------------
@dataclass(frozen=True)
class PeerRun:
    """What the bare SimPy loop did."""

    customers: int
    served: int
    mean_wait: float
    """Mean wait (days) of customers arriving after the warm-up who started service."""


def bare_simpy_mmc(
    queues: Sequence[tuple[int, Sequence[float], Sequence[float]]], horizon: float, warmup: float
) -> PeerRun:
    """The idiomatic SimPy M/M/c model: ``queues`` holds ``(servers, arrival times,
    service times)`` per unit; a process per customer and per unit's arrival stream."""
    env = simpy.Environment()
    waits: list[float] = []
    started = [0]

    def customer(
        res: simpy.Resource, arrived: float, service: float
    ) -> Generator[simpy.Event, Any, None]:
        with res.request() as req:
            yield req
            started[0] += 1
            if arrived >= warmup:
                waits.append(env.now - arrived)
            yield env.timeout(service)

    def arrivals(
        res: simpy.Resource, times: Sequence[float], services: Sequence[float]
    ) -> Generator[simpy.Event, Any, None]:
        for t, service in zip(times, services, strict=True):
            yield env.timeout(t - env.now)
            env.process(customer(res, env.now, service))

    customers = 0
    for servers, times, services in queues:
        res = simpy.Resource(env, capacity=servers)
        env.process(arrivals(res, times, services))
        customers += len(times)
    env.run(until=horizon)
    return PeerRun(customers, started[0], statistics.fmean(waits) if waits else math.nan)


def peer_queues(
    spec: ModelSpec, pts: Patients, policy: str
) -> list[tuple[int, list[float], list[float]]]:
    """The same customers for the peer: per home unit (``separate``) or one pooled queue
    (``shared``), in arrival order, with their own service times."""
    pool = spec.pools[0]
    assert pool.mode == "servers" and pool.servers is not None
    order = np.argsort(pts.ready, kind="stable")
    ready, service = pts.ready[order], pts.service[0][order]
    if policy == "shared":
        return [(int(pool.servers.sum()), ready.tolist(), service.tolist())]
    home = np.asarray(home_units(spec)[0])[pts.area[order]]
    return [
        (int(pool.servers[u]), ready[home == u].tolist(), service[home == u].tolist())
        for u in range(spec.n_units)
    ]


def remiss_mean_wait(spec: ModelSpec, rec: Records) -> float:
    """Mean first-visit wait of referrals arriving after the warm-up and served."""
    start, served = rec.clock_start[0], rec.served[0]
    mask = (start >= spec.warmup_days) & ~np.isnan(served)
    return float(np.mean(served[mask] - start[mask])) if mask.any() else math.nan


def erlang_c_wait(spec: ModelSpec, policy: str) -> float:
    """Erlang C mean wait of the textbook scenario (all units alike)."""
    pool = spec.pools[0]
    assert pool.servers is not None and pool.service is not None
    lam_per_unit = float(spec.daily_arrivals.mean(axis=0).sum()) / spec.n_units
    servers = int(pool.servers[0])
    if policy == "shared":
        return mmc(
            lam_per_unit * spec.n_units, 1.0 / pool.service.mean, servers * spec.n_units
        ).mean_wait
    return mmc(lam_per_unit, 1.0 / pool.service.mean, servers).mean_wait


@dataclass(frozen=True)
class TextbookResult:
    """Textbook scenario: remiss against the bare SimPy peer (best of ``repeats``)."""

    policy: str
    horizon_days: int
    warmup_days: int
    repeats: int
    referrals: int
    """Referrals simulated by remiss, summed over the repeats."""
    peer_customers: int
    """Customers simulated by the peer, summed over the repeats (equal to ``referrals``)."""
    remiss_served: int
    peer_served: int
    draw_seconds: float
    run_seconds: float
    kpi_seconds: float
    remiss_seconds: float
    """Drawing patients + running the model (best repeat)."""
    remiss_kpi_seconds: float
    """Drawing + running + KPIs (best repeat)."""
    peer_seconds: float
    remiss_per_second: float
    remiss_model_only_per_second: float
    remiss_with_kpis_per_second: float
    peer_per_second: float
    ratio: float
    """remiss (draw + run) per second / peer per second; target ≥ 1.0."""
    ratio_with_kpis: float
    erlang_c_wait: float
    remiss_mean_wait: float
    peer_mean_wait: float
    remiss_median_seconds: float
    peer_median_seconds: float


def _timed(fn: Callable[..., T], *args: Any) -> tuple[float, float, T]:
    """Wall-clock and CPU seconds of ``fn(*args)``, and its value."""
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    value = fn(*args)
    return time.perf_counter() - w0, time.process_time() - c0, value


def textbook_benchmark(
    horizon_days: int = 3650,
    warmup_days: int = 180,
    repeats: int = 5,
    seed: int = 1,
    policy: str = "separate",
) -> TextbookResult:
    """Time remiss (draw + run, and + KPIs) against the bare SimPy loop, interleaved.

    Repeat ``i`` simulates replication ``i`` (so the mean waits, averaged over the
    repeats, can be held against Erlang C); rates are the best repeat's, counts and
    served are summed over the repeats.
    """
    _, spec = load_spec(
        "textbook_mmc", Overrides(horizon_days=horizon_days, warmup_days=warmup_days)
    )
    n: list[int] = []
    draws: list[float] = []
    runs: list[float] = []
    kpis: list[float] = []
    peers: list[float] = []
    remiss_served: list[int] = []
    remiss_waits: list[float] = []
    peer_runs: list[PeerRun] = []
    for rep in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        pts = draw_patients(spec, replication_stream(seed, rep))
        t1 = time.perf_counter()
        rec = run_policy(spec, pts, policy, seed, rep)
        t2 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months of a group
            replication_kpis(spec, pts, rec)
        t3 = time.perf_counter()
        queues = peer_queues(spec, pts, policy)
        gc.collect()
        t4 = time.perf_counter()
        peer = bare_simpy_mmc(queues, spec.horizon_days, spec.warmup_days)
        t_peer = time.perf_counter() - t4
        t_draw, t_run, t_kpi = t1 - t0, t2 - t1, t3 - t2
        n.append(pts.n)
        draws.append(t_draw)
        runs.append(t_run)
        kpis.append(t_kpi)
        peers.append(t_peer)
        remiss_served.append(int(np.count_nonzero(~np.isnan(rec.served[0]))))
        remiss_waits.append(remiss_mean_wait(spec, rec))
        peer_runs.append(peer)

    def best_rate(seconds: list[float], counts: list[int]) -> float:
        return max(c / s for c, s in zip(counts, seconds, strict=True))

    remiss = [d + r for d, r in zip(draws, runs, strict=True)]
    with_kpis = [d + r + k for d, r, k in zip(draws, runs, kpis, strict=True)]
    peer_n = [p.customers for p in peer_runs]
    rate, rate_kpi, rate_peer = (
        best_rate(remiss, n),
        best_rate(with_kpis, n),
        best_rate(peers, peer_n),
    )
    return TextbookResult(
        policy=policy,
        horizon_days=spec.horizon_days,
        warmup_days=spec.warmup_days,
        repeats=repeats,
        referrals=sum(n),
        peer_customers=sum(peer_n),
        remiss_served=sum(remiss_served),
        peer_served=sum(p.served for p in peer_runs),
        draw_seconds=min(draws),
        run_seconds=min(runs),
        kpi_seconds=min(kpis),
        remiss_seconds=min(remiss),
        remiss_kpi_seconds=min(with_kpis),
        peer_seconds=min(peers),
        remiss_per_second=rate,
        remiss_model_only_per_second=best_rate(runs, n),
        remiss_with_kpis_per_second=rate_kpi,
        peer_per_second=rate_peer,
        ratio=rate / rate_peer,
        ratio_with_kpis=rate_kpi / rate_peer,
        erlang_c_wait=erlang_c_wait(spec, policy),
        remiss_mean_wait=statistics.fmean(remiss_waits),
        peer_mean_wait=statistics.fmean(p.mean_wait for p in peer_runs),
        remiss_median_seconds=statistics.median(remiss),
        peer_median_seconds=statistics.median(peers),
    )


# --- (b) a region-scale year ------------------------------------------------------------
NEW_UNIT_MIN_KM = 8.0
"""A municipality gets its own unit only if no VGR site is within this distance."""
FORCED_CATCHMENT = {"1440": "siv_angered", "1407": "siv_frolunda"}
"""Ale to Angered, Öckerö to Frölunda: so that every public site owns a catchment."""
CENTRAL_SITES = 14
"""Central operations at the public VGR hospital sites (the first units of vgr.yaml)."""
CAPACITY_MARGIN = 1.05
PRIVATE_SHARE = 0.02
"""Extra first-visit and day-surgery capacity of each contracted private provider, as a
share of regional demand (reachable from the shared list only: they own no catchment)."""
SEASONALITY = [1.05, 1.05, 1.05, 1.0, 1.0, 0.95, 0.8, 0.9, 1.05, 1.05, 1.05, 1.05]
REDUCTIONS: list[dict[str, Any]] = [
    {"name": "sommar", "start": "06-22", "end": "08-09", "factor": 0.5},
    {"name": "jul", "start": "12-22", "end": "01-06", "factor": 0.6},
]
DECISION_SHARE = 0.4
TREATMENT_POOLS: list[dict[str, Any]] = [
    {"name": "day_surgery", "share": 0.6},
    {"name": "central", "share": 0.4},
]


def _slug(name: str) -> str:
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", " ": "_", "-": "_"})
    return name.lower().translate(table)


def _effective_weeks(start: dt.date, days: int) -> float:
    """Weekday slots in a year after the reductions, in weeks of five weekdays."""
    total = 0.0
    for i in range(days):
        day = start + dt.timedelta(days=i)
        if day.weekday() >= 5:
            continue
        md = f"{day.month:02d}-{day.day:02d}"
        factor = 1.0
        for r in REDUCTIONS:
            s, e = str(r["start"]), str(r["end"])
            if (s <= md <= e) if s <= e else (md >= s or md <= e):
                factor *= float(r["factor"])
        total += factor
    return total / 5.0


def build_region_scenario(
    referrals_per_year: float = 500_000, n_units: int = 40, start: dt.date = dt.date(2026, 1, 1)
) -> dict[str, Any]:
    """A region-scale scenario on the VGR geography, as a scenario-file mapping.

    Units: the 16 sites of ``vgr.yaml`` plus new local units at the main towns of the
    largest municipalities that have no site within ``NEW_UNIT_MIN_KM`` (up to
    ``n_units``). Every area belongs to the nearest public unit of its hospital group
    (explicit catchments). Slot calendars are sized to each unit's demand × 1.05 over the
    year, allowing for the summer and Christmas reductions.
    """
    vgr = load_region_file(REGION_DIR / "vgr.yaml")
    group_of = {a: g.id for g in vgr.hospital_groups for a in g.catchment}
    units: list[dict[str, Any]] = [u.model_dump() for u in vgr.units]
    for area in sorted(vgr.areas, key=lambda a: -a.population):
        if len(units) >= n_units:
            break
        near = min(great_circle_km(area.lat, area.lon, u["lat"], u["lon"]) for u in units)
        if near < NEW_UNIT_MIN_KM or area.id in FORCED_CATCHMENT:
            continue
        group = group_of[area.id]
        units.append(
            {
                "id": f"{_slug(group)}_{_slug(area.name)}",
                "name": f"{area.name} närsjukvård",
                "hospital_group": group,
                "site": area.name,
                "lat": area.lat,
                "lon": area.lon,
                "private": False,
                "region": "",
            }
        )
    public = [u for u in units if not u["private"]]
    catchment: dict[str, list[str]] = {u["id"]: [] for u in units}
    for area in vgr.areas:
        if area.id in FORCED_CATCHMENT:
            catchment[FORCED_CATCHMENT[area.id]].append(area.id)
            continue
        same = [u for u in public if u["hospital_group"] == group_of[area.id]]
        best = min(same, key=lambda u: great_circle_km(area.lat, area.lon, u["lat"], u["lon"]))
        catchment[best["id"]].append(area.id)
    empty = [u["id"] for u in public if not catchment[u["id"]]]
    assert not empty, f"public units without a catchment: {empty}"

    central = {u.id for u in vgr.units if not u.private}
    assert len(central) == CENTRAL_SITES
    region = vgr.model_dump(exclude_none=True) | {
        "id": "vgr_region_scale",
        "name": f"VGR with {len(units)} units (benchmark)",
        "units": units,
    }
    scenario: dict[str, Any] = {
        "name": "region_scale",
        "title": f"Region-scale benchmark year: {referrals_per_year:,.0f} referrals, "
        f"{len(units)} units",
        "description": "Generated by benchmarks/simulate.py (build_region_scenario) for the "
        "simulation benchmark. Synthetic volumes on the real VGR geography.",
        "sources": ["Geography: scenarios/regioner/vgr.yaml (../shared/data/vgr_kommuner.csv)"],
        "assumptions": [
            f"{referrals_per_year:,.0f} referrals a year split by population",
            f"Units: the {len(vgr.units)} VGR sites plus local units at the largest "
            f"municipalities without a site within {NEW_UNIT_MIN_KM:g} km",
            "Each area belongs to the nearest public unit of its hospital group "
            "(Ale to Angered, Öckerö to Frölunda)",
            f"Slot calendars sized to demand × {CAPACITY_MARGIN} over the year after the "
            "summer (50 %) and Christmas (60 %) reductions",
            f"Private providers: {PRIVATE_SHARE:.0%} of regional demand each in first "
            "visits and day surgery, no catchment",
            f"{DECISION_SHARE:.0%} decided for treatment: day surgery at every unit, "
            "central operations at the 14 public hospital sites",
        ],
        "region": region,
        "priorities": [
            {"name": "P1", "share": 0.15, "first_visit_days": 30, "treatment_days": 30},
            {"name": "standard", "share": 0.85},
        ],
        "demand": {
            "split": "population",
            "referrals_per_year": referrals_per_year,
            "seasonality": SEASONALITY,
        },
        "pathway": {
            "assessment": {
                "delay_days": {"kind": "lognormal", "mean": 7, "sd": 4},
                "returned_share": 0.05,
                "completion_days": {"kind": "exponential", "mean": 14},
            },
            "decision_share": DECISION_SHARE,
            "treatment_pools": TREATMENT_POOLS,
        },
        "units": [],
        "reductions": REDUCTIONS,
        "behaviour": {
            "travel": {"acceptance": [[0, 1.0], [30, 0.9], [80, 0.6], [150, 0.3], [250, 0.1]]},
            "no_show_share": 0.03,
            "withdrawal_share_per_year": 0.10,
        },
        "run": {
            "start_date": start.isoformat(),
            "horizon_days": 365,
            "warmup_days": 0,
            "seed": 500_000,
            "replications": 1,
            "policies": ["separate", "shared"],
        },
    }

    # Compile once with placeholder capacity to learn where demand lands, then size.
    def unit_entry(u: dict[str, Any], fv: float, ds: float, ce: float) -> dict[str, Any]:
        entry: dict[str, Any] = {"unit": u["id"]}
        if catchment[u["id"]]:
            entry["catchment"] = catchment[u["id"]]
        entry["first_visit"] = {"slots_per_week": round(fv, 1)}
        entry["treatment"] = {"day_surgery": {"slots_per_week": round(ds, 1)}}
        if u["id"] in central:
            entry["treatment"]["central"] = {"slots_per_week": round(ce, 1)}
        return entry

    scenario["units"] = [unit_entry(u, 1, 1, 1) for u in units]
    draft = compile_scenario(Scenario.model_validate(scenario), RegionSpec.model_validate(region))
    per_area = draft.daily_arrivals.sum(axis=0)
    per_year = per_area / per_area.sum() * referrals_per_year
    fv_demand = np.bincount(draft.home_unit, weights=per_year, minlength=len(units))
    homes = home_units(draft)
    tr_demand = [
        np.bincount(
            np.asarray(homes[p + 1]),
            weights=per_year * DECISION_SHARE * pool["share"],
            minlength=len(units),
        )
        for p, pool in enumerate(TREATMENT_POOLS)
    ]
    weeks = _effective_weeks(start, 365)
    entries = []
    for i, u in enumerate(units):
        if u["private"]:
            fv = ds = PRIVATE_SHARE * referrals_per_year
            ds *= DECISION_SHARE * float(TREATMENT_POOLS[0]["share"])
            entries.append(unit_entry(u, fv / weeks, ds / weeks, 0.0))
            continue
        entries.append(
            unit_entry(
                u,
                *(
                    CAPACITY_MARGIN * float(d[i]) / weeks
                    for d in (fv_demand, tr_demand[0], tr_demand[1])
                ),
            )
        )
    scenario["units"] = entries
    scenario["backlog"] = [
        {
            "unit": u["id"],
            "count": round(float(fv_demand[i]) * 3 / 52),
            "age_profile": [{"from_days": 0, "to_days": 90, "share": 1.0}],
        }
        for i, u in enumerate(units)
        if not u["private"]
    ]
    Scenario.model_validate(scenario)
    return scenario


def write_region_scenario(path: Path = REGION_SCENARIO, **kwargs: Any) -> Path:
    """Build the region-scale scenario and store it as a YAML file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Region-scale simulation benchmark scenario, generated by\n"
        "# benchmarks/simulate.py (build_region_scenario). Regenerate with\n"
        "# `python -m benchmarks.simulate --rebuild-scenario`.\n"
    )
    text = yaml.safe_dump(
        build_region_scenario(**kwargs), allow_unicode=True, sort_keys=False, width=100
    )
    path.write_text(header + text, encoding="utf-8")
    return path


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
    t_draw, c_draw, pts = _timed(draw_patients, spec, replication_stream(seed, 0))
    arrivals = int(np.count_nonzero(pts.backlog_stage < 0))
    results = []
    for policy in policies:
        t_run, c_run, rec = _timed(run_policy, spec, pts, policy, seed, 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months of a group
            t_kpi, c_kpi, _ = _timed(replication_kpis, spec, pts, rec)
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


# --- reporting ----------------------------------------------------------------------------
@dataclass(frozen=True)
class BenchmarkReport:
    """Everything one benchmark run measured, with the machine it ran on."""

    date: str
    machine: dict[str, Any]
    quick: bool
    textbook: list[TextbookResult] = field(default_factory=list)
    region: list[RegionResult] = field(default_factory=list)


def machine_info() -> dict[str, Any]:
    """Platform, CPU and library versions."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "simpy": simpy.__version__,
        "numpy": np.__version__,
    }


def _rows(report: BenchmarkReport) -> list[tuple[str, str, str, str]]:
    """(benchmark, measure, value, target) rows shared by the terminal and markdown."""
    rows: list[tuple[str, str, str, str]] = []
    for t in report.textbook:
        name = (
            f"textbook M/M/2×4, {t.policy}"
            if t.policy == "separate"
            else f"textbook M/M/8, {t.policy}"
        )
        rows += [
            (
                name,
                f"referrals in {t.repeats} replications of {t.horizon_days} days (remiss/peer)",
                f"{t.referrals:,} / {t.peer_customers:,}",
                "same work",
            ),
            (name, "served (remiss/peer)", f"{t.remiss_served:,} / {t.peer_served:,}", ""),
            (name, "remiss, draw + run (best)", f"{t.remiss_per_second:,.0f} /s", ""),
            (name, "remiss, run only", f"{t.remiss_model_only_per_second:,.0f} /s", ""),
            (name, "remiss, draw + run + KPIs", f"{t.remiss_with_kpis_per_second:,.0f} /s", ""),
            (name, "bare SimPy peer (best)", f"{t.peer_per_second:,.0f} /s", ""),
            (
                name,
                "ratio remiss / peer",
                f"{t.ratio:.2f}",
                f"≥ {TARGET_RATIO:g}: {'met' if t.ratio >= TARGET_RATIO else 'MISSED'}",
            ),
            (name, "ratio with KPIs", f"{t.ratio_with_kpis:.2f}", ""),
            (
                name,
                "mean wait, days: Erlang C / remiss / peer (mean of replications)",
                f"{t.erlang_c_wait:.3f} / {t.remiss_mean_wait:.3f} / {t.peer_mean_wait:.3f}",
                "",
            ),
        ]
    for r in report.region:
        name = f"region {r.referrals:,} referrals, {r.units} units, {r.policy}"
        rows += [
            (
                name,
                "draw / run / KPIs (s)",
                f"{r.draw_seconds:.2f} / {r.run_seconds:.2f} / {r.kpi_seconds:.2f}",
                "",
            ),
            (
                name,
                "seconds per replication (wall; CPU)",
                f"{r.total_seconds:.2f}; {r.cpu_seconds:.2f}",
                (
                    f"< {TARGET_SECONDS:g} s: {'met' if r.under_target else 'MISSED'}"
                    if r.horizon_days >= 365
                    else "(target is for a 365-day year)"
                ),
            ),
            (
                name,
                "referrals per second (all phases / run only)",
                f"{r.referrals_per_second:,.0f} / {r.model_referrals_per_second:,.0f}",
                "",
            ),
        ]
    return rows


def rich_table(report: BenchmarkReport) -> Table:
    table = Table(title="remiss simulation benchmark" + (" (quick)" if report.quick else ""))
    for col in ("benchmark", "measure", "value", "target"):
        table.add_column(col, justify="right" if col == "value" else "left")
    previous = None
    for bench, measure, value, target in _rows(report):
        table.add_row(bench if bench != previous else "", measure, value, target)
        previous = bench
    return table


def markdown(report: BenchmarkReport) -> str:
    m = report.machine
    lines = [
        "# Simulation benchmark results" + (" (quick sizes)" if report.quick else ""),
        "",
        f"Date: {report.date}. Machine: {m['cpu']} ({m['cpu_count']} logical CPUs, one used), "
        f"{m['platform']}, Python {m['python']}, SimPy {m['simpy']}, numpy {m['numpy']}.",
        "",
        "| benchmark | measure | value | target |",
        "|---|---|---:|---|",
    ]
    lines += [f"| {b} | {me} | {v} | {t} |" for b, me, v, t in _rows(report)]
    return "\n".join(lines) + "\n"


def write_results(report: BenchmarkReport, out_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    """``simulate.md`` and ``simulate.json`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / "simulate.md", out_dir / "simulate.json"
    md.write_text(markdown(report), encoding="utf-8")
    js.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return md, js


def run_benchmarks(
    quick: bool = False,
    repeats: int | None = None,
    textbook_days: int | None = None,
    region_days: int | None = None,
    textbook: bool = True,
    region: bool = True,
) -> BenchmarkReport:
    """Both benchmarks at full size, or at CI smoke sizes with ``quick``."""
    reps = repeats if repeats is not None else (2 if quick else 5)
    tb_days = textbook_days if textbook_days is not None else (365 if quick else 3650)
    rg_days = region_days if region_days is not None else (14 if quick else 365)
    tb = (
        [
            textbook_benchmark(
                horizon_days=tb_days, warmup_days=min(180, tb_days // 10), repeats=reps, policy=p
            )
            for p in ("separate", "shared")
        ]
        if textbook
        else []
    )
    rg = region_benchmark(horizon_days=rg_days) if region else []
    return BenchmarkReport(
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine_info(),
        quick=quick,
        textbook=tb,
        region=rg,
    )


def main(argv: Sequence[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (CI smoke run), nothing written"
    )
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--no-write", action="store_true", help="do not write results/")
    parser.add_argument(
        "--rebuild-scenario",
        action="store_true",
        help="regenerate benchmarks/scenarios/region_scale.yaml first",
    )
    args = parser.parse_args(argv)
    if args.rebuild_scenario:
        write_region_scenario()
    report = run_benchmarks(quick=args.quick, repeats=args.repeats)
    Console().print(rich_table(report))
    if not (args.no_write or args.quick):
        for p in write_results(report):
            Console().print(f"wrote {p}")


if __name__ == "__main__":
    main()
