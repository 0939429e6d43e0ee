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

- ``healthz``: ``GET /healthz`` (the same middleware stack and the database's write
  probe, its answer reused for 1 s): the ceiling of the stack, measured in the same run
  as the peer;
- ``suggestions``: ``GET /v1/referrals/{id}/suggestions`` on random registered
  referrals (target: ≥ 500 per second with p99 < 50 ms);
- ``register``: ``POST /v1/referrals`` with new, unique referral ids.

Latency is measured by the client (the load generator shares the machine's cores with
the server, so it is included); the server's own time per request is read from its
JSON access log. CPU used by the server, by the load generator and by everything else
on the machine is recorded per phase, with the load average. Written to
``benchmarks/results/service_load.md`` and ``.json``; run with ``remiss-bench service``.

The modules: :mod:`~benchmarks.service_load.figures` (what is measured),
:mod:`~benchmarks.service_load.server` (server start-up), :mod:`~benchmarks.service_load.fill`
and :mod:`~benchmarks.service_load.referrals` (the data, through the API),
:mod:`~benchmarks.service_load.clients` and :mod:`~benchmarks.service_load.load` (load
generation), :mod:`~benchmarks.service_load.measure` (one timed phase),
:mod:`~benchmarks.service_load.machine` (CPU and load), :mod:`~benchmarks.service_load.runner`
(the whole run) and :mod:`~benchmarks.service_load.report` (tables, Markdown, JSON).
"""

from benchmarks.service_load.figures import (
    DEFAULT_POSTGRES_URL,
    PHASES,
    POSTGRES_ENV,
    BenchError,
    PhaseResult,
    ServiceLoadReport,
    SetupResult,
)
from benchmarks.service_load.machine import uptime
from benchmarks.service_load.measure import read_log
from benchmarks.service_load.referrals import Referrals
from benchmarks.service_load.report import finite, markdown, rich_tables, write_results
from benchmarks.service_load.runner import run
from benchmarks.service_load.server import default_postgres_url, postgres_reachable

__all__ = [
    "DEFAULT_POSTGRES_URL",
    "PHASES",
    "POSTGRES_ENV",
    "BenchError",
    "PhaseResult",
    "Referrals",
    "ServiceLoadReport",
    "SetupResult",
    "default_postgres_url",
    "finite",
    "markdown",
    "postgres_reachable",
    "read_log",
    "rich_tables",
    "run",
    "uptime",
    "write_results",
]
