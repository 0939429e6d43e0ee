"""Debian's Chromium driven by Selenium for the planner app's browser tests: a headless
driver that records console errors, runs axe-core in the page and saves screenshots.

Screenshots go to ``REMISS_TEST_ARTEFACTS`` (default ``tests/artifacts/planner``, beside
the report test's screenshot), one PNG per page, named by step.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
ARTEFACTS = Path(
    os.environ.get("REMISS_TEST_ARTEFACTS")
    or Path(__file__).resolve().parents[2] / "artifacts" / "planner"
)


def navigate(driver: Any, element: Any) -> None:
    """Click a link or submit button and wait until the next page has loaded: a click
    only starts the navigation, and on a loaded machine the old page may still be there
    when the test looks for the new one."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element("tag name", "html")
    element.click()
    wait = WebDriverWait(driver, 30, poll_frequency=0.1)
    wait.until(expected_conditions.staleness_of(page))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def console_errors(driver: Any) -> list[str]:
    """Severe console entries and uncaught script errors since the last call."""
    severe = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    caught = driver.execute_script("return window.__errors || []")
    return severe + list(caught)


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of the page (WCAG 2.1 A and AA)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, "
        "help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));"
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def screenshot(driver: Any, name: str) -> Path:
    """The whole page as ``ARTEFACTS/<name>.png``."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1280, min(max(height, 900), 8000))
    path = ARTEFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path))
    driver.set_window_size(1280, 900)
    return path
