"""``GET /metrics`` over real HTTP: requests counted per route template and status
class, their latency in the documented buckets, ``/metrics`` itself not counted, and
the suggestions' answer unchanged in shape by its cheaper serialisation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest

from api.service.metrics import BUCKETS
from api.service.weeks import monday, today
from tests.api.service.service_server import Server, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("metrics"))
    try:
        yield srv
    finally:
        srv.stop()


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of the sample ``name{labels}`` in Prometheus' text format (0 if absent)."""
    for line in text.splitlines():
        m = re.fullmatch(r"(\w+)\{(.*)\} (\S+)", line)
        if m is None or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return 0.0


def test_requests_are_counted_by_route_template_and_status_class(server: Server) -> None:
    with server.client("all") as c:
        before = c.get("/metrics").text
        for rid in ("m-1", "m-2", "m-3"):
            assert c.get(f"/v1/referrals/{rid}/suggestions").status_code == 404
        after = c.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    labels = {"method": "GET", "handler": "/v1/referrals/{referral_id}/suggestions"}
    count = "http_requests_total"
    assert _sample(after.text, count, status="4xx", **labels) - _sample(
        before, count, status="4xx", **labels
    ) == pytest.approx(3)
    assert "m-1" not in after.text  # the template, never the raw path
    assert _sample(after.text, count, handler="/metrics") == 0
    buckets = {
        float(le)
        for le in re.findall(r'http_request_duration_seconds_bucket\{.*le="([^"]+)"', after.text)
        if le != "+Inf"
    }
    assert buckets == set(BUCKETS)
    assert _sample(after.text, "http_request_duration_seconds_count", **labels) >= 3


def test_suggestions_answer_is_the_documented_model(server: Server) -> None:
    with server.client("admin") as c:
        assert c.put(
            "/v1/units/su", json={"name": "SU Östra", "lat": 57.72, "lon": 12.05}
        ).is_success
        cap = {
            "specialty": "metrik",
            "stage": "first_visit",
            "from_week": str(today()),
            "slots_per_week": 2,
        }
        assert c.put("/v1/units/su/capacity", json=cap).status_code == 200
    with server.client("portal") as c:
        body = {
            "referral_id": "m-ref",
            "specialty": "metrik",
            "area": "1480",
            "clock_start": str(today() - dt.timedelta(days=10)),
        }
        assert c.post("/v1/referrals", json=body).status_code == 201
        r = c.get("/v1/referrals/m-ref/suggestions", params={"limit": 3})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    doc = r.json()
    assert doc["referral_id"] == "m-ref"
    assert doc["current_week"] == str(monday(today()))
    (option,) = doc["options"]
    assert option["unit"] == "su" and option["unit_name"] == "SU Östra"
    assert option["earliest_week"] == str(monday(today())) and option["rank"] == 1
    assert set(option) == {
        "rank",
        "unit",
        "unit_name",
        "earliest_week",
        "iso_week",
        "on_time",
        "km",
        "cost",
    }
    assert isinstance(option["km"], int) and isinstance(option["cost"], int)
    assert option["on_time"] is True
