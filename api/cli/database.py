"""What the commands that work on the service's database share: the ``--database-url``
option and the settings it gives (``remiss serve``, ``db``, ``apikey``, ``audit``)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.service.settings import Settings

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (default: REMISS_DATABASE_URL, else sqlite:///remiss.db)",
    ),
]


def settings_for(database_url: str | None) -> Settings:
    """The service's settings, with ``--database-url`` when it was given."""
    return Settings(database_url=database_url) if database_url else Settings()
