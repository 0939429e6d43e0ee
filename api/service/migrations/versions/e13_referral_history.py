"""The referral life cycle of issue 13: assessment (remissbedömning), PVV and MOV with
their dates, and the dated history of every change.

Adds to ``referrals`` the assessment state (existing referrals: ``accepted``, they were
registered straight onto the waiting list), the unit a referral is forwarded to, the
current PVV and MOV periods, the days of earlier periods and the business date of the
last change; creates ``referral_history`` and gives every existing referral one row, its
state now dated by its last update (the history of a database migrated from before
starts there). A patient-chosen wait flagged before has no start date; it is dated by the
referral's last update too.

Revision ID: e13_referral_history
Revises: c14_job_owner
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from api.service.db_schema import UtcDateTime

revision: str = "e13_referral_history"
down_revision: str | Sequence[str] | None = "c14_job_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STOCKHOLM = ZoneInfo("Europe/Stockholm")
REFERRALS = sa.table(
    "referrals",
    sa.column("id", sa.String()),
    sa.column("specialty", sa.String()),
    sa.column("stage", sa.String()),
    sa.column("status", sa.String()),
    sa.column("home_unit", sa.String()),
    sa.column("unit_id", sa.String()),
    sa.column("week", sa.Date()),
    sa.column("patient_chosen", sa.Boolean()),
    sa.column("completed_on", sa.Date()),
    sa.column("version", sa.Integer()),
    sa.column("updated_at", UtcDateTime()),
    sa.column("pvv_from", sa.Date()),
    sa.column("changed_on", sa.Date()),
)
DATES = ("pvv_from", "pvv_until", "mov_from", "mov_until", "changed_on")


def create_history() -> sa.Table:
    table = op.create_table(
        "referral_history",
        sa.Column("referral_id", sa.String(128), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("on_day", sa.Date(), nullable=False),
        sa.Column("change", sa.String(48), nullable=False),
        sa.Column("specialty", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assessment", sa.String(24), nullable=False),
        sa.Column("home_unit", sa.String(64), nullable=True),
        sa.Column("forwarded_to", sa.String(64), nullable=True),
        sa.Column("unit_id", sa.String(64), nullable=True),
        sa.Column("week", sa.Date(), nullable=True),
        sa.Column("pvv_from", sa.Date(), nullable=True),
        sa.Column("pvv_until", sa.Date(), nullable=True),
        sa.Column("mov_from", sa.Date(), nullable=True),
        sa.Column("mov_until", sa.Date(), nullable=True),
        sa.Column("excluded_days", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("actor", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("referral_id", "seq"),
    )
    op.create_index(
        "ix_referral_history_queue", "referral_history", ["specialty", "stage", "on_day"]
    )
    return table


def backfill(history: sa.Table) -> None:
    """One history row per existing referral: its state now, dated by its last update."""
    conn = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    rows = []
    for r in conn.execute(sa.select(REFERRALS)).mappings():
        on = r["updated_at"].astimezone(STOCKHOLM).date()
        pvv_from = on if r["patient_chosen"] else None
        conn.execute(
            sa.update(REFERRALS)
            .where(REFERRALS.c.id == r["id"])
            .values(changed_on=on, pvv_from=pvv_from)
        )
        rows.append(
            {
                "referral_id": r["id"],
                "seq": r["version"],
                "on_day": on,
                "change": "migrated",
                "specialty": r["specialty"],
                "stage": r["stage"],
                "status": r["status"],
                "assessment": "accepted",
                "home_unit": r["home_unit"],
                "forwarded_to": None,
                "unit_id": r["unit_id"],
                "week": r["week"],
                "pvv_from": pvv_from,
                "pvv_until": None,
                "mov_from": None,
                "mov_until": None,
                "excluded_days": 0,
                "completed_on": r["completed_on"],
                "actor": "migration",
                "at": now,
            }
        )
    if rows:
        op.bulk_insert(history, rows)


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(
            sa.Column("assessment", sa.String(24), server_default="accepted", nullable=False)
        )
        batch.add_column(sa.Column("forwarded_to", sa.String(64), nullable=True))
        for name in DATES:
            batch.add_column(sa.Column(name, sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("excluded_days", sa.Integer(), server_default="0", nullable=False)
        )
    backfill(create_history())


def downgrade() -> None:
    op.drop_index("ix_referral_history_queue", table_name="referral_history")
    op.drop_table("referral_history")
    with op.batch_alter_table("referrals") as batch:
        for name in ("excluded_days", *reversed(DATES), "forwarded_to", "assessment"):
            batch.drop_column(name)
