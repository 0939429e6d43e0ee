"""The database's state as ``/healthz`` reports it: can it take a write now?

A probe is a write the database must accept, rolled back
(:meth:`api.service.unit_of_work.UnitOfWork.probe_write`), so a read-only database, a
lock held by another process and an unreachable server each show as what they are
(:data:`api.service.db_errors.KINDS`), not as "ok". One probe runs at a time and its
answer is reused for ``max_age`` seconds, so a burst of health checks costs one write
probe, not one each.
"""

from __future__ import annotations

import threading
import time

from api.service.db_errors import unavailable_kind
from api.service.unit_of_work import UnitOfWork

OK = "ok"


class DatabaseProbe:
    """The latest write probe's answer: ``"ok"`` or the kind of unavailability."""

    def __init__(self, uow: UnitOfWork, max_age: float = 1.0) -> None:
        self.uow, self.max_age = uow, max_age
        self._lock = threading.Lock()
        self._state, self._at = OK, -float("inf")

    def state(self) -> str:
        """The database's state, probed now unless a probe answered within ``max_age``."""
        with self._lock:
            if time.monotonic() - self._at >= self.max_age:
                self._state, self._at = self.probe(), time.monotonic()
            return self._state

    def probe(self) -> str:
        """One write probe: ``"ok"`` or what keeps the database from taking a write."""
        try:
            self.uow.probe_write()
        except Exception as exc:
            kind = unavailable_kind(exc)
            if kind is None:
                raise
            return kind
        return OK
