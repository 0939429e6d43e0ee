"""``remiss serve``, ``remiss db upgrade`` and ``remiss apikey create|list|revoke``.

uvicorn is imported by ``serve`` itself (lazy loading: only that command runs a server,
and it adds about 0.08 s to every start of ``remiss`` otherwise).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from api.cli.console import console, err, error
from api.cli.database import DatabaseUrl, settings_for, shown
from api.service import audit_chain, db
from api.service.db_errors import one_line
from api.service.db_schema import ApiKeyRow, utcnow
from api.service.keys import Role, create_key, roles_of
from api.service.pseudonym import refusal

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
key_app = typer.Typer(help="API keys (stored hashed) and their roles.", no_args_is_help=True)


def cli_audit_row(action: str, key_id: str, detail: dict[str, str] | None = None) -> dict[str, Any]:
    """The audit row of a key change made on the command line (actor ``cli``)."""
    return {
        "at": utcnow(),
        "actor": "cli",
        "end_user": "",
        "purpose": "administration",
        "action": action,
        "entity": "api_key",
        "entity_id": key_id,
        "request_id": "",
        "detail": detail or {},
    }


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    database_url: DatabaseUrl = None,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes")] = 1,
) -> None:
    """Start the service (uvicorn). The database is created and migrated on start; when
    it cannot be reached, one line says so and the exit status is 1."""
    import uvicorn

    settings = settings_for(database_url, schema=False)
    where = shown(settings.database_url)
    os.environ["REMISS_DATABASE_URL"] = settings.database_url
    address = f"http://{host}:{port}"
    err.print(
        f"remiss serve: {address} (API docs {address}/docs), database {where}",
        highlight=False,
        soft_wrap=True,
    )
    uvicorn.run(
        "api.service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=None,
    )


@db_app.command("upgrade")
def db_upgrade(
    database_url: DatabaseUrl = None,
    revision: Annotated[str, typer.Option(help="Target revision")] = "head",
) -> None:
    """Create or migrate the schema to the newest revision."""
    settings = settings_for(database_url, schema=False)
    try:
        db.upgrade(settings.database_url, revision)
    except OperationalError as exc:
        error(f"cannot reach the database: {one_line(exc)}", 1)
    engine = db.make_engine(settings.database_url, pool_size=1)
    err.print(f"database at revision {db.current_revision(engine)}")
    engine.dispose()


@key_app.command("create")
def apikey_create(
    role: Annotated[
        list[Role], typer.Option("--role", help="portal, planner or admin (repeatable)")
    ],
    name: Annotated[str, typer.Option(help="Who or what uses the key")] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Create a key and print it once (only its hash is stored)."""
    reason = refusal(name)
    if reason is not None:
        error(f"--name: {reason}")
    settings = settings_for(database_url, schema=False)
    db.upgrade(settings.database_url)
    engine = db.make_engine(settings.database_url, pool_size=1)
    with db.session_factory(engine).begin() as s:
        row, key = create_key(s, list(role), name)
        s.flush()
        audit_chain.append(s, [cli_audit_row("key.create", row.id, {"roles": row.roles})])
    engine.dispose()
    err.print(f"key {row.id} with roles {row.roles}; store it now, it is not shown again:")
    typer.echo(key)


@key_app.command("list")
def apikey_list(database_url: DatabaseUrl = None) -> None:
    """List keys (ids, names, roles; never the keys)."""
    settings = settings_for(database_url)
    engine = db.make_engine(settings.database_url, pool_size=1)
    table = Table("id", "name", "roles", "created", "revoked")
    with db.session_factory(engine)() as s:
        for r in s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at)):
            table.add_row(
                r.id,
                r.name,
                ",".join(sorted(x.value for x in roles_of(r))),
                r.created_at.isoformat(timespec="seconds"),
                r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else "",
            )
    engine.dispose()
    console.print(table)


@key_app.command("revoke")
def apikey_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id")], database_url: DatabaseUrl = None
) -> None:
    """Revoke a key; it stops working at once."""
    settings = settings_for(database_url)
    engine = db.make_engine(settings.database_url, pool_size=1)
    with db.session_factory(engine).begin() as s:
        row = s.get(ApiKeyRow, key_id)
        if row is None:
            error(f"key_id: no key {key_id!r}")
        row.revoked_at = row.revoked_at or utcnow()
        audit_chain.append(s, [cli_audit_row("key.revoke", key_id)])
    engine.dispose()
    err.print(f"key {key_id} revoked")
