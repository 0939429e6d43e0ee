"""The planner app in a real browser (Debian's Chromium) against a real ``remiss serve``
on SQLite: a planner signs in, opens gallsten, runs two policies, changes a capacity,
runs again, watches the progress, opens the results and compares the two runs; a forged
form and too many failed sign-ins are refused; a forecast of the live queue is started
from its form and followed to its breach worklist. Every page: no console error, no serious
or critical axe-core violation, a screenshot kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.planner.browser import axe_violations, console_errors, navigate, screenshot
from tests.api.planner.test_forecasts import OVERDUE, SPECIALTY, write_queue
from tests.api.service.service_server import Server, start_server
from tests.chromium import HAVE_CHROMIUM, NO_CHROMIUM, chromium

pytestmark = pytest.mark.skipif(not HAVE_CHROMIUM, reason=NO_CHROMIUM)
RUN = {"replications": "3", "horizon_days": "150", "warmup_days": "0"}
CAPACITY = "f-cap__su_ostra__first_visit"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path)
    try:
        with srv.client("all", timeout=60) as client:
            write_queue(client)  # a live queue with history, for the forecast
        yield srv
    finally:
        srv.stop()


def check_page(driver: Any, name: str, shots: list[Path]) -> None:
    """No console error, no serious axe violation, the lang attribute set, one h1;
    then the screenshot."""
    assert console_errors(driver) == [], name
    assert driver.execute_script("return document.documentElement.lang") in ("sv", "en")
    assert len(driver.find_elements("css selector", "h1")) == 1, name
    violations = axe_violations(driver)
    assert violations == [], (name, violations)
    shots.append(screenshot(driver, name))


def fill_run(driver: Any, capacity: str | None = None) -> None:
    """Choose separate and shared, a short run, and maybe a capacity; submit."""
    for box in driver.find_elements("css selector", "input[name=policies]"):
        if box.is_selected() != (box.get_attribute("value") in ("separate", "shared")):
            box.click()
    for name, value in RUN.items():
        field = driver.find_element("id", f"f-{name}")
        field.clear()
        field.send_keys(value)
    if capacity is not None:
        field = driver.find_element("id", CAPACITY)
        field.clear()
        field.send_keys(capacity)
    navigate(driver, driver.find_element("css selector", "#whatif ~ form button[type=submit]"))


def watch_until_done(driver: Any) -> list[str]:
    """The states the page showed while the run went on, until its results show."""
    return watch_until(driver, "results-h")


def watch_until(driver: Any, element: str) -> list[str]:
    """The states the page showed while its job went on, until ``element`` shows."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    seen: list[str] = []

    def finished(d: Any) -> bool:
        # ``element`` first: it is only on the ended job's page, which does not reload
        # again, so the state read after it is that page's final one (read before it, the
        # state could be the old page's, just before the reload)
        done = bool(d.find_elements("id", element))
        found = d.find_elements("id", "run-state")
        if found:
            text = found[0].text
            if not seen or seen[-1] != text:
                seen.append(text)
        return done

    # the page reloads itself when the run ends: a state read just as the old page goes
    # is a stale element, read again at the next poll
    wait = WebDriverWait(
        driver, 180, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException]
    )
    wait.until(finished)
    return seen


def sign_in(driver: Any, server: Server, shots: list[Path]) -> None:
    driver.get(f"{server.url}/planner/")
    assert driver.current_url.endswith("/planner/sign-in")
    check_page(driver, "01-sign-in", shots)
    driver.find_element("id", "api_key").send_keys(server.keys["planner"])
    navigate(driver, driver.find_element("css selector", "form.card button[type=submit]"))
    assert driver.current_url.endswith("/planner/scenarios")
    check_page(driver, "02-library", shots)


def run_twice(driver: Any, server: Server, shots: list[Path]) -> None:
    """An earlier run as the library has it, then one with more capacity."""
    navigate(driver, driver.find_element("link text", "Gallstensoperationer i VGR — koncepttest 1"))
    assert "/planner/scenarios/gallsten" in driver.current_url
    assert driver.find_element("id", CAPACITY).get_attribute("value") == "31"
    about = driver.find_element("css selector", "#about ~ p[lang=sv]").text
    assert about.startswith("Gallstenssjukdom inom allmänkirurgin"), about  # description_sv
    check_page(driver, "03-scenario-gallsten", shots)
    fill_run(driver)
    seen = watch_until_done(driver)
    assert seen[-1] == "klar", seen
    check_page(driver, "04-run-earlier-results", shots)
    driver.get(f"{server.url}/planner/scenarios/gallsten")
    fill_run(driver, capacity="-4")  # refused beside its field, as the schema says
    error = driver.find_element("id", "e-cap__su_ostra__first_visit")
    assert "greater than or equal to 0" in error.text
    assert driver.find_element("id", CAPACITY).get_attribute("aria-invalid") == "true"
    console_errors(driver)  # the 422 of the refused form is the point, not an error
    check_page(driver, "05-whatif-error-beside-field", shots)
    fill_run(driver, capacity="40")
    assert driver.find_elements("id", "run-bar"), driver.find_element("tag name", "main").text[:800]
    days = driver.find_element("id", "run-days").text  # 3 × 2 policies × 150 days
    assert days.endswith(" av 900 simulerade dagar"), days
    check_page(driver, "06-run-progress", shots)
    seen = watch_until_done(driver)
    assert seen[-1] == "klar", seen
    changes = driver.find_element("tag name", "main").text
    assert "units[su_ostra].first_visit.slots_per_week=40" in changes
    tables = driver.find_elements("css selector", "#results-h ~ .scroll table")
    assert len(tables) >= 4  # two stages, priority groups, paired differences
    assert "Väntande ≤ 90 d" in driver.find_element("tag name", "main").text
    check_page(driver, "07-run-results", shots)


def compare_and_browse(driver: Any, server: Server, shots: list[Path]) -> None:
    navigate(driver, driver.find_element("css selector", "#cmp-h ~ form button[type=submit]"))
    assert "/planner/compare?" in driver.current_url
    note = driver.find_element("id", "seed-note").text
    assert note.startswith("Körningarna delar frö"), note
    text = driver.find_element("tag name", "main").text
    assert "B − A" in text and "Körning A" in text
    check_page(driver, "08-compare", shots)
    navigate(driver, driver.find_element("link text", "Körningar"))
    rows = driver.find_elements("css selector", "main tbody tr")
    assert len(rows) == 2
    check_page(driver, "09-runs", shots)
    navigate(driver, driver.find_element("link text", "Kön just nu"))
    assert driver.find_element("id", "forecast-h")
    check_page(driver, "10-queue", shots)
    forecast(driver, shots)
    navigate(driver, driver.find_element("link text", "Kön just nu"))
    navigate(driver, driver.find_element("css selector", "a[lang=en]"))
    assert driver.execute_script("return document.documentElement.lang") == "en"
    assert driver.find_element("tag name", "h1").text == "The live queue"
    check_page(driver, "12-queue-english", shots)


def forecast(driver: Any, shots: list[Path]) -> None:
    """A six-week forecast of the live queue from its form, followed to its worklist."""
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", "f-specialty")).select_by_value(SPECIALTY)
    for name, value in (("weeks", "6"), ("replications", "3")):
        field = driver.find_element("id", f"f-{name}")
        field.clear()
        field.send_keys(value)
    navigate(driver, driver.find_element("css selector", "#forecast-form button[type=submit]"))
    assert "/planner/forecasts/" in driver.current_url
    watch_until(driver, "worklist-h")
    rows = driver.find_elements("css selector", "#worklist-h ~ div tbody th")
    assert {r.text for r in rows} >= set(OVERDUE)
    check_page(driver, "11-forecast", shots)


def forged_sign_out(driver: Any, shots: list[Path]) -> None:
    """The sign-out form with its CSRF token changed, as a forged one: the 403 page,
    still signed in."""
    driver.execute_script("document.querySelector('header form input[name=csrf]').value = 'x'")
    navigate(driver, driver.find_element("css selector", "header form button"))
    assert driver.find_element("tag name", "h1").text == "The form was refused"
    console_errors(driver)  # the 403 is the point, not an error
    check_page(driver, "13-forged-form-refused", shots)
    navigate(driver, driver.find_element("link text", "Back"))
    assert driver.current_url.endswith("/planner/scenarios")


def sign_in_limited(driver: Any, shots: list[Path]) -> None:
    """Ten wrong keys, then the eleventh sign-in from this address is refused (429)."""
    for i in range(11):
        driver.find_element("id", "api_key").send_keys(f"rk_wrong_{i}")
        navigate(driver, driver.find_element("css selector", "form.card button[type=submit]"))
    alert = driver.find_element("css selector", "main p.error").text
    assert alert.startswith("Too many failed sign-ins from this address."), alert
    console_errors(driver)  # the 401s and the 429 are the point
    check_page(driver, "14-sign-in-limited", shots)


def test_planner_flow_in_chromium(server: Server) -> None:
    shots: list[Path] = []
    with chromium() as driver:
        sign_in(driver, server, shots)
        run_twice(driver, server, shots)
        compare_and_browse(driver, server, shots)
        forged_sign_out(driver, shots)
        navigate(driver, driver.find_element("css selector", "header form button"))
        assert "/planner/sign-in" in driver.current_url
        driver.get(f"{server.url}/planner/runs")
        assert "/planner/sign-in" in driver.current_url  # signed out: no way back in
        sign_in_limited(driver, shots)
    assert len(shots) == 14
    assert all(p.stat().st_size > 5_000 for p in shots)
