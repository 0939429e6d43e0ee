"""Simulation jobs carry their progress within replications: the simulated days done
of the total across all replications and policies, and the seconds left at the rate so
far (all nullable: forecast jobs and jobs from before have none).

Revision ID: f16_job_progress
Revises: e13_referral_history
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f16_job_progress"
down_revision: str | Sequence[str] | None = "e13_referral_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("days_done", "days_total", "seconds_left")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("simulation_jobs", sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("simulation_jobs") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
