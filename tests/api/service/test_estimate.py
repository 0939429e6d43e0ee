"""``POST /v1/estimate``: the same documents as ``remiss estimate … --json``, refusals as
422 problem documents naming the field, no 5xx for any body, planner keys only.

Reference values: M/M/2 with λ = 1.6, μ = 1 has a = 1.6, ρ = 0.8,
C(2, 1.6) = 2ρ²/(1 + ρ) = 32/45 and Wq = C/(cμ − λ) = 16/9 ≈ 1.7778 days (Erlang C
in closed form for two servers); the waiting-list figures are Fong et al.'s (2022)
P4 ENT example as reproduced by NHSRwaitinglist (see tests/simulering/test_estimate.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api import estimates
from api.cli.estimate import app as estimate_cli
from api.service.app import create_app
from api.service.db_schema import utcnow
from api.service.keys import Role, create_key
from api.service.settings import Settings

URL = "/v1/estimate"


@dataclass
class Service:
    client: TestClient
    keys: dict[str, str]

    def post(self, body: Any, role: str = "planner") -> Any:
        return self.client.post(URL, json=body, headers={"X-API-Key": self.keys[role]})

    def post_raw(self, text: str, role: str = "planner") -> Any:
        headers = {"X-API-Key": self.keys[role], "Content-Type": "application/json"}
        return self.client.post(URL, content=text, headers=headers)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("estimate")
    app = create_app(Settings(database_url=f"sqlite:///{tmp}/t.db"))
    with TestClient(app) as client:
        keys = {}
        with app.state.remiss.uow.writing() as s:
            for role in Role:
                _, keys[role.value] = create_key(s, [role], name=f"test {role.value}")
            revoked, keys["revoked"] = create_key(s, [Role.planner], name="revoked")
            revoked.revoked_at = utcnow()
        yield Service(client, keys)


def cli_json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(estimate_cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def ok(service: Service, body: dict[str, Any]) -> dict[str, Any]:
    r = service.post(body)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def value(doc: dict[str, Any], key: str) -> Any:
    return doc["results"][key]["value"]


# ------------------------------------------------------------------ same as the CLI


def test_mmc_matches_cli_and_closed_form(service: Service) -> None:
    body = {"model": "mmc", "arrival_rate": 1.6, "service_rate": 1, "servers": 2, "limit_days": 3}
    doc = ok(service, body)
    assert doc == cli_json(
        "mmc", "--arrival-rate", "1.6", "--service-rate", "1", "--servers", "2", "--limit-days", "3"
    )
    assert doc == estimates.mmc_document(1.6, 1, 2, 3)
    c = 32 / 45
    assert value(doc, "prob_wait") == pytest.approx(c, rel=1e-12)
    assert value(doc, "mean_wait") == pytest.approx(16 / 9, rel=1e-12)
    assert round(value(doc, "mean_wait"), 4) == 1.7778
    assert value(doc, "mean_queue_length") == pytest.approx(1.6 * 16 / 9, rel=1e-12)
    assert value(doc, "mean_time_in_system") == pytest.approx(16 / 9 + 1, rel=1e-12)
    assert value(doc, "prob_wait_within_limit") == pytest.approx(1 - c * math.exp(-0.4 * 3))
    assert doc["results"]["prob_wait_within_limit"]["label"] == "P(Wq ≤ 3 d)"
    assert doc["inputs"] == {
        "arrival_rate": 1.6,
        "service_rate": 1.0,
        "servers": 2,
        "limit_days": 3.0,
        "time_unit": "day",
    }


def test_mmc_defaults_to_the_care_guarantee(service: Service) -> None:
    doc = ok(service, {"model": "mmc", "arrival_rate": 8, "service_rate": 1, "servers": 10})
    assert doc == cli_json("mmc", "--arrival-rate", "8", "--service-rate", "1", "--servers", "10")
    assert doc["inputs"]["limit_days"] == 90.0
    assert isinstance(doc["inputs"]["servers"], int)
    assert value(doc, "prob_wait") == pytest.approx(0.40918, abs=5e-5)  # Erlang C table
    assert value(doc, "utilisation") == pytest.approx(0.8)


def test_waiting_list_matches_cli_paper_example(service: Service) -> None:
    doc = ok(
        service,
        {
            "model": "waiting-list",
            "demand": 30,
            "capacity": 27,
            "queue_size": 1200,
            "target_wait": 52,
            "mean_wait": 63,
        },
    )
    assert doc == cli_json(
        "waiting-list",
        *("--demand", "30", "--capacity", "27", "--queue-size", "1200"),
        *("--target-wait", "52", "--mean-wait", "63"),
    )
    assert value(doc, "queue_load") == pytest.approx(30 / 27)
    assert value(doc, "target_queue_size") == pytest.approx(390)
    assert value(doc, "queue_too_big") is True
    assert value(doc, "relief_capacity") == pytest.approx(61.153846)
    assert value(doc, "target_capacity") == pytest.approx(30 + 4 / 52)
    assert value(doc, "waiting_list_pressure") == pytest.approx(2.42307692)
    assert doc["inputs"]["time_unit"] == "week"
    assert doc["inputs"]["time_to_target"] == 26.0


def test_waiting_list_share_in_days_matches_cli(service: Service) -> None:
    body = {
        "model": "waiting-list",
        "demand": 10,
        "target_wait": 90,
        "target_share": 0.92,
        "unit": "day",
        "cv_demand": 1.1,
        "cv_capacity": 0.5,
    }
    doc = ok(service, body)
    assert doc == cli_json(
        "waiting-list",
        *("--demand", "10", "--target-wait", "90", "--target-share", "0.92", "--unit", "day"),
        *("--cv-demand", "1.1", "--cv-capacity", "0.5"),
    )
    f = math.log(12.5)
    assert value(doc, "factor") == pytest.approx(f)
    assert value(doc, "target_mean_wait") == pytest.approx(90 / f)
    assert value(doc, "target_capacity") == pytest.approx(10 + (1.1**2 + 0.5**2) / 2 * f / 90)
    assert value(doc, "queue_load") is None
    assert value(doc, "relief_capacity") is None
    assert doc["inputs"]["time_to_target"] == 182.0
    assert doc["results"]["target_mean_wait"]["unit"] == "days"


@pytest.mark.parametrize(
    ("body", "args", "key", "expected"),
    [
        (
            {"arrival_rate": 30, "mean_time": 13, "unit": "week"},
            ("--arrival-rate", "30", "--mean-time", "13", "--unit", "week"),
            "mean_number",
            390.0,
        ),
        (
            {"mean_time": 13, "mean_number": 390},
            ("--mean-time", "13", "--mean-number", "390"),
            "arrival_rate",
            30.0,
        ),
        (
            {"arrival_rate": 30, "mean_number": 390},
            ("--arrival-rate", "30", "--mean-number", "390"),
            "mean_time",
            13.0,
        ),
    ],
)
def test_little_matches_cli(
    service: Service, body: dict[str, Any], args: tuple[str, ...], key: str, expected: float
) -> None:
    doc = ok(service, {"model": "little", **body})
    assert doc == cli_json("little", *args)
    assert value(doc, key) == pytest.approx(expected)
    assert doc["results"][key]["formula"] != "given"


# ------------------------------------------------------------------- extreme numbers


def test_valid_but_extreme_numbers_give_null_not_500(service: Service) -> None:
    # rates so small that Wq = C/(cμ − λ) overflows to inf: reported as null
    doc = ok(
        service, {"model": "mmc", "arrival_rate": 1e-320, "service_rate": 1e-320, "servers": 2}
    )
    assert value(doc, "utilisation") == pytest.approx(0.5)
    assert value(doc, "mean_wait") is None
    # cv² overflows (OverflowError in float **): target capacity is null
    doc = ok(service, {"model": "waiting-list", "demand": 3, "target_wait": 52, "cv_demand": 1e200})
    assert value(doc, "target_capacity") is None
    assert value(doc, "target_queue_size") == pytest.approx(39)
    # a target queue size beyond the float range: what depends on it is null
    doc = ok(
        service,
        {"model": "waiting-list", "demand": 1e308, "target_wait": 1e308, "queue_size": 5},
    )
    assert value(doc, "target_queue_size") is None
    assert value(doc, "relief_capacity") is None
    doc = ok(service, {"model": "little", "arrival_rate": 1e200, "mean_time": 1e200})
    assert value(doc, "mean_number") is None
    # the largest number of servers is accepted and answered quickly
    doc = ok(
        service,
        {
            "model": "mmc",
            "arrival_rate": 99_000,
            "service_rate": 1,
            "servers": estimates.MAX_SERVERS,
        },
    )
    assert 0 < value(doc, "prob_wait") < 1


# ----------------------------------------------------------------------- bad input


def _problem(r: Any) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    data: dict[str, Any] = r.json()
    assert data["status"] == 422
    return data


MMC = {"model": "mmc", "arrival_rate": 1.0, "service_rate": 1.0, "servers": 2}
WL = {"model": "waiting-list", "demand": 3.0, "target_wait": 52.0}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**MMC, "arrival_rate": -1}, "body.arrival_rate"),
        ({**MMC, "service_rate": 0}, "body.service_rate"),
        ({**MMC, "servers": 0}, "body.servers"),
        ({**MMC, "servers": -3}, "body.servers"),
        ({**MMC, "servers": 2.5}, "body.servers"),
        ({**MMC, "servers": 10**30}, "body.servers"),
        ({**MMC, "servers": estimates.MAX_SERVERS + 1}, "body.servers"),
        ({**MMC, "servers": "two"}, "body.servers"),
        ({**MMC, "arrival_rate": "1"}, "body.arrival_rate"),  # strict: as the schema says
        ({**MMC, "arrival_rate": True}, "body.arrival_rate"),
        ({**MMC, "limit_days": -5}, "body.limit_days"),
        ({**MMC, "arrival_rate": 2.0}, "body.arrival_rate"),  # load = 1: unstable
        ({**MMC, "arrival_rate": 1e300, "service_rate": 1e-300}, "body.arrival_rate"),
        ({**MMC, "arrival_rate": None}, "body.arrival_rate"),
        ({k: v for k, v in MMC.items() if k != "servers"}, "body.servers"),
        ({**MMC, "arrivalRate": 1}, "body.arrivalRate"),
        ({k: v for k, v in MMC.items() if k != "model"}, "body.model"),
        ({**MMC, "model": "erlang"}, "body.model"),
        ({**MMC, "model": 3}, "body.model"),
        ({"model": "little", "arrival_rate": 1}, "body.mean_time"),
        (
            {"model": "little", "arrival_rate": 1, "mean_time": 1, "mean_number": 1},
            "body.arrival_rate",
        ),
        ({"model": "little", "arrival_rate": 0, "mean_number": 2}, "body.arrival_rate"),
        ({"model": "little", "mean_time": 0, "mean_number": 2}, "body.mean_time"),
        ({"model": "little", "arrival_rate": 1, "mean_time": -1}, "body.mean_time"),
        ({"model": "little", "arrival_rate": 1, "mean_time": 1, "unit": "month"}, "body.unit"),
        ({**WL, "demand": -3}, "body.demand"),
        ({**WL, "target_wait": 0}, "body.target_wait"),
        ({**WL, "capacity": 0}, "body.capacity"),
        ({**WL, "target_share": 1.5}, "body.target_share"),
        ({**WL, "target_share": 1.0}, "body.target_share"),
        ({**WL, "target_share": 0.9, "factor": 4}, "body.target_share"),
        ({**WL, "time_to_target": 0}, "body.time_to_target"),
        ({**WL, "factor": 0}, "body.factor"),
        ({**WL, "cv_capacity": -0.1}, "body.cv_capacity"),
        ({"model": "waiting-list", "demand": 3}, "body.target_wait"),
    ],
)
def test_bad_values_get_422_naming_the_field(
    service: Service, body: dict[str, Any], field: str
) -> None:
    data = _problem(service.post(body))
    fields = [e["field"] for e in data["errors"]]
    assert field in fields, data
    assert data["detail"].startswith(f"{field}: ") or f"; {field}: " in data["detail"]


def test_cross_field_errors_name_every_field(service: Service) -> None:
    data = _problem(service.post({**MMC, "arrival_rate": 2.5}))
    assert [e["field"] for e in data["errors"]] == [
        "body.arrival_rate",
        "body.service_rate",
        "body.servers",
    ]
    assert "unstable" in data["detail"]
    data = _problem(service.post({**WL, "target_share": 0.9, "factor": 4}))
    assert [e["field"] for e in data["errors"]] == ["body.target_share", "body.factor"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_get_422(service: Service, number: str) -> None:
    text = f'{{"model": "mmc", "arrival_rate": {number}, "service_rate": 1, "servers": 2}}'
    data = _problem(service.post_raw(text))
    assert [e["field"] for e in data["errors"]] == ["body.arrival_rate"]
    text = f'{{"model": "waiting-list", "demand": 3, "target_wait": 52, "mean_wait": {number}}}'
    data = _problem(service.post_raw(text))
    assert [e["field"] for e in data["errors"]] == ["body.mean_wait"]


@pytest.mark.parametrize("text", ["[]", '"mmc"', "null", "{}", '{"model": null}'])
def test_bodies_of_the_wrong_shape_get_422(service: Service, text: str) -> None:
    data = _problem(service.post_raw(text))
    assert data["errors"]


@pytest.mark.parametrize("text", ["", "{", "mmc"])
def test_unreadable_bodies_get_4xx(service: Service, text: str) -> None:
    r = service.post_raw(text)
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")


_junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),
    st.sampled_from([0.0, 5e-324, 1e-300, 1e300, 1.7e308, 0.5, 1.0, 2.0, 100000]),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
)
_fields = [
    "arrival_rate",
    "service_rate",
    "servers",
    "limit_days",
    "mean_time",
    "mean_number",
    "unit",
    "demand",
    "target_wait",
    "capacity",
    "queue_size",
    "mean_wait",
    "target_share",
    "factor",
    "time_to_target",
    "cv_demand",
    "cv_capacity",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=st.sampled_from(["mmc", "little", "waiting-list", "other"]),
    values=st.dictionaries(st.sampled_from(_fields), _junk, max_size=6),
)
def test_no_body_gives_a_server_error(service: Service, model: str, values: dict[str, Any]) -> None:
    text = json.dumps({"model": model, **values})  # NaN and Infinity as JSON literals
    r = service.post_raw(text)
    assert r.status_code in (200, 422), r.text
    json.loads(r.text, parse_constant=lambda c: pytest.fail(f"{c} in the response"))


# ---------------------------------------------------------------------- keys, roles


def test_needs_a_planner_key(service: Service) -> None:
    assert service.client.post(URL, json=MMC).status_code == 401
    assert service.post(MMC, role="revoked").status_code == 401
    bad = service.client.post(URL, json=MMC, headers={"X-API-Key": "rmk_nope_nope"})
    assert bad.status_code == 401
    for role in ("portal", "admin"):
        r = service.post(MMC, role=role)
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("application/problem+json")
    assert service.post(MMC, role="planner").status_code == 200


def test_no_key_is_checked_before_the_body(service: Service) -> None:
    assert service.client.post(URL, json={"model": "x"}).status_code == 401


def test_openapi_describes_the_union(service: Service) -> None:
    op = service.client.get("/openapi.json").json()["paths"][URL]["post"]
    assert op["tags"] == ["planner"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    assert schema["discriminator"]["propertyName"] == "model"
    assert set(schema["discriminator"]["mapping"]) == {"mmc", "little", "waiting-list"}


# --------------------------------------------------------- the document functions


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: estimates.mmc_document(1.0, 1.0, 2, limit_days=-1.0), "limit_days"),
        (lambda: estimates.mmc_document(math.nan, 1.0, 2), "arrival_rate"),
        (lambda: estimates.mmc_document(1.0, 1.0, True), "servers"),
        (lambda: estimates.mmc_document(3.0, 1.0, 3), "arrival_rate"),
        (lambda: estimates.little_document(1.0, 2.0, unit="month"), "unit"),
        (lambda: estimates.waiting_list_document(1.0, 52.0, queue_size=-1.0), "queue_size"),
        (lambda: estimates.waiting_list_document(1.0, 52.0, target_share=0.0), "target_share"),
        (lambda: estimates.waiting_list_document(1.0, math.inf), "target_wait"),
    ],
)
def test_document_functions_name_the_parameter(call: Any, param: str) -> None:
    with pytest.raises(estimates.EstimateError) as info:
        call()
    assert info.value.param == param
    assert isinstance(info.value, ValueError)


def test_document_has_the_cli_shape() -> None:
    doc = estimates.waiting_list_document(30, 52, queue_size=1200)
    assert set(doc) == {"model", "inputs", "results", "notes"}
    assert all(set(r) == {"label", "value", "unit", "formula"} for r in doc["results"].values())
    json.dumps(doc, allow_nan=False)
