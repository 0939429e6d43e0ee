"""Simulation jobs are held to the scenario-size limits on the values that will run —
inline or library, after defaults and overrides — and an inline scenario's region is a
library region's name or inline: no path from a request reaches the filesystem, and the
reply is the same whether a file exists or not."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from api.service.app import create_app
from api.service.db_schema import SimulationJobRow
from api.service.settings import Settings
from scenarios.loader import LIBRARY_DIR, read_yaml
from tests.api.service.service_server import make_keys
from tests.conftest import small_scenario

LIMITS = {
    "max_replications": 5,
    "max_horizon_days": 500,
    "max_scenario_units": 12,
    "max_scenario_areas": 60,
    "max_referrals_per_year": 50_000,
    "max_jobs_per_key": 50,  # the jobs accepted here queue behind each other
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('job_limits') / 'remiss.db'}"
    keys = make_keys(url)
    settings = Settings(database_url=url, sim_workers=1, **LIMITS)  # type: ignore[arg-type]
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        c.headers["X-API-Key"] = keys["planner"]
        yield c, url


def jobs_stored(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.scalar(select(func.count()).select_from(SimulationJobRow)) or 0)
    engine.dispose()
    return n


def refused(c: TestClient, body: dict[str, Any], field: str) -> dict[str, Any]:
    """Post ``body``; assert a 422 naming ``field`` and that no job was stored."""
    r = c.post("/v1/simulations", json=body)
    assert r.status_code == 422, r.text
    doc: dict[str, Any] = r.json()
    assert [e["field"] for e in doc["errors"]] == [field], doc
    return doc


def short(doc: dict[str, Any]) -> dict[str, Any]:
    """A scenario that runs in a moment: one replication of 90 days (as JSON: YAML's
    dates written as strings)."""
    doc = json.loads(json.dumps(doc, default=str))
    doc["run"] = {**doc.get("run", {}), "horizon_days": 90, "warmup_days": 10, "replications": 1}
    return doc


def test_inline_run_replications_cannot_skip_the_cap(app: tuple[TestClient, str]) -> None:
    c, url = app
    before = jobs_stored(url)
    doc = small_scenario(run={"horizon_days": 400, "warmup_days": 60, "replications": 10**6})
    out = refused(c, {"scenario": doc}, "body.scenario.run.replications")
    assert "at most 5" in out["detail"]
    refused(
        c, {"scenario": "textbook_mmc", "replications": 6, "horizon_days": 90}, "body.replications"
    )
    assert jobs_stored(url) == before


def test_horizon_and_referrals_limits_hold_after_defaults(app: tuple[TestClient, str]) -> None:
    c, url = app
    before = jobs_stored(url)
    # textbook_mmc's own run: section asks for 3650 days; the service runs at most 500.
    refused(c, {"scenario": "textbook_mmc"}, "body.horizon_days")
    refused(c, {"scenario": "textbook_mmc", "horizon_days": 501}, "body.horizon_days")
    busy = small_scenario(demand={"split": "population", "referrals_per_year": 3e7})
    refused(c, {"scenario": short(busy)}, "body.scenario.demand.referrals_per_year")
    # A trend is applied before the check: 40 000 a year growing 100 % a year averages
    # more than 50 000 over 400 days.
    growing = small_scenario(
        demand={"split": "population", "referrals_per_year": 40_000, "trend_per_year": 1.0}
    )
    refused(c, {"scenario": growing}, "body.scenario.demand.referrals_per_year")
    assert jobs_stored(url) == before


def test_region_size_is_checked_before_compiling(app: tuple[TestClient, str]) -> None:
    c, url = app
    before = jobs_stored(url)
    doc = short(small_scenario())  # a copy: small_scenario shares its region
    area = doc["region"]["areas"][0]
    doc["region"]["areas"] += [{**area, "id": f"x{i}"} for i in range(58)]
    refused(c, {"scenario": doc}, "body.scenario.region.areas")
    # vgr's 16 units are more than this server's 12.
    gallsten = read_yaml(LIBRARY_DIR / "gallsten.yaml")
    refused(c, {"scenario": short(gallsten)}, "body.scenario.region.units")
    assert jobs_stored(url) == before


def test_accepted_jobs_are_kept(app: tuple[TestClient, str]) -> None:
    c, url = app
    before = jobs_stored(url)
    ok = c.post("/v1/simulations", json={"scenario": short(small_scenario())})
    assert ok.status_code == 202, ok.text
    many = small_scenario(run={"horizon_days": 90, "warmup_days": 10, "replications": 99})
    refused(c, {"scenario": many}, "body.scenario.run.replications")
    assert jobs_stored(url) == before + 1
    assert c.get(f"/v1/simulations/{ok.json()['id']}").status_code == 200


@pytest.fixture()
def planted(tmp_path: Path) -> dict[str, str]:
    """Region references that point outside the library: a real file by absolute path,
    by ``../``, and through a ``.yaml`` symlink; and names of files that do not exist."""
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: secret\nname: not for requests\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(secret)
    up = os.path.relpath(secret, LIBRARY_DIR.parent / "regioner")
    return {
        "absolute": str(secret),
        "absolute_missing": str(tmp_path / "missing.yaml"),
        "dotdot": up,
        "dotdot_missing": up.replace("secret", "missing"),
        "dotdot_in_library": "../regioner/vgr.yaml",
        "symlink": str(link),
        "etc": "/etc/hostname",
        "name_with_suffix": "vgr.yaml",
        "unknown": "no_such_region",
    }


def test_inline_region_paths_never_reach_the_filesystem(
    app: tuple[TestClient, str], planted: dict[str, str]
) -> None:
    c, url = app
    before = jobs_stored(url)
    replies = {}
    for label, ref in planted.items():
        doc = refused(c, {"scenario": short(small_scenario(region=ref))}, "body.scenario.region")
        doc.pop("request_id")
        replies[label] = doc
    first = next(iter(replies.values()))
    assert all(reply == first for reply in replies.values()), replies
    assert "vgr" in first["detail"] and "secret" not in str(first)
    assert jobs_stored(url) == before


def test_a_library_region_by_name_or_inline_runs(app: tuple[TestClient, str]) -> None:
    c, _ = app
    inline = c.post("/v1/simulations", json={"scenario": short(small_scenario())})
    assert inline.status_code == 202, inline.text
    sydost = read_yaml(LIBRARY_DIR / "sydost_robot.yaml")
    assert sydost["region"] == "sydost"  # 9 units: within this server's 12
    named = c.post("/v1/simulations", json={"scenario": short(sydost)})
    assert named.status_code == 202, named.text
