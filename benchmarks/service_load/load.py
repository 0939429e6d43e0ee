"""Load generation: ``clients`` concurrent loops sending one kind of request back to
back, or at a fixed offered rate, with a warm-up that is not counted, and the CPU and
server-log positions taken at the measured window's edges."""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from dataclasses import dataclass, field

import aiohttp
import httpx

from api.service.pseudonym import new_request_id
from benchmarks.service_load.clients import LoadClient, Request
from benchmarks.service_load.machine import CpuTimes, cpu_now
from benchmarks.service_load.server import Server


@dataclass(frozen=True)
class PhasePlan:
    """How a timed phase runs: concurrent clients, the warm-up (s), the measured window
    (``seconds``, or ``requests`` measured requests), the HTTP client, and the offered
    rate per second (None: back to back)."""

    clients: int
    warmup: float
    seconds: float | None
    requests: int | None
    client_kind: str = "httpx"
    rate: float | None = None


@dataclass
class Samples:
    """What the loops saw: latencies and status codes of the measured requests, errors,
    and the warm-up's counts."""

    latency: list[float] = field(default_factory=list)
    errors: int = 0
    warmup: int = 0
    warmup_errors: int = 0
    last_end: float = 0.0
    request_ids: set[str] = field(default_factory=set)
    """``X-Request-ID`` of the measured requests (to find them in the server's log)."""
    error_samples: list[str] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)

    def note_error(self, text: str) -> None:
        """Keep the first five error descriptions."""
        if len(self.error_samples) < 5:
            self.error_samples.append(text)

    def record(self, counted: bool, t0: float, t1: float, code: int, ok: bool) -> None:
        """One request that was due at ``t0`` and returned at ``t1``."""
        if counted:
            self.latency.append(t1 - t0)
            self.errors += not ok
            self.last_end = max(self.last_end, t1)
            key = str(code or "exception")
            self.status[key] = self.status.get(key, 0) + 1
        else:
            self.warmup += 1
            self.warmup_errors += not ok


@dataclass
class Drive:
    """One phase's samples with the measured window (start, end), the CPU times at its
    edges (None without a server) and the server log's offsets before and after."""

    samples: Samples
    start: float
    end: float
    cpu_before: CpuTimes | None
    cpu_after: CpuTimes | None
    log_offsets: tuple[int, int]


@dataclass
class _Clock:
    """When requests are due: the start, the warm-up's end and the window's end."""

    plan: PhasePlan
    start: float = field(default_factory=time.perf_counter)

    @property
    def warm_end(self) -> float:
        return self.start + self.plan.warmup

    @property
    def stop_at(self) -> float:
        seconds = self.plan.seconds
        return self.warm_end + seconds if seconds is not None else math.inf

    async def due(self, n: int) -> float | None:
        """When request ``n`` is due (now, back to back; ``n / rate`` after the start,
        paced, waiting until then), or None once the measured window is over."""
        rate = self.plan.rate
        if rate is None:
            t0 = time.perf_counter()
        else:
            t0 = self.start + n / rate
            if t0 >= self.stop_at:
                return None
            delay = t0 - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        return None if t0 >= self.stop_at else t0


async def _send(
    client: LoadClient, request: Request, n: int, headers: dict[str, str], s: Samples
) -> tuple[int, bool]:
    """Send request ``n``: its status code (0 on an exception) and whether it succeeded."""
    try:
        resp = await request(client, n, headers)
    except (httpx.HTTPError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        s.note_error(f"{type(exc).__name__}: {exc}"[:200])
        return 0, False
    code = resp.status_code
    ok = 200 <= code < 300
    if not ok:
        s.note_error(f"{code} {resp.text[:200]}")
    return code, ok


async def drive(
    client: LoadClient, request: Request, plan: PhasePlan, server: Server | None
) -> Drive:
    """``plan.clients`` loops issuing ``request`` back to back, or with ``plan.rate`` at
    fixed times (request *n* is due ``n / rate`` seconds after the start, sent by
    whichever client is free; its latency counts from when it was due, so a server that
    falls behind shows it instead of slowing the clients down). Requests started (due)
    during the warm-up are not counted; the measured window ends ``seconds`` after it (or
    once ``requests`` measured requests were issued) and when the last of them returns."""
    s = Samples()
    counter = itertools.count()
    measured = itertools.count()
    clock = _Clock(plan)
    cpu: list[CpuTimes] = []
    start_offset = server.log_size() if server is not None else 0

    async def mark() -> None:
        await asyncio.sleep(max(0.0, clock.warm_end - time.perf_counter()))
        if server is not None:
            cpu.append(cpu_now(server.proc.pid))

    async def loop() -> None:
        while True:
            n = next(counter)
            t0 = await clock.due(n)
            if t0 is None:
                return
            counted = t0 >= clock.warm_end
            if counted and plan.requests is not None and next(measured) >= plan.requests:
                return
            headers: dict[str, str] = {}
            if counted:
                headers["X-Request-ID"] = rid = new_request_id()
                s.request_ids.add(rid)
            code, ok = await _send(client, request, n, headers, s)
            s.record(counted, t0, time.perf_counter(), code, ok)

    marker = asyncio.create_task(mark())
    await asyncio.gather(*(loop() for _ in range(plan.clients)))
    await marker
    after = cpu_now(server.proc.pid) if server is not None else None
    end_offset = server.log_size() if server is not None else 0
    return Drive(
        s,
        clock.warm_end,
        max(s.last_end, clock.warm_end),
        cpu[0] if cpu else None,
        after,
        (start_offset, end_offset),
    )
