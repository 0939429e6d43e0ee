"""The service in-process (FastAPI TestClient) on a fresh database — SQLite in a folder,
or a new PostgreSQL database when ``REMISS_TEST_POSTGRES_URL`` is set — with a key per
role, for the pseudonymity and access-log tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from api.service.app import create_app
from api.service.pseudonym import new_request_id
from api.service.settings import Settings
from api.service.weeks import today
from tests.api.service.service_server import (
    END_USER,
    database_for,
    drop_postgres,
    fresh_postgres,
    make_keys,
)

DATABASES = ["sqlite", "postgres"]


@dataclass
class App:
    client: TestClient
    keys: dict[str, str]
    url: str

    def key_id(self, role: str) -> str:
        return self.keys[role].split("_")[1]

    def headers(self, role: str, user: str | None = END_USER, **more: str) -> dict[str, str]:
        """The key of ``role``, the end user (unless None) and a fresh request id."""
        out = {"X-API-Key": self.keys[role], "X-Request-ID": new_request_id(), **more}
        if user is not None:
            out["X-Remiss-User"] = user
        return out

    def engine(self) -> Engine:
        return create_engine(self.url)

    def audit_rows(self, request_id: str) -> list[dict[str, Any]]:
        """The audit rows written under ``request_id``."""
        engine = self.engine()
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT * FROM audit_log WHERE request_id = :r ORDER BY id"), {"r": request_id}
            )
            out = [dict(r._mapping) for r in rows]
        engine.dispose()
        for row in out:  # SQLite hands a JSON column to a text query as its text
            if isinstance(row["detail"], str):
                row["detail"] = json.loads(row["detail"])
        return out

    def dump(self) -> str:
        """Every value of every table, as one text (to look for what must not be there)."""
        engine = self.engine()
        parts = []
        with engine.connect() as conn:
            for table in ("referrals", "units", "capacity", "api_keys", "audit_log"):
                for row in conn.execute(text(f"SELECT * FROM {table}")):
                    parts.extend(str(x) for x in row)
            parts.extend(
                str(x) for row in conn.execute(text("SELECT * FROM simulation_jobs")) for x in row
            )
        engine.dispose()
        return "\n".join(parts)


@contextmanager
def open_app(kind: str, folder: Path) -> Iterator[App]:
    """The app on a fresh database of ``kind`` (``sqlite``/``postgres``; skips the test
    when PostgreSQL is asked for and not configured)."""
    url = database_for(kind)
    url = fresh_postgres(url) if url is not None else f"sqlite:///{folder / 'remiss.db'}"
    keys = make_keys(url)
    settings = Settings(
        database_url=url,
        sim_workers=1,
        max_replications=1,
        rate_limit_failed_auth="100000/minute",  # the tests try every route without a key
    )
    app = create_app(settings)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield App(client, keys, url)
    finally:
        if url.startswith("postgresql"):
            drop_postgres(url)


def setup_queue(app: App, specialty: str, referral_ids: list[str]) -> None:
    """Two units with capacity for ``specialty`` and the referrals, waiting."""
    c = app.client
    for uid, lat, lon in (("su_ostra", 57.7213, 12.0510), ("sas_boras", 57.7305, 12.9367)):
        r = c.put(
            f"/v1/units/{uid}",
            json={"name": uid, "lat": lat, "lon": lon},
            headers=app.headers("admin"),
        )
        assert r.status_code in (200, 201), r.text
        capacity = {
            "specialty": specialty,
            "stage": "first_visit",
            "from_week": str(today()),
            "slots_per_week": 5,
        }
        r = c.put(f"/v1/units/{uid}/capacity", json=capacity, headers=app.headers("admin"))
        assert r.status_code == 200, r.text
    for rid in referral_ids:
        body = {
            "referral_id": rid,
            "specialty": specialty,
            "area": "1480",
            "clock_start": str(today()),
        }
        r = c.post("/v1/referrals", json=body, headers=app.headers("portal"))
        assert r.status_code in (200, 201), r.text
