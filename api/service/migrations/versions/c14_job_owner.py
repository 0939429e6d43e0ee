"""Simulation jobs are owned: an index on (actor, state) for "this key's jobs" (the
owner's view, and the count of its queued or running jobs against
``REMISS_MAX_JOBS_PER_KEY``). The owner is the job's ``actor``, the key that started it;
jobs may now also be ``cancelled``.

Revision ID: c14_job_owner
Revises: d14_audit_chain
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c14_job_owner"
down_revision: str | Sequence[str] | None = "d14_audit_chain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_simulation_jobs_owner", "simulation_jobs", ["actor", "state"])


def downgrade() -> None:
    op.drop_index("ix_simulation_jobs_owner", table_name="simulation_jobs")
