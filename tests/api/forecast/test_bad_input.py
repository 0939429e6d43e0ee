"""Bad input to a forecast: one line naming what is missing, exit 2 on the command line
and a 422 naming the field from ``POST /v1/forecasts`` — an unknown specialty or stage,
a unit with no capacity calendar, history too short for a rate without an override, a
date in the future or before the first record. A real service holds two weeks of
history (written over HTTP with business dates)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.service.weeks import today
from tests.api.service.service_server import Server, start_server

FIRST = today() - dt.timedelta(days=14)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Units ``u_a`` (gallsten and ogon capacity) and ``u_b`` (none); 30 gallsten
    referrals over the last two weeks at ``u_a``, one ogon referral at ``u_b``."""
    srv = start_server(tmp_path_factory.mktemp("bad-input"))
    try:
        with srv.client("all") as c:
            for uid, lat in (("u_a", 57.7), ("u_b", 58.3)):
                unit = {"name": uid, "hospital_group": "SU", "lat": lat, "lon": 12.0}
                c.put(f"/v1/units/{uid}", json=unit).raise_for_status()
            for spec in ("gallsten", "ogon"):
                cap = {
                    "specialty": spec,
                    "stage": "first_visit",
                    "from_week": FIRST.isoformat(),
                    "slots_per_week": 5,
                }
                c.put("/v1/units/u_a/capacity", json=cap).raise_for_status()
            for i in range(30):
                day = (FIRST + dt.timedelta(days=i % 14)).isoformat()
                c.post(
                    "/v1/referrals",
                    json={
                        "referral_id": f"b-{i}",
                        "specialty": "gallsten",
                        "area": "1480",
                        "clock_start": day,
                        "home_unit": "u_a",
                        "on": day,
                    },
                ).raise_for_status()
            c.post(
                "/v1/referrals",
                json={
                    "referral_id": "o-1",
                    "specialty": "ogon",
                    "area": "1480",
                    "clock_start": FIRST.isoformat(),
                    "home_unit": "u_b",
                    "on": FIRST.isoformat(),
                },
            ).raise_for_status()
        yield srv
    finally:
        srv.stop()


def forecast(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "forecast",
            "--database-url",
            server.database_url,
            "--weeks",
            "2",
            "--replications",
            "2",
            *args,
        ],
        capture_output=True,
        text=True,
    )


def one_error_line(res: subprocess.CompletedProcess[str], *words: str) -> None:
    assert res.returncode == 2, res.stdout + res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    for w in words:
        assert w in lines[0], lines[0]


GALLSTEN = ("--specialty", "gallsten", "--stage", "first_visit")
RATES = (
    "--set",
    "demand.referrals_per_week={'1480': 15}",
    "--set",
    "pathway.assessment.returned_share=0.0",
    "--set",
    "behaviour.no_show_share=0.02",
    "--set",
    "behaviour.withdrawal_share_per_year=0.1",
)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--specialty", "hjarta", "--stage", "first_visit"), ("specialty", "hjarta", "gallsten")),
        (
            ("--specialty", "gallsten", "--stage", "operation"),
            ("stage", "operation", "first_visit"),
        ),
        (("--specialty", "ogon", "--stage", "first_visit"), ("units.u_b", "capacity calendar")),
        (GALLSTEN, ("demand.referrals_per_week", "weeks of history", "--set")),
        ((*GALLSTEN, "--as-of", (today() + dt.timedelta(days=3)).isoformat()), ("as_of", "future")),
        (
            (*GALLSTEN, "--as-of", (FIRST - dt.timedelta(days=1)).isoformat()),
            ("as_of", "before the first record", FIRST.isoformat()),
        ),
        ((*GALLSTEN, "--weeks", "53"), ("weeks", "53", "1..52")),
        (
            (*GALLSTEN, *RATES, "--set", "units[u_a].first_visit.slots_per_week=-3"),
            ("slots_per_week",),
        ),
    ],
    ids=[
        "specialty",
        "stage",
        "no-calendar",
        "short-history",
        "future",
        "before-first",
        "weeks",
        "bad-set",
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    server: Server, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    one_error_line(forecast(server, *args), *words)


def test_overrides_stand_in_for_rates_the_history_cannot_give(
    server: Server, tmp_path: Path
) -> None:
    snap = tmp_path / "snap.yaml"
    res = forecast(server, *GALLSTEN, *RATES, "--snapshot-out", str(snap))
    assert res.returncode == 0, res.stderr
    text = snap.read_text()
    assert "waiting_list" in text and "from: override" in text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"specialty": "hjarta", "stage": "first_visit"}, "body.specialty"),
        ({"specialty": "gallsten", "stage": "operation"}, "body.stage"),
        ({"specialty": "ogon", "stage": "first_visit"}, "body.units.u_b"),
        ({"specialty": "gallsten", "stage": "first_visit"}, "body.demand.referrals_per_week"),
        ({"specialty": "gallsten", "stage": "first_visit", "weeks": 53}, "body.weeks"),
        (
            {"specialty": "gallsten", "stage": "first_visit", "replications": 5000},
            "body.replications",
        ),
        (
            {"specialty": "gallsten", "stage": "first_visit", "policies": ["nope"]},
            "body.policies.0",
        ),
        (
            {
                "specialty": "gallsten",
                "stage": "first_visit",
                "as_of": (today() + dt.timedelta(days=3)).isoformat(),
            },
            "body.as_of",
        ),
    ],
    ids=[
        "specialty",
        "stage",
        "no-calendar",
        "short-history",
        "weeks",
        "replications",
        "policy",
        "future",
    ],
)
def test_bad_forecast_requests_are_422_naming_the_field(
    server: Server, body: dict[str, object], field: str
) -> None:
    with server.client("planner") as c:
        res = c.post("/v1/forecasts", json=body)
    assert res.status_code == 422, res.text
    assert field in res.text, res.text


def test_forecasts_are_for_planners(server: Server) -> None:
    with server.client("portal") as c:
        res = c.post("/v1/forecasts", json={"specialty": "gallsten", "stage": "first_visit"})
    assert res.status_code == 403
