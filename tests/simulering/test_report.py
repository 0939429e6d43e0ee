"""The HTML report: self-contained, both languages, and really rendered by Chromium."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from allokering.domain import Stage
from api.report_context import load_report_context
from scenarios.loader import Overrides, load_spec
from simulering.kpis import KPI_RANGE
from simulering.report import ReportContext, render_report, write_report
from simulering.results import (
    Comparison,
    Estimate,
    PairedComparison,
    PolicyResult,
    SimulationResult,
    StageKpis,
)
from simulering.runner import run_simulation
from tests.chromium import HAVE_CHROMIUM, NO_CHROMIUM, chromium

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
POLICIES = ("separate", "shared")
BUNDLE = get_plotlyjs()
FIRST = Stage.FIRST_VISIT


@pytest.fixture(scope="module")
def result() -> SimulationResult:
    """A short real run (2 replications, 420 days) with its paired comparison."""
    sc, spec = load_spec("gallsten", Overrides(horizon_days=420, warmup_days=120))
    return run_simulation(spec, list(POLICIES), sc.run.seed, 2, workers=1, scenario=sc.name)


@pytest.fixture(scope="module")
def ctx() -> ReportContext:
    return load_report_context("gallsten")


def n_figures(text: str) -> int:
    return len(re.findall(r'class="plotly-graph-div"', text))


def section(text: str, anchor: str) -> str:
    return text.split(f"id='{anchor}'")[1].split("</section>")[0]


def paired(comparisons: dict[str, Comparison], baseline: str = "separate") -> PairedComparison:
    """A paired comparison of ``shared`` against ``baseline``, first visits only."""
    return PairedComparison(
        baseline=baseline,
        confidence=0.95,
        direction={},
        comparisons={"shared": {FIRST: StageKpis(values=comparisons)}},
    )


def diff(mean: float, **over: object) -> Comparison:
    """A comparison whose difference has ``mean`` and the interval ``mean ± 1``."""
    c = Comparison(
        baseline_mean=None,
        policy_mean=None,
        difference=Estimate(mean, mean - 1, mean + 1, 2),
        significant=False,
        better=None,
    )
    return replace(c, **over)  # type: ignore[arg-type]


def test_context_from_scenario(ctx: ReportContext) -> None:
    assert ctx.title.startswith("Gallstensoperationer")
    assert len(ctx.areas) == 49
    assert {a.subregion for a in ctx.areas} == {"göteborg", "västra", "södra", "östra", "norra"}
    assert ctx.units[0].id == "su_ostra" and ctx.units[0].lat is not None
    assert ctx.assumptions and ctx.sources


def test_region_series_has_replication_ci(result: SimulationResult) -> None:
    policy = result.policies["separate"]
    days = policy.month_end_day
    region = policy.series[FIRST]
    assert tuple(region.region_share_waiting) == days
    month = region.region_share_waiting[days[-1]]
    assert month.mean is not None and month.lo is not None and month.hi is not None
    assert 0 <= month.mean <= 1 and month.lo <= month.mean <= month.hi
    queue = region.region_queue_length[days[-1]].mean
    assert queue is not None and queue > 0


def test_self_contained_in_both_languages(
    result: SimulationResult, ctx: ReportContext, tmp_path: Path
) -> None:
    sv_path, en_path = tmp_path / "sv.html", tmp_path / "en.html"
    write_report(result, ctx, sv_path)
    write_report(result, ctx, en_path, lang="en")
    sv, en = sv_path.read_text(encoding="utf-8"), en_path.read_text(encoding="utf-8")
    for text, lang in ((sv, "sv"), (en, "en")):
        assert not re.search(r"<script[^>]*\bsrc\s*=", text)  # bundle inlined, no CDN
        assert text.count(BUNDLE) == 1  # plotly.js once
        rest = text.replace(BUNDLE, "")
        assert "cdn.plot.ly" not in rest and "<link" not in rest and "src=" not in rest
        assert text.count("Plotly.newPlot") == n_figures(text) == 7
        assert "separate</code>" in text and "shared</code>" in text
        assert str(result.run.seed) in text and "remiss " in text
        assert ctx.in_language(lang).assumptions[0] in text  # the scenario's, in its language
    assert ctx.in_language("sv").assumptions[0] != ctx.assumptions[0]
    assert "<html lang='sv'>" in sv and "<html lang='en'>" in en
    for word in ("Andel väntande inom vårdgarantin", "Separata köer", "Gemensam kö", "Antaganden"):
        assert word in sv and word not in en
    for word in ("Share waiting within the guarantee", "Separate lists", "Shared list"):
        assert word in en and word not in sv
    paired_sv = section(sv, "paired")
    assert "Gemensam kö − Separata köer" in paired_sv
    assert "Jämfört med: Separata köer" in paired_sv
    assert "inga parvisa jämförelser" not in sv
    without = replace(result, paired=replace(result.paired, comparisons={}))
    assert "inga parvisa jämförelser" in section(render_report(without, ctx), "paired")


def test_the_map_names_each_municipality_on_hover_over_the_region_outline(
    result: SimulationResult, ctx: ReportContext
) -> None:
    from simulering.report.map_chart import area_map
    from simulering.report.view import ReportView

    chart = area_map(ReportView.of(result, ctx, "sv"))
    assert chart is not None
    traces = chart.fig.data
    outlines = [t for t in traces if t.name == "outline"]
    assert len(outlines) == len(POLICIES) * 2 and outlines[0].fill == "toself"
    assert len(outlines[0].x) == len(ctx.outline) > 10
    hovered = " ".join(str(x) for t in traces if t.name != "outline" for x in (t.text or ()))
    for area in ctx.areas:  # every municipality named on hover, with its sub-region
        assert f"{area.name} ({area.subregion})" in hovered, area.name


def test_a_document_renders_as_its_result(result: SimulationResult, ctx: ReportContext) -> None:
    """What ``--json`` writes, read back, gives the same report as the run itself."""
    doc = json.loads(json.dumps(result.to_document()))
    again = SimulationResult.from_document(doc)
    assert render_report(again, ctx, "en") == render_report(result, ctx, "en")


def test_paired_comparison_rendered(result: SimulationResult, ctx: ReportContext) -> None:
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
                    },
                    "band_0_30": {
                        "baseline_mean": 0.3,
                        "policy_mean": 0.4,
                        "difference": {"mean": 0.1, "ci95": [0.05, 0.15]},
                        "n": 2,
                        "significant": True,
                        "better": None,
                    },
                }
            }
        },
    }
    typed = replace(result, paired=PairedComparison.from_document(documented))
    text = render_report(typed, ctx, lang="en")
    table = section(text, "paired")
    assert "Shared list − Separate lists · First visit" in table
    assert "Compared with: Separate lists; Confidence level: 95 %" in table
    assert "<td>60.0 %</td><td>81.0 %</td><td>+21.0 pp [+18.0 – +24.0]</td>" in table
    assert "<tr class='significant better'>" in table and "<td>yes</td>" in table
    assert "0–30 d" not in table  # the bands are in their chart
    assert "+21,0 p.e. [+18,0 – +24,0]" in section(render_report(typed, ctx), "paired")
    # the baseline better: marked worse; no means anywhere: those columns left out
    worse = paired({"mean_wait_days": diff(2.0, significant=True, better="separate")})
    table = section(render_report(replace(result, paired=worse), ctx, "en"), "paired")
    assert "<tr class='significant worse'>" in table
    assert "<th>Baseline</th>" not in table and "<th>Policy</th>" not in table
    assert "<td>Mean wait, days</td><td>+2.0 [+1.0 – +3.0]</td><td>yes</td>" in table
    neither = paired({"mean_wait_days": diff(0.5)})
    table = section(render_report(replace(result, paired=neither), ctx, "en"), "paired")
    assert "<tr>" in table and "class='significant" not in table and "<td>n.s.</td>" in table


def test_a_difference_written_as_zero_is_not_significant(
    result: SimulationResult, ctx: ReportContext
) -> None:
    """Significant by a hair but +0,0 [+0,0 – +0,0] as written: "n.s.", no winner."""
    tiny = Comparison(
        baseline_mean=0.5,
        policy_mean=0.5001,
        difference=Estimate(0.0001, 0.00005, 0.00015, 5),
        significant=True,
        better="shared",
    )
    clear = replace(tiny, difference=Estimate(0.01, 0.004, 0.016, 5))
    for comparison, verdict in ((tiny, "n.s."), (clear, "yes")):
        both = paired({"share_waiting_within_guarantee": comparison})
        table = section(render_report(replace(result, paired=both), ctx, "en"), "paired")
        assert f"<td>{verdict}</td>" in table
        assert ("class='significant better'" in table) == (verdict == "yes")
        assert ("<td>Shared list</td>" in table) == (verdict == "yes")


def test_kpis_zero_everywhere_are_named_not_tabled(
    result: SimulationResult, ctx: ReportContext
) -> None:
    """gallsten is VGR only: care in another region is 0 for every policy and stage."""
    text = render_report(result, ctx, lang="en")
    kpis = section(text, "summary")
    assert "Not shown, zero for every policy and stage" in kpis
    label = "Treated in another region"
    assert label in kpis and f"<th scope='row'>{label}" not in kpis
    assert "Mean wait, days" in kpis


@dataclass(frozen=True)
class WithWarnings(SimulationResult):
    """A result with warnings besides the replication one."""

    extra: tuple[str, ...] = ()

    @property
    def warnings(self) -> list[str]:
        return [*super().warnings, *self.extra]


def test_warning_new_kpis_and_priority_groups(result: SimulationResult, ctx: ReportContext) -> None:
    sv, en = render_report(result, ctx), render_report(result, ctx, lang="en")
    header_sv, header_en = sv.split("</header>")[0], en.split("</header>")[0]
    assert "class='warning'" in header_sv and "Endast 2 replikering" in header_sv
    assert "Only 2 replication" in header_en
    assert "only 2 replications" not in header_sv  # said once, in the report's language
    enough = replace(result, run=replace(result.run, replications=10))
    assert "class='warning'" not in render_report(enough, ctx, lang="en")
    same = {f.name: getattr(result, f.name) for f in fields(result)}
    other = render_report(WithWarnings(**same, extra=("odd input",)), ctx, "en")
    assert "odd input" in other.split("</header>")[0]
    assert other.split("</header>")[0].count("class='warning'") == 2
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
    priority = section(sv, "priority")
    assert "Per prioritetsgrupp" in priority and "Prioritetsgrupp P1" in priority
    assert "Genomförda inom egen gräns" in priority
    assert "By priority group" in en and "Completed within own limit" in en
    table = section(en, "paired")
    assert "by_priority" not in table and "P1" not in table


def estimates(policy: PolicyResult[Estimate]) -> Iterator[tuple[str, Estimate]]:
    """Every (KPI, estimate) of a summarised policy: overall, per priority group, in
    every breakdown and the region series."""
    for kpis in policy.kpis.values():
        yield from kpis.values.items()
        for group in kpis.by_priority.values():
            yield from group.items()
    for name in ("by_unit", "by_area", "by_subregion"):
        for stages in policy.breakdown(name).values():
            for values in stages.values():
                yield from values.items()
    for series in policy.series.values():
        yield from (
            ("share_waiting_within_guarantee", e) for e in series.region_share_waiting.values()
        )
        yield from (("queue_length", e) for e in series.region_queue_length.values())


def test_intervals_of_the_result_are_possible(result: SimulationResult) -> None:
    checked = 0
    for policy in result.policies.values():
        for kpi, e in estimates(policy):
            if e.mean is None:
                continue
            assert e.lo is not None and e.hi is not None
            assert e.lo <= e.mean <= e.hi, (kpi, e)
            if KPI_RANGE.get(kpi) == "share":
                assert e.lo >= 0.0 and e.hi <= 1.0, (kpi, e)
            elif kpi in KPI_RANGE or kpi == "queue_length":
                assert e.lo >= 0.0, (kpi, e)
            checked += 1
    assert checked > 1000
    for stages in result.paired.comparisons.values():
        for kpis in stages.values():
            for kpi, c in kpis.values.items():
                lo, hi = c.difference.lo, c.difference.hi
                if KPI_RANGE.get(kpi) == "share" and lo is not None and hi is not None:
                    assert -1.0 <= lo <= hi <= 1.0


def test_opposite_directions_and_today_label(result: SimulationResult, ctx: ReportContext) -> None:
    moves = {
        "share_completed_within_guarantee": diff(0.031),
        "share_completed_within_guarantee_incl_pvv": diff(-0.002),
        "share_waiting_within_guarantee": diff(-0.01),
        "mean_wait_days": diff(4.2),
    }
    policies = {
        "separate_by_hospital_group": result.policies["separate"],
        "shared": result.policies["shared"],
    }
    today = "separate_by_hospital_group"
    r = replace(result, policies=policies, paired=paired(moves, baseline=today))
    en, sv = render_report(r, ctx, lang="en"), render_report(r, ctx)
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
    same = {
        **moves,
        "mean_wait_days": diff(-4.2),
        "share_waiting_within_guarantee": diff(0.0),
    }
    calm = replace(r, paired=paired(same, baseline=today))
    assert "Read both measures" not in render_report(calm, ctx, lang="en")


def test_without_region_series_band_is_spread_across_units(
    result: SimulationResult, ctx: ReportContext
) -> None:
    ci = "Band: 95 % confidence interval across replications."
    assert ci in render_report(result, ctx, lang="en")
    old = replace(
        result,
        policies={
            name: replace(
                p,
                series={
                    s: replace(x, region_share_waiting={}, region_queue_length={})
                    for s, x in p.series.items()
                },
            )
            for name, p in result.policies.items()
        },
    )
    text = render_report(old, ctx, lang="en")
    assert "range across units, not a confidence interval" in text and ci not in text


def test_unknown_language_and_no_policies_are_refused(
    result: SimulationResult, ctx: ReportContext
) -> None:
    with pytest.raises(ValueError, match="lang"):
        render_report(result, ctx, lang="de")
    with pytest.raises(ValueError, match="no policies"):
        render_report(replace(result, policies={}), ctx)


# --- the real thing: open it in headless Chromium ---------------------------------------


@pytest.mark.skipif(not HAVE_CHROMIUM, reason=NO_CHROMIUM)
def test_report_renders_in_headless_chromium(
    result: SimulationResult, ctx: ReportContext, tmp_path: Path
) -> None:
    pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.support.ui import WebDriverWait

    path = tmp_path / "report.html"
    write_report(result, ctx, path)
    expected = n_figures(path.read_text(encoding="utf-8"))
    with chromium() as driver:
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
