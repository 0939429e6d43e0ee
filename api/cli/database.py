"""What the commands that work on the service's database share: the ``--database-url``
option and the settings it gives (``remiss serve``, ``db``, ``apikey``, ``audit``,
``forecast``), with the database checked first so a wrong URL is one line, not a
driver's traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from api.cli.console import error
from api.service import db
from api.service.db_errors import one_line
from api.service.settings import Settings

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (default: REMISS_DATABASE_URL, else sqlite:///remiss.db)",
    ),
]


def shown(url: str) -> str:
    """The URL as it may be printed (its password hidden)."""
    return make_url(url).render_as_string(hide_password=True)


def settings_for(database_url: str | None, *, schema: bool = True) -> Settings:
    """The service's settings, with ``--database-url`` when it was given, once the URL
    names a database SQLAlchemy can drive (else exit 2), the database answers within
    the connect timeout and, with ``schema`` (commands that read it rather than create
    it), holds remiss's tables (else exit 1), each said in one line."""
    settings = Settings(database_url=database_url) if database_url else Settings()
    url = settings.database_url
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        error("--database-url: not a URL of the form dialect[+driver]://[user@host]/database")
    try:
        parsed.get_dialect()
    except NoSuchModuleError as exc:
        error(f"--database-url: {shown(url)}: no such database driver ({exc})")
    missing = f"the database {shown(url)} has no remiss schema (`remiss db upgrade` creates it)"
    if schema and parsed.get_backend_name() == "sqlite":
        file = parsed.database
        if file and file != ":memory:" and not Path(file).exists():
            error(missing, 1)  # not created empty by reading it
    try:
        revision = db.check_reachable(url, settings.db_timeouts())
    except DBAPIError as exc:
        error(f"cannot reach the database {shown(url)}: {one_line(exc)}", 1)
    if schema and revision is None:
        error(missing, 1)
    return settings
