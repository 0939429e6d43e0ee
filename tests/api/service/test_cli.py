"""``remiss db upgrade`` and ``remiss apikey create|list|revoke``; every command on the
service's database fails in one line on a wrong URL, an unreachable or an empty database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.cli import app
from api.service import db
from tests.api.service.service_server import free_port

runner = CliRunner()


def test_db_upgrade_and_key_life_cycle(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    up = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert up.exit_code == 0, up.output
    head = ScriptDirectory.from_config(db.alembic_config(url)).get_current_head()
    assert head is not None and f"revision {head}" in up.output
    made = runner.invoke(
        app, ["apikey", "create", "--role", "portal", "--name", "portal-1", "--database-url", url]
    )
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    key_id = key.split("_")[1]
    assert key.startswith(f"rmk_{key_id}_") and len(key) > 40
    listed = runner.invoke(app, ["apikey", "list", "--database-url", url])
    assert key_id in listed.output and "portal" in listed.output and key not in listed.output
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash, roles FROM api_keys")).one()
        audit = conn.execute(text("SELECT actor, action FROM audit_log")).all()
    assert stored.roles == "portal" and stored.key_hash != key and len(stored.key_hash) == 64
    assert ("cli", "key.create") in [tuple(a) for a in audit]
    revoked = runner.invoke(app, ["apikey", "revoke", key_id, "--database-url", url])
    assert revoked.exit_code == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT revoked_at FROM api_keys")).scalar() is not None
    engine.dispose()
    unknown = runner.invoke(app, ["apikey", "revoke", "nope", "--database-url", url])
    assert unknown.exit_code == 2 and "no key" in unknown.output


def test_bad_role_is_a_usage_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    bad = runner.invoke(app, ["apikey", "create", "--role", "root", "--database-url", url])
    assert bad.exit_code == 2


DATABASE_COMMANDS = [
    ["apikey", "list"],
    ["apikey", "revoke", "k1"],
    ["audit", "verify"],
    ["forecast", "--specialty", "gallsten", "--stage", "first_visit"],
]
"""The commands that read the service's database (not create it)."""


def one_error_line(args: list[str], url: str) -> tuple[int, str]:
    """Exit code and the only line of stderr of ``remiss ARGS --database-url URL``."""
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", *args, "--database-url", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "Traceback" not in out.stderr
    return out.returncode, lines[0]


@pytest.mark.parametrize(
    "args", [*DATABASE_COMMANDS, ["db", "upgrade"], ["apikey", "create", "--role", "portal"]]
)
def test_a_wrong_database_url_is_one_line(args: list[str]) -> None:
    code, line = one_error_line(args, "nonsense+driver://u:secret@host/db")
    assert code == 2 and line.startswith("error: --database-url: ")
    assert "no such database driver" in line and "secret" not in line
    code, line = one_error_line(args, "not a url")
    assert code == 2 and "not a URL of the form" in line
    code, line = one_error_line(args, f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x")
    assert code == 1 and line.startswith("error: cannot reach the database postgresql")


@pytest.mark.parametrize("args", DATABASE_COMMANDS)
def test_reading_a_database_without_the_schema_says_so(args: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    code, line = one_error_line(args, f"sqlite:///{missing}")
    assert code == 1 and "has no remiss schema (`remiss db upgrade` creates it)" in line
    assert not missing.exists()  # reading did not create an empty database
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    code, line = one_error_line(args, f"sqlite:///{empty}")
    assert code == 1 and "has no remiss schema" in line
