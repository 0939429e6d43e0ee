"""The service benchmark's figures: its constants, one timed phase, one database's
setup, and the whole report with the conditions it ran under."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/remiss_bench"
"""A database of its own: the benchmark drops and recreates its ``public`` schema."""
POSTGRES_ENV = "REMISS_BENCH_POSTGRES_URL"
DATABASES = ("sqlite", "postgres")
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
