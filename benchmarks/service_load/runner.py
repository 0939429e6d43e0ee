"""The benchmark's run: a server per database and worker count, filled through the
API, then the timed phases (``healthz``, ``suggestions`` back to back,
``suggestions_paced`` at a fixed rate, ``register``) against it."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import platform
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path

import httpx
from rich.console import Console

from benchmarks.service_load.clients import CLIENTS, LoadClient, Reply, Request
from benchmarks.service_load.figures import (
    DEFAULT_POSTGRES_URL,
    PHASES,
    POSTGRES_ENV,
    SPECIALTY,
    TARGET_PER_SECOND,
    BenchError,
    PhaseResult,
    ServiceLoadReport,
    SetupResult,
)
from benchmarks.service_load.fill import setup
from benchmarks.service_load.load import PhasePlan
from benchmarks.service_load.machine import code_version, uptime
from benchmarks.service_load.measure import run_phase
from benchmarks.service_load.referrals import Referrals
from benchmarks.service_load.server import Server, running_server
from scenarios.geography import VGR_UNIT_SITES


def phase_requests(ids: Sequence[str], seed: int, prefix: str) -> dict[str, Request]:
    """The request each phase sends: ``/healthz``; the suggestions of a random registered
    referral (``ids``); a new referral with a unique id starting with ``prefix``."""
    pick = random.Random(seed + 2)
    fresh = Referrals(seed + 3, prefix)

    async def healthz(c: LoadClient, n: int, h: dict[str, str]) -> Reply:
        return await c.get("/healthz", headers=h)

    async def suggestions(c: LoadClient, n: int, h: dict[str, str]) -> Reply:
        return await c.get(f"/v1/referrals/{pick.choice(ids)}/suggestions", headers=h)

    async def register(c: LoadClient, n: int, h: dict[str, str]) -> Reply:
        return await c.post("/v1/referrals", json=fresh.body(n), headers=h)

    return {
        "healthz": healthz,
        "suggestions": suggestions,
        "suggestions_paced": suggestions,
        "register": register,
    }


async def bench_server(
    server: Server,
    database: str,
    workers: int,
    plan: PhasePlan,
    *,
    referrals: int,
    units: int,
    seed: int,
    phases: Sequence[str] = PHASES,
    console: Console | None = None,
) -> tuple[SetupResult, list[PhaseResult]]:
    """Fill ``server``'s database, then run the timed phases against it (``plan.rate``
    is the offered rate of ``suggestions_paced``; the other phases run back to back)."""
    say = (console or Console(quiet=True)).print
    try:
        done, ids = await setup(server, database, workers, referrals, units, plan.clients, seed)
    except httpx.HTTPError as exc:
        raise BenchError(f"setup: {type(exc).__name__}: {exc}") from None
    say(
        f"  setup: {done.units} units, {done.referrals} referrals "
        f"({done.registrations_per_second:.0f}/s), {done.booked} booked, {done.seconds:.1f} s"
    )
    table = phase_requests(ids, seed, f"new-{database[:2]}{workers}")
    back_to_back = PhasePlan(
        plan.clients, plan.warmup, plan.seconds, plan.requests, plan.client_kind
    )
    results = []
    for phase in phases:
        phase_plan = plan if phase == "suggestions_paced" else back_to_back
        r = await run_phase(server, database, workers, phase, table[phase], phase_plan)
        say(
            f"  {phase}: {r.per_second:.0f}/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
            f"{r.errors} errors (load {r.load_after[0]:.2f})"
        )
        results.append(r)
    return done, results


def event_loop_runner() -> asyncio.Runner:
    """An asyncio runner on uvloop when it is installed. uvloop is imported here, when a
    benchmark starts (documented lazy loading): it is optional."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


def check_options(
    databases: Sequence[str], postgres_url: str | None, client: str, units: int
) -> None:
    """BenchError naming the option that cannot be run."""
    if "postgres" in databases and not postgres_url:
        raise BenchError(
            f"database postgres: set {POSTGRES_ENV} or --postgres-url "
            f"(no PostgreSQL answered at {DEFAULT_POSTGRES_URL})"
        )
    if client not in CLIENTS:
        raise BenchError(f"client: {client!r} is not one of {', '.join(CLIENTS)}")
    if not 1 <= units <= len(VGR_UNIT_SITES):
        raise BenchError(f"units: between 1 and {len(VGR_UNIT_SITES)}")


def new_report(plan: PhasePlan, referrals: int, units: int, seed: int) -> ServiceLoadReport:
    """An empty report with the conditions of the run (machine, load, code, settings)."""
    return ServiceLoadReport(
        date=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
        cores=os.cpu_count() or 1,
        python=platform.python_version(),
        clients=plan.clients,
        client=plan.client_kind,
        rate=plan.rate if plan.rate is not None else TARGET_PER_SECOND,
        seconds=plan.seconds,
        requests=plan.requests,
        warmup_seconds=plan.warmup,
        referrals=referrals,
        units=units,
        specialty=SPECIALTY,
        seed=seed,
        uptime_start=uptime(),
        code=code_version(),
        server_settings={
            k: v
            for k, v in sorted(os.environ.items())
            if k.startswith("REMISS_") and "URL" not in k
        },
    )


def run(
    databases: Sequence[str],
    *,
    clients: int = 50,
    seconds: float | None = 20.0,
    requests: int | None = None,
    warmup: float = 3.0,
    referrals: int = 5000,
    units: int = 40,
    workers: Sequence[int] = (1,),
    postgres_url: str | None = None,
    seed: int = 20260501,
    phases: Sequence[str] = PHASES,
    console: Console | None = None,
    client: str = "httpx",
    rate: float = TARGET_PER_SECOND,
) -> ServiceLoadReport:
    """Start a server per database and worker count, fill it, and time the phases."""
    check_options(databases, postgres_url, client, units)
    window = None if requests is not None else seconds
    plan = PhasePlan(clients, warmup, window, requests, client, rate)
    report = new_report(plan, referrals, units, seed)
    say = (console or Console(quiet=True)).print
    for database in databases:
        for w in workers:
            say(f"[bold]{database}[/], {w} worker(s): starting a server with a fresh database")
            with (
                tempfile.TemporaryDirectory(prefix="remiss-bench-") as tmp,
                running_server(database, w, postgres_url, Path(tmp)) as server,
                event_loop_runner() as runner,
            ):
                done, results = runner.run(
                    bench_server(
                        server,
                        database,
                        w,
                        plan,
                        referrals=referrals,
                        units=units,
                        seed=seed,
                        phases=phases,
                        console=console,
                    )
                )
            report.setups.append(done)
            report.phases.extend(results)
    report.uptime_end = uptime()
    return report
