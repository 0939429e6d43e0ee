"""``remiss audit verify``: check the audit log's hash chain.

Exit 0 when every row follows the one before it and the chain reaches its recorded
end; exit 1 naming the first broken row otherwise (a row changed, removed or inserted,
or rows removed from the end); exit 2 when the database cannot be read.
"""

from __future__ import annotations

import typer
from sqlalchemy.exc import SQLAlchemyError

from api.cli.console import err, error
from api.cli.database import DatabaseUrl, settings_for
from api.service import audit_chain, db

app = typer.Typer(help="The audit log (append-only, hash-chained).", no_args_is_help=True)


@app.command("verify")
def verify(database_url: DatabaseUrl = None) -> None:
    """Check the hash chain of the audit log; non-zero exit names the first broken row."""
    settings = settings_for(database_url)
    engine = db.make_engine(settings.database_url, pool_size=1, read_only=True)
    try:
        with db.session_factory(engine)() as session:
            verdict = audit_chain.verify(session)
    except SQLAlchemyError as exc:
        error(f"cannot read the audit log: {type(exc).__name__}")
    finally:
        engine.dispose()
    if not verdict.ok:
        where = f"audit row {verdict.broken_row}" if verdict.broken_row else "audit log"
        err.print(f"[red]Broken:[/] {where}: {verdict.reason} ({verdict.rows} rows intact)")
        raise typer.Exit(1)
    err.print(f"audit log intact: {verdict.rows} rows, chain complete")
