"""The service under a burst of oversized requests: a real ``remiss serve`` (fresh SQLite
database) gets 20 concurrent requests without a key and 20 with a valid portal key, each
declaring a 200 MB body (``Content-Length``) and streaming it in 64 KB chunks until the
server answers. The server's resident memory (its process and children, psutil, sampled
every 10 ms) is reported before, at its peak during and after the burst, with each
answer's status and time; then the service is asked for ``/livez``, ``/healthz`` and
``/v1/units`` to show it still answers. Every request tried and every 5xx is counted;
the benchmark's CPU, the server's CPU, the wall time and the load average are printed.

The peer, in the same run against the same server: the same two groups of requests at
once with an ordinary body (``{}``, two bytes), answered 422 with the key and without it
401, or 429 once the keyless requests of the oversized burst have used the keyless
rate limit — how fast the service answers a burst at all, beside how fast it refuses
the oversized one.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
import psutil  # type: ignore[import-untyped]

from benchmarks import RESULTS_DIR
from benchmarks.service_load.machine import uptime
from benchmarks.service_load.server import Server, running_server

BURST: Final = 20
"""Concurrent oversized requests per group (without a key, with a key)."""
DECLARED_BYTES: Final = 200 * 1024 * 1024
"""The body size each oversized request declares."""
CHUNK: Final = b"x" * 65536
ROUTE: Final = "/v1/referrals"
END_USER: Final = "bench-user"


@dataclass(frozen=True)
class Answer:
    """One oversized request: who sent it, the status (0: the connection closed before
    any answer), the seconds until the answer and the body bytes sent until then."""

    group: str
    status: int
    seconds: float
    bytes_sent: int


@dataclass
class Report:
    """The burst's figures."""

    rss_before_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_after_mb: float = 0.0
    answers: list[Answer] = field(default_factory=list)
    probes: dict[str, int] = field(default_factory=dict)
    peer: list[Answer] = field(default_factory=list)
    """The same burst with an ordinary two-byte body."""
    logged: dict[str, int] = field(default_factory=dict)
    requests_tried: int = 0
    server_errors: int = 0
    wall_s: float = 0.0
    bench_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    load_before: str = ""
    load_after: str = ""


def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of ``proc`` and its children."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def tree_cpu(proc: psutil.Process) -> float:
    """User + system CPU seconds of ``proc`` and its live children."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


@contextmanager
def peak_rss(proc: psutil.Process) -> Iterator[list[int]]:
    """Sample the resident memory of ``proc``'s tree every 10 ms while the block runs;
    the list holds the peak (one element) afterwards."""
    peak = [tree_rss(proc)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss(proc))
            stop.wait(0.01)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


async def oversized(host: str, port: int, group: str, headers: dict[str, str]) -> Answer:
    """One request declaring ``DECLARED_BYTES``, its body streamed until the answer
    (status 0: the server closed the connection and the reset reached the client before
    the answer could be read; the server's access log still has what it answered)."""
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    head = [f"POST {ROUTE} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json"]
    head += [f"Content-Length: {DECLARED_BYTES}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    sent = 0

    async def stream() -> None:
        nonlocal sent
        while sent < DECLARED_BYTES:
            writer.write(CHUNK)
            await writer.drain()
            sent += len(CHUNK)

    streaming = asyncio.create_task(stream())
    status = 0
    try:
        line = await reader.readline()
        if line.startswith(b"HTTP/"):
            status = int(line.split()[1])
    except (ConnectionError, OSError):
        pass
    seconds = time.perf_counter() - start
    streaming.cancel()
    with suppress(asyncio.CancelledError, ConnectionError, OSError):
        await streaming
    writer.close()
    return Answer(group, status, seconds, sent)


async def ordinary(client: httpx.AsyncClient, group: str, headers: dict[str, str]) -> Answer:
    """One request of the peer burst: the two-byte body ``{}``."""
    start = time.perf_counter()
    response = await client.post(ROUTE, content=b"{}", headers=headers)
    return Answer(group, response.status_code, time.perf_counter() - start, 2)


async def peer_burst(server: Server) -> list[Answer]:
    """The peer: ``BURST`` ordinary requests without a key and ``BURST`` with one, at once."""
    keyed = {"X-API-Key": server.portal_key, "X-Remiss-User": END_USER}
    plain = {"Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=2 * BURST)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:
        tasks = [ordinary(client, "no key", plain) for _ in range(BURST)]
        tasks += [ordinary(client, "valid key", {**plain, **keyed}) for _ in range(BURST)]
        return list(await asyncio.gather(*tasks))


async def burst(server: Server) -> list[Answer]:
    """``BURST`` requests without a key and ``BURST`` with the portal key, at once."""
    url = httpx.URL(server.url)
    host, port = str(url.host), int(url.port or 80)
    keyed = {"X-API-Key": server.portal_key, "X-Remiss-User": END_USER}
    tasks = [oversized(host, port, "no key", {}) for _ in range(BURST)]
    tasks += [oversized(host, port, "valid key", keyed) for _ in range(BURST)]
    return list(await asyncio.gather(*tasks))


def logged_statuses(server: Server) -> dict[str, int]:
    """The statuses the server's access log gives the oversized requests (what it
    answered, also when the client could not read the answer before the connection was
    reset), as status → count."""
    counts: dict[str, int] = {}
    for line in server.log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("name") == "remiss.access" and entry.get("method") == "POST":
            key = str(entry.get("status"))
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def probe(server: Server) -> dict[str, int]:
    """The status of ``/livez``, ``/healthz`` and ``GET /v1/units`` after the burst."""
    headers = {"X-API-Key": server.admin_key}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        return {path: client.get(path).status_code for path in ("/livez", "/healthz", "/v1/units")}


def run() -> Report:
    """Start the server, send the burst, probe it, and gather the figures."""
    report = Report(load_before=uptime())
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with (
        tempfile.TemporaryDirectory(prefix="remiss-abuse-") as tmp,
        running_server("sqlite", 1, None, Path(tmp)) as server,
    ):
        proc = psutil.Process(server.proc.pid)
        server_cpu0 = tree_cpu(proc)
        report.rss_before_mb = tree_rss(proc) / 2**20
        with peak_rss(proc) as peak:
            report.answers = asyncio.run(burst(server))
        report.rss_peak_mb = peak[0] / 2**20
        time.sleep(1.0)
        report.rss_after_mb = tree_rss(proc) / 2**20
        report.probes = probe(server)
        report.peer = asyncio.run(peer_burst(server))
        report.logged = logged_statuses(server)
        report.server_cpu_s = tree_cpu(proc) - server_cpu0
    statuses = [a.status for a in report.answers + report.peer] + list(report.probes.values())
    report.requests_tried = len(statuses)
    report.server_errors = sum(1 for s in statuses if s >= 500)
    report.wall_s = time.perf_counter() - wall0
    report.bench_cpu_s = time.process_time() - cpu0
    report.load_after = uptime()
    return report


def summary(report: Report) -> list[str]:
    """The figures as lines of Markdown."""
    lines = [
        "# Service under a burst of oversized requests",
        "",
        f"{BURST} requests without a key and {BURST} with a valid key, at once, each "
        f"declaring {DECLARED_BYTES // 2**20} MB to POST {ROUTE} and streaming it until "
        "answered (`remiss-bench abuse`, one uvicorn worker, SQLite).",
        "",
        "| server RSS | MB |",
        "|---|---:|",
        f"| before | {report.rss_before_mb:.1f} |",
        f"| peak during the burst | {report.rss_peak_mb:.1f} |",
        f"| 1 s after | {report.rss_after_mb:.1f} |",
        "",
        "| group | answers (status × count) | time to answer, s (min / max) | "
        "body sent before the answer, KB (max) |",
        "|---|---|---:|---:|",
    ]
    for label, burst_answers in (("", report.answers), ("peer: 2-byte body, ", report.peer)):
        for group in ("no key", "valid key"):
            answers = [a for a in burst_answers if a.group == group]
            if not answers:
                continue
            counts: dict[int, int] = {}
            for a in answers:
                counts[a.status] = counts.get(a.status, 0) + 1
            shown = ", ".join(f"{s} × {n}" for s, n in sorted(counts.items()))
            times = [a.seconds for a in answers]
            most = max(a.bytes_sent for a in answers) / 1024
            lines.append(
                f"| {label}{group} | {shown} | {min(times):.3f} / {max(times):.3f} | {most:.0f} |"
            )
    probes = ", ".join(f"{p} {s}" for p, s in report.probes.items())
    lines += [
        "",
        "Status 0: the server closed the connection without reading the body and the "
        "reset reached the client before its answer could be read.",
        "The server's access log, POST requests (status × count): "
        + ", ".join(f"{st} × {n}" for st, n in report.logged.items())
        + ".",
        f"After the burst: {probes}.",
        f"Requests tried: {report.requests_tried}; 5xx: {report.server_errors}.",
        f"Wall {report.wall_s:.1f} s (with the server's start); CPU: benchmark "
        f"{report.bench_cpu_s:.2f} s, server during the burst {report.server_cpu_s:.2f} s.",
        f"Load before: {report.load_before}",
        f"Load after: {report.load_after}",
    ]
    return lines


def write_results(report: Report, results_dir: Path = RESULTS_DIR) -> list[Path]:
    """``service_abuse.md`` and ``service_abuse.json`` in ``results_dir``."""
    results_dir.mkdir(parents=True, exist_ok=True)
    md = results_dir / "service_abuse.md"
    md.write_text("\n".join(summary(report)) + "\n")
    data: dict[str, Any] = {
        **asdict(report),
        "burst": BURST,
        "declared_bytes": DECLARED_BYTES,
        "route": ROUTE,
        "cpu_count": os.cpu_count(),
    }
    out = results_dir / "service_abuse.json"
    out.write_text(json.dumps(data, indent=2) + "\n")
    return [md, out]
