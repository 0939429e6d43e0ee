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
from tests.api.forecast.small_queue import FIRST, RATE_SETS, RATES, write_small_queue
from tests.api.service.service_server import Server, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The small queue of :mod:`tests.api.forecast.small_queue`."""
    srv = start_server(tmp_path_factory.mktemp("bad-input"))
    try:
        with srv.client("all") as c:
            write_small_queue(c)
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


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--specialty", "hjarta", "--stage", "first_visit"), ("specialty", "hjarta", "gallsten")),
        (
            ("--specialty", "gallsten", "--stage", "operation"),
            ("stage", "operation", "first_visit"),
        ),
        (
            ("--specialty", "gallsten", "--stage", "treatment"),
            ("stage", "no treatment referrals", "gallsten"),
        ),
        (("--specialty", "ogon", "--stage", "first_visit"), ("units.u_b", "capacity calendar")),
        (("--specialty", "hud", "--stage", "first_visit"), ("units", "no unit", "hud")),
        (GALLSTEN, ("demand.referrals_per_week", "weeks of history", "--set")),
        (
            (*GALLSTEN, *RATES[:6]),
            ("behaviour.withdrawal_share_per_year", "cannot be estimated", "--set"),
        ),
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
        "stage-without-referrals",
        "no-calendar",
        "no-calendar-anywhere",
        "short-history",
        "short-history-share",
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


GALLSTEN_BODY = {"specialty": "gallsten", "stage": "first_visit"}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"specialty": "hjarta", "stage": "first_visit"}, "body.specialty", ("hjarta",)),
        ({"specialty": "gallsten", "stage": "operation"}, "body.stage", ("first_visit",)),
        (
            {"specialty": "gallsten", "stage": "treatment"},
            "body.stage",
            ("no treatment referrals",),
        ),
        ({"specialty": "ogon", "stage": "first_visit"}, "body.units.u_b", ("capacity calendar",)),
        ({"specialty": "hud", "stage": "first_visit"}, "body.units", ("no unit",)),
        (GALLSTEN_BODY, "body.demand.referrals_per_week", ("weeks of history",)),
        (
            {**GALLSTEN_BODY, "set": list(RATE_SETS[:3])},
            "body.behaviour.withdrawal_share_per_year",
            ("cannot be estimated",),
        ),
        ({**GALLSTEN_BODY, "weeks": 53}, "body.weeks", ("52",)),
        ({**GALLSTEN_BODY, "replications": 5000}, "body.replications", ("1000",)),
        ({**GALLSTEN_BODY, "policies": ["nope"]}, "body.policies.0", ("unknown policy", "shared")),
        (
            {**GALLSTEN_BODY, "as_of": (today() + dt.timedelta(days=3)).isoformat()},
            "body.as_of",
            ("in the future",),
        ),
        (
            {**GALLSTEN_BODY, "as_of": (FIRST - dt.timedelta(days=1)).isoformat()},
            "body.as_of",
            ("before the first record", FIRST.isoformat()),
        ),
        (
            {**GALLSTEN_BODY, "set": [*RATE_SETS, "units[u_a].first_visit.slots_per_week=-3"]},
            "slots_per_week",
            (),
        ),
    ],
    ids=[
        "specialty",
        "stage",
        "stage-without-referrals",
        "no-calendar",
        "no-calendar-anywhere",
        "short-history",
        "short-history-share",
        "weeks",
        "replications",
        "policy",
        "future",
        "before-first",
        "bad-set",
    ],
)
def test_bad_forecast_requests_are_422_naming_the_field(
    server: Server, body: dict[str, object], field: str, words: tuple[str, ...]
) -> None:
    with server.client("planner") as c:
        res = c.post("/v1/forecasts", json=body)
        listed = c.get("/v1/forecasts")
    assert res.status_code == 422, res.text
    detail = res.json()["detail"]
    assert "\n" not in detail and field in detail, detail
    for w in words:
        assert w in detail, (w, detail)
    assert listed.json() == {"forecasts": []}  # nothing was queued


def test_forecasts_are_for_planners(server: Server) -> None:
    with server.client("portal") as c:
        res = c.post("/v1/forecasts", json={"specialty": "gallsten", "stage": "first_visit"})
    assert res.status_code == 403
