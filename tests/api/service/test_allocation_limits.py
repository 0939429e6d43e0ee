"""The optimiser's limits: problem size and solver time (422 naming the field) and
solves at once per key (429 with Retry-After), each refusal leaving the queue and the
stored runs as they were."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from api.service.allocation_limits import SolveGate
from api.service.app import create_app
from api.service.db_schema import AllocationRunRow, ApiKeyRow
from api.service.http_problems import Problem
from api.service.keys import hash_key
from api.service.settings import Settings
from tests.api.service.service_server import make_keys


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('alloc_limits') / 'remiss.db'}"
    keys = make_keys(url)
    settings = Settings(
        database_url=url,
        max_allocation_cells=100,
        max_allocation_referrals=50,
        max_solver_seconds=5,
        max_allocations_per_key=1,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c, keys, url


def problem(units: int = 1, weeks: int = 2, referrals: int = 1) -> dict[str, Any]:
    return {
        "horizon_weeks": weeks,
        "units": [
            {"id": f"u{i}", "capacity": [1] * weeks, "lat": 57.7, "lon": 12.0} for i in range(units)
        ],
        "areas": [{"id": "a", "lat": 57.7, "lon": 12.1}],
        "referrals": [{"id": f"r{i}", "area": "a", "deadline_day": 10} for i in range(referrals)],
    }


def fields(reply: Any) -> list[str]:
    assert reply.status_code == 422, reply.text
    return [e["field"] for e in reply.json()["errors"]]


def test_problem_size_and_solver_time(service: tuple[TestClient, dict[str, str], str]) -> None:
    c, keys, _ = service
    h = {"X-API-Key": keys["planner"]}
    assert c.post("/v1/allocate", json=problem(10, 10), headers=h).status_code == 200
    big = c.post("/v1/allocate", json=problem(11, 10), headers=h)
    assert fields(big) == ["body.units"] and "110 unit-weeks" in big.json()["detail"]
    assert fields(c.post("/v1/allocate", json=problem(referrals=51), headers=h)) == [
        "body.referrals"
    ]
    slow = c.post("/v1/allocate", params={"time_limit": 6}, json=problem(), headers=h)
    assert fields(slow) == ["query.time_limit"]
    ok = c.post("/v1/allocate", params={"time_limit": 5}, json=problem(), headers=h)
    assert ok.status_code == 200


def runs_stored(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.scalar(select(func.count()).select_from(AllocationRunRow)) or 0)
    engine.dispose()
    return n


def key_id(url: str, key: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        kid = conn.scalar(select(ApiKeyRow.id).where(ApiKeyRow.key_hash == hash_key(key)))
    engine.dispose()
    return str(kid)


def test_solves_at_once_per_key(service: tuple[TestClient, dict[str, str], str]) -> None:
    c, keys, url = service
    portal = {"X-API-Key": keys["portal"], "X-Remiss-User": "user-a"}
    gate: SolveGate = c.app.state.remiss.solves  # type: ignore[attr-defined]
    before = runs_stored(url)
    with gate.enter(key_id(url, keys["portal"])):  # one solve of this key is running
        busy = c.post("/v1/allocate", json=problem(), headers=portal)
        assert busy.status_code == 429 and busy.headers["retry-after"] == "1", busy.text
        run = c.post("/v1/allocation-runs", json={"specialty": "none"}, headers=portal)
        assert run.status_code == 429
        # another key is not held back
        other = c.post("/v1/allocate", json=problem(), headers={"X-API-Key": keys["planner"]})
        assert other.status_code == 200
    assert runs_stored(url) == before
    assert c.post("/v1/allocate", json=problem(), headers=portal).status_code == 200
    slow = c.post("/v1/allocation-runs", json={"time_limit_seconds": 6}, headers=portal)
    assert fields(slow) == ["body.time_limit_seconds"]
    made = c.post("/v1/allocation-runs", json={"specialty": "none"}, headers=portal)
    assert made.status_code == 201, made.text
    assert runs_stored(url) == before + 1
    assert gate.running == {}


def test_the_gate_counts_each_key() -> None:
    gate = SolveGate(2)
    with gate.enter("k"), gate.enter("k"):
        with pytest.raises(Problem) as refused, gate.enter("k"):
            pass
        assert refused.value.status == 429
        with gate.enter("other"):
            assert gate.running == {"k": 2, "other": 1}
    assert gate.running == {}
