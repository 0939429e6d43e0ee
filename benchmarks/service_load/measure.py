"""Measurement: one timed phase against a server, with the client's latencies, the
server's own time per request from its JSON access log, and the CPU each side used."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.service_load.clients import Request, open_client
from benchmarks.service_load.figures import PhaseResult
from benchmarks.service_load.load import Drive, PhasePlan, drive
from benchmarks.service_load.machine import CpuTimes, load_average
from benchmarks.service_load.server import Server


def read_log(
    log: Path, offsets: tuple[int, int], request_ids: set[str]
) -> tuple[list[float], list[str]]:
    """From the server's log between two offsets: the server's own milliseconds for the
    measured requests (its JSON access log, found by the ``X-Request-ID`` the client
    sent), and up to five lines that are not access lines (warnings, errors)."""
    if not log.exists():
        return [], []
    with log.open("rb") as fh:
        fh.seek(offsets[0])
        chunk = fh.read(max(0, offsets[1] - offsets[0]))
    ms: list[float] = []
    other: list[str] = []
    for line in chunk.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            rec = None
        if isinstance(rec, dict) and rec.get("message") == "request":
            if rec.get("request_id") in request_ids and isinstance(rec.get("ms"), int | float):
                ms.append(float(rec["ms"]))
        elif line.strip() and len(other) < 5:
            other.append(line.decode(errors="replace")[:300])
    return ms, other


async def settled_log(
    server: Server, start: int, request_ids: set[str], timeout: float = 2.0
) -> tuple[list[float], list[str]]:
    """``read_log`` from ``start`` to the log's end once the server has written the access
    line of every measured request: it writes a line after the response has gone out, so
    the last lines of a phase may arrive after the client has its answers. Waits up to
    ``timeout`` seconds, then returns what is there."""
    deadline = time.monotonic() + timeout
    while True:
        own, lines = read_log(server.log, (start, server.log_size()), request_ids)
        if len(own) >= len(request_ids) or time.monotonic() >= deadline:
            return own, lines
        await asyncio.sleep(0.02)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of ``values``; NaN when there are none."""
    return float(np.percentile(np.asarray(values), q)) if len(values) else math.nan


@dataclass(frozen=True)
class CpuUse:
    """CPU over the measured window: per cent of one core (server, load generator,
    everything else) and milliseconds per request (server, load generator)."""

    server_percent: float = math.nan
    client_percent: float = math.nan
    other_percent: float = math.nan
    server_ms: float = math.nan
    client_ms: float = math.nan


def cpu_use(before: CpuTimes | None, after: CpuTimes | None, n: int, wall: float) -> CpuUse:
    """The CPU used between two readings by ``n`` requests over ``wall`` seconds."""
    if before is None or after is None or not n:
        return CpuUse()

    def share(a: float, b: float) -> float:
        return round(100 * (b - a) / wall, 1)

    server = share(before.server, after.server)
    client = share(before.client, after.client)
    return CpuUse(
        server_percent=server,
        client_percent=client,
        other_percent=round(max(0.0, share(before.machine, after.machine) - server - client), 1),
        server_ms=round(1000 * (after.server - before.server) / n, 3),
        client_ms=round(1000 * (after.client - before.client) / n, 3),
    )


async def run_phase(
    server: Server, database: str, workers: int, phase: str, request: Request, plan: PhasePlan
) -> PhaseResult:
    """One timed phase at ``plan.clients`` concurrent clients (at ``plan.rate`` per
    second), sent with the server's portal key."""
    load_before = load_average()
    async with open_client(plan.client_kind, server.url, server.portal_key, plan.clients) as c:
        d = await drive(c, request, plan, server)
    own, log_lines = await settled_log(server, d.log_offsets[0], d.samples.request_ids)
    return phase_result(d, own, log_lines, database, workers, phase, plan, load_before)


def phase_result(
    d: Drive,
    own: list[float],
    log_lines: list[str],
    database: str,
    workers: int,
    phase: str,
    plan: PhasePlan,
    load_before: list[float],
) -> PhaseResult:
    """The figures of one driven phase (``own``: the server's milliseconds per request)."""
    s = d.samples
    wall = max(d.end - d.start, 1e-9)
    n = len(s.latency)
    ms = [1000 * x for x in s.latency]
    cpu = cpu_use(d.cpu_before, d.cpu_after, n, wall)
    return PhaseResult(
        database=database,
        workers=workers,
        phase=phase,
        clients=plan.clients,
        requests=n,
        errors=s.errors,
        seconds=round(wall, 3),
        per_second=round(n / wall, 1),
        p50_ms=round(percentile(ms, 50), 2),
        p90_ms=round(percentile(ms, 90), 2),
        p99_ms=round(percentile(ms, 99), 2),
        max_ms=round(max(ms, default=math.nan), 2),
        mean_ms=round(float(np.mean(ms)) if ms else math.nan, 2),
        server_p50_ms=round(percentile(own, 50), 2) if own else None,
        server_p99_ms=round(percentile(own, 99), 2) if own else None,
        server_samples=len(own),
        server_cpu_percent=cpu.server_percent,
        client_cpu_percent=cpu.client_percent,
        other_cpu_percent=cpu.other_percent,
        server_cpu_ms=cpu.server_ms,
        client_cpu_ms=cpu.client_ms,
        load_before=load_before,
        load_after=load_average(),
        warmup_requests=s.warmup,
        warmup_errors=s.warmup_errors,
        error_samples=s.error_samples,
        server_log=log_lines,
        status_counts=s.status,
        rate=plan.rate,
    )
