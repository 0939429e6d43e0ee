"""A real remiss server in a subprocess, for end-to-end tests over HTTP.

``start_server(tmp_path)`` migrates a fresh database (SQLite in ``tmp_path``, or the
PostgreSQL at ``database_url``), creates one key per role plus an all-roles key, starts
``remiss serve`` on a free port and waits for ``/livez`` (``/healthz`` may rightly say
503 when a test starts the server on a read-only database).
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.service import db
from api.service.keys import Role, create_key

ROLES = ("portal", "planner", "admin", "auditor")
END_USER = "user-7f3a"
"""The end user the tests' portal names (``X-Remiss-User``)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def remiss(*args: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return out.stdout.strip()


@dataclass
class Server:
    url: str
    database_url: str
    keys: dict[str, str]
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    env: dict[str, str] = field(default_factory=dict)

    def client(self, role: str = "all", timeout: float = 30.0) -> httpx.Client:
        headers = {"X-API-Key": self.keys[role], "X-Remiss-User": END_USER}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def start(self) -> None:
        log = (self.workdir / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {(self.workdir / 'server.log').read_text()}")
            try:
                if httpx.get(f"{self.url}/livez", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start within 60 s")

    def kill(self) -> None:
        """Hard kill (SIGKILL): no shutdown code runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.database_url.startswith("postgresql"):
            drop_postgres(self.database_url)


def make_keys(url: str) -> dict[str, str]:
    """Migrate the database and make a key per role and one with every role."""
    db.upgrade(url)
    engine = db.make_engine(url, pool_size=1)
    keys = {}
    with db.session_factory(engine).begin() as s:
        for role in ROLES:
            keys[role] = create_key(s, [Role(role)], f"test {role}")[1]
        keys["all"] = create_key(s, [Role(r) for r in ROLES], "test all")[1]
    engine.dispose()
    return keys


def fresh_postgres(url: str) -> str:
    """A new, empty database on the server of ``url`` (tests in parallel workers must
    not share one); its URL. :func:`drop_postgres` removes it."""
    name = f"remiss_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    name = make_url(url).database
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def start_server(workdir: Path, database_url: str | None = None, **env: str) -> Server:
    url = database_url or f"sqlite:///{workdir / 'remiss.db'}"
    if url.startswith("postgresql"):
        url = fresh_postgres(url)
    full_env = {
        **os.environ,
        "REMISS_DATABASE_URL": url,
        "REMISS_SIM_WORKERS": "1",
        **env,
    }
    keys = make_keys(url)
    port = free_port()
    server = Server(f"http://127.0.0.1:{port}", url, keys, workdir, port=port, env=full_env)
    server.start()
    return server


DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
"""Used when ``REMISS_TEST_POSTGRES_URL`` is unset and a server answers there."""


@functools.cache
def postgres_url() -> str | None:
    """``REMISS_TEST_POSTGRES_URL`` (empty: PostgreSQL tests off); unset, the local
    default when a PostgreSQL server accepts a connection there within 2 s."""
    configured = os.environ.get("REMISS_TEST_POSTGRES_URL")
    if configured is not None:
        return configured or None
    conninfo = DEFAULT_POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(conninfo, connect_timeout=2).close()
    except psycopg.Error:
        return None
    return DEFAULT_POSTGRES_URL


def database_for(kind: str) -> str | None:
    """The database URL of a ``sqlite``/``postgres`` test parameter (None: SQLite in the
    server's folder); skips the test when PostgreSQL is asked for and not there."""
    if kind != "postgres":
        return None
    url = postgres_url()
    if url is None:
        pytest.skip(
            "no PostgreSQL: none answers at 127.0.0.1:5432 (database test, user postgres) "
            "and REMISS_TEST_POSTGRES_URL names none"
        )
    return url
