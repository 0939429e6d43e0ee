"""Pseudonymity everywhere, over the service itself (SQLite, and PostgreSQL when
REMISS_TEST_POSTGRES_URL is set): a personal identity number in any spelling, or a
control character, in any field the service accepts — body, path, query, stored
header — is a 422 naming the field, and is never echoed, stored or logged; request ids
are UUIDs or replaced; SQL parameters and exception messages stay out of the logs."""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from api.service import db, logs
from api.service.logs import PrivateJsonFormatter
from api.service.pseudonym import new_request_id
from api.service.weeks import today
from tests.api.service.privacy_app import DATABASES, App, open_app, setup_queue
from tests.api.service.test_pseudonym import identity_numbers

Send = Callable[[App, str], httpx.Response]


def _referral(**fields: Any) -> dict[str, Any]:
    body = {"referral_id": "r-ok", "specialty": "priv", "area": "1480", "clock_start": str(today())}
    return {**body, **fields}


def _unit(**fields: Any) -> dict[str, Any]:
    return {"name": "Enhet", "lat": 57.7, "lon": 12.0, **fields}


FIELDS: dict[str, Send] = {
    "body.referral_id": lambda a, v: a.client.post(
        "/v1/referrals", json=_referral(referral_id=v), headers=a.headers("portal")
    ),
    "body.specialty": lambda a, v: a.client.post(
        "/v1/referrals", json=_referral(specialty=v), headers=a.headers("portal")
    ),
    "body.priority": lambda a, v: a.client.post(
        "/v1/referrals", json=_referral(priority=v), headers=a.headers("portal")
    ),
    "body.home_unit": lambda a, v: a.client.post(
        "/v1/referrals", json=_referral(home_unit=v), headers=a.headers("portal")
    ),
    "body.unit": lambda a, v: a.client.patch(
        "/v1/referrals/r-1",
        json={"status": "offered", "unit": v, "week": str(today())},
        headers=a.headers("portal"),
    ),
    "body.name": lambda a, v: a.client.put(
        "/v1/units/u-1", json=_unit(name=v), headers=a.headers("admin")
    ),
    "body.hospital_group": lambda a, v: a.client.put(
        "/v1/units/u-1", json=_unit(hospital_group=v), headers=a.headers("admin")
    ),
    "body.specialty@capacity": lambda a, v: a.client.put(
        "/v1/units/u-1/capacity",
        json={
            "specialty": v,
            "stage": "first_visit",
            "from_week": str(today()),
            "slots_per_week": 1,
        },
        headers=a.headers("admin"),
    ),
    "body.name@key": lambda a, v: a.client.post(
        "/v1/keys", json={"roles": ["planner"], "name": v}, headers=a.headers("admin")
    ),
    "body.scenario.description": lambda a, v: a.client.post(
        "/v1/simulations",
        json={"scenario": {"name": "x", "description": v}},
        headers=a.headers("planner"),
    ),
    "body.referrals.0.id": lambda a, v: a.client.post(
        "/v1/allocate",
        json={"horizon_weeks": 1, "units": [], "areas": [], "referrals": [{"id": v}]},
        headers=a.headers("planner"),
    ),
    "path.referral_id": lambda a, v: a.client.get(
        f"/v1/referrals/{quote(v, safe='')}", headers=a.headers("portal")
    ),
    "path.unit_id": lambda a, v: a.client.put(
        f"/v1/units/{quote(v, safe='')}", json=_unit(), headers=a.headers("admin")
    ),
    "query.referral": lambda a, v: a.client.get(
        "/v1/audit", params={"referral": v}, headers=a.headers("auditor")
    ),
    "query.actor": lambda a, v: a.client.get(
        "/v1/audit", params={"actor": v}, headers=a.headers("auditor")
    ),
    "header.X-Remiss-User": lambda a, v: a.client.get(
        "/v1/referrals/r-1",
        headers={**a.headers("portal", user=None), "X-Remiss-User": v.encode()},  # type: ignore[dict-item]
    ),
}


def _field(name: str) -> str:
    return name.split("@")[0]


class LogLines(logging.Handler):
    """Every line the service logs, formatted as the service formats it."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(PrivateJsonFormatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module", params=DATABASES)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with open_app(request.param, tmp_path_factory.mktemp("privacy")) as a:
        setup_queue(a, "priv", ["r-1"])
        yield a


@pytest.fixture(scope="module")
def log_lines() -> Iterator[LogLines]:
    handler = LogLines()
    loggers = [logging.getLogger(n) for n in ("remiss", "uvicorn.error", "")]
    for lg in loggers:
        lg.addHandler(handler)
    yield handler
    for lg in loggers:
        lg.removeHandler(handler)


def _digits(value: str) -> str:
    """The ASCII digits of ``value`` (the number, whatever its spelling)."""
    return "".join(str(unicodedata.decimal(c)) for c in value if c.isdecimal())


def _assert_refused(reply: httpx.Response, field: str, value: str) -> None:
    assert reply.status_code == 422, (field, reply.status_code, reply.text)
    problem = reply.json()
    assert problem["errors"][0]["field"] == field, problem
    assert value not in reply.text and _digits(value) not in re.sub(r"\D", "", reply.text)


@pytest.mark.parametrize("name", sorted(FIELDS))
@given(value=identity_numbers())
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_identity_numbers_are_refused_in_every_field(app: App, name: str, value: str) -> None:
    _assert_refused(FIELDS[name](app, value), _field(name), value)


@pytest.mark.parametrize("name", sorted(FIELDS))
@pytest.mark.parametrize("char", ["\x00", "\n", "\x1b", "\u200b", "\u202e"])
def test_control_characters_are_refused_in_every_field(app: App, name: str, char: str) -> None:
    if name.startswith("header.") and char in "\x00\n":
        pytest.skip("HTTP itself cannot carry NUL or a line break in a header")
    reply = FIELDS[name](app, f"ab{char}cd")
    if name.startswith("body.scenario") and char == "\n":  # prose: a line break is a space
        assert "control" not in reply.text, (name, reply.text)
        return
    assert reply.status_code == 422, (name, reply.status_code, reply.text)
    assert reply.json()["errors"][0]["field"] == _field(name)


def test_a_line_break_cannot_hide_an_identity_number_in_prose(app: App) -> None:
    reply = FIELDS["body.scenario.description"](app, "see 19850314\n1209")
    _assert_refused(reply, _field("body.scenario.description"), "19850314\n1209")


def test_refused_values_are_not_stored_or_logged(app: App, log_lines: LogLines) -> None:
    values = ["19850314.1209", "850314_1211", "1985-03-14-1214", "１９８５０３１４１２０９"]
    for name, send in FIELDS.items():
        for value in values:
            assert send(app, value).status_code == 422, name
    stored = re.sub(r"\D", "", app.dump())
    logged = "\n".join(log_lines.lines)
    assert "/v1/referrals/{referral_id}" in logged  # the requests were logged, by template
    for value in values:
        assert _digits(value) not in stored, value
        assert value not in logged and _digits(value) not in re.sub(r"\D", "", logged)


def test_a_key_shaped_like_an_identity_number_is_refused_at_its_object(app: App) -> None:
    reply = app.client.post(
        "/v1/simulations",
        json={"scenario": {"name": "x", "19850314-1209": 1}},
        headers=app.headers("planner"),
    )
    _assert_refused(reply, "body.scenario", "19850314-1209")


def test_the_end_user_is_required_on_portal_routes(app: App) -> None:
    reply = app.client.get("/v1/referrals/r-1", headers=app.headers("portal", user=None))
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "header.X-Remiss-User"
    assert app.client.get("/v1/referrals/r-1", headers=app.headers("portal")).status_code == 200


@pytest.mark.parametrize(
    "sent",
    [
        "19850314-1209-4000-8000-000000000000",
        "{a3f9e2c1-5b6d-4e8f-9a0b-1c2d3e4f5a6b}",
        "Patient 19850314-1402",
        "not-a-uuid",
    ],
)
def test_request_ids_that_are_not_plain_uuids_are_replaced(app: App, sent: str) -> None:
    headers = {**app.headers("portal"), "X-Request-ID": sent}
    reply = app.client.get("/v1/referrals/r-1", headers=headers)
    assert reply.status_code == 200
    given_id = reply.headers["X-Request-ID"]
    assert given_id != sent and uuid.UUID(given_id)
    assert reply.json()["referral_id"] == "r-1"
    rows = app.audit_rows(given_id)
    assert [r["action"] for r in rows] == ["referral.read"]
    assert sent not in app.dump()


def test_a_plain_uuid_request_id_is_kept(app: App) -> None:
    sent = new_request_id()
    reply = app.client.get(
        "/v1/referrals/r-1", headers={**app.headers("portal"), "X-Request-ID": sent}
    )
    assert reply.headers["X-Request-ID"] == sent
    assert [r["action"] for r in app.audit_rows(sent)] == ["referral.read"]


def test_database_errors_carry_no_parameters_and_logs_no_messages(app: App) -> None:
    """A real constraint violation: the engine hides its parameters, and a logged
    traceback of it carries neither the value nor the driver's message."""
    marker = "marker-4711-secret"
    engine = db.make_engine(app.url, pool_size=1)
    insert = text(
        "INSERT INTO api_keys (id, name, roles, key_hash, created_at) "
        "VALUES (:id, :name, 'planner', :hash, CURRENT_TIMESTAMP)"
    )
    params = {"id": "dup1", "name": marker, "hash": marker}
    with engine.begin() as conn:
        conn.execute(insert, params)
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(insert, params)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM api_keys WHERE id = 'dup1'"))
    engine.dispose()
    assert "parameters hidden" in str(caught.value)
    record = logging.LogRecord(
        "remiss.api", logging.ERROR, __file__, 1, "unexpected error", None, None
    )
    record.exc_info = (IntegrityError, caught.value, caught.value.__traceback__)
    line = PrivateJsonFormatter("%(message)s").format(record)
    assert "IntegrityError (message withheld)" in line
    assert marker not in line and "dup1" not in line


@pytest.mark.parametrize("logger", ["remiss.api", "uvicorn.error", "sqlalchemy.pool"])
def test_logged_tracebacks_withhold_messages(
    logger: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the service configures for its own, uvicorn's and other libraries' loggers:
    a traceback names the exception but not its message ("Patient 19850314-1402")."""
    root = logging.getLogger()
    kept = root.handlers[:]
    root.handlers[:] = []  # as under uvicorn: nothing else handles the root logger
    try:
        logs.configure("INFO")
        value = "Patient " + str(19850000 + 314) + "-1402"  # not in the traceback's code
        try:
            raise ValueError(value)
        except ValueError:
            logging.getLogger(logger).exception("Exception in ASGI application")
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        root.handlers[:] = kept
    err = capsys.readouterr().err
    assert "Exception in ASGI application" in err and "ValueError (message withheld)" in err
    assert "19850314" not in err and "Patient" not in err
