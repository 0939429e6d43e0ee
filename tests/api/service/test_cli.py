"""``remiss db upgrade`` and ``remiss apikey create|list|revoke``."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.cli import app
from api.service import db

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
