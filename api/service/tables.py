"""The old name of :mod:`api.service.db_schema`, kept for ``api/cli/serve.py`` only.

The database tables moved to ``db_schema`` so they are not confused with
``api/cli/terminal_tables.py``; delete this module once ``remiss apikey`` imports
``api.service.db_schema``.
"""

from __future__ import annotations

from api.service.db_schema import ApiKeyRow, AuditRow, utcnow

__all__ = ["ApiKeyRow", "AuditRow", "utcnow"]
