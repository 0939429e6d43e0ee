"""``remiss bench service``: the service under load (issue 5, Benchmark).

Register with ``app.command("service")(service_command)`` on the ``bench`` Typer app.
The work lives in :mod:`benchmarks.service_load`; it is imported when the command runs.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

RESULTS_DIR = Path(__file__).resolve().parent.parent / "benchmarks" / "results"


class Client(StrEnum):
    httpx = "httpx"
    aiohttp = "aiohttp"


class Database(StrEnum):
    sqlite = "sqlite"
    postgres = "postgres"
    both = "both"


def service_command(
    database: Annotated[
        Database | None,
        typer.Option(
            help="sqlite, postgres or both (default: both when REMISS_BENCH_POSTGRES_URL is "
            "set or a local PostgreSQL answers, else sqlite)."
        ),
    ] = None,
    clients: Annotated[int, typer.Option(min=1, max=1000, help="Concurrent clients.")] = 50,
    seconds: Annotated[
        float, typer.Option(min=1.0, help="Measured seconds per phase (after the warm-up).")
    ] = 20.0,
    requests: Annotated[
        int | None,
        typer.Option(min=1, help="Measured requests per phase instead of --seconds."),
    ] = None,
    rate: Annotated[
        float,
        typer.Option(min=1.0, help="Offered suggestions/s of the paced phase (latency check)."),
    ] = 500.0,
    warmup: Annotated[
        float, typer.Option(min=0.0, help="Warm-up seconds per phase (not counted).")
    ] = 3.0,
    referrals: Annotated[
        int, typer.Option(min=1, help="Waiting referrals registered during setup.")
    ] = 5000,
    units: Annotated[int, typer.Option(min=1, max=40, help="Units at VGR sites.")] = 40,
    workers: Annotated[
        str, typer.Option(help="uvicorn worker processes; comma-separated to compare, e.g. 1,2.")
    ] = "1",
    postgres_url: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL the benchmark may wipe (default: REMISS_BENCH_POSTGRES_URL, "
            "else postgresql+psycopg://postgres@127.0.0.1:5432/remiss_bench)."
        ),
    ] = None,
    client: Annotated[
        Client,
        typer.Option(
            help="Load generator's client in the timed phases: httpx (httpx.AsyncClient) or "
            "aiohttp (aiohttp.ClientSession, far less CPU per request)."
        ),
    ] = Client.httpx,
    seed: Annotated[int, typer.Option(help="Seed of the data and request mix.")] = 20260501,
    write: Annotated[
        bool,
        typer.Option(
            "--write/--no-write",
            help="Write service_load.md and .json (service_load_aiohttp.* with --client aiohttp).",
        ),
    ] = True,
    results_dir: Annotated[
        Path, typer.Option(help="Where service_load.md and service_load.json go.")
    ] = RESULTS_DIR,
) -> None:
    """Suggestions and referral registration at 50 concurrent clients against a real
    server (started here, fresh database), with GET /healthz as the stack's ceiling.
    Target: ≥ 500 suggestions/s with p99 < 50 ms (throughput back to back, latency at
    --rate 500/s). Exit 1 if any request failed."""
    from rich.console import Console

    from benchmarks.service_load import (
        DEFAULT_POSTGRES_URL,
        BenchError,
        default_postgres_url,
        postgres_reachable,
        rich_tables,
        run,
        uptime,
        write_results,
    )

    try:
        worker_list = [int(w) for w in workers.split(",") if w.strip()]
    except ValueError:
        worker_list = []
    if not worker_list or min(worker_list) < 1:
        typer.echo(f"error: --workers {workers!r}: expected positive integers, e.g. 1,2", err=True)
        raise typer.Exit(2)
    pg = postgres_url or default_postgres_url()
    if database is None:
        database = Database.both if pg else Database.sqlite
    if database is not Database.sqlite and (not pg or not postgres_reachable(pg)):
        typer.echo(
            f"error: --database {database.value}: no PostgreSQL answers at "
            f"{pg or DEFAULT_POSTGRES_URL} (set --postgres-url or REMISS_BENCH_POSTGRES_URL)",
            err=True,
        )
        raise typer.Exit(2)
    databases = ["sqlite", "postgres"] if database is Database.both else [database.value]
    console = Console(width=max(Console().width, 150))  # the table has 11 columns
    console.print(f"load now: {uptime()}")
    try:
        report = run(
            databases,
            clients=clients,
            seconds=seconds,
            requests=requests,
            warmup=warmup,
            referrals=referrals,
            units=units,
            workers=worker_list,
            postgres_url=pg,
            seed=seed,
            console=console,
            client=client.value,
            rate=rate,
        )
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
