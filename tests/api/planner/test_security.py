"""The planner app's security rules over real HTTP against ``remiss serve`` (SQLite and
PostgreSQL): the session cookie's flags, sign-in refused for a wrong or non-planner key
without a cookie, every state-changing form refused without the right CSRF token (and
nothing changed), sign-out, expiry and a revoked key ending a session on the server, a
planner seeing only their own runs, and each sign-in, refusal and sign-out audited."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from http.cookies import Morsel, SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from api.planner.sessions import SALT, SESSION_SECONDS
from api.service import db
from api.service.db_schema import SimulationJobRow
from tests.api.service.service_server import Server, database_for, start_server
from tests.conftest import small_scenario

SECRET = "planner-security-test-secret-0123456789"
LONG = {"scenario": "textbook_mmc", "replications": 200}
"""Minutes of work: still running when the test cancels it."""
WHATIF = {"policies": "separate", "replications": "1", "horizon_days": "60", "warmup_days": "0"}
SIGN_IN_FAILED_SV = "Okänd, återkallad eller felaktig nyckel"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("planner-security"),
        database_for(request.param),
        REMISS_PLANNER_SECRET=SECRET,
        REMISS_PLANNER_SIGN_IN_LIMIT="1000/minute",  # the limit has its own test
    )
    try:
        yield srv
    finally:
        srv.stop()


# --- helpers: a browser's requests, cookies, keys, the audit log ----------------------


def plain(srv: Server, **kw: Any) -> httpx.Client:
    """A client that keeps no cookies of its own (each request names its cookies)."""
    return httpx.Client(base_url=srv.url, timeout=30, follow_redirects=False, **kw)


def cookie_header(**cookies: str) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def set_cookies(response: httpx.Response) -> dict[str, Morsel[str]]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return dict(jar)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


class Browser:
    """A browser's cookies, set and sent as the server says (http, so no Secure ones)."""

    def __init__(self, srv: Server) -> None:
        self.http = httpx.Client(base_url=srv.url, timeout=30, follow_redirects=False)

    def token(self, path: str = "/planner/sign-in") -> str:
        page = self.http.get(path)
        assert page.status_code == 200, page.text[:300]
        return form_token(page.text)

    def sign_in(self, key: str) -> httpx.Response:
        return self.http.post("/planner/sign-in", data={"csrf": self.token(), "api_key": key})

    @property
    def session(self) -> str:
        return str(self.http.cookies.get("remiss_planner") or "")

    @property
    def csrf(self) -> str:
        return str(self.http.cookies.get("remiss_csrf") or "")


def signed_in(srv: Server, key: str) -> Browser:
    b = Browser(srv)
    r = b.sign_in(key)
    assert r.status_code == 303 and r.headers["location"] == "/planner/scenarios", r.text[:300]
    return b


def new_key(srv: Server, *roles: str) -> tuple[str, str]:
    """(id, key) of a new key made through the API."""
    with srv.client("admin") as c:
        r = c.post("/v1/keys", json={"roles": list(roles), "name": f"test {secrets.token_hex(3)}"})
        assert r.status_code == 201, r.text
        return str(r.json()["id"]), str(r.json()["key"])


def key_id_named(srv: Server, name: str) -> str:
    with srv.client("admin") as c:
        return next(str(k["id"]) for k in c.get("/v1/keys").json() if k["name"] == name)


def last_audit_id(srv: Server) -> int:
    rows = audit_after(srv, 0)
    return int(rows[-1]["id"]) if rows else 0


def audit_after(srv: Server, after: int) -> list[dict[str, Any]]:
    """Every audit row after the id ``after``, read through ``GET /v1/audit``."""
    rows: list[dict[str, Any]] = []
    with srv.client("auditor") as c:
        cursor: int | None = after
        while cursor is not None:
            page = c.get("/v1/audit", params={"after": cursor, "limit": 500}).json()
            rows.extend(page["rows"])
            cursor = page["next_after"]
    return rows


def planner_rows(srv: Server, after: int) -> list[tuple[str, str, Any, str]]:
    """(action, actor, detail status, detail reason) of the planner app's sign-in,
    sign-out and refusal rows after ``after``."""
    return [
        (r["action"], r["actor"], r["detail"].get("status"), r["detail"].get("reason", ""))
        for r in audit_after(srv, after)
        if r["action"].startswith("planner.")
        or (r["action"] == "access.refused" and r["detail"]["route"].startswith("/planner"))
    ]


def jobs_of(srv: Server, key_id: str) -> int:
    engine = db.make_engine(srv.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            count = select(func.count()).where(SimulationJobRow.actor == key_id)
            return int(conn.execute(count.select_from(SimulationJobRow)).scalar_one())
    finally:
        engine.dispose()


def wait_for(check: Any, seconds: float = 120) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not within {seconds} s")


def token_issued(key_id: str, at: float, secret: str = SECRET) -> str:
    """A session token as the server signs one, issued at the time ``at``."""

    class At(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(at)

    data = {"k": key_id, "s": secrets.token_urlsafe(16)}
    return str(URLSafeTimedSerializer(secret, SALT, signer=At).dumps(data))


def refused_to_sign_in_again(srv: Server, session: str) -> httpx.Response:
    """A page asked with ``session``: refused, to the sign-in page, the cookie deleted."""
    with plain(srv) as c:
        r = c.get("/planner/scenarios", headers=cookie_header(remiss_planner=session))
    assert r.status_code == 303, r.text[:300]
    assert r.headers["location"] == "/planner/sign-in?ended=1"
    gone = set_cookies(r)["remiss_planner"]
    assert gone.value == "" and gone["max-age"] == "0" and gone["path"] == "/planner"
    return r


# --- the cookie -------------------------------------------------------------------------


def assert_flags(cookie: Morsel[str], secure: bool) -> None:
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/planner"
    assert bool(cookie["secure"]) is secure


def test_the_session_cookie_is_httponly_strict_on_the_planner_path(server: Server) -> None:
    b = Browser(server)
    page = b.http.get("/planner/sign-in")
    assert_flags(set_cookies(page)["remiss_csrf"], secure=False)
    r = b.http.post(
        "/planner/sign-in", data={"csrf": form_token(page.text), "api_key": server.keys["planner"]}
    )
    assert r.status_code == 303
    session = set_cookies(r)["remiss_planner"]
    assert_flags(session, secure=False)
    assert session["max-age"] == str(SESSION_SECONDS) == "28800"
    assert server.keys["planner"] not in session.value  # the key id is signed in, not the key
    out = b.http.post("/planner/sign-out", data={"csrf": b.csrf})
    assert out.status_code == 303 and out.headers["location"] == "/planner/sign-in?out=1"
    deleted = set_cookies(out)["remiss_planner"]
    assert deleted["max-age"] == "0" and deleted.value == ""
    assert_flags(deleted, secure=False)


def test_the_cookies_are_secure_over_https(server: Server) -> None:
    """Behind a proxy on the same host that ends TLS (``X-Forwarded-Proto: https``,
    trusted from 127.0.0.1 as uvicorn does), both cookies are ``Secure``."""
    https = {"X-Forwarded-Proto": "https"}
    with plain(server, headers=https) as c:
        page = c.get("/planner/sign-in")
        csrf = set_cookies(page)["remiss_csrf"]
        assert_flags(csrf, secure=True)
        form = {"csrf": csrf.value, "api_key": server.keys["planner"]}
        r = c.post("/planner/sign-in", data=form, headers=cookie_header(remiss_csrf=csrf.value))
    assert r.status_code == 303, r.text[:300]
    assert_flags(set_cookies(r)["remiss_planner"], secure=True)


def test_the_setting_makes_the_cookies_secure_over_http(tmp_path: Path) -> None:
    srv = start_server(tmp_path, REMISS_PLANNER_SECURE_COOKIES="true")
    try:
        with plain(srv) as c:
            page = c.get("/planner/sign-in")
            csrf = set_cookies(page)["remiss_csrf"]
            form = {"csrf": csrf.value, "api_key": srv.keys["planner"]}
            r = c.post("/planner/sign-in", data=form, headers=cookie_header(remiss_csrf=csrf.value))
        assert_flags(csrf, secure=True)
        assert r.status_code == 303, r.text[:300]
        assert_flags(set_cookies(r)["remiss_planner"], secure=True)
    finally:
        srv.stop()


# --- signing in -------------------------------------------------------------------------


def test_a_wrong_or_non_planner_key_gets_no_cookie_and_is_audited(server: Server) -> None:
    revoked_id, revoked = new_key(server, "planner")
    with server.client("admin") as c:
        assert c.delete(f"/v1/keys/{revoked_id}").status_code == 200
    portal_id = key_id_named(server, "test portal")
    before = last_audit_id(server)
    tries = [
        ("rk_" + "x" * 40, "", "unknown key"),
        ("", "", "unknown key"),
        ("k" * 201, "", "unknown key"),
        (server.keys["portal"], portal_id, "no planner role"),
        (server.keys["admin"], key_id_named(server, "test admin"), "no planner role"),
        (revoked, revoked_id, "revoked key"),
    ]
    for key, _, _ in tries:
        b = Browser(server)
        r = b.sign_in(key)
        assert r.status_code == 401, r.text[:300]
        assert "remiss_planner" not in set_cookies(r)
        assert SIGN_IN_FAILED_SV in r.text
        assert b.http.get("/planner/scenarios").headers["location"] == "/planner/sign-in"
    rows = planner_rows(server, before)
    assert rows == [("planner.sign_in_refused", kid, 401, why) for _, kid, why in tries]

    planner_id = key_id_named(server, "test planner")
    signed_in(server, server.keys["planner"])
    assert planner_rows(server, before)[len(tries) :] == [("planner.sign_in", planner_id, None, "")]


# --- CSRF -------------------------------------------------------------------------------


def forged_posts(srv: Server, b: Browser, path: str, data: dict[str, str]) -> list[httpx.Response]:
    """``path`` posted with ``data`` as a forged form would be: no token, a wrong one,
    another browser's real one, and the right one without its cookie."""
    other = Browser(srv).token()
    sends = [
        ({}, {"remiss_planner": b.session, "remiss_csrf": b.csrf}),
        ({"csrf": secrets.token_urlsafe(32)}, {"remiss_planner": b.session, "remiss_csrf": b.csrf}),
        ({"csrf": other}, {"remiss_planner": b.session, "remiss_csrf": b.csrf}),
        ({"csrf": b.csrf}, {"remiss_planner": b.session}),
    ]
    with plain(srv) as c:
        return [
            c.post(path, data={**data, **token}, headers=cookie_header(**cookies))
            for token, cookies in sends
        ]


def test_every_form_refuses_a_missing_or_wrong_csrf_token(server: Server) -> None:
    planner_id, key = new_key(server, "planner")
    b = signed_in(server, key)
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30) as api:
        started = api.post("/v1/simulations", json=LONG)
        assert started.status_code == 202, started.text
        job = started.json()["id"]
    jobs = jobs_of(server, planner_id)
    before = last_audit_id(server)
    routes = {
        "/planner/scenarios/gallsten/runs": ("/planner/scenarios/{name}/runs", WHATIF),
        f"/planner/runs/{job}/cancel": ("/planner/runs/{job_id}/cancel", {}),
        "/planner/sign-out": ("/planner/sign-out", {}),
    }
    for path, (_, data) in routes.items():
        for r in forged_posts(server, b, path, data):
            assert r.status_code == 403, (path, r.status_code, r.text[:300])
            assert "Formuläret kunde inte verifieras (CSRF)" in r.text, path
    # nothing changed: no run started, the run not cancelled, the session not ended
    assert jobs_of(server, planner_id) == jobs == 1
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30) as api:
        assert api.get(f"/v1/simulations/{job}").json()["state"] in ("queued", "running")
    assert b.http.get("/planner/scenarios").status_code == 200
    rows = planner_rows(server, before)
    expected = [
        ("access.refused", planner_id, 403, "csrf token mismatch") for _ in routes for _ in range(4)
    ]
    assert rows == expected
    templates = [
        r["detail"]["route"] for r in audit_after(server, before) if r["action"] == "access.refused"
    ]
    assert templates == [t for t, _ in routes.values() for _ in range(4)]

    # signing in is a form too
    before = last_audit_id(server)
    for r in forged_posts(server, Browser(server), "/planner/sign-in", {"api_key": key}):
        assert r.status_code == 403 and "remiss_planner" not in set_cookies(r)
    assert (
        planner_rows(server, before)
        == [("planner.sign_in_refused", "", 403, "csrf token mismatch")] * 4
    )

    # with the right token each form does its work
    cancel = b.http.post(f"/planner/runs/{job}/cancel", data={"csrf": b.csrf})
    assert cancel.status_code == 303
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30) as api:
        assert api.get(f"/v1/simulations/{job}").json()["state"] == "cancelled"
    # compare only reads: there is no form that posts to it
    assert b.http.post("/planner/compare", data={"csrf": b.csrf}).status_code == 405


# --- the session ends on the server -----------------------------------------------------


def test_sign_out_ends_the_session_on_the_server(server: Server) -> None:
    planner_id, key = new_key(server, "planner")
    b = signed_in(server, key)
    old = b.session
    before = last_audit_id(server)
    out = b.http.post("/planner/sign-out", data={"csrf": b.csrf})
    assert out.status_code == 303
    refused_to_sign_in_again(server, old)  # the cookie a browser might have kept
    with plain(server) as c:
        progress = c.get("/planner/runs", headers=cookie_header(remiss_planner=old))
        assert progress.headers["location"] == "/planner/sign-in?ended=1"
    assert planner_rows(server, before) == [
        ("planner.sign_out", planner_id, None, ""),
        ("access.refused", planner_id, 303, "signed out"),
        ("access.refused", planner_id, 303, "signed out"),
    ]
    signed_in(server, key)  # the key itself goes on working


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_sign_out_holds_after_a_restart(kind: str, tmp_path: Path) -> None:
    """The sign-out is on record in the database, not in the process: after a restart
    (the same secret) the signed-out cookie is still refused and a live one still holds."""
    srv = start_server(tmp_path, database_for(kind), REMISS_PLANNER_SECRET=SECRET)
    try:
        _, key = new_key(srv, "planner")
        gone, kept = signed_in(srv, key), signed_in(srv, key)
        old = gone.session
        assert gone.http.post("/planner/sign-out", data={"csrf": gone.csrf}).status_code == 303
        srv.kill()
        srv.start()
        refused_to_sign_in_again(srv, old)
        assert kept.http.get("/planner/runs").status_code == 200
    finally:
        srv.stop()


def test_an_expired_or_forged_session_is_refused(server: Server) -> None:
    planner_id = key_id_named(server, "test planner")
    now = time.time()
    with plain(server) as c:
        fresh = token_issued(planner_id, now - SESSION_SECONDS + 120)
        r = c.get("/planner/scenarios", headers=cookie_header(remiss_planner=fresh))
        assert r.status_code == 200  # within its 8 hours
    before = last_audit_id(server)
    expired = token_issued(planner_id, now - SESSION_SECONDS - 120)
    refused_to_sign_in_again(server, expired)
    other_secret = token_issued(planner_id, now, secret="another-secret-" + "y" * 20)
    refused_to_sign_in_again(server, other_secret)
    tampered = fresh[:-3] + ("AAA" if not fresh.endswith("AAA") else "BBB")
    refused_to_sign_in_again(server, tampered)
    assert planner_rows(server, before) == [
        ("access.refused", planner_id, 303, "session expired"),
        ("access.refused", "", 303, "bad session token"),
        ("access.refused", "", 303, "bad session token"),
    ]
    page = httpx.get(f"{server.url}/planner/sign-in?ended=1")
    assert "Sessionen har gått ut eller nyckeln har återkallats" in page.text


def test_a_revoked_key_ends_its_sessions(server: Server) -> None:
    planner_id, key = new_key(server, "planner")
    b = signed_in(server, key)
    assert b.http.get("/planner/runs").status_code == 200
    with server.client("admin") as c:
        assert c.delete(f"/v1/keys/{planner_id}").status_code == 200
    before = last_audit_id(server)
    refused_to_sign_in_again(server, b.session)
    assert planner_rows(server, before) == [("access.refused", planner_id, 303, "revoked key")]


# --- runs: only one's own, and their downloads ------------------------------------------


def leaves(document: dict[str, Any]) -> dict[tuple[Any, ...], tuple[Any, Any, Any]]:
    """Every KPI estimate of a result document by (policy, stage, breakdown, group,
    kpi): its mean and interval, read from the JSON as written."""
    found: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}
    for policy, p in document["policies"].items():
        for stage, kpis in p["kpis"].items():
            for name, e in kpis.items():
                if name == "by_priority":
                    for group, gk in e.items():
                        for gname, ge in gk.items():
                            found[(policy, stage, "priority", group, gname)] = (
                                ge["mean"],
                                *ge["ci95"],
                            )
                else:
                    found[(policy, stage, "all", None, name)] = (e["mean"], *e["ci95"])
        for breakdown in ("unit", "area", "subregion"):
            for group, stages in p[f"by_{breakdown}"].items():
                for stage, kpis in stages.items():
                    for name, e in kpis.items():
                        found[(policy, stage, breakdown, group, name)] = (e["mean"], *e["ci95"])
    return found


@pytest.fixture(scope="module")
def finished_run(server: Server) -> tuple[str, str]:
    """(the owner's key, the id) of a finished two-policy run of the small scenario."""
    _, owner_key = new_key(server, "planner")
    body = {"scenario": small_scenario(), "policies": ["separate", "shared"], "replications": 2}
    with httpx.Client(base_url=server.url, headers={"X-API-Key": owner_key}, timeout=30) as api:
        job = str(api.post("/v1/simulations", json=body).json()["id"])
        wait_for(lambda: api.get(f"/v1/simulations/{job}").json()["state"] == "done")
    return owner_key, job


def test_a_planner_sees_only_their_own_runs(server: Server, finished_run: tuple[str, str]) -> None:
    owner_key, job = finished_run
    _, other_key = new_key(server, "planner")
    owner, other = signed_in(server, owner_key), signed_in(server, other_key)
    for path in ("", "/progress", "/result.json", "/result.parquet", "/report"):
        assert other.http.get(f"/planner/runs/{job}{path}").status_code == 404, path
        assert owner.http.get(f"/planner/runs/{job}{path}").status_code == 200, path
    cancel = other.http.post(f"/planner/runs/{job}/cancel", data={"csrf": other.csrf})
    assert cancel.status_code == 404
    assert job not in other.http.get("/planner/runs").text
    assert job in owner.http.get("/planner/runs").text
    compared = other.http.get("/planner/compare", params={"a": job, "b": job})
    assert "Välj två klara körningar." in compared.text and "B − A" not in compared.text


def test_the_parquet_download_holds_the_json_documents_kpis(
    server: Server, finished_run: tuple[str, str]
) -> None:
    import pyarrow.parquet as pq

    owner_key, job = finished_run
    owner = signed_in(server, owner_key)
    page = owner.http.get(f"/planner/runs/{job}")
    assert f'href="/planner/runs/{job}/result.parquet"' in page.text
    assert "Nyckeltalen som Parquet-tabell" in page.text
    english = owner.http.get(f"/planner/runs/{job}", params={"lang": "en"})
    assert "The KPIs as a Parquet table" in english.text

    document = owner.http.get(f"/planner/runs/{job}/result.json").json()
    download = owner.http.get(f"/planner/runs/{job}/result.parquet")
    assert download.headers["content-disposition"] == f'attachment; filename="remiss-{job}.parquet"'
    path = Path(server.workdir) / "result.parquet"
    path.write_bytes(download.content)
    table = pq.read_table(path)
    assert table.column_names == [
        "scenario",
        "seed",
        "replications",
        "policy",
        "stage",
        "breakdown",
        "group",
        "kpi",
        "mean",
        "ci95_low",
        "ci95_high",
    ]
    rows = table.to_pylist()
    expected = leaves(document)
    got = {
        (r["policy"], r["stage"], r["breakdown"], r["group"], r["kpi"]): (
            r["mean"],
            r["ci95_low"],
            r["ci95_high"],
        )
        for r in rows
    }
    assert len(got) == len(rows) == len(expected) > 100
    assert got == expected
    assert {(r["scenario"], r["seed"], r["replications"]) for r in rows} == {
        (document["scenario"], document["seed"], document["replications"])
    }
    assert {r["policy"] for r in rows} == {"separate", "shared"}
    assert {r["breakdown"] for r in rows} == {"all", "priority", "unit", "area", "subregion"}


# --- the sign-in rate limit -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_failed_sign_ins_from_one_address_are_limited(kind: str, tmp_path: Path) -> None:
    """The default limit: 10 failed sign-ins per address in 5 minutes, then 429 with
    Retry-After for every sign-in from that address (the right key too), audited; another
    address signs in as before."""
    srv = start_server(tmp_path, database_for(kind))
    try:
        before = last_audit_id(srv)
        b = Browser(srv)
        for _ in range(10):
            assert b.sign_in("rk_wrong_" + secrets.token_hex(8)).status_code == 401
        limited = b.sign_in(srv.keys["planner"])
        assert limited.status_code == 429, limited.text[:300]
        assert 240 <= int(limited.headers["Retry-After"]) <= 300
        assert "remiss_planner" not in set_cookies(limited)
        minutes = -(-int(limited.headers["Retry-After"]) // 60)
        assert (
            "För många misslyckade inloggningar från den här adressen. "
            f"Försök igen om {minutes} min." in limited.text
        )
        form = {"csrf": b.csrf, "api_key": srv.keys["planner"]}
        english = b.http.post("/planner/sign-in?lang=en", data=form)
        assert english.status_code == 429
        assert "Too many failed sign-ins from this address." in english.text
        assert planner_rows(srv, before) == [
            *[("planner.sign_in_refused", "", 401, "unknown key")] * 10,
            *[("planner.sign_in_refused", "", 429, "too many failed sign-ins")] * 2,
        ]
        # another address: 127.0.0.2 reaches the server on 127.0.0.1 over the loopback
        elsewhere = Browser(srv)
        elsewhere.http = httpx.Client(
            base_url=srv.url,
            timeout=30,
            transport=httpx.HTTPTransport(local_address="127.0.0.2"),
        )
        assert elsewhere.sign_in(srv.keys["planner"]).status_code == 303
        # the API's own limits are not this one's: the blocked address still uses its key
        with srv.client("planner") as api:
            assert api.get("/v1/scenarios").status_code == 200
    finally:
        srv.stop()
