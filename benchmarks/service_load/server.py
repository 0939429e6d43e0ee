"""The server under test: a ``remiss serve`` started on a free port with a fresh
database (an SQLite file, or a PostgreSQL database whose schema is recreated), with an
admin key and a portal key made by ``remiss apikey create``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.service_load.figures import DEFAULT_POSTGRES_URL, POSTGRES_ENV, BenchError


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def remiss_command(args: Sequence[str], env: dict[str, str], cwd: Path) -> str:
    """Run ``remiss ARGS`` in ``cwd`` and return what it printed; BenchError if it failed."""
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
    admin = remiss_command(
        ["apikey", "create", "--role", "admin", "--name", "bench-admin"], env, workdir
    )
    portal = remiss_command(
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
        wait_healthy(server)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def wait_healthy(server: Server, seconds: float = 90.0) -> None:
    """Wait until ``server`` answers ``/healthz``; BenchError if it exits or is too slow."""
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
