"""Access logging and the audit log (SQLite, and PostgreSQL when REMISS_TEST_POSTGRES_URL
is set): every read of patient-level data and every refused attempt writes its row
(key, end user, purpose, request id); the auditor reads the log in pages; the log is
append-only and hash-chained, and ``remiss audit verify`` finds a tampered row."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from api.cli import app as cli
from api.service import audit_chain, db
from api.service.db_schema import SimulationJobRow, UtcDateTime, utcnow
from api.service.pseudonym import new_request_id
from api.service.weeks import today
from tests.api.service.privacy_app import DATABASES, App, open_app, setup_queue
from tests.api.service.service_server import (
    END_USER,
    database_for,
    drop_postgres,
    fresh_postgres,
    start_server,
)
from tests.api.service.test_roles import EXPECTED

runner = CliRunner()
JOB_ID = "11111111-2222-4333-8444-555555555555"


@pytest.fixture(scope="module", params=DATABASES)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with open_app(request.param, tmp_path_factory.mktemp("access")) as a:
        setup_queue(a, "acc", ["acc-1", "acc-2"])
        engine = db.make_engine(a.url, pool_size=1)
        with db.session_factory(engine).begin() as s:  # a finished job to read
            s.add(
                SimulationJobRow(
                    id=JOB_ID,
                    actor=a.key_id("planner"),
                    state="done",
                    progress=1.0,
                    request={"scenario": "gallsten"},
                    result={"policies": {}},
                    report="<html>report</html>",
                )
            )
        engine.dispose()
        yield a


READS = [
    # (role, path, action, entity, entity_id, purpose, end user sent)
    ("portal", "/v1/referrals/acc-1", "referral.read", "referral", "acc-1", "care", True),
    (
        "portal",
        "/v1/referrals/acc-1/suggestions",
        "referral.suggest",
        "referral",
        "acc-1",
        "care",
        True,
    ),
    ("planner", "/v1/queue/status", "queue.read", "queue", None, "follow-up", False),
    ("portal", "/v1/queue/status", "queue.read", "queue", None, "follow-up", True),
    (
        "planner",
        f"/v1/simulations/{JOB_ID}",
        "simulation.read",
        "simulation",
        JOB_ID,
        "follow-up",
        False,
    ),
    (
        "planner",
        f"/v1/simulations/{JOB_ID}/report",
        "simulation.report",
        "simulation",
        JOB_ID,
        "follow-up",
        False,
    ),
    ("auditor", "/v1/audit", "audit.read", "audit_log", "", "audit", False),
]


@pytest.mark.parametrize(
    ("role", "path", "action", "entity", "entity_id", "purpose", "named"), READS
)
def test_each_read_writes_its_access_row(
    app: App,
    role: str,
    path: str,
    action: str,
    entity: str,
    entity_id: str | None,
    purpose: str,
    named: bool,
) -> None:
    headers = app.headers(role, user=END_USER if named else None)
    reply = app.client.get(path, headers=headers)
    assert reply.status_code == 200, reply.text
    assert reply.headers["X-Request-ID"] == headers["X-Request-ID"]
    rows = app.audit_rows(headers["X-Request-ID"])
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["action"], row["entity"], row["purpose"]) == (action, entity, purpose)
    assert row["entity_id"] == (entity_id if entity_id is not None else str(today()))
    assert row["actor"] == app.key_id(role)
    assert row["end_user"] == (END_USER if named else "")
    assert len(row["row_hash"]) == 64 and len(row["prev_hash"]) == 64


def test_changes_record_the_end_user_and_purpose(app: App) -> None:
    headers = app.headers("portal", user="user-b")
    reply = app.client.patch("/v1/referrals/acc-2", json={"status": "withdrawn"}, headers=headers)
    assert reply.status_code == 200, reply.text
    [row] = app.audit_rows(headers["X-Request-ID"])
    assert (row["action"], row["end_user"], row["purpose"]) == (
        "referral.withdrawn",
        "user-b",
        "care",
    )


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "abc123", template)


@pytest.mark.parametrize(("method", "template"), sorted(EXPECTED))
def test_refused_attempts_write_a_row(app: App, method: str, template: str) -> None:
    path = _concrete(template)
    request_id = new_request_id()
    anonymous = app.client.request(
        method, path, headers={"X-Request-ID": request_id, "X-Remiss-User": "user-c"}, json={}
    )
    assert anonymous.status_code == 401
    [row] = app.audit_rows(request_id)
    assert (row["action"], row["actor"], row["end_user"]) == ("access.refused", "", "user-c")
    assert row["detail"] == {"status": 401, "method": method, "route": template}
    assert row["purpose"] in ("care", "follow-up", "administration", "audit")
    if "{referral_id}" in template:
        assert (row["entity"], row["entity_id"]) == ("referral", "abc123")
    else:
        assert (row["entity"], row["entity_id"]) == ("route", template)
    wrong = next(
        r
        for r in ("portal", "planner", "admin", "auditor")
        if r not in EXPECTED[(method, template)]
    )
    headers = app.headers(wrong)
    refused = app.client.request(method, path, headers=headers, json={})
    assert refused.status_code == 403
    [row] = app.audit_rows(headers["X-Request-ID"])
    assert (row["action"], row["actor"]) == ("access.refused", app.key_id(wrong))
    assert row["detail"]["status"] == 403


def test_a_bad_key_is_logged_without_the_key(app: App) -> None:
    request_id = new_request_id()
    bad_key = "rmk_feedface_not-a-real-secret"
    reply = app.client.get(
        "/v1/referrals/acc-1", headers={"X-API-Key": bad_key, "X-Request-ID": request_id}
    )
    assert reply.status_code == 401
    [row] = app.audit_rows(request_id)
    assert row["actor"] == "" and bad_key not in str(row)
    assert "not-a-real-secret" not in app.dump()


def _page(app: App, **params: Any) -> httpx.Response:
    return app.client.get("/v1/audit", params=params, headers=app.headers("auditor"))


def test_the_auditor_filters_by_referral_actor_and_time(app: App) -> None:
    start = utcnow()
    for user in ("user-d", "user-e"):
        headers = app.headers("portal", user=user)
        assert app.client.get("/v1/referrals/acc-1", headers=headers).status_code == 200
    end = utcnow()
    reply = _page(app, referral="acc-1", **{"from": start.isoformat(), "to": end.isoformat()})
    assert reply.status_code == 200, reply.text
    rows = reply.json()["rows"]
    assert [(r["action"], r["end_user"]) for r in rows] == [
        ("referral.read", "user-d"),
        ("referral.read", "user-e"),
    ]
    by_user = _page(app, actor="user-e").json()["rows"]
    assert by_user and all(r["end_user"] == "user-e" for r in by_user)
    assert app.client.get("/v1/queue/status", headers=app.headers("planner")).status_code == 200
    by_key = _page(app, actor=app.key_id("planner")).json()["rows"]
    assert by_key and all(r["actor"] == app.key_id("planner") for r in by_key)
    registered = _page(app, referral="acc-1").json()["rows"][0]
    assert registered["action"] == "referral.register" and registered["purpose"] == "care"
    later = _page(app, **{"from": (end + dt.timedelta(hours=1)).isoformat()}).json()
    assert later == {"rows": [], "next_after": None}


def test_the_auditor_pages_through_the_log(app: App) -> None:
    everything = _page(app, limit=500).json()
    assert everything["next_after"] is None
    seen: list[int] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if after is not None:
            params["after"] = after
        page = _page(app, **params).json()
        seen.extend(r["id"] for r in page["rows"])
        after = page["next_after"]
        if after is None:
            break
        assert len(page["rows"]) == 3
    total = [r["id"] for r in everything["rows"]]
    assert seen[: len(total)] == total  # the pages are the log in order, audit reads appended
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


def test_the_auditor_page_size_is_capped(app: App) -> None:
    reply = _page(app, limit=501)
    assert reply.status_code == 422 and reply.json()["errors"][0]["field"] == "query.limit"


def test_only_the_auditor_reads_the_log(app: App) -> None:
    for role in ("portal", "planner", "admin"):
        reply = app.client.get("/v1/audit", headers=app.headers(role))
        assert reply.status_code == 403, role


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET actor = 'someone'", "DELETE FROM audit_log"]
)
def test_the_log_refuses_update_and_delete(app: App, statement: str) -> None:
    engine = create_engine(app.url)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()
    assert _verify(app.url).exit_code == 0


def _verify(url: str) -> Any:
    return runner.invoke(cli, ["audit", "verify", "--database-url", url])


def _tamper(url: str, statement: str) -> None:
    """Change the log behind the triggers' back, as someone with the database would."""
    engine = create_engine(url)
    with engine.begin() as conn:
        if url.startswith("postgresql"):
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text(statement))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
            conn.execute(text(statement))
    engine.dispose()


@pytest.fixture(params=DATABASES)
def chain_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database whose log holds five rows."""
    url = database_for(request.param)
    url = fresh_postgres(url) if url is not None else f"sqlite:///{tmp_path / 'chain.db'}"
    db.upgrade(url)
    engine = db.make_engine(url, pool_size=1)
    with db.session_factory(engine).begin() as s:
        rows = [
            {
                "at": utcnow(),
                "actor": "k1",
                "end_user": "user-f",
                "purpose": "care",
                "action": "referral.read",
                "entity": "referral",
                "entity_id": f"ref-{i}",
                "request_id": str(uuid.uuid4()),
                "detail": {"i": i, "text": "å"},
            }
            for i in range(5)
        ]
        audit_chain.append(s, rows)
    engine.dispose()
    try:
        yield url
    finally:
        if url.startswith("postgresql"):
            drop_postgres(url)


def test_verify_accepts_an_intact_chain(chain_url: str) -> None:
    result = _verify(chain_url)
    assert result.exit_code == 0, result.output
    assert "5 rows" in result.output


@pytest.mark.parametrize(
    ("statement", "broken"),
    [
        ("UPDATE audit_log SET entity_id = 'ref-x' WHERE entity_id = 'ref-2'", 3),
        ('UPDATE audit_log SET detail = \'{"i": 9, "text": "å"}\' WHERE entity_id = \'ref-1\'', 2),
        ("DELETE FROM audit_log WHERE entity_id = 'ref-3'", 5),
    ],
)
def test_verify_names_the_first_tampered_row(chain_url: str, statement: str, broken: int) -> None:
    _tamper(chain_url, statement)
    result = _verify(chain_url)
    assert result.exit_code == 1, result.output
    assert f"audit row {broken}:" in result.output


def test_verify_notices_rows_removed_from_the_end(chain_url: str) -> None:
    _tamper(chain_url, "DELETE FROM audit_log WHERE entity_id = 'ref-4'")
    result = _verify(chain_url)
    assert result.exit_code == 1 and "missing" in result.output, result.output


@pytest.mark.parametrize("kind", DATABASES)
def test_the_migration_hashes_rows_already_there(kind: str, tmp_path: Path) -> None:
    url = database_for(kind)
    url = fresh_postgres(url) if url is not None else f"sqlite:///{tmp_path / 'old.db'}"
    try:
        db.upgrade(url, "0001")
        engine = db.make_engine(url, pool_size=1)
        with db.session_factory(engine).begin() as s:
            for i in range(3):
                s.execute(
                    text(
                        "INSERT INTO audit_log (at, actor, action, entity, entity_id,"
                        " request_id, detail) VALUES (:at, 'k1', 'referral.register',"
                        " 'referral', :e, '', '{\"n\": 1}')"
                    ).bindparams(bindparam("at", type_=UtcDateTime())),
                    {"at": utcnow(), "e": f"old-{i}"},
                )
        engine.dispose()
        db.upgrade(url)
        result = _verify(url)
        assert result.exit_code == 0 and "3 rows" in result.output, result.output
        _tamper(url, "UPDATE audit_log SET actor = 'k2' WHERE entity_id = 'old-0'")
        assert "audit row 1:" in _verify(url).output
    finally:
        if url.startswith("postgresql"):
            drop_postgres(url)


@pytest.mark.parametrize("kind", DATABASES)
def test_concurrent_writers_keep_one_chain(kind: str, tmp_path: Path) -> None:
    """Suggestions (the group commit), reads and changes from 12 clients at once on a
    real server: one row per request, and the chain does not fork."""
    server = start_server(tmp_path, database_for(kind))
    try:
        with server.client("admin") as c:
            assert c.put(
                "/v1/units/u1", json={"name": "u1", "lat": 57.7, "lon": 12.0}
            ).status_code in (200, 201)
            capacity = {
                "specialty": "conc",
                "stage": "first_visit",
                "from_week": str(today()),
                "slots_per_week": 50,
            }
            assert c.put("/v1/units/u1/capacity", json=capacity).status_code == 200

        def client_work(n: int) -> list[str]:
            ids = []
            with server.client("portal") as c:
                body = {
                    "referral_id": f"c-{n}",
                    "specialty": "conc",
                    "area": "1480",
                    "clock_start": str(today()),
                }
                for path, call in (
                    ("register", lambda: c.post("/v1/referrals", json=body, headers=_rid(ids))),
                    (
                        "suggest",
                        lambda: c.get(f"/v1/referrals/c-{n}/suggestions", headers=_rid(ids)),
                    ),
                    (
                        "suggest",
                        lambda: c.get(f"/v1/referrals/c-{n}/suggestions", headers=_rid(ids)),
                    ),
                    ("read", lambda: c.get(f"/v1/referrals/c-{n}", headers=_rid(ids))),
                    (
                        "withdraw",
                        lambda: c.patch(
                            f"/v1/referrals/c-{n}", json={"status": "withdrawn"}, headers=_rid(ids)
                        ),
                    ),
                ):
                    assert call().status_code in (200, 201), path
            return ids

        with ThreadPoolExecutor(12) as pool:
            request_ids = [r for ids in pool.map(client_work, range(12)) for r in ids]
        engine = create_engine(server.database_url)
        with engine.connect() as conn:
            logged = [r for (r,) in conn.execute(text("SELECT request_id FROM audit_log"))]
        engine.dispose()
        assert sorted(r for r in logged if r in set(request_ids)) == sorted(request_ids)
        result = _verify(server.database_url)
        assert result.exit_code == 0, result.output
    finally:
        server.stop()


def _rid(ids: list[str]) -> dict[str, str]:
    ids.append(new_request_id())
    return {"X-Request-ID": ids[-1]}
