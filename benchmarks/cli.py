"""``remiss-bench`` (also ``python -m benchmarks``): the benchmarks against peers, each
writing its figures to ``benchmarks/results/``.

``allocate`` (the allocation solvers with HiGHS and greedy peers), ``simulate``
(referrals simulated per second), ``service`` (the service under load), ``replications``
(serial vs process pool vs Dask), ``optimised`` (the optimised policy's cost),
``forecast`` (a 50,000-referral waiting list forecast 26 weeks × 20 replications),
``forecast-coverage`` (the forecast's back-test over many years of history),
``startup`` (command start-up) and ``abuse`` (the service under a burst of oversized
requests).

Each command imports its benchmark's module when it runs (documented lazy loading): they
load the model, the web clients or psutil, and ``--help`` or one benchmark should not
pay for all of them.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from benchmarks import RESULTS_DIR


def refresh_docs(*_: object, **__: object) -> None:
    """After a benchmark: paste the results into the pages that show them
    (:mod:`benchmarks.docs_page`; nothing changes when the results did not)."""
    from benchmarks.docs_page import refresh

    for page in refresh():
        typer.echo(f"updated {page}")


app = typer.Typer(
    name="remiss-bench",
    help="Benchmarks against peers, written to benchmarks/results/.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    result_callback=refresh_docs,
)


@app.callback()
def bench() -> None:
    """Benchmarks against peers, written to benchmarks/results/."""


@app.command("allocate")
def allocate(
    sizes: Annotated[
        str, typer.Option(help="Comma-separated referral counts, e.g. 10000 for a quick run.")
    ] = "10000,100000,1000000",
    solvers: Annotated[
        str, typer.Option(help="Comma-separated: flow, greedy_home, greedy_edd, highs.")
    ] = "flow,greedy_home,greedy_edd,highs",
    highs_time_limit: Annotated[float, typer.Option(min=1.0, help="Seconds for HiGHS.")] = 600.0,
    results_dir: Annotated[
        Path, typer.Option(help="Where allocate.md and allocate.json go.")
    ] = RESULTS_DIR,
) -> None:
    """Allocation solvers at 10k/100k/1M referrals × 40 units × 26 weeks (+ HiGHS, greedy)."""
    from benchmarks.allocate import print_table, run

    try:
        size_list = [int(s.replace("_", "")) for s in sizes.split(",") if s.strip()]
    except ValueError:
        typer.echo(f"error: --sizes {sizes!r}: expected comma-separated integers", err=True)
        raise typer.Exit(2) from None
    known = {"flow", "greedy_home", "greedy_edd", "highs"}
    solver_list = [s.strip() for s in solvers.split(",") if s.strip()]
    unknown = [s for s in solver_list if s not in known]
    if unknown or not size_list or min(size_list) < 1:
        typer.echo(f"error: bad --sizes or --solvers ({', '.join(unknown) or sizes})", err=True)
        raise typer.Exit(2)
    rows = run(size_list, solver_list, highs_time_limit=highs_time_limit, results_dir=results_dir)
    print_table(rows)
    if any(r.get("valid") is False for r in rows):
        raise typer.Exit(1)


QuickOpt = Annotated[
    bool,
    typer.Option("--quick", help="Small sizes for a CI smoke run (seconds); results not written."),
]
RepeatsOpt = Annotated[
    int | None,
    typer.Option(min=1, help="Textbook repeats (replications); default 5, quick 2."),
]
TextbookDaysOpt = Annotated[
    int | None, typer.Option(min=30, help="Textbook horizon; default 3650, quick 365.")
]
RegionDaysOpt = Annotated[
    int | None, typer.Option(min=1, help="Region-scale horizon; default 365, quick 14.")
]
TextbookOpt = Annotated[
    bool, typer.Option("--textbook/--no-textbook", help="Run the textbook benchmark.")
]
RegionOpt = Annotated[
    bool, typer.Option("--region/--no-region", help="Run the region-scale benchmark.")
]
ScalingOpt = Annotated[
    bool,
    typer.Option("--scaling/--no-scaling", help="Run the region year at 1×, 2× and 4× demand."),
]
MemoryOpt = Annotated[
    bool,
    typer.Option(
        "--memory/--no-memory", help="Measure the region year's peak memory (fresh processes)."
    ),
]
WriteSimulateOpt = Annotated[
    bool | None,
    typer.Option(
        "--write/--no-write",
        help="Write simulate.md and simulate.json (default: yes, except with --quick).",
    ),
]
SimulateResultsOpt = Annotated[Path, typer.Option(help="Where simulate.md and simulate.json go.")]
RebuildOpt = Annotated[
    bool,
    typer.Option(
        "--rebuild-scenario",
        help="Regenerate benchmarks/scenarios/region_scale.yaml before running.",
    ),
]


@app.command("simulate")
def simulate_command(
    quick: QuickOpt = False,
    repeats: RepeatsOpt = None,
    textbook_days: TextbookDaysOpt = None,
    region_days: RegionDaysOpt = None,
    textbook: TextbookOpt = True,
    region: RegionOpt = True,
    scaling: ScalingOpt = True,
    memory: MemoryOpt = True,
    write: WriteSimulateOpt = None,
    results_dir: SimulateResultsOpt = RESULTS_DIR,
    rebuild_scenario: RebuildOpt = False,
) -> None:
    """Referrals simulated per second: the textbook M/M/2×4 scenario against a bare SimPy
    M/M/c loop (target ratio ≥ 1.0), a region-scale year of 500,000 referrals over
    40 units (target < 10 s per replication on one core), that year at 1×, 2× and 4×
    demand (target ≤ 2.2× CPU per doubling) and its peak memory per policy (target
    ≤ 2.5× the per-referral arrays)."""
    from benchmarks.simulate import (
        rich_table,
        run_benchmarks,
        write_region_scenario,
        write_results,
    )

    console = Console()
    if rebuild_scenario:
        console.print(f"wrote {write_region_scenario()}")
    report = run_benchmarks(
        quick=quick,
        repeats=repeats,
        textbook_days=textbook_days,
        region_days=region_days,
        textbook=textbook,
        region=region,
        scaling=scaling,
        memory=memory,
    )
    console.print(rich_table(report))
    if write if write is not None else not quick:
        for path in write_results(report, results_dir):
            console.print(f"wrote {path}")


class Client(StrEnum):
    """The load generator's HTTP client."""

    httpx = "httpx"
    aiohttp = "aiohttp"


class Database(StrEnum):
    """The databases the service benchmark runs against."""

    sqlite = "sqlite"
    postgres = "postgres"
    both = "both"


DatabaseOpt = Annotated[
    Database | None,
    typer.Option(
        help="sqlite, postgres or both (default: both when REMISS_BENCH_POSTGRES_URL is "
        "set or a local PostgreSQL answers, else sqlite)."
    ),
]
ClientsOpt = Annotated[int, typer.Option(min=1, max=1000, help="Concurrent clients.")]
SecondsOpt = Annotated[
    float, typer.Option(min=1.0, help="Measured seconds per phase (after the warm-up).")
]
RequestsOpt = Annotated[
    int | None, typer.Option(min=1, help="Measured requests per phase instead of --seconds.")
]
RateOpt = Annotated[
    float, typer.Option(min=1.0, help="Offered suggestions/s of the paced phase (latency check).")
]
WarmupOpt = Annotated[float, typer.Option(min=0.0, help="Warm-up seconds per phase (not counted).")]
ReferralsOpt = Annotated[
    int, typer.Option(min=1, help="Waiting referrals registered during setup.")
]
UnitsOpt = Annotated[int, typer.Option(min=1, max=40, help="Units at VGR sites.")]
WorkersOpt = Annotated[
    str, typer.Option(help="uvicorn worker processes; comma-separated to compare, e.g. 1,2.")
]
PostgresUrlOpt = Annotated[
    str | None,
    typer.Option(
        help="PostgreSQL the benchmark may wipe (default: REMISS_BENCH_POSTGRES_URL, "
        "else postgresql+psycopg://postgres@127.0.0.1:5432/remiss_bench)."
    ),
]
ClientOpt = Annotated[
    Client,
    typer.Option(
        help="Load generator's client in the timed phases: httpx (httpx.AsyncClient) or "
        "aiohttp (aiohttp.ClientSession, far less CPU per request)."
    ),
]
SeedOpt = Annotated[int, typer.Option(help="Seed of the data and request mix.")]
WriteServiceOpt = Annotated[
    bool,
    typer.Option(
        "--write/--no-write",
        help="Write service_load.md and .json (service_load_aiohttp.* with --client aiohttp).",
    ),
]
ServiceResultsOpt = Annotated[
    Path, typer.Option(help="Where service_load.md and service_load.json go.")
]


def _worker_counts(workers: str) -> list[int]:
    """``--workers`` as positive integers; exit 2 naming the option otherwise."""
    try:
        worker_list = [int(w) for w in workers.split(",") if w.strip()]
    except ValueError:
        worker_list = []
    if not worker_list or min(worker_list) < 1:
        typer.echo(f"error: --workers {workers!r}: expected positive integers, e.g. 1,2", err=True)
        raise typer.Exit(2)
    return worker_list


def _service_databases(database: Database | None, pg: str | None) -> list[str]:
    """The databases to run against (default: both when PostgreSQL is there); exit 2
    when PostgreSQL is asked for and does not answer."""
    from benchmarks.service_load import DEFAULT_POSTGRES_URL, postgres_reachable  # lazy, as above

    if database is None:
        database = Database.both if pg else Database.sqlite
    if database is not Database.sqlite and (not pg or not postgres_reachable(pg)):
        typer.echo(
            f"error: --database {database.value}: no PostgreSQL answers at "
            f"{pg or DEFAULT_POSTGRES_URL} (set --postgres-url or REMISS_BENCH_POSTGRES_URL)",
            err=True,
        )
        raise typer.Exit(2)
    return ["sqlite", "postgres"] if database is Database.both else [database.value]


@app.command("service")
def service_command(
    database: DatabaseOpt = None,
    clients: ClientsOpt = 50,
    seconds: SecondsOpt = 20.0,
    requests: RequestsOpt = None,
    rate: RateOpt = 500.0,
    warmup: WarmupOpt = 3.0,
    referrals: ReferralsOpt = 5000,
    units: UnitsOpt = 40,
    workers: WorkersOpt = "1",
    postgres_url: PostgresUrlOpt = None,
    client: ClientOpt = Client.httpx,
    seed: SeedOpt = 20260501,
    write: WriteServiceOpt = True,
    results_dir: ServiceResultsOpt = RESULTS_DIR,
) -> None:
    """Suggestions and referral registration at 50 concurrent clients against a real
    server (started here, fresh database), with GET /healthz as the stack's ceiling.
    Target: ≥ 500 suggestions/s with p99 < 50 ms (throughput back to back, latency at
    --rate 500/s). Exit 1 if any request failed."""
    from benchmarks.service_load import (
        BenchError,
        default_postgres_url,
        rich_tables,
        run,
        uptime,
        write_results,
    )

    worker_list = _worker_counts(workers)
    pg = postgres_url or default_postgres_url()
    databases = _service_databases(database, pg)
    console = Console(width=max(Console().width, 150))  # the table has 11 columns
    console.print(f"load now: {uptime()}")
    try:
        report = run(
            databases, clients=clients, seconds=seconds, requests=requests, warmup=warmup,
            referrals=referrals, units=units, workers=worker_list, postgres_url=pg,
            seed=seed, console=console, client=client.value, rate=rate,
        )  # fmt: skip
    except BenchError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for table in rich_tables(report):
        console.print(table)
    console.print(f"load at the end: {report.uptime_end}")
    if write:
        for path in write_results(report, results_dir):
            console.print(f"wrote {path}")
    if report.errors:
        raise typer.Exit(1)


@app.command("replications")
def replications(
    replications: Annotated[
        int, typer.Option(min=1, help="Replications per executor (the issue asks for 100).")
    ] = 100,
    policies: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated policies (default: those of separate, shared, optimised, "
            "patient_choice that exist)."
        ),
    ] = None,
    executors: Annotated[
        str, typer.Option(help="Comma-separated: serial, process, dask.")
    ] = "serial,process,dask",
    workers: Annotated[
        int | None, typer.Option(min=1, help="Workers for process and dask (default: cores).")
    ] = None,
    horizon_days: Annotated[
        int | None, typer.Option(min=30, help="Simulated days (default: the scenario's).")
    ] = None,
    write: Annotated[
        bool, typer.Option("--write/--no-write", help="Write replications.md and .json.")
    ] = True,
    results_dir: Annotated[
        Path, typer.Option(help="Where replications.md and replications.json go.")
    ] = RESULTS_DIR,
) -> None:
    """Wall time of N replications of the gallstone scenario with every policy: serial vs
    local process pool vs Dask LocalCluster, with speed-ups; results must be identical."""
    from benchmarks.replications import EXECUTORS, rich_table, run, write_results
    from simulering.policies import POLICIES

    pol_list = [p.strip() for p in policies.split(",") if p.strip()] if policies else None
    unknown = [p for p in pol_list or [] if p not in POLICIES]
    ex_list = [e.strip() for e in executors.split(",") if e.strip()]
    bad_ex = [e for e in ex_list if e not in EXECUTORS]
    if unknown or bad_ex or not ex_list:
        typer.echo(
            f"error: unknown --policies {', '.join(unknown)} or --executors "
            f"{', '.join(bad_ex) or executors!r} (policies: {', '.join(POLICIES)}; "
            f"executors: {', '.join(EXECUTORS)})",
            err=True,
        )
        raise typer.Exit(2)
    console = Console()
    report = run(replications, pol_list, ex_list, workers=workers, horizon_days=horizon_days)
    console.print(rich_table(report))
    console.print(f"identical results: {'yes' if report.identical else 'NO'}")
    if write:
        for path in write_results(report, results_dir):
            console.print(f"wrote {path}")
    if not report.identical:
        raise typer.Exit(1)


@app.command("optimised")
def optimised(
    scenario: Annotated[str, typer.Option(help="Library scenario or file")] = "gallsten",
    replications: Annotated[int, typer.Option(min=1, help="Replications (median reported)")] = 3,
    write: Annotated[bool, typer.Option(help="Write results/optimised_cost.json")] = True,
) -> None:
    """Cost of the optimised policy per simulated year vs shared (target ≤ 2×)."""
    from benchmarks.optimised_cost import main as run_optimised

    run_optimised(scenario, replications, write)


@app.command("forecast")
def forecast(
    quick: Annotated[bool, typer.Option(help="2 replications, nothing written")] = False,
) -> None:
    """Forecast of 50,000 waiting referrals over 40 units, 26 weeks × 20 replications on
    one core (target < 60 s CPU), beside the same replications run as remiss simulate."""
    from benchmarks.forecast import main as run_forecast_benchmark

    run_forecast_benchmark(quick=quick)


@app.command("forecast-coverage")
def forecast_coverage(
    seeds: Annotated[int, typer.Option(min=1, help="History seeds 1..N")] = 10,
    weeks: Annotated[int, typer.Option(min=1, max=26, help="Weeks forecast")] = 26,
    replications: Annotated[int, typer.Option(min=2, help="Replications per forecast")] = 20,
    write: Annotated[
        bool, typer.Option("--write/--no-write", help="Write forecast_coverage.md and .json")
    ] = True,
    results_dir: Annotated[
        Path, typer.Option(help="Where forecast_coverage.md and .json go.")
    ] = RESULTS_DIR,
) -> None:
    """The back-test over N years of history: each written through the service's HTTP
    API into a fresh SQLite database, forecast from its midpoint as remiss forecast
    --as-of does, with the arrival rates' uncertainty and with the rates known; the
    queue's coverage and MAE per seed, mean and min."""
    from benchmarks.forecast_coverage import rich_table, run, verdicts, write_results

    console = Console(width=max(Console().width, 160))  # the table has 11 columns
    report = run(range(1, seeds + 1), weeks=weeks, replications=replications, console=console)
    console.print(rich_table(report))
    for line in verdicts(report):
        console.print(line)
    if write:
        for path in write_results(report, results_dir):
            console.print(f"wrote {path}")


@app.command("startup")
def startup(
    repeat: Annotated[int, typer.Option(min=1, help="Runs per command (median reported)")] = 5,
    write: Annotated[bool, typer.Option(help="Write results/startup.md and .json")] = True,
) -> None:
    """Start-up of remiss commands in fresh interpreters (CPU, wall, peak memory) beside
    an interpreter importing only Typer and Rich; targets: remiss --help ≤ 0.3 s CPU,
    start-up ≤ 20 % of a one-replication run."""
    from benchmarks.startup import rich_table, run, verdicts, write_results

    console = Console()
    report = run(repeat)
    console.print(rich_table(report))
    for line in verdicts(report):
        console.print(line)
    if write:
        for path in write_results(report):
            console.print(f"wrote {path}")


@app.command("abuse")
def abuse(
    write: Annotated[bool, typer.Option(help="Write results/service_abuse.md and .json")] = True,
    results_dir: Annotated[
        Path, typer.Option(help="Where service_abuse.md and service_abuse.json go.")
    ] = RESULTS_DIR,
) -> None:
    """A real server (fresh SQLite) under 20 keyless and 20 keyed requests at once, each
    declaring 200 MB: its peak memory before/during/after, each answer's status and
    time, requests tried and 5xx. Exit 1 on any 5xx."""
    from benchmarks.service_abuse import run, summary, write_results

    report = run()
    for line in summary(report):
        typer.echo(line)
    if write:
        for path in write_results(report, results_dir):
            typer.echo(f"wrote {path}")
    if report.server_errors:
        raise typer.Exit(1)


@app.command("docs")
def docs() -> None:
    """Paste benchmarks/results/ into README.md, docs/benchmarks.md and docs/allocation.md
    (every benchmark does this when it finishes)."""
    # the result callback does the work


def main() -> None:
    """Console-script entry point (``remiss-bench``): the help names values as
    ``remiss``'s does (:mod:`api.cli.metavars`), with ``-h`` beside ``--help``."""
    from api.cli.metavars import HELP_NAMES, name_values

    command = name_values(typer.main.get_command(app))
    command.context_settings["help_option_names"] = HELP_NAMES
    command.main(prog_name="remiss-bench")
