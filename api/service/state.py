"""The running service's parts, built once at start-up (:func:`api.service.app.create_app`)
and handed to the service layer by the routes."""

from __future__ import annotations

from dataclasses import dataclass

from api.service.allocation_limits import SolveGate
from api.service.audit import AuditWriter
from api.service.db_probe import DatabaseProbe
from api.service.geography import Geography
from api.service.jobs import JobRunner
from api.service.keys import KeyCache
from api.service.settings import Settings
from api.service.suggestions import SuggestionCache
from api.service.unit_of_work import UnitOfWork


@dataclass
class State:
    settings: Settings
    uow: UnitOfWork
    """Every database session of the service (reads, writes, retries, cache clearing)."""
    geography: Geography
    jobs: JobRunner
    suggestions: SuggestionCache
    audit: AuditWriter
    """Group commit of the suggestions' audit rows."""
    keys: KeyCache
    """API keys looked up lately (``keys.require`` reads it, revoking clears it)."""
    solves: SolveGate
    """Allocations solving per key (``REMISS_MAX_ALLOCATIONS_PER_KEY``)."""
    probe: DatabaseProbe
    """Whether the database takes a write now (``/healthz``)."""
