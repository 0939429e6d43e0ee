"""Limits on the optimiser: problem size, solver time and solves at once per key.

- ``POST /v1/allocate``: at most ``REMISS_MAX_ALLOCATION_CELLS`` unit-weeks (units ×
  ``horizon_weeks``) and ``REMISS_MAX_ALLOCATION_REFERRALS`` referrals (422 naming the
  field); a 60 × 520 problem of 140 KB took 2.8 GB and 10.5 s before.
- Solver time (``time_limit`` of ``/v1/allocate``, ``time_limit_seconds`` of an
  allocation run): at most ``REMISS_MAX_SOLVER_SECONDS`` (422 above it); ``/v1/allocate``
  without one gets that limit.
- ``REMISS_MAX_ALLOCATIONS_PER_KEY`` solves (``/v1/allocate`` and allocation runs) at once
  per key in this process; one more is a 429 with ``Retry-After``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from allokering.problem import AllocationProblem
from api.service.http_problems import Problem, invalid_field
from api.service.settings import Settings


def check_problem_size(problem: AllocationProblem, settings: Settings) -> None:
    """422 when the problem has more unit-weeks or referrals than the service solves."""
    cells = len(problem.units) * problem.horizon_weeks
    if cells > settings.max_allocation_cells:
        raise invalid_field(
            "body.units",
            f"{len(problem.units)} units × {problem.horizon_weeks} weeks = {cells} unit-weeks; "
            f"this service solves at most {settings.max_allocation_cells}",
        )
    if len(problem.referrals) > settings.max_allocation_referrals:
        raise invalid_field(
            "body.referrals",
            f"{len(problem.referrals)} referrals; "
            f"this service solves at most {settings.max_allocation_referrals}",
        )


def solver_seconds(requested: float | None, settings: Settings, field: str) -> float:
    """The solver's time limit: as asked, at most the service's; 422 above it."""
    if requested is None:
        return settings.max_solver_seconds
    if requested > settings.max_solver_seconds:
        raise invalid_field(
            field, f"at most {settings.max_solver_seconds:g} seconds on this service"
        )
    return requested


class SolveGate:
    """How many solves each key has running in this process, at most ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running: dict[str, int] = {}
        self.lock = threading.Lock()

    @contextmanager
    def enter(self, key_id: str) -> Iterator[None]:
        """Hold one of the key's places while solving; 429 when they are all taken."""
        with self.lock:
            held = self.running.get(key_id, 0)
            if held >= self.limit:
                raise Problem(
                    429,
                    "Too many requests",
                    f"this key has {held} allocations solving (at most {self.limit} at once); "
                    "wait for one to finish",
                    headers={"Retry-After": "1"},
                )
            self.running[key_id] = held + 1
        try:
            yield
        finally:
            with self.lock:
                self.running[key_id] -= 1
                if not self.running[key_id]:
                    del self.running[key_id]
