"""The last live admin key cannot be revoked, and dates outside 2000-01-01..2099-12-31
are refused (422 naming the field), nothing refused being stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.service.app import create_app
from api.service.settings import Settings
from api.service.weeks import today
from tests.api.service.service_server import make_keys


@pytest.fixture()
def service(tmp_path: object) -> Iterator[tuple[TestClient, dict[str, str]]]:
    url = f"sqlite:///{tmp_path}/remiss.db"
    keys = make_keys(url)
    with TestClient(create_app(Settings(database_url=url)), raise_server_exceptions=False) as c:
        yield c, keys


def key_ids(c: TestClient, admin: dict[str, str]) -> dict[str, str]:
    return {k["name"]: k["id"] for k in c.get("/v1/keys", headers=admin).json()}


def test_the_last_admin_key_is_not_revoked(service: tuple[TestClient, dict[str, str]]) -> None:
    c, keys = service
    admin = {"X-API-Key": keys["admin"]}
    ids = key_ids(c, admin)
    assert c.delete(f"/v1/keys/{ids['test all']}", headers=admin).status_code == 200
    last = c.delete(f"/v1/keys/{ids['test admin']}", headers=admin)
    assert last.status_code == 409, last.text
    assert "last live admin key" in last.json()["detail"]
    assert c.get("/v1/keys", headers=admin).status_code == 200  # still live
    # revoking a non-admin key is not affected
    assert c.delete(f"/v1/keys/{ids['test planner']}", headers=admin).status_code == 200
    new = c.post("/v1/keys", json={"roles": ["admin"], "name": "next admin"}, headers=admin)
    assert new.status_code == 201
    assert c.delete(f"/v1/keys/{ids['test admin']}", headers=admin).status_code == 200
    again = {"X-API-Key": new.json()["key"]}
    assert c.delete(f"/v1/keys/{new.json()['id']}", headers=again).status_code == 409


@pytest.mark.parametrize("day", ["9999-12-31", "1899-12-31", "2100-01-01", "0001-01-01"])
def test_dates_out_of_range_are_refused(
    service: tuple[TestClient, dict[str, str]], day: str
) -> None:
    c, keys = service
    portal, admin = (
        {"X-API-Key": keys["portal"], "X-Remiss-User": "user-a"},
        {"X-API-Key": keys["admin"]},
    )
    unit = {"name": "U", "lat": 57.7, "lon": 12.0}
    assert c.put("/v1/units/d_u", json=unit, headers=admin).status_code in (200, 201)
    referral = {"referral_id": "d-1", "specialty": "dates", "area": "1480", "clock_start": day}
    r = c.post("/v1/referrals", json=referral, headers=portal)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["body.clock_start"]
    assert "2000-01-01" in r.json()["detail"] and day not in r.json()["detail"]
    assert c.get("/v1/referrals/d-1", headers=portal).status_code == 404
    capacity = {"specialty": "dates", "stage": "first_visit", "from_week": day, "slots_per_week": 1}
    r = c.put("/v1/units/d_u/capacity", json=capacity, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.from_week"
    units = c.get("/v1/units", headers=admin).json()
    assert [u["capacity"] for u in units if u["id"] == "d_u"] == [[]]
    r = c.get("/v1/queue/status", params={"as_of": day}, headers=portal)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.as_of"


def test_dates_in_range_pass(service: tuple[TestClient, dict[str, str]]) -> None:
    c, keys = service
    portal = {"X-API-Key": keys["portal"], "X-Remiss-User": "user-a"}
    start = str(today() - dt.timedelta(days=10))
    referral = {"referral_id": "d-ok", "specialty": "dates", "area": "1480", "clock_start": start}
    assert c.post("/v1/referrals", json=referral, headers=portal).status_code == 201
    r = c.get("/v1/queue/status", params={"as_of": "2000-01-01"}, headers=portal)
    assert r.status_code == 200
