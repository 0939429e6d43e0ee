"""The service's database tables (SQLAlchemy 2 declarative). Alembic migrations create them.

Weeks are the Monday (``date``) that starts an ISO week. ``week_load`` counts the
slots held (offered or booked) per unit, specialty, stage and week; every booking
raises it with a guarded ``UPDATE … WHERE booked < capacity``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that comes back timezone-aware (UTC) on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    pass


class UnitRow(Base):
    __tablename__ = "units"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    hospital_group: Mapped[str] = mapped_column(String(64), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class CapacityRow(Base):
    """Slots per week at a unit for a specialty and stage, from a week on."""

    __tablename__ = "capacity"
    __table_args__ = (UniqueConstraint("unit_id", "specialty", "stage", "from_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    specialty: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16))
    from_week: Mapped[dt.date] = mapped_column(Date)
    slots_per_week: Mapped[int] = mapped_column(Integer)


class WeekLoadRow(Base):
    """Slots held (offered or booked) at a unit in a week."""

    __tablename__ = "week_load"

    unit_id: Mapped[str] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    specialty: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class ReferralRow(Base):
    """A referral in the shared queue; ``id`` is the client's pseudonymous id."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_queue", "specialty", "stage", "status"),)

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    specialty: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16))
    area: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(32))
    limit_days: Mapped[int] = mapped_column(Integer)
    clock_start: Mapped[dt.date] = mapped_column(Date)
    home_unit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    max_travel_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    week: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    patient_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    assessment: Mapped[str] = mapped_column(
        String(24), default="accepted", server_default="accepted"
    )
    """received | accepted | returned_for_completion | rejected | forwarded"""
    forwarded_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pvv_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    pvv_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    mov_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    mov_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    excluded_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Days of earlier PVV and MOV periods, ended before the current ones began."""
    changed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    """The business date of the last change (no change may be dated before it)."""


class ReferralHistoryRow(Base):
    """A referral's state after each change, with the change's business date ``on``
    (:mod:`api.service.history`); ``seq`` is the referral's version after the change.
    Written in the transaction of the change and its audit row."""

    __tablename__ = "referral_history"
    __table_args__ = (Index("ix_referral_history_queue", "specialty", "stage", "on_day"),)

    referral_id: Mapped[str] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    on_day: Mapped[dt.date] = mapped_column(Date)
    change: Mapped[str] = mapped_column(String(48))
    specialty: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    assessment: Mapped[str] = mapped_column(String(24))
    home_unit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    forwarded_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    unit_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    week: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    pvv_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    pvv_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    mov_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    mov_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    excluded_days: Mapped[int] = mapped_column(Integer)
    completed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    actor: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class ApiKeyRow(Base):
    """An API key: only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    roles: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AuditRow(Base):
    """Who did what, when: every change, every read of patient-level data and every
    refused attempt. Append-only; each row carries the hash of the one before
    (:mod:`api.service.audit_chain`)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_entity", "entity", "entity_id"),
        Index("ix_audit_actor", "actor"),
        Index("ix_audit_end_user", "end_user"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(32))
    end_user: Mapped[str] = mapped_column(String(128), default="", server_default="")
    purpose: Mapped[str] = mapped_column(String(32), default="", server_default="")
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(128))
    request_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), server_default="")
    row_hash: Mapped[str] = mapped_column(String(64), server_default="")


class AuditChainRow(Base):
    """The end of the audit log's hash chain: one row, locked by every writer of audit
    rows until its commit, so that concurrent writers cannot fork the chain."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AllocationRunRow(Base):
    """A plan from the optimiser, waiting to be accepted."""

    __tablename__ = "allocation_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(32))
    specialty: Mapped[str | None] = mapped_column(String(64), nullable=True)
    stage: Mapped[str] = mapped_column(String(16))
    first_week: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    plan: Mapped[list[Any]] = mapped_column(JSON)
    accepted: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class SimulationJobRow(Base):
    """A planner's simulation job and, when done, its results."""

    __tablename__ = "simulation_jobs"
    __table_args__ = (Index("ix_simulation_jobs_owner", "actor", "state"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(32))
    """The key that started the job: its owner."""
    state: Mapped[str] = mapped_column(String(16))
    """queued | running | done | failed | cancelled"""
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    """The share done, 0–1 (moving within replications)."""
    days_done: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Simulated days done, across all replications and policies (simulation jobs)."""
    days_total: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Simulated days of the whole job: replications × policies × horizon."""
    seconds_left: Mapped[float | None] = mapped_column(Float, nullable=True)
    """At the rate so far (None before anything is done)."""
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    report: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
