"""Service load: the portal's hot paths against a real ``remiss serve`` (issue 5).

One asyncio process with one ``httpx.AsyncClient`` (a keep-alive pool as large as the
number of clients; or, with ``client="aiohttp"``, an ``aiohttp.ClientSession`` whose C
parser costs far less CPU per request) drives a server that the benchmark starts
itself, on a free port, with a fresh database (an SQLite file in a temporary folder, or
a PostgreSQL database whose schema is dropped and recreated). Setup goes through the API
like a real deployment: an admin key creates 40 units at VGR sites
(:data:`scenarios.geography.VGR_UNIT_SITES`) with capacity for one specialty from this week
on (26 weeks are seen), then a portal key registers 5,000 waiting referrals from VGR's
municipalities (``scenarios/regioner/vgr.yaml``, drawn by population) and books a fifth
of them at random units and weeks, so the residual capacity has held slots to subtract.

Three timed phases follow, each with ``clients`` concurrent clients, a warm-up that is
not counted, then ``seconds`` (or ``requests``) measured:

- ``healthz``: ``GET /healthz`` (the same middleware stack and a ``SELECT 1``): the
  ceiling of the stack, measured in the same run as the peer;
- ``suggestions``: ``GET /v1/referrals/{id}/suggestions`` on random registered
  referrals (target: ≥ 500 per second with p99 < 50 ms);
- ``register``: ``POST /v1/referrals`` with new, unique referral ids.

Latency is measured by the client (the load generator shares the machine's cores with
the server, so it is included); the server's own time per request is read from its
JSON access log. CPU used by the server, by the load generator and by everything else
on the machine is recorded per phase, with the load average. Written to
``benchmarks/results/service_load.md`` and ``.json``; run with ``remiss-bench service``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import math
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import aiohttp
import httpx
import numpy as np
import psutil  # type: ignore[import-untyped]
from rich.console import Console
from rich.table import Table

from api.service.pseudonym import new_request_id
from benchmarks import BENCH_DIR, RESULTS_DIR
from scenarios.geography import VGR_UNIT_SITES
from scenarios.loader import REGION_DIR, load_region_file

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/remiss_bench"
"""A database of its own: the benchmark drops and recreates its ``public`` schema."""
POSTGRES_ENV = "REMISS_BENCH_POSTGRES_URL"
DATABASES = ("sqlite", "postgres")
END_USER = "bench-user"
"""The end user the portal names (``X-Remiss-User``, required on its routes)."""
PHASES = ("healthz", "suggestions", "suggestions_paced", "register")
"""``suggestions`` as fast as the clients go (throughput); ``suggestions_paced`` at a
fixed offered rate, 500/s by default (latency at the target's rate)."""
TARGET_PER_SECOND = 500.0
TARGET_P99_MS = 50.0
SPECIALTY = "gallsten"
STAGE = "first_visit"
SLOTS_PER_WEEK = 8
"""Per unit: 40 units × 8 = 320 first visits a week, 8,320 over the 26 weeks seen."""
BOOKED_SHARE = 0.2
MAX_WAITED_DAYS = 120
STOCKHOLM = ZoneInfo("Europe/Stockholm")


class BenchError(RuntimeError):
    """The benchmark could not run (server did not start, setup failed)."""


# --- the figures -------------------------------------------------------------------------
@dataclass
class PhaseResult:
    """One phase against one server."""

    database: str
    workers: int
    phase: str
    clients: int
    requests: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    server_p50_ms: float | None
    """The server's own time (its access log: middleware, auth, handler, database)."""
    server_p99_ms: float | None
    server_samples: int
    """Measured requests found in the server's access log (by their request id)."""
    server_cpu_percent: float
    """CPU used by the server process(es) during the measured window, % of one core."""
    client_cpu_percent: float
    other_cpu_percent: float
    """CPU used by everything else on the machine (other jobs), % of one core."""
    server_cpu_ms: float
    """Server CPU per request (ms): 1000 / this is what one fully busy core could serve."""
    client_cpu_ms: float
    load_before: list[float]
    load_after: list[float]
    warmup_requests: int
    warmup_errors: int
    error_samples: list[str] = field(default_factory=list)
    server_log: list[str] = field(default_factory=list)
    """Lines of the server's log during the phase other than access lines."""
    status_counts: dict[str, int] = field(default_factory=dict)
    rate: float | None = None
    """The offered rate (requests/s) of a paced phase; None: back to back."""

    @property
    def target_met(self) -> bool | None:
        """The target's part this phase checks: the throughput (``suggestions``: at
        least 500/s, back to back) or the latency (``suggestions_paced`` at 500/s: p99
        under 50 ms with the rate achieved); None for the other phases."""
        if self.phase == "suggestions":
            return self.errors == 0 and self.per_second >= TARGET_PER_SECOND
        if self.phase == "suggestions_paced" and self.rate == TARGET_PER_SECOND:
            return (
                self.errors == 0
                and self.per_second >= 0.98 * self.rate
                and self.p99_ms < TARGET_P99_MS
            )
        return None


@dataclass
class SetupResult:
    """Filling one fresh database through the API."""

    database: str
    workers: int
    units: int
    referrals: int
    booked: int
    booking_conflicts: int
    seconds: float
    registrations_per_second: float


@dataclass
class ServiceLoadReport:
    """Everything the benchmark measured, with the conditions it ran under."""

    date: str
    machine: str
    cores: int
    python: str
    clients: int
    client: str
    """The load generator's HTTP client in the timed phases: httpx or aiohttp."""
    rate: float
    """Offered rate of the paced suggestions phase (requests/s)."""
    seconds: float | None
    requests: int | None
    warmup_seconds: float
    referrals: int
    units: int
    specialty: str
    seed: int
    uptime_start: str
    uptime_end: str = ""
    code: str = ""
    """The commit measured (``git describe``), ``+dirty`` when api/service has changes."""
    server_settings: dict[str, str] = field(default_factory=dict)
    """``REMISS_*`` settings the servers inherited from the environment (URLs left out)."""
    setups: list[SetupResult] = field(default_factory=list)
    phases: list[PhaseResult] = field(default_factory=list)

    def target_met(self, database: str, workers: int) -> bool | None:
        """≥ 500 suggestions/s back to back and p99 < 50 ms at 500/s, without errors."""
        parts = [
            p.target_met
            for p in self.phases
            if (p.database, p.workers) == (database, workers)
            and p.phase in ("suggestions", "suggestions_paced")
        ]
        if len(parts) < 2 or None in parts:
            return None
        return all(parts)

    def ratio(self, database: str, workers: int) -> float | None:
        """Suggestions per second over ``/healthz`` per second (same server, same run)."""
        by = {p.phase: p for p in self.phases if (p.database, p.workers) == (database, workers)}
        if "suggestions" in by and "healthz" in by and by["healthz"].per_second > 0:
            return by["suggestions"].per_second / by["healthz"].per_second
        return None

    @property
    def servers(self) -> list[tuple[str, int]]:
        return list(dict.fromkeys((p.database, p.workers) for p in self.phases))

    @property
    def errors(self) -> int:
        return sum(p.errors + p.warmup_errors for p in self.phases)


# --- machine and load --------------------------------------------------------------------
def uptime() -> str:
    """``uptime``'s line (load averages over 1, 5, 15 minutes)."""
    exe = shutil.which("uptime")
    if exe:
        out = subprocess.run([exe], capture_output=True, text=True, check=False).stdout
        if out.strip():
            return " ".join(out.split())
    one, five, fifteen = os.getloadavg()
    return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f}"


def code_version() -> str:
    """The commit of the service measured, with ``+dirty`` if ``api/service`` differs."""
    root = BENCH_DIR.parent
    git = shutil.which("git")
    if git is None:
        return "unknown"

    def out(*args: str) -> str:
        res = subprocess.run([git, *args], cwd=root, capture_output=True, text=True, check=False)
        return res.stdout.strip() if res.returncode == 0 else ""

    head = out("rev-parse", "--short", "HEAD")
    if not head:
        return "unknown"
    return head + ("+dirty" if out("status", "--porcelain", "--", "api/service") else "")


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@dataclass
class _Cpu:
    """CPU seconds so far: the server tree, this process, the whole machine."""

    server: float
    client: float
    machine: float
    wall: float


def _cpu_now(server_pid: int) -> _Cpu:
    def tree(pid: int) -> float:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0.0
        for p in procs:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    me = psutil.Process().cpu_times()
    m = psutil.cpu_times()
    busy = m.user + m.system + getattr(m, "nice", 0.0) + getattr(m, "irq", 0.0)
    busy += getattr(m, "softirq", 0.0) + getattr(m, "steal", 0.0)
    return _Cpu(tree(server_pid), me.user + me.system, busy, time.perf_counter())


# --- the server --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _remiss(args: Sequence[str], env: dict[str, str], cwd: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
    )
    if out.returncode != 0:
        raise BenchError(f"remiss {' '.join(args)} failed: {out.stderr.strip()[-500:]}")
    return out.stdout.strip()


def postgres_reachable(url: str, timeout: float = 2.0) -> bool:
    """True when the PostgreSQL server of ``url`` accepts a connection."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = make_url(url).set(database="postgres")
    engine = create_engine(admin, connect_args={"connect_timeout": max(1, int(timeout))})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def default_postgres_url() -> str | None:
    """``REMISS_BENCH_POSTGRES_URL``, else the local server if one answers, else None."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    return DEFAULT_POSTGRES_URL if postgres_reachable(DEFAULT_POSTGRES_URL) else None


def reset_postgres(url: str) -> None:
    """Create the database if missing, then drop and recreate its ``public`` schema."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": parsed.database}
            ).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()
    engine = create_engine(parsed)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@dataclass
class Server:
    """A running ``remiss serve`` with an admin key and a portal key."""

    url: str
    database_url: str
    admin_key: str
    portal_key: str
    proc: subprocess.Popen[bytes]
    log: Path

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0


@contextmanager
def running_server(
    database: str,
    workers: int,
    postgres_url: str | None,
    workdir: Path,
    serve: Sequence[str] = ("-m", "api.cli", "serve"),
) -> Iterator[Server]:
    """Start ``remiss serve`` on a free port with a fresh database; stop it after.
    ``serve``: the Python arguments that start the server (another entry point with
    the same ``--port``/``--workers`` options can be measured the same way)."""
    if database == "sqlite":
        url = f"sqlite:///{workdir / 'remiss.db'}"
    elif postgres_url:
        url = postgres_url
        reset_postgres(url)
    else:
        raise BenchError("database postgres: no PostgreSQL URL")
    env = {
        **os.environ,
        "REMISS_DATABASE_URL": url,
        "REMISS_SIM_WORKERS": "1",
        "REMISS_JOB_FOLDER": str(workdir / "jobs"),
    }
    admin = _remiss(["apikey", "create", "--role", "admin", "--name", "bench-admin"], env, workdir)
    portal = _remiss(
        ["apikey", "create", "--role", "portal", "--name", "bench-portal"], env, workdir
    )
    port = free_port()
    log = workdir / f"server-{database}-{workers}.log"
    command = [sys.executable, *serve, "--port", str(port)]
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            [*command, "--workers", str(workers)],
            cwd=workdir,
            env=env,
            stdout=fh,
            stderr=fh,
        )
    server = Server(f"http://127.0.0.1:{port}", url, admin, portal, proc, log)
    try:
        _wait_healthy(server)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _wait_healthy(server: Server, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            tail = server.log.read_text(errors="replace")[-2000:]
            raise BenchError(f"the server exited with code {server.proc.returncode}: {tail}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise BenchError(f"the server did not answer /healthz within {seconds:.0f} s")


# --- the data ----------------------------------------------------------------------------
def vgr_areas() -> tuple[list[str], list[float]]:
    """VGR's municipality codes and their population shares (the server's geography)."""
    spec = load_region_file(REGION_DIR / "vgr.yaml")
    pops = [float(a.population or 1) for a in spec.areas]
    total = sum(pops)
    return [a.id for a in spec.areas], [p / total for p in pops]


def today() -> dt.date:
    return dt.datetime.now(STOCKHOLM).date()


def this_monday() -> dt.date:
    d = today()
    return d - dt.timedelta(days=d.weekday())


class Referrals:
    """Referral bodies with unique pseudonymous ids (never ten digits in a row)."""

    def __init__(self, seed: int, prefix: str):
        self.rng = random.Random(seed)
        self.areas, self.weights = vgr_areas()
        self.prefix = prefix
        self.today = today()

    def body(self, n: int) -> dict[str, Any]:
        area = self.rng.choices(self.areas, self.weights)[0]
        waited = self.rng.randint(1, MAX_WAITED_DAYS)
        return {
            "referral_id": f"{self.prefix}-{n:07d}",
            "specialty": SPECIALTY,
            "stage": STAGE,
            "area": area,
            "clock_start": (self.today - dt.timedelta(days=waited)).isoformat(),
        }


# --- the load generator ------------------------------------------------------------------
class Reply(Protocol):
    """What the load loop reads of a response (``httpx.Response`` or :class:`AiohttpReply`)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...


class LoadClient(Protocol):
    """What the timed phases need of a client (``httpx.AsyncClient`` or :class:`AiohttpClient`)."""

    async def get(self, url: str, *, headers: dict[str, str]) -> Reply: ...

    async def post(self, url: str, *, json: Any, headers: dict[str, str]) -> Reply: ...


Request = Callable[[LoadClient, int, dict[str, str]], Awaitable[Reply]]
"""Send request number ``n`` with these extra headers."""
CLIENTS = ("httpx", "aiohttp")


@dataclass(frozen=True)
class AiohttpReply:
    status_code: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class AiohttpClient:
    """The timed phases' client on aiohttp (its C HTTP parser costs a fraction of
    httpx's CPU per request, so the load generator leaves the server more of the cores
    they share). A keep-alive pool with a connection per concurrent client."""

    def __init__(self, url: str, key: str, clients: int, timeout: float = 60.0):
        self.url, self.key, self.clients, self.timeout = url.rstrip("/"), key, clients, timeout
        self._session: aiohttp.ClientSession | None = None

    async def _request(
        self, method: str, url: str, headers: dict[str, str], json: Any = None
    ) -> AiohttpReply:
        assert self._session is not None
        async with self._session.request(
            method, self.url + url, headers=headers, json=json
        ) as resp:
            return AiohttpReply(resp.status, await resp.read())

    async def get(self, url: str, *, headers: dict[str, str]) -> AiohttpReply:
        return await self._request("GET", url, headers)

    async def post(self, url: str, *, json: Any, headers: dict[str, str]) -> AiohttpReply:
        return await self._request("POST", url, headers, json)

    async def __aenter__(self) -> AiohttpClient:
        self._session = aiohttp.ClientSession(
            headers={"X-API-Key": self.key, "X-Remiss-User": END_USER},
            connector=aiohttp.TCPConnector(limit=self.clients, keepalive_timeout=2.0),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()


@dataclass
class _Samples:
    latency: list[float] = field(default_factory=list)
    errors: int = 0
    warmup: int = 0
    warmup_errors: int = 0
    last_end: float = 0.0
    request_ids: set[str] = field(default_factory=set)
    """``X-Request-ID`` of the measured requests (to find them in the server's log)."""
    error_samples: list[str] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)


def new_client(url: str, key: str, clients: int, timeout: float = 60.0) -> httpx.AsyncClient:
    """An async client whose keep-alive pool holds a connection per concurrent client.
    Connections idle for 2 s are not reused: uvicorn closes idle ones after 5 s, and a
    request sent on a connection the server is closing fails (a client-side race that
    shows up when this process is starved of CPU on a loaded machine)."""
    limits = httpx.Limits(
        max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0
    )
    return httpx.AsyncClient(
        base_url=url,
        headers={"X-API-Key": key, "X-Remiss-User": END_USER},
        limits=limits,
        timeout=httpx.Timeout(timeout),
    )


def open_client(kind: str, url: str, key: str, clients: int) -> AbstractAsyncContextManager[Any]:
    """The timed phases' client: ``httpx`` (an ``httpx.AsyncClient``) or ``aiohttp``."""
    return AiohttpClient(url, key, clients) if kind == "aiohttp" else new_client(url, key, clients)


async def _drive(
    client: LoadClient,
    request: Request,
    clients: int,
    warmup: float,
    seconds: float | None,
    requests: int | None,
    server: Server | None,
    rate: float | None = None,
) -> tuple[_Samples, float, float, _Cpu | None, _Cpu | None, tuple[int, int]]:
    """``clients`` loops issuing ``request`` back to back, or with ``rate`` at fixed
    times (request *n* is due ``n / rate`` seconds after the start, sent by whichever
    client is free; its latency counts from when it was due, so a server that falls
    behind shows it instead of slowing the clients down). Requests started (due) during
    the warm-up are not counted; the measured window ends ``seconds`` after it (or once
    ``requests`` measured requests were issued) and when the last of them returns."""
    s = _Samples()
    counter = itertools.count()
    measured = itertools.count()
    start = time.perf_counter()
    warm_end = start + warmup
    stop_at = warm_end + seconds if seconds is not None else math.inf
    cpu: list[_Cpu] = []
    start_offset = server.log_size() if server is not None else 0

    async def mark() -> None:
        await asyncio.sleep(max(0.0, warm_end - time.perf_counter()))
        if server is not None:
            cpu.append(_cpu_now(server.proc.pid))

    async def loop() -> None:
        while True:
            n = next(counter)
            if rate is None:
                t0 = time.perf_counter()
            else:
                t0 = start + n / rate
                if t0 >= stop_at:
                    return
                delay = t0 - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            counted = t0 >= warm_end
            if t0 >= stop_at:
                return
            if counted and requests is not None and next(measured) >= requests:
                return
            code = 0
            headers: dict[str, str] = {}
            if counted:
                headers["X-Request-ID"] = rid = new_request_id()
                s.request_ids.add(rid)
            try:
                resp = await request(client, n, headers)
                code = resp.status_code
                ok = 200 <= code < 300
                if not ok and len(s.error_samples) < 5:
                    s.error_samples.append(f"{code} {resp.text[:200]}")
            except (httpx.HTTPError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                ok = False
                if len(s.error_samples) < 5:
                    s.error_samples.append(f"{type(exc).__name__}: {exc}"[:200])
            t1 = time.perf_counter()
            if counted:
                s.latency.append(t1 - t0)
                s.errors += not ok
                s.last_end = max(s.last_end, t1)
                key = str(code or "exception")
                s.status[key] = s.status.get(key, 0) + 1
            else:
                s.warmup += 1
                s.warmup_errors += not ok

    marker = asyncio.create_task(mark())
    await asyncio.gather(*(loop() for _ in range(clients)))
    await marker
    after = _cpu_now(server.proc.pid) if server is not None else None
    end_offset = server.log_size() if server is not None else 0
    return (
        s,
        warm_end,
        max(s.last_end, warm_end),
        cpu[0] if cpu else None,
        after,
        (start_offset, end_offset),
    )


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


def _pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if len(values) else math.nan


async def run_phase(
    server: Server,
    database: str,
    workers: int,
    phase: str,
    request: Request,
    key: str,
    clients: int,
    warmup: float,
    seconds: float | None,
    requests: int | None,
    client_kind: str = "httpx",
    rate: float | None = None,
) -> PhaseResult:
    """One timed phase at ``clients`` concurrent clients (at ``rate`` per second)."""
    load_before = _load()
    async with open_client(client_kind, server.url, key, clients) as client:
        s, t_start, t_end, cpu0, cpu1, offsets = await _drive(
            client, request, clients, warmup, seconds, requests, server, rate
        )
    wall = max(t_end - t_start, 1e-9)
    n = len(s.latency)
    ms = [1000 * x for x in s.latency]
    own, log_lines = read_log(server.log, offsets, s.request_ids)

    def share(a: float, b: float) -> float:
        return round(100 * (b - a) / wall, 1)

    server_cpu = client_cpu = other_cpu = server_ms_per = client_ms_per = math.nan
    if cpu0 is not None and cpu1 is not None and n:
        server_ms_per = round(1000 * (cpu1.server - cpu0.server) / n, 3)
        client_ms_per = round(1000 * (cpu1.client - cpu0.client) / n, 3)
        server_cpu = share(cpu0.server, cpu1.server)
        client_cpu = share(cpu0.client, cpu1.client)
        other_cpu = round(max(0.0, share(cpu0.machine, cpu1.machine) - server_cpu - client_cpu), 1)
    return PhaseResult(
        database=database,
        workers=workers,
        phase=phase,
        clients=clients,
        requests=n,
        errors=s.errors,
        seconds=round(wall, 3),
        per_second=round(n / wall, 1),
        p50_ms=round(_pct(ms, 50), 2),
        p90_ms=round(_pct(ms, 90), 2),
        p99_ms=round(_pct(ms, 99), 2),
        max_ms=round(max(ms, default=math.nan), 2),
        mean_ms=round(float(np.mean(ms)) if ms else math.nan, 2),
        server_p50_ms=round(_pct(own, 50), 2) if own else None,
        server_p99_ms=round(_pct(own, 99), 2) if own else None,
        server_samples=len(own),
        server_cpu_percent=server_cpu,
        client_cpu_percent=client_cpu,
        other_cpu_percent=other_cpu,
        server_cpu_ms=server_ms_per,
        client_cpu_ms=client_ms_per,
        load_before=load_before,
        load_after=_load(),
        warmup_requests=s.warmup,
        warmup_errors=s.warmup_errors,
        error_samples=s.error_samples,
        server_log=log_lines,
        status_counts=s.status,
        rate=rate,
    )


async def _all(
    client: httpx.AsyncClient,
    items: Sequence[Any],
    send: Callable[[httpx.AsyncClient, Any], Awaitable[httpx.Response]],
    clients: int,
) -> list[httpx.Response]:
    """Send one request per item, ``clients`` at a time. Setup only: a request whose
    connection broke (e.g. the server closed an idle keep-alive connection while this
    process was starved of CPU) is sent again, at most twice."""
    sem = asyncio.Semaphore(clients)

    async def one(item: Any) -> httpx.Response:
        async with sem:
            for attempt in range(3):
                try:
                    return await send(client, item)
                except httpx.TransportError:
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    return await asyncio.gather(*(one(i) for i in items))


def _check(responses: Sequence[httpx.Response], what: str, allowed: set[int]) -> None:
    bad = [r for r in responses if r.status_code not in allowed]
    if bad:
        raise BenchError(
            f"setup: {len(bad)} of {len(responses)} {what} failed, e.g. "
            f"{bad[0].status_code} {bad[0].text[:300]}"
        )


async def setup(
    server: Server,
    database: str,
    workers: int,
    referrals: int,
    units: int,
    clients: int,
    seed: int,
) -> tuple[SetupResult, list[str]]:
    """Units, capacity and waiting referrals through the API; a share of them booked."""
    t0 = time.perf_counter()
    sites = VGR_UNIT_SITES[:units]
    monday = this_monday()
    async with new_client(server.url, server.admin_key, clients) as admin:
        made = await _all(
            admin,
            sites,
            lambda c, u: c.put(
                f"/v1/units/{u.id}",
                json={
                    "name": u.name,
                    "hospital_group": u.group,
                    "lat": u.lat,
                    "lon": u.lon,
                    "private": u.group == "privat",
                },
            ),
            clients,
        )
        _check(made, "unit PUTs", {200, 201})
        caps = await _all(
            admin,
            sites,
            lambda c, u: c.put(
                f"/v1/units/{u.id}/capacity",
                json={
                    "specialty": SPECIALTY,
                    "stage": STAGE,
                    "from_week": monday.isoformat(),
                    "slots_per_week": SLOTS_PER_WEEK,
                },
            ),
            clients,
        )
        _check(caps, "capacity PUTs", {200})
    gen = Referrals(seed, "ref")
    bodies = [gen.body(n) for n in range(referrals)]
    rng = random.Random(seed + 1)
    to_book = rng.sample(range(referrals), round(BOOKED_SHARE * referrals))
    t_reg = time.perf_counter()
    async with new_client(server.url, server.portal_key, clients) as portal:
        regs = await _all(portal, bodies, lambda c, b: c.post("/v1/referrals", json=b), clients)
        reg_seconds = time.perf_counter() - t_reg
        _check(regs, "referral registrations", {200, 201})  # 200: a retried one
        bookings = [
            (
                bodies[i]["referral_id"],
                rng.choice(sites).id,
                monday + dt.timedelta(weeks=rng.randrange(26)),
            )
            for i in to_book
        ]
        booked = await _all(
            portal,
            bookings,
            lambda c, b: c.patch(
                f"/v1/referrals/{b[0]}",
                json={"status": "booked", "unit": b[1], "week": b[2].isoformat()},
            ),
            clients,
        )
        _check(booked, "bookings", {200, 409})
    conflicts = sum(r.status_code == 409 for r in booked)
    result = SetupResult(
        database=database,
        workers=workers,
        units=len(sites),
        referrals=referrals,
        booked=len(booked) - conflicts,
        booking_conflicts=conflicts,
        seconds=round(time.perf_counter() - t0, 2),
        registrations_per_second=round(referrals / max(reg_seconds, 1e-9), 1),
    )
    return result, [b["referral_id"] for b in bodies]


async def bench_server(
    server: Server,
    database: str,
    workers: int,
    *,
    clients: int,
    warmup: float,
    seconds: float | None,
    requests: int | None,
    referrals: int,
    units: int,
    seed: int,
    phases: Sequence[str] = PHASES,
    console: Console | None = None,
    client_kind: str = "httpx",
    rate: float = TARGET_PER_SECOND,
) -> tuple[SetupResult, list[PhaseResult]]:
    """Fill ``server``'s database, then run the timed phases against it."""
    say = (console or Console(quiet=True)).print
    try:
        done, ids = await setup(server, database, workers, referrals, units, clients, seed)
    except httpx.HTTPError as exc:
        raise BenchError(f"setup: {type(exc).__name__}: {exc}") from None
    say(
        f"  setup: {done.units} units, {done.referrals} referrals "
        f"({done.registrations_per_second:.0f}/s), {done.booked} booked, {done.seconds:.1f} s"
    )
    pick = random.Random(seed + 2)
    fresh = Referrals(seed + 3, f"new-{database[:2]}{workers}")

    async def healthz(c: LoadClient, n: int, h: dict[str, str]) -> Reply:
        return await c.get("/healthz", headers=h)

    async def suggestions(c: LoadClient, n: int, h: dict[str, str]) -> Reply:
        return await c.get(f"/v1/referrals/{pick.choice(ids)}/suggestions", headers=h)

    async def register(c: LoadClient, n: int, h: dict[str, str]) -> Reply:
        return await c.post("/v1/referrals", json=fresh.body(n), headers=h)

    table: dict[str, Request] = {
        "healthz": healthz,
        "suggestions": suggestions,
        "suggestions_paced": suggestions,
        "register": register,
    }
    results = []
    for phase in phases:
        r = await run_phase(
            server,
            database,
            workers,
            phase,
            table[phase],
            server.portal_key,
            clients,
            warmup,
            seconds,
            requests,
            client_kind,
            rate if phase == "suggestions_paced" else None,
        )
        say(
            f"  {phase}: {r.per_second:.0f}/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
            f"{r.errors} errors (load {r.load_after[0]:.2f})"
        )
        results.append(r)
    return done, results


def _event_loop_runner() -> asyncio.Runner:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


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
    if "postgres" in databases and not postgres_url:
        raise BenchError(
            f"database postgres: set {POSTGRES_ENV} or --postgres-url "
            f"(no PostgreSQL answered at {DEFAULT_POSTGRES_URL})"
        )
    if client not in CLIENTS:
        raise BenchError(f"client: {client!r} is not one of {', '.join(CLIENTS)}")
    if not 1 <= units <= len(VGR_UNIT_SITES):
        raise BenchError(f"units: between 1 and {len(VGR_UNIT_SITES)}")
    report = ServiceLoadReport(
        date=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
        cores=os.cpu_count() or 1,
        python=platform.python_version(),
        clients=clients,
        client=client,
        rate=rate,
        seconds=None if requests is not None else seconds,
        requests=requests,
        warmup_seconds=warmup,
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
    say = (console or Console(quiet=True)).print
    for database in databases:
        for w in workers:
            say(f"[bold]{database}[/], {w} worker(s): starting a server with a fresh database")
            with (
                tempfile.TemporaryDirectory(prefix="remiss-bench-") as tmp,
                running_server(database, w, postgres_url, Path(tmp)) as server,
                _event_loop_runner() as runner,
            ):
                done, results = runner.run(
                    bench_server(
                        server,
                        database,
                        w,
                        clients=clients,
                        warmup=warmup,
                        seconds=None if requests is not None else seconds,
                        requests=requests,
                        referrals=referrals,
                        units=units,
                        seed=seed,
                        phases=phases,
                        console=console,
                        client_kind=client,
                        rate=rate,
                    )
                )
            report.setups.append(done)
            report.phases.extend(results)
    report.uptime_end = uptime()
    return report


# --- output ------------------------------------------------------------------------------
def _f(x: float | None, digits: int = 1) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _target(p: PhaseResult) -> str:
    met = p.target_met
    if met is None:
        return ""
    what = (
        f"≥ {TARGET_PER_SECOND:.0f}/s" if p.phase == "suggestions" else f"p99 < {TARGET_P99_MS:.0f}"
    )
    return f"{what}: {'yes' if met else 'NO'}"


def _overall(r: ServiceLoadReport, database: str, workers: int) -> str:
    met = r.target_met(database, workers)
    return "not measured" if met is None else ("MET" if met else "MISSED")


def _phase_name(p: PhaseResult) -> str:
    return f"suggestions@{p.rate:.0f}/s" if p.rate is not None else p.phase


def rich_tables(r: ServiceLoadReport) -> list[Table]:
    tables = []
    for database, workers in r.servers:
        ratio = r.ratio(database, workers)
        table = Table(
            title=(
                f"{database}, {workers} uvicorn worker(s), {r.clients} clients ({r.client}) — "
                f"suggestions/healthz throughput: {_f(ratio, 2)}; target ≥ "
                f"{TARGET_PER_SECOND:.0f}/s with p99 < {TARGET_P99_MS:.0f} ms: "
                f"{_overall(r, database, workers)}"
            ),
            title_justify="left",
        )
        cols = (
            "phase", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms",
            "server p50/p99 ms", "CPU ms/req server/client", "CPU % server/client/other",
            "target",
        )  # fmt: skip
        for c in cols:
            table.add_column(c, justify="left" if c in ("phase", "target") else "right")
        for p in r.phases:
            if (p.database, p.workers) != (database, workers):
                continue
            table.add_row(
                _phase_name(p),
                str(p.requests),
                str(p.errors) if p.errors == 0 else f"[red]{p.errors}[/]",
                _f(p.per_second, 0),
                _f(p.p50_ms),
                _f(p.p90_ms),
                _f(p.p99_ms),
                _f(p.max_ms),
                f"{_f(p.server_p50_ms)}/{_f(p.server_p99_ms)}",
                f"{_f(p.server_cpu_ms, 2)}/{_f(p.client_cpu_ms, 2)}",
                f"{_f(p.server_cpu_percent, 0)}/{_f(p.client_cpu_percent, 0)}/"
                f"{_f(p.other_cpu_percent, 0)}",
                _target(p),
            )
        tables.append(table)
    return tables


def markdown(r: ServiceLoadReport) -> str:
    window = f"{r.requests} requests" if r.requests is not None else f"{_f(r.seconds, 0)} s"
    lines = [
        "# Service load: suggestions and referral registration against `remiss serve`",
        "",
        f"{r.clients} concurrent clients (one asyncio process, "
        + (
            "`httpx.AsyncClient`"
            if r.client == "httpx"
            else "`aiohttp.ClientSession` (`--client aiohttp`)"
        )
        + ", a keep-alive connection "
        f"per client) against a server started by the benchmark on a fresh database: "
        f"{r.units} units at VGR sites with capacity for `{r.specialty}` (first visit) for "
        f"the 26 weeks the service sees, {r.referrals:,} waiting referrals from VGR's "
        f"municipalities (by population), {BOOKED_SHARE:.0%} of them booked. Each phase: "
        f"{_f(r.warmup_seconds, 0)} s warm-up (not counted), then {window}. Seed {r.seed}.",
        "",
        f"Service code: `{r.code}`. Machine: {r.cores} cores, {r.machine}, Python {r.python}, "
        f"{r.date}; the load "
        "generator runs on the same cores as the server. Load at the start: "
        f"`{r.uptime_start}`; at the end: `{r.uptime_end}`. Server settings from the "
        "environment: "
        + (", ".join(f"`{k}={v}`" for k, v in r.server_settings.items()) or "none (defaults)")
        + ".",
        "",
        "| database | workers | phase | requests | errors | req/s | p50 ms | p90 ms | p99 ms "
        "| max ms | server p50 / p99 ms | CPU ms/request server / client "
        "| CPU % server / client / other | load 1 min | target |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in r.phases:
        lines.append(
            f"| {p.database} | {p.workers} | {_phase_name(p)} | {p.requests} | {p.errors} | "
            f"{_f(p.per_second, 0)} | {_f(p.p50_ms)} | {_f(p.p90_ms)} | {_f(p.p99_ms)} | "
            f"{_f(p.max_ms)} | {_f(p.server_p50_ms)} / {_f(p.server_p99_ms)} | "
            f"{_f(p.server_cpu_ms, 2)} / {_f(p.client_cpu_ms, 2)} | "
            f"{_f(p.server_cpu_percent, 0)} / {_f(p.client_cpu_percent, 0)} / "
            f"{_f(p.other_cpu_percent, 0)} | {p.load_after[0]:.2f} | {_target(p)} |"
        )
    lines += [
        "",
        "| database | workers | target (≥ 500/s back to back, p99 < 50 ms at 500/s) "
        "| suggestions/s over `/healthz`/s (the stack's ceiling) |",
        "|---|---:|---|---:|",
    ]
    for database, workers in r.servers:
        lines.append(
            f"| {database} | {workers} | {_overall(r, database, workers)} | "
            f"{_f(r.ratio(database, workers), 2)} |"
        )
    lines += [
        "",
        "| database | workers | setup s | registrations/s during setup | booked | full weeks |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in r.setups:
        lines.append(
            f"| {s.database} | {s.workers} | {s.seconds:.1f} | "
            f"{s.registrations_per_second:.0f} | {s.booked} | {s.booking_conflicts} |"
        )
    lines += [
        "",
        f"Target (issue 5): ≥ {TARGET_PER_SECOND:.0f} suggestions/s with p99 < "
        f"{TARGET_P99_MS:.0f} ms and no errors, checked in two phases: *suggestions* runs "
        "the clients back to back (throughput; its latency is mostly queueing, since with "
        f"{r.clients} requests always in flight the mean latency is {r.clients} / "
        "throughput), *suggestions@rate* offers requests at fixed times "
        f"({r.rate:.0f}/s over the same {r.clients} connections) and times each from when "
        "it was due, so a server that falls behind shows it. Latency is the client's (it "
        "includes the load generator's own CPU); *server* ms is the "
        "service's access log (middleware, key lookup, handler, database, commit — not "
        "uvicorn's HTTP parsing). CPU is per cent of one core over the measured window; "
        "*other* is everything else on the machine (other jobs); CPU ms/request is the "
        "server's (or load generator's) CPU time over the requests served, so 1000 / that "
        "is what one fully available core could serve. Reproduce with "
        "`remiss-bench service` (options: `--database sqlite|postgres|both`, `--clients`, "
        "`--seconds` or `--requests`, `--rate`, `--workers 1,2`, `--client httpx|aiohttp`).",
        "",
    ]
    return "\n".join(lines)


def write_results(r: ServiceLoadReport, out_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "service_load" if r.client == "httpx" else f"service_load_{r.client}"
    md, js = out_dir / f"{stem}.md", out_dir / f"{stem}.json"
    md.write_text(markdown(r), encoding="utf-8")
    data = asdict(r)
    for p, raw in zip(r.phases, data["phases"], strict=True):
        raw["target_met"] = p.target_met
    data["ratios"] = {f"{d}/{w}": r.ratio(d, w) for d, w in r.servers}
    data["targets_met"] = {f"{d}/{w}": r.target_met(d, w) for d, w in r.servers}
    js.write_text(json.dumps(_finite(data), indent=2) + "\n", encoding="utf-8")
    return md, js


def _finite(x: Any) -> Any:
    """JSON has no NaN: missing figures become null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    return x
