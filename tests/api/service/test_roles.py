"""Every route's access rule: 401 without a key or with a bad or revoked one, 403 with a
key of the wrong role, and through with the right role — checked route by route
against a table written here, independent of the code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.service.app import create_app
from api.service.settings import Settings
from tests.api.service.service_server import ROLES, make_keys

P, PL, A, AU = "portal", "planner", "admin", "auditor"
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("POST", "/v1/referrals"): {P},
    ("GET", "/v1/referrals/{referral_id}"): {P},
    ("PATCH", "/v1/referrals/{referral_id}"): {P},
    ("GET", "/v1/referrals/{referral_id}/suggestions"): {P},
    ("POST", "/v1/referrals/{referral_id}/assessment"): {P},
    ("POST", "/v1/referrals/{referral_id}/pvv"): {P},
    ("POST", "/v1/referrals/{referral_id}/mov"): {P},
    ("GET", "/v1/referrals/{referral_id}/history"): {P},
    ("POST", "/v1/allocation-runs"): {P},
    ("POST", "/v1/allocation-runs/{run_id}/accept"): {P},
    ("GET", "/v1/queue/status"): {P, PL},
    ("POST", "/v1/allocate"): {P, PL},
    ("POST", "/v1/estimate"): {PL},
    ("GET", "/v1/scenarios"): {PL},
    ("POST", "/v1/simulations"): {PL},
    ("GET", "/v1/simulations/{job_id}"): {PL, A},
    ("DELETE", "/v1/simulations/{job_id}"): {PL, A},
    ("GET", "/v1/simulations/{job_id}/report"): {PL, A},
    ("POST", "/v1/forecasts"): {PL},
    ("GET", "/v1/forecasts"): {PL, A},
    ("GET", "/v1/forecasts/{job_id}"): {PL, A},
    ("DELETE", "/v1/forecasts/{job_id}"): {PL, A},
    ("GET", "/v1/forecasts/{job_id}/report"): {PL, A},
    ("PUT", "/v1/units/{unit_id}"): {A},
    ("PUT", "/v1/units/{unit_id}/capacity"): {A},
    ("GET", "/v1/units"): {A, P, PL},
    ("POST", "/v1/keys"): {A},
    ("GET", "/v1/keys"): {A},
    ("DELETE", "/v1/keys/{key_id}"): {A},
    ("GET", "/v1/audit"): {AU},
}
OPEN = {"/healthz", "/livez", "/metrics", "/docs", "/openapi.json", "/redoc"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('roles') / 'remiss.db'}"
    keys = make_keys(url)
    # every route is tried without a key: more 401s than the default failed-auth limit
    settings = Settings(database_url=url, rate_limit_failed_auth="100000/minute")
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c, keys


def _routes() -> list[tuple[str, str]]:
    """Every documented route (method, path) from the OpenAPI schema."""
    app = create_app(Settings(database_url="sqlite:///:memory:"))
    paths = app.openapi()["paths"]
    return sorted((m.upper(), p) for p, ops in paths.items() for m in ops)


def test_the_table_covers_every_route() -> None:
    v1 = {(m, p) for m, p in _routes() if p.startswith("/v1/")}
    assert v1 == set(EXPECTED)
    others = {p for _, p in _routes() if not p.startswith("/v1/")}
    assert others <= OPEN


def _path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "abc123", template)


@pytest.mark.parametrize(("method", "template"), sorted(EXPECTED))
def test_route_access(
    client: tuple[TestClient, dict[str, str]], method: str, template: str
) -> None:
    c, keys = client
    path = _path(template)
    assert c.request(method, path).status_code == 401
    assert c.request(method, path, headers={"X-API-Key": "rmk_00_wrong"}).status_code == 401
    for role in ROLES:
        code = c.request(method, path, headers={"X-API-Key": keys[role]}, json={}).status_code
        if role in EXPECTED[(method, template)]:
            assert code not in (401, 403, 500), (role, code)
        else:
            assert code == 403, (role, code)


def test_open_routes_need_no_key(client: tuple[TestClient, dict[str, str]]) -> None:
    c, _ = client
    for path in ("/healthz", "/livez", "/metrics", "/openapi.json", "/docs"):
        assert c.get(path).status_code == 200, path


def test_revoked_key_stops_working(client: tuple[TestClient, dict[str, str]]) -> None:
    c, keys = client
    admin = {"X-API-Key": keys["admin"]}
    new = c.post("/v1/keys", json={"roles": ["planner"], "name": "temp"}, headers=admin).json()
    assert c.get("/v1/scenarios", headers={"X-API-Key": new["key"]}).status_code == 200
    assert c.delete(f"/v1/keys/{new['id']}", headers=admin).status_code == 200
    assert c.get("/v1/scenarios", headers={"X-API-Key": new["key"]}).status_code == 401
    listed = c.get("/v1/keys", headers=admin).json()
    assert all("key" not in k and "hash" not in str(k) for k in listed)


def test_keys_are_stored_hashed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    keys = make_keys(url)
    raw = (tmp_path / "k.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("k.db-*")
    )
    for key in keys.values():
        assert key.encode() not in raw
