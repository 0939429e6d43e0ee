"""(a) The textbook M/M/2 × 4 scenario (server mode) run by remiss against a bare SimPy
M/M/c loop written the idiomatic way (a process per customer, one
``simpy.Resource(capacity=c)`` per unit, an arrival process per unit), doing the same
work in the same run: the very same customers (arrival and service times), the same
units and servers. With ``policy="shared"`` the peer is one M/M/8 queue instead."""

from __future__ import annotations

import gc
import math
import statistics
import time
import warnings
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from scenarios.loader import Overrides, load_spec
from simulering.estimate import mmc
from simulering.kpis import replication_kpis
from simulering.model import Records, home_units
from simulering.patients import Patients, draw_patients
from simulering.runner import run_policy
from simulering.spec import ModelSpec
from simulering.streams import replication_stream

TARGET_RATIO = 1.0


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


@dataclass(frozen=True)
class Repeat:
    """One repeat: referrals simulated, remiss's phases and the peer's seconds, served
    and mean waits."""

    referrals: int
    draw_seconds: float
    run_seconds: float
    kpi_seconds: float
    peer_seconds: float
    served: int
    mean_wait: float
    peer: PeerRun


def run_repeat(spec: ModelSpec, policy: str, seed: int, rep: int) -> Repeat:
    """Replication ``rep`` by remiss (draw, run, KPIs), then its customers by the peer."""
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
    return Repeat(
        referrals=pts.n,
        draw_seconds=t1 - t0,
        run_seconds=t2 - t1,
        kpi_seconds=t3 - t2,
        peer_seconds=t_peer,
        served=int(np.count_nonzero(~np.isnan(rec.served[0]))),
        mean_wait=remiss_mean_wait(spec, rec),
        peer=peer,
    )


def best_rate(seconds: Sequence[float], counts: Sequence[int]) -> float:
    """The highest count per second over the repeats."""
    return max(c / s for c, s in zip(counts, seconds, strict=True))


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
    reps = [run_repeat(spec, policy, seed, rep) for rep in range(repeats)]
    return textbook_result(spec, policy, reps)


def textbook_result(spec: ModelSpec, policy: str, reps: Sequence[Repeat]) -> TextbookResult:
    """The repeats summed (counts) and at their best (rates, seconds)."""
    n = [r.referrals for r in reps]
    draws = [r.draw_seconds for r in reps]
    runs = [r.run_seconds for r in reps]
    kpis = [r.kpi_seconds for r in reps]
    peers = [r.peer_seconds for r in reps]
    remiss = [d + r for d, r in zip(draws, runs, strict=True)]
    with_kpis = [d + r + k for d, r, k in zip(draws, runs, kpis, strict=True)]
    peer_n = [r.peer.customers for r in reps]
    rate, rate_kpi, rate_peer = (
        best_rate(remiss, n),
        best_rate(with_kpis, n),
        best_rate(peers, peer_n),
    )
    return TextbookResult(
        policy=policy,
        horizon_days=spec.horizon_days,
        warmup_days=spec.warmup_days,
        repeats=len(reps),
        referrals=sum(n),
        peer_customers=sum(peer_n),
        remiss_served=sum(r.served for r in reps),
        peer_served=sum(r.peer.served for r in reps),
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
        remiss_mean_wait=statistics.fmean(r.mean_wait for r in reps),
        peer_mean_wait=statistics.fmean(r.peer.mean_wait for r in reps),
        remiss_median_seconds=statistics.median(remiss),
        peer_median_seconds=statistics.median(peers),
    )
