"""A simulation job's progress over real HTTP against ``remiss serve``: it moves within a
replication run in the job's worker process (simulated days done of the total across
all replications and policies, with the time left), never goes back, and ends at the
total."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from scenarios.loader import LIBRARY_DIR
from tests.api.service.service_server import Server, database_for, start_server

SCALE = 10
"""Ten times the textbook's demand and servers (the same utilisation): a replication of
ten simulated years takes seconds, long enough to be polled within."""
REPLICATIONS = 2
HORIZON = 3650
POLICIES = ["separate", "shared"]


def long_replications() -> dict[str, Any]:
    """The textbook scenario, scaled, inline."""
    doc: dict[str, Any] = yaml.safe_load((LIBRARY_DIR / "textbook_mmc.yaml").read_text())
    doc["demand"]["referrals_per_year"] *= SCALE
    for unit in doc["units"]:
        unit["first_visit"]["servers"] *= SCALE
    doc["run"].update(horizon_days=HORIZON, replications=REPLICATIONS, policies=POLICIES)
    doc["run"]["start_date"] = doc["run"]["start_date"].isoformat()
    return doc


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("progress"), database_for(request.param))
    try:
        yield srv
    finally:
        srv.stop()


def test_a_job_moves_within_its_first_replication_and_ends_at_the_total(server: Server) -> None:
    total = REPLICATIONS * len(POLICIES) * HORIZON
    one_replication = len(POLICIES) * HORIZON
    with server.client("planner") as c:
        started = c.post("/v1/simulations", json={"scenario": long_replications()})
        assert started.status_code == 202, started.text
        assert started.json()["days_total"] == total and started.json()["days_done"] == 0
        job = started.json()["id"]
        polled: list[dict[str, Any]] = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            state = c.get(f"/v1/simulations/{job}").json()
            polled.append(state)
            if state["state"] not in ("queued", "running"):
                break
            time.sleep(0.2)
    assert polled[-1]["state"] == "done", polled[-1]
    running = [s for s in polled if s["state"] == "running"]
    days = [s["days_done"] for s in running]
    # within the first replication (one worker: it runs alone), before it ends
    within = [d for d in days if 0 < d < one_replication]
    assert len(set(within)) >= 2, days
    assert days == sorted(days), days
    shares = [s["progress"] for s in polled]
    assert shares == sorted(shares), shares
    assert all(s["days_total"] == total for s in polled)
    assert all(abs(s["progress"] - s["days_done"] / total) < 1e-9 for s in running)
    assert any(s["seconds_left"] is not None and s["seconds_left"] > 0 for s in running)
    end = polled[-1]
    assert end["days_done"] == total and end["progress"] == 1.0 and end["seconds_left"] == 0
