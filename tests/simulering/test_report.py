"""The HTML report: self-contained, both languages, and really rendered by Chromium."""

from __future__ import annotations

import copy
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from plotly.offline import get_plotlyjs

from api.report_context import load_report_context
from scenarios.loader import Overrides, load_spec
from simulering.report import ReportContext, render_report, write_report
from simulering.runner import simulate

try:
    from simulering.runner import run_simulation
except ImportError:  # before paired comparisons
    run_simulation = None  # type: ignore[assignment]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
POLICIES = ("separate", "shared")
BUNDLE = get_plotlyjs()


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    """The ``--json`` document of a short real run (2 replications, 420 days)."""
    sc, spec = load_spec("gallsten", Overrides(horizon_days=420, warmup_days=120))
    document: dict[str, Any] = {
        "scenario": sc.name,
        "seed": sc.run.seed,
        "replications": 2,
        "horizon_days": spec.horizon_days,
        "warmup_days": spec.warmup_days,
    }
    if run_simulation is not None:  # with the paired comparison
        run = run_simulation(spec, list(POLICIES), sc.run.seed, 2, workers=1)
        document |= {"policies": run.policies, "paired": run.paired}
    else:
        document["policies"] = simulate(spec, list(POLICIES), sc.run.seed, 2, workers=1)
    return json.loads(json.dumps(document))  # exactly what --json would give


@pytest.fixture(scope="module")
def ctx() -> ReportContext:
    return load_report_context("gallsten")


def n_figures(text: str) -> int:
    return len(re.findall(r'class="plotly-graph-div"', text))


def test_context_from_scenario(ctx: ReportContext) -> None:
    assert ctx.title.startswith("Gallstensoperationer")
    assert len(ctx.areas) == 49
    assert {a.subregion for a in ctx.areas} == {"göteborg", "västra", "södra", "östra", "norra"}
    assert ctx.units[0].id == "su_ostra" and ctx.units[0].lat is not None
    assert ctx.assumptions and ctx.sources


def test_region_series_has_replication_ci(doc: dict[str, Any]) -> None:
    days = doc["policies"]["separate"]["series"]["month_end_day"]
    region = doc["policies"]["separate"]["series"]["first_visit"]["region"]
    shares = region["share_waiting_within_guarantee"]
    assert list(shares) == [str(d) for d in days]
    month = shares[str(days[-1])]
    assert 0 <= month["mean"] <= 1 and month["ci95"][0] <= month["mean"] <= month["ci95"][1]
    assert region["queue_length"][str(days[-1])]["mean"] > 0


def test_self_contained_in_both_languages(
    doc: dict[str, Any], ctx: ReportContext, tmp_path: Path
) -> None:
    sv_path, en_path = tmp_path / "sv.html", tmp_path / "en.html"
    write_report(doc, ctx, sv_path)
    write_report(doc, ctx, en_path, lang="en")
    sv, en = sv_path.read_text(encoding="utf-8"), en_path.read_text(encoding="utf-8")
    for text in (sv, en):
        assert not re.search(r"<script[^>]*\bsrc\s*=", text)  # bundle inlined, no CDN
        assert text.count(BUNDLE) == 1  # plotly.js once
        rest = text.replace(BUNDLE, "")
        assert "cdn.plot.ly" not in rest and "<link" not in rest and "src=" not in rest
        assert text.count("Plotly.newPlot") == n_figures(text) == 7
        assert "separate</code>" in text and "shared</code>" in text
        assert str(doc["seed"]) in text and "remiss " in text
        assert ctx.assumptions[0] in text
    assert "<html lang='sv'>" in sv and "<html lang='en'>" in en
    for word in ("Andel väntande inom vårdgarantin", "Separata köer", "Gemensam kö", "Antaganden"):
        assert word in sv and word not in en
    for word in ("Share waiting within the guarantee", "Separate lists", "Shared list"):
        assert word in en and word not in sv
    if "paired" in doc:
        section = sv.split("id='paired'")[1].split("</section>")[0]
        assert "Gemensam kö − Separata köer" in section
        assert "Jämfört med: Separata köer" in section
    else:
        assert "inga parvisa jämförelser" in sv
    without = render_report({k: v for k, v in doc.items() if k != "paired"}, ctx)
    assert "inga parvisa jämförelser" in without  # said so, not crashed


def test_paired_comparison_rendered_in_any_reasonable_shape(
    doc: dict[str, Any], ctx: ReportContext
) -> None:
    leaf = {"mean": 0.21, "ci95": [0.18, 0.24], "significant": True, "better": "shared"}
    nested = {
        "baseline": "separate",
        "shared-separate": {"first_visit": {"share_waiting_within_guarantee": leaf}},
    }
    flat = [
        {
            "a": "shared",
            "b": "separate",
            "stage": "first_visit",
            "kpi": "mean_travel_km",
            "mean": 31.0,
            "ci95": [30.0, 32.0],
            "significant": True,
            "better": "separate",
        }
    ]
    documented = {
        "baseline": "separate",
        "confidence": 0.95,
        "direction": {"share_waiting_within_guarantee": "higher"},
        "comparisons": {
            "shared": {
                "first_visit": {
                    "share_waiting_within_guarantee": {
                        "baseline_mean": 0.6,
                        "policy_mean": 0.81,
                        "difference": {"mean": 0.21, "ci95": [0.18, 0.24]},
                        "n": 2,
                        "significant": True,
                        "better": "shared",
                    }
                }
            }
        },
    }
    text = render_report({**doc, "paired": documented}, ctx, lang="en")
    assert "Shared list − Separate lists" in text and "Confidence level: 95 %" in text
    assert "<td>60.0 %</td><td>81.0 %</td><td>+21.0 pp [+18.0 – +24.0]</td>" in text
    for paired in (nested, flat, documented):
        text = render_report({**doc, "paired": paired}, ctx, lang="en")
        section = text.split("id='paired'")[1].split("</section>")[0]
        assert "<tr class='significant better'>" in section
        assert "Shared list" in section and "yes" in section
    assert "+21.0 pp [+18.0 – +24.0]" in render_report({**doc, "paired": nested}, ctx, "en")
    assert "+21,0 p.e." in render_report({**doc, "paired": nested}, ctx)
    # garbage does not break the report
    render_report({**doc, "paired": {"x": [1, "y", None]}}, ctx)


def test_warning_new_kpis_and_priority_groups(doc: dict[str, Any], ctx: ReportContext) -> None:
    sv, en = render_report(doc, ctx), render_report(doc, ctx, lang="en")
    header_sv, header_en = sv.split("</header>")[0], en.split("</header>")[0]
    assert "class='warning'" in header_sv and "Endast 2 replikering" in header_sv
    assert "Only 2 replication" in header_en
    enough = render_report({**doc, "replications": 10}, ctx, lang="en")
    assert "class='warning'" not in enough
    other = render_report({**doc, "replications": 10, "warnings": ["odd input"]}, ctx, "en")
    assert "odd input" in other.split("</header>")[0]
    for word in ("Väntande ≤ 90 d inkl. PVV", "Patientvald väntan, andel"):
        assert word in sv
    assert "Väntar vid horisontens slut" in sv and "Waiting at the end of the horizon" in en
    assert "Completed ≤ 90 d incl. PVV" in en
    # incl.-PVV right beside the official share
    summary = en.split("id='summary'")[1].split("</table>")[0]
    assert (
        summary.index("Waiting ≤ 90 d (month ends)")
        < summary.index("Waiting ≤ 90 d incl. PVV")
        < summary.index("Completed ≤ 90 d<")
    )
    section = sv.split("id='priority'")[1].split("</section>")[0]
    assert "Per prioritetsgrupp" in section and "Prioritetsgrupp P1" in section
    assert "Genomförda inom egen gräns" in section
    assert "By priority group" in en and "Completed within own limit" in en
    paired = en.split("id='paired'")[1].split("</section>")[0]
    assert "by_priority" not in paired and "P1" not in paired


def test_intervals_of_the_document_are_possible(doc: dict[str, Any]) -> None:
    from simulering.kpis import KPI_RANGE

    def walk(node: Any, kpi: str | None) -> None:
        if isinstance(node, dict) and "mean" in node and "ci95" in node:
            lo, hi = node["ci95"]
            if node["mean"] is None:
                return
            assert lo <= node["mean"] <= hi
            if KPI_RANGE.get(kpi or "") == "share":
                assert lo >= 0.0 and hi <= 1.0, (kpi, node)
            elif kpi in KPI_RANGE or kpi == "queue_length":
                assert lo >= 0.0, (kpi, node)
            return
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k if k in KPI_RANGE or k == "queue_length" else kpi)

    walk(doc["policies"], None)
    for comparison in doc["paired"]["comparisons"].values():
        for stage in comparison.values():
            for kpi, c in stage.items():
                if kpi in KPI_RANGE and KPI_RANGE[kpi] == "share":
                    lo, hi = c["difference"]["ci95"]
                    assert lo is None or -1.0 <= lo <= hi <= 1.0


def test_opposite_directions_and_today_label(doc: dict[str, Any], ctx: ReportContext) -> None:
    def diff(mean: float) -> dict[str, Any]:
        return {"difference": {"mean": mean, "ci95": [mean - 1, mean + 1]}, "n": 2}

    paired = {
        "baseline": "separate_by_hospital_group",
        "comparisons": {
            "shared": {
                "first_visit": {
                    "share_completed_within_guarantee": diff(0.031),
                    "share_completed_within_guarantee_incl_pvv": diff(-0.002),
                    "share_waiting_within_guarantee": diff(-0.01),
                    "mean_wait_days": diff(4.2),
                }
            }
        },
    }
    policies = {
        "separate_by_hospital_group": doc["policies"]["separate"],
        "shared": doc["policies"]["shared"],
    }
    d = {**doc, "policies": policies, "paired": paired}
    en, sv = render_report(d, ctx, lang="en"), render_report(d, ctx)
    line = (
        "shared list vs today, first visit: the official share completed within 90 days is "
        "better (+3.1 pp) but the mean wait is worse (+4.2 d): the share excludes "
        "patient-chosen waiting; read both."
    )
    assert line.replace("shared list", "Shared list") in en.replace("&#x27;", "'")
    assert "den officiella andelen genomförda inom 90 dagar är bättre (+3,1 p.e.)" in sv
    assert "medelväntetiden är sämre (+4,2 d)" in sv
    assert "idag<br><code>separate_by_hospital_group</code>" in sv
    assert "today<br><code>separate_by_hospital_group</code>" in en
    same = copy.deepcopy(paired)
    same["comparisons"]["shared"]["first_visit"]["mean_wait_days"] = diff(-4.2)
    same["comparisons"]["shared"]["first_visit"]["share_waiting_within_guarantee"] = diff(0.0)
    assert "Read both measures" not in render_report({**d, "paired": same}, ctx, lang="en")


def test_without_region_series_band_is_spread_across_units(
    doc: dict[str, Any], ctx: ReportContext
) -> None:
    old = copy.deepcopy(doc)
    for p in old["policies"].values():
        for stage in ("first_visit", "treatment"):
            del p["series"][stage]["region"]
    text = render_report(old, ctx, lang="en")
    assert "range across units, not a confidence interval" in text


def test_unknown_language_is_refused(doc: dict[str, Any], ctx: ReportContext) -> None:
    with pytest.raises(ValueError, match="lang"):
        render_report(doc, ctx, lang="de")


# --- the real thing: open it in headless Chromium ---------------------------------------
ERROR_HOOK = """
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message)));
window.addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)));
"""


@pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (/usr/bin/chromium, "
    "/usr/bin/chromedriver): apt-get install -y chromium chromium-driver",
)
def test_report_renders_in_headless_chromium(
    doc: dict[str, Any], ctx: ReportContext, tmp_path: Path
) -> None:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    path = tmp_path / "report.html"
    write_report(doc, ctx, path)
    expected = n_figures(path.read_text(encoding="utf-8"))
    profile = tempfile.mkdtemp(prefix="remiss-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_HOOK})
        driver.get(path.as_uri())
        rendered_js = (
            "return Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".filter(d => d.querySelector('svg.main-svg')).length"
        )
        WebDriverWait(driver, 60).until(lambda d: d.execute_script(rendered_js) >= expected)
        assert driver.execute_script(rendered_js) == expected == 7
        # every chart drew data, not just empty axes
        traces = driver.execute_script(
            "return Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".map(d => d.querySelectorAll('.scatterlayer .trace, .barlayer .trace').length)"
        )
        assert all(n > 0 for n in traces), traces
        assert driver.execute_script("return window.__errors") == []
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == []
        assert driver.execute_script("return document.documentElement.lang") == "sv"
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(int(height) + 100, 16000))
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(rendered_js) == expected)
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "report.png"
        assert driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
