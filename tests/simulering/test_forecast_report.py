"""The Swedish forecast report: every section, the fan charts, the worklist and the
estimates table, rendered in headless Chromium without script errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from simulering.report.forecast_page import render_forecast, render_forecast_report
from tests.chromium import HAVE_CHROMIUM, NO_CHROMIUM, chromium
from tests.simulering.test_forecast import ESTIMATED, forecast, scenario
from tests.simulering.test_report import ARTIFACTS

ESTIMATES = {
    "arrivals_per_week.a1": {"value": 5.0, "from": "history", "weeks_of_history": 26, "n": 130}
}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return forecast(scenario(1.0, forecast_estimates=ESTIMATES), replications=5)


def test_every_section_and_table(doc: dict[str, Any]) -> None:
    text = render_forecast(doc)
    assert text.startswith("<!DOCTYPE html>") and "<html lang='sv'>" in text
    for anchor in (
        "summary",
        "queue",
        "breaches",
        "queue-units",
        "breaches-units",
        "share",
        "worklist-separate",
        "worklist-shared",
        "estimates",
    ):
        assert f"<section id='{anchor}'>" in text, anchor
    assert len(re.findall(r'class="plotly-graph-div"', text)) == 4
    listed = doc["policies"]["shared"]["worklist"]
    assert listed and all(w["referral_id"] in text for w in listed)
    assert "arrivals_per_week.a1" in text and ">130<" in text
    assert "Gemensam kö" in text and "Separata köer" in text
    assert "Väntande per vecka, hela regionen" in text


def test_the_bands_are_prediction_intervals_and_say_what_they_include(
    doc: dict[str, Any],
) -> None:
    assert "95 %-prognosintervall" in render_forecast(doc)
    assert "konfidensintervall" not in render_forecast(doc)
    assert "osäkerheten i den skattade ankomsttakten" not in render_forecast(doc)
    estimated = forecast(scenario(1.0, forecast_estimates=ESTIMATED), replications=3)
    assert "osäkerheten i den skattade ankomsttakten" in render_forecast(estimated)


def test_only_swedish_is_offered(doc: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="lang: 'en'"):
        render_forecast(doc, lang="en")


@pytest.mark.skipif(not HAVE_CHROMIUM, reason=NO_CHROMIUM)
def test_forecast_report_renders_in_headless_chromium(doc: dict[str, Any], tmp_path: Path) -> None:
    pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.support.ui import WebDriverWait

    path = tmp_path / "prognos.html"
    render_forecast_report(doc, path)
    with chromium() as driver:
        driver.get(path.as_uri())
        rendered = (
            "return Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".filter(d => d.querySelector('svg.main-svg')).length"
        )
        WebDriverWait(driver, 60).until(lambda d: d.execute_script(rendered) >= 4)
        traces = driver.execute_script(
            "return Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".map(d => d.querySelectorAll('.scatterlayer .trace').length)"
        )
        assert traces[:2] == [4, 4]  # two policies: a band and a mean line each
        assert traces[2] == traces[3] == 3 * 4  # three units, each with both fans
        assert driver.execute_script("return window.__errors") == []
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
        rows = driver.execute_script(
            "return document.querySelectorAll('#worklist-shared table.worklist tbody tr').length"
        )
        assert rows == len(doc["policies"]["shared"]["worklist"])
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(int(height) + 100, 16000))
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "forecast_report.png"
        assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
