"""Service settings from the environment (``REMISS_*``), via pydantic-settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.service.db import Timeouts

DEFAULT_DATABASE_FILE = "remiss.db"


class Settings(BaseSettings):
    """Everything the service reads from its environment.

    ``REMISS_DATABASE_URL`` selects the database: unset, an SQLite file
    (``remiss.db`` in the working folder, WAL mode) created and migrated on first start;
    ``postgresql+psycopg://user@host/db`` uses PostgreSQL with the same code.
    """

    model_config = SettingsConfigDict(env_prefix="REMISS_", extra="ignore")

    database_url: str = Field(
        f"sqlite:///{DEFAULT_DATABASE_FILE}",
        description="SQLAlchemy URL; default an SQLite file in the working folder",
    )
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        "FULL", description="SQLite synchronous pragma: FULL also survives power loss"
    )
    region: str = Field(
        "vgr", description="Region file (scenarios/regioner) whose municipalities are areas"
    )
    horizon_weeks: int = Field(26, ge=1, le=104, description="Weeks of capacity the queue sees")
    sim_workers: int = Field(0, ge=0, description="Processes per simulation job (0 = cores)")
    dask_address: str | None = Field(None, description="Run simulation jobs on this Dask cluster")
    planner_secret: str = Field(
        "",
        description="Signs the planner app's session cookies (unset: a random secret per "
        "process, so sessions end with a restart; set it when serving with several workers)",
    )
    planner_secure_cookies: bool = Field(
        False,
        description="Mark the planner app's cookies Secure on every request, not only on "
        "https ones (set it behind a proxy that ends TLS)",
    )
    planner_sign_in_limit: str = Field(
        "10/5 minutes",
        description="Failed planner sign-ins per client address before its sign-ins get 429 "
        "(limits notation)",
    )
    max_replications: int = Field(200, ge=1, description="Largest replications per job")
    suggestion_cache_seconds: float = Field(
        1.0, ge=0, le=60, description="Reuse residual capacity for suggestions this long"
    )
    log_level: str = Field("INFO")
    pool_size: int = Field(20, ge=1, description="Database connections kept open (PostgreSQL)")

    # --- limits: every expensive request is bounded (docs/service.md, "Limits") -------
    max_horizon_days: int = Field(3650, ge=1, description="Simulated days per job")
    max_scenario_units: int = Field(100, ge=1, description="Units in a job's region")
    max_scenario_areas: int = Field(500, ge=1, description="Areas in a job's region")
    max_referrals_per_year: float = Field(
        200_000, gt=0, description="A job's referrals per year, mean over its horizon"
    )
    max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest request body (413 above it)"
    )
    rate_limit_per_key: str = Field(
        "1000/second", description="Requests per live key (limits notation, e.g. 600/minute)"
    )
    rate_limit_failed_auth: str = Field(
        "20/minute", description="401 replies per client address before it gets 429"
    )
    max_jobs_per_key: int = Field(
        2, ge=1, description="Jobs (simulations, forecasts) queued or running per key (429 above)"
    )
    worker_memory_mb: int = Field(
        4096, ge=0, description="Address space per job worker process, MB (0: no limit)"
    )
    max_allocation_cells: int = Field(
        5_000, ge=1, description="Units × weeks of a POST /v1/allocate problem"
    )
    max_allocation_referrals: int = Field(
        20_000, ge=1, description="Referrals of a POST /v1/allocate problem"
    )
    max_solver_seconds: float = Field(30.0, gt=0, description="Solver time per allocation")
    max_allocations_per_key: int = Field(
        2, ge=1, description="Allocations solving at once per key (429 above)"
    )

    db_connect_timeout: float = Field(
        Timeouts.connect, gt=0, le=60, description="Seconds to connect (and to get a pooled one)"
    )
    db_statement_timeout: float = Field(
        Timeouts.statement, ge=0, le=600, description="Seconds per statement (PostgreSQL; 0 = none)"
    )
    db_lock_timeout: float = Field(
        Timeouts.lock, gt=0, le=60, description="Seconds to wait for a lock (SQLite: write lock)"
    )
    retry_after_seconds: int = Field(
        5, ge=1, le=3600, description="Retry-After of a 503 when the database is unavailable"
    )

    def db_timeouts(self) -> Timeouts:
        """The bounded waits on the database (:class:`api.service.db.Timeouts`)."""
        return Timeouts(self.db_connect_timeout, self.db_statement_timeout, self.db_lock_timeout)
